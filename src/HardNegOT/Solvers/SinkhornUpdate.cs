namespace HardNegOT.Solvers;

/// <summary>How the dual potentials are updated between half-steps.</summary>
public enum SinkhornUpdate
{
    /// <summary>Symmetric when a = b (every self-coupling with equal marginals), alternating otherwise.</summary>
    Auto,

    /// <summary>g ← T_a(f), f ← T_b(g): classic Sinkhorn, two half-steps an iteration (what POT's ot.sinkhorn does).</summary>
    Alternating,

    /// <summary>
    /// For a = b and a symmetric cost, f = g at the optimum, so iterate one potential:
    /// f ← (1 − ω)·f + ω·T(f), one half-step an iteration. It damps the slow mode that makes
    /// alternating updates crawl on clustered batches.
    /// </summary>
    Symmetric,
}
