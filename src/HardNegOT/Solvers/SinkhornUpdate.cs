namespace HardNegOT.Solvers;

/// <summary>How the dual potentials are updated between half-steps.</summary>
public enum SinkhornUpdate
{
    /// <summary>
    /// Anderson-accelerated symmetric when a = b, alternating otherwise. Solvers that run only the
    /// plain schemes (the device kernels, kernel space) take symmetric for a = b.
    /// </summary>
    Auto,

    /// <summary>g ← T_a(f), f ← T_b(g): classic Sinkhorn, two half-steps an iteration (what POT's ot.sinkhorn does).</summary>
    Alternating,

    /// <summary>
    /// For a = b and a symmetric cost, f = g at the optimum, so iterate one potential:
    /// f ← (1 − ω)·f + ω·T(f), one half-step an iteration. It damps the slow mode that makes
    /// alternating updates crawl on clustered batches.
    /// </summary>
    Symmetric,

    /// <summary>
    /// The symmetric fixed-point map G(f) = (1 − ω)·f + ω·T(f) (a = b only) with Anderson acceleration
    /// of memory <see cref="SinkhornOptions.AndersonMemory"/>: each step extrapolates from the last m
    /// residuals by a small least-squares solve in double. Safeguarded: a step that raises the residual
    /// or is not finite is replaced by the plain step G(f). One iteration = one half-step evaluation, so
    /// a rejected extrapolation costs an extra iteration.
    /// </summary>
    Anderson,

    /// <summary>
    /// Over-relaxed alternating Sinkhorn (Thibault et al.): g ← (1 − θ)·g + θ·T_a(f),
    /// f ← (1 − θ)·f + θ·T_b(g) with θ = <see cref="SinkhornOptions.OverRelaxation"/> ∈ [1, 2).
    /// Each half-step's θ is shrunk towards 1 when it would lower the dual objective, which keeps the
    /// plain method's monotone convergence. Works for any marginals.
    /// </summary>
    OverRelaxed,

    /// <summary>
    /// <see cref="OverRelaxed"/> with θ chosen online: θ = 2/(1 + √(1 − η)), the optimum for a
    /// linear contraction η, where η is estimated from the decay of the marginal error over plain
    /// (θ = 1) iterations and re-estimated whenever the error stalls.
    /// </summary>
    OverRelaxedAdaptive,
}
