namespace HardNegOT.Solvers;

/// <summary>Stopping rule and warm start for a Sinkhorn solve.</summary>
public sealed record SinkhornOptions
{
    /// <summary>Default tolerance of the double-precision reference solver.</summary>
    public const double ReferenceTolerance = 1e-6;

    /// <summary>Default tolerance of single-precision fast paths.</summary>
    public const double FastTolerance = 1e-4;

    /// <summary>Stop when the L1 marginal error Σ_i |P1 − a|_i falls below this.</summary>
    public double Tolerance
    {
        get;
        init => field = value > 0 && double.IsFinite(value) ? value
            : throw new ArgumentOutOfRangeException(nameof(Tolerance), value, "The tolerance must be a positive finite number.");
    } = FastTolerance;

    /// <summary>Iteration cap; a solve that reaches it returns with Converged = false.</summary>
    public int MaxIterations
    {
        get;
        init => field = value > 0 ? value
            : throw new ArgumentOutOfRangeException(nameof(MaxIterations), value, "The iteration cap must be positive.");
    } = 10_000;

    /// <summary>
    /// Optional starting row potential f (length N), e.g. the previous training step's. The first
    /// half-step computes g from it, so only f seeds the solve.
    /// </summary>
    public double[]? WarmStart { get; init; }

    /// <summary>Options with the reference solver's tolerance.</summary>
    public static SinkhornOptions Reference { get; } = new() { Tolerance = ReferenceTolerance };

    /// <summary>Options with the fast paths' tolerance.</summary>
    public static SinkhornOptions Fast { get; } = new() { Tolerance = FastTolerance };

    internal void ValidateWarmStart(int n)
    {
        if (WarmStart is null) return;
        if (WarmStart.Length != n)
            throw new ArgumentException($"WarmStart has {WarmStart.Length} entries, expected N = {n}.", nameof(WarmStart));
        for (int i = 0; i < n; i++)
            if (!double.IsFinite(WarmStart[i]))
                throw new ArgumentException($"WarmStart[{i}] = {WarmStart[i]}: potentials must be finite.", nameof(WarmStart));
    }
}
