using HardNegOT.Costs;
using HardNegOT.Solvers;

namespace HardNegOT.Torch.Multimodal;

/// <summary>How <see cref="OtCrossModalNegatives"/> builds a window's plan.</summary>
public enum CrossModalPlanSolver
{
    /// <summary>Exact assignment σ (Jonker–Volgenant), then the entropic plan.</summary>
    Exact,

    /// <summary>δ-approximate assignment σ (auction, <see cref="OtCrossModalOptions.ApproximateDelta"/>), then the entropic plan.</summary>
    Approximate,

    /// <summary>The entropic plan only, no combinatorial step (no σ, so no hard-row ordering).</summary>
    Sinkhorn,
}

/// <summary>Settings of <see cref="OtCrossModalNegatives"/>.</summary>
public sealed record OtCrossModalOptions
{
    /// <summary>Δ: batches per window; a plan is computed after every Δ batches.</summary>
    public int Window { get; init; } = 4;

    /// <summary>Entropic regularisation ε of the plan.</summary>
    public double Epsilon { get; init; } = 0.1;

    /// <summary>Ground cost C(v, t) of the plan, a function of cosine similarity.</summary>
    public GroundCost Cost { get; init; } = new SquaredEuclideanCost();

    /// <summary>Exact, approximate (δ) or Sinkhorn-only plans.</summary>
    public CrossModalPlanSolver Solver { get; init; } = CrossModalPlanSolver.Exact;

    /// <summary>δ of the approximate assignment (mean cost within δ of optimal); used by <see cref="CrossModalPlanSolver.Approximate"/>.</summary>
    public double ApproximateDelta { get; init; } = 0.01;

    /// <summary>Plans kept in the cache (the newest windows, oldest evicted first).</summary>
    public int CacheSize { get; init; } = 8;

    /// <summary>Cap on the extra negatives per modality and step (0: none).</summary>
    public int MaxExtraNegatives { get; init; } = 256;

    /// <summary>Add the transported positives (v′ᵢ, tᵢ) and (vᵢ, t′ᵢ) for batch pairs found in a cached window.</summary>
    public bool ExtraPositives { get; init; } = true;

    /// <summary>Sinkhorn tolerance and iteration cap of the plan.</summary>
    public SinkhornOptions Sinkhorn { get; init; } = new() { Tolerance = SinkhornOptions.FastTolerance, MaxIterations = 2000 };

    /// <summary>Throws, naming the field, when a setting is out of range.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Cost, nameof(Cost));
        ArgumentNullException.ThrowIfNull(Sinkhorn, nameof(Sinkhorn));
        if (Window < 1) throw new ArgumentOutOfRangeException(nameof(Window), Window, "A window holds at least one batch.");
        if (!(Epsilon > 0) || !double.IsFinite(Epsilon))
            throw new ArgumentOutOfRangeException(nameof(Epsilon), Epsilon, "ε must be a positive finite number.");
        if (Cost.MaximumCost / Epsilon > Problems.EntropicProblem.MaximumCostOverEpsilon)
            throw new ArgumentOutOfRangeException(nameof(Epsilon), Epsilon, $"ε is too small for the cost's maximum {Cost.MaximumCost:G4}.");
        if (!Enum.IsDefined(Solver)) throw new ArgumentOutOfRangeException(nameof(Solver), Solver, "Unknown plan solver.");
        if (!(ApproximateDelta > 0) || !double.IsFinite(ApproximateDelta))
            throw new ArgumentOutOfRangeException(nameof(ApproximateDelta), ApproximateDelta, "δ must be a positive finite number.");
        if (CacheSize < 1) throw new ArgumentOutOfRangeException(nameof(CacheSize), CacheSize, "The cache holds at least one plan.");
        if (MaxExtraNegatives < 0) throw new ArgumentOutOfRangeException(nameof(MaxExtraNegatives), MaxExtraNegatives, "Must be 0 or positive.");
    }
}
