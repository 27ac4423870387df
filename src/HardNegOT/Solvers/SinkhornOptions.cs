namespace HardNegOT.Solvers;

/// <summary>Stopping rule and warm start for a Sinkhorn solve.</summary>
public sealed record SinkhornOptions
{
    /// <summary>Default tolerance of the double-precision reference solver.</summary>
    public const double ReferenceTolerance = 1e-6;

    /// <summary>Default tolerance of single-precision fast paths.</summary>
    public const double FastTolerance = 1e-4;

    /// <summary>
    /// Stop when the L1 marginal error Σ_i |P1 − a|_i falls below this; for an unbalanced problem (whose
    /// marginals are not met by design), when the dual change Σ_i a_i·|exp((f_i − f⁺_i)/ε) − 1| between
    /// successive row potentials does (see <see cref="Couplings.Coupling.ConvergenceError"/>).
    /// </summary>
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

    /// <summary>Update scheme; <see cref="SinkhornUpdate.Auto"/> picks the symmetric one for a = b.</summary>
    public SinkhornUpdate Update { get; init; } = SinkhornUpdate.Auto;

    /// <summary>
    /// Relaxation ω of the symmetric update, in (0, 1]. 2/3 was measured best over random, clustered,
    /// duplicated and near-antipodal batches (the linearised update contracts by |1 − ω(1 + λ)|).
    /// </summary>
    public double Relaxation
    {
        get;
        init => field = value > 0 && value <= 1 ? value
            : throw new ArgumentOutOfRangeException(nameof(Relaxation), value, "The relaxation ω must lie in (0, 1].");
    } = 2.0 / 3.0;

    /// <summary>
    /// Memory m of <see cref="SinkhornUpdate.Anderson"/>: how many past residual differences each
    /// extrapolation combines, in [1, 50]. 5 is the usual choice; more rarely helps and costs m·N a step.
    /// </summary>
    public int AndersonMemory
    {
        get;
        init => field = value is >= 1 and <= 50 ? value
            : throw new ArgumentOutOfRangeException(nameof(AndersonMemory), value, "The Anderson memory must lie in [1, 50].");
    } = 5;

    /// <summary>
    /// Over-relaxation θ of <see cref="SinkhornUpdate.OverRelaxed"/>, in [1, 2): θ = 1 is plain
    /// alternating Sinkhorn, θ → 2 the fastest linear rate for the slowest modes but the least damped.
    /// </summary>
    public double OverRelaxation
    {
        get;
        init => field = value >= 1 && value < 2 ? value
            : throw new ArgumentOutOfRangeException(nameof(OverRelaxation), value, "The over-relaxation θ must lie in [1, 2).");
    } = 1.5;

    /// <summary>
    /// Optional starting row potential f (length N), e.g. the previous training step's. The first
    /// half-step computes g from it, so only f seeds the solve.
    /// </summary>
    public double[]? WarmStart { get; init; }

    /// <summary>Options with the reference solver's tolerance.</summary>
    public static SinkhornOptions Reference { get; } = new() { Tolerance = ReferenceTolerance };

    /// <summary>Options with the fast paths' tolerance.</summary>
    public static SinkhornOptions Fast { get; } = new() { Tolerance = FastTolerance };

    /// <summary>
    /// The update a solve of <paramref name="problem"/> will use: Auto is Anderson-accelerated symmetric
    /// for a = b (and ρ_a = ρ_b when unbalanced: measured the winner there too, docs/solvers.md) and
    /// alternating otherwise.
    /// </summary>
    public SinkhornUpdate ResolveUpdate(Problems.EntropicProblem problem) =>
        Update == SinkhornUpdate.Auto && problem.IsSymmetric ? SinkhornUpdate.Anderson : ResolvePlainUpdate(problem);

    /// <summary>
    /// The resolution for solvers that run only the plain schemes (device kernels, kernel space):
    /// Auto is symmetric for a = b and alternating otherwise.
    /// </summary>
    public SinkhornUpdate ResolvePlainUpdate(Problems.EntropicProblem problem) => Update switch
    {
        SinkhornUpdate.Auto => problem.IsSymmetric ? SinkhornUpdate.Symmetric : SinkhornUpdate.Alternating,
        SinkhornUpdate.Symmetric when !problem.IsSymmetric =>
            throw new ArgumentException("The symmetric update needs equal marginals a = b (and equal strengths ρ_a = ρ_b).", nameof(Update)),
        SinkhornUpdate.Anderson when !problem.IsSymmetric =>
            throw new ArgumentException("The Anderson update accelerates the symmetric one and needs equal marginals a = b (and equal strengths ρ_a = ρ_b).", nameof(Update)),
        var explicitUpdate => explicitUpdate,
    };

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
