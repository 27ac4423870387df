using HardNegOT.Costs;
using HardNegOT.Solvers;

namespace HardNegOT.Torch.Negatives;

/// <summary>How the rows of an embedding batch pair up into positives.</summary>
public enum NegativeLayout
{
    /// <summary>[view 1; view 2]: 2B rows, the positive of row i is i ± B (SimCLR's batch).</summary>
    TwoView,

    /// <summary>No positive pairs: only the row itself is excluded from its negatives.</summary>
    Unpaired,
}

/// <summary>
/// Immutable settings of the OT negative-weight op: ground cost, entropic ε, batch layout and the
/// Sinkhorn stopping rule. Invalid values throw when set, naming the property.
/// </summary>
public sealed record OtNegativeOptions
{
    /// <summary>Default ε: the paper's code uses reg = 0.7 with the squared-Euclidean cost on CIFAR-100.</summary>
    public const double DefaultEpsilon = 0.7;

    /// <summary>Ground cost as a function of cosine similarity; squared Euclidean ‖x − y‖² (the paper's code) by default.</summary>
    public GroundCost Cost
    {
        get;
        init => field = value ?? throw new ArgumentNullException(nameof(Cost));
    } = new SquaredEuclideanCost();

    /// <summary>Entropic regularisation ε &gt; 0 (smaller gives harder negatives).</summary>
    public double Epsilon
    {
        get;
        init => field = value > 0 && double.IsFinite(value) ? value
            : throw new ArgumentOutOfRangeException(nameof(Epsilon), value, "ε must be a positive finite number.");
    } = DefaultEpsilon;

    /// <summary>Positive-pair layout of the batch rows.</summary>
    public NegativeLayout Layout
    {
        get;
        init => field = Enum.IsDefined(value) ? value
            : throw new ArgumentOutOfRangeException(nameof(Layout), value, "Unknown layout.");
    } = NegativeLayout.TwoView;

    /// <summary>Stop when the L1 marginal error falls below this (single-precision default).</summary>
    public double Tolerance
    {
        get;
        init => field = value > 0 && double.IsFinite(value) ? value
            : throw new ArgumentOutOfRangeException(nameof(Tolerance), value, "The tolerance must be a positive finite number.");
    } = SinkhornOptions.FastTolerance;

    /// <summary>Sinkhorn iteration cap; a solve that reaches it reports Converged = false.</summary>
    public int MaxIterations
    {
        get;
        init => field = value > 0 ? value
            : throw new ArgumentOutOfRangeException(nameof(MaxIterations), value, "The iteration cap must be positive.");
    } = 10_000;

    /// <summary>
    /// Whether an <see cref="OtNegativeSampler"/> seeds each solve with the previous step's row
    /// potential when the batch size matches. The stateless <see cref="OtNegativeWeights"/> op ignores it.
    /// </summary>
    public bool WarmStart { get; init; } = true;

    /// <summary>
    /// Options whose cost is parsed from a command-line name (sqeuclid, sqeuclid-half, exp, cosine);
    /// <paramref name="kappa"/> is the shift of the exponential cost. Other settings keep their defaults.
    /// </summary>
    public static OtNegativeOptions ForCost(string costName, double kappa = ExponentialCost.DefaultKappa)
    {
        ArgumentNullException.ThrowIfNull(costName);
        return new OtNegativeOptions { Cost = GroundCost.Parse(costName, kappa) };
    }

    internal SinkhornOptions ToSinkhornOptions(double[]? warmStart) => new()
    {
        Tolerance = Tolerance,
        MaxIterations = MaxIterations,
        WarmStart = warmStart,
    };
}
