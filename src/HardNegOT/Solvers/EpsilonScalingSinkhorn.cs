using HardNegOT.Couplings;
using HardNegOT.Problems;

namespace HardNegOT.Solvers;

/// <summary>
/// ε-scaling (annealing) around any solver: solve at ε_k = max(ε, ε₀·q^k) for k = 0, 1, … with
/// ε₀ = the cost's range on the sphere (C(−1) − C(1)) and decay q, each stage warm-started
/// (<see cref="SinkhornOptions.WarmStart"/>) with the previous stage's f, then a final solve at the
/// target ε. Large-ε stages converge in a few iterations and hand the small-ε solve potentials that
/// are already close: f tends to the unregularised Kantorovich potential as ε → 0, so f (in cost
/// units) carries over between stages.
/// </summary>
public sealed class EpsilonScalingSinkhorn : ISinkhornSolver
{
    private readonly ISinkhornSolver _inner;

    /// <summary>Wraps <paramref name="inner"/>.</summary>
    /// <param name="inner">The solver run at every stage, with the caller's options (update, backend).</param>
    /// <param name="decay">Ratio q ∈ (0, 1) between successive stage ε's.</param>
    /// <param name="stageTolerance">
    /// Tolerance of the intermediate stages; they only need to be close, so a looser one than the final
    /// solve's saves iterations. Null uses the caller's tolerance for every stage.
    /// </param>
    public EpsilonScalingSinkhorn(ISinkhornSolver inner, double decay = 0.5, double? stageTolerance = 1e-3)
    {
        ArgumentNullException.ThrowIfNull(inner);
        if (!(decay > 0 && decay < 1))
            throw new ArgumentOutOfRangeException(nameof(decay), decay, "The decay q must lie in (0, 1).");
        if (stageTolerance is { } t && !(t > 0 && double.IsFinite(t)))
            throw new ArgumentOutOfRangeException(nameof(stageTolerance), t, "The stage tolerance must be a positive finite number.");
        _inner = inner;
        Decay = decay;
        StageTolerance = stageTolerance;
    }

    /// <summary>Ratio q between successive stage ε's.</summary>
    public double Decay { get; }

    /// <summary>Tolerance of the intermediate stages (null: the caller's).</summary>
    public double? StageTolerance { get; }

    /// <inheritdoc />
    public string Name => $"eps-scaling({_inner.Name})";

    /// <summary>The stage ε's before the final solve at ε: ε₀·q^k while that exceeds ε (empty when ε ≥ ε₀).</summary>
    public IReadOnlyList<double> Schedule(EntropicProblem problem)
    {
        ArgumentNullException.ThrowIfNull(problem);
        var cost = problem.Geometry.Cost;
        double start = cost.MaximumCost - cost.FromSimilarity(1.0);
        var stages = new List<double>();
        for (double e = start; e > problem.Epsilon && stages.Count < 200; e *= Decay) stages.Add(e);
        return stages;
    }

    /// <summary>
    /// Solves through the schedule. <see cref="Coupling.Iterations"/> is the total over all stages; the
    /// error and convergence flag are the final stage's. <see cref="SinkhornOptions.MaxIterations"/>
    /// caps the total: intermediate stages stop early when the budget runs low, the final one always runs.
    /// A caller's warm start seeds the first stage.
    /// </summary>
    public Coupling Solve(EntropicProblem problem, SinkhornOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(problem);
        options ??= SinkhornOptions.Reference;
        options.ValidateWarmStart(problem.Count);
        var warm = options.WarmStart;
        int used = 0;
        foreach (double stageEpsilon in Schedule(problem))
        {
            int left = options.MaxIterations - used - 1;
            if (left < 1) break;
            var stage = problem.WithEpsilon(stageEpsilon);
            var solved = _inner.Solve(stage, options with
            {
                Tolerance = Math.Max(options.Tolerance, StageTolerance ?? options.Tolerance),
                MaxIterations = left,
                WarmStart = warm,
            });
            used += solved.Iterations;
            // A stage that ended non-finite (it should not) restarts the next one cold rather than poison it.
            var f = solved.F.ToArray();
            warm = Array.TrueForAll(f, double.IsFinite) ? f : warm;
        }
        var final = _inner.Solve(problem, options with { MaxIterations = Math.Max(1, options.MaxIterations - used), WarmStart = warm });
        return new Coupling(problem, final.F.ToArray(), final.G.ToArray(), used + final.Iterations, final.MarginalError, final.Converged, Name,
            final.ConvergenceError);
    }
}
