using TorchSharp;
using static TorchSharp.torch;

namespace HardNegOT.Torch.Losses;

/// <summary>How an NCE-family loss turns the (weighted) negative mass of an anchor into its negative term Ng.</summary>
public enum NegativeEstimator
{
    /// <summary>Plain NCE: Ng_i = N·Σ_j w_ij·neg_ij (uniform w gives InfoNCE / NT-Xent); τ⁺ is not used.</summary>
    Nce,

    /// <summary>
    /// Debiased (Chuang et al. 2020): Ng_i = max((−τ⁺·N·pos_i + N·Σ_j w_ij·neg_ij)/(1 − τ⁺), N·e^{−1/t}).
    /// </summary>
    Debiased,

    /// <summary>
    /// Bayesian (BCL, Liu and Wang): Ng_i = N·Σ_j w_ij·ω_ij·neg_ij with the importance weights ω of
    /// <see cref="BayesianPrior"/>, which correct false negatives (through τ⁺ and α) and emphasise hard ones (β).
    /// </summary>
    Bayesian,
}

/// <summary>
/// The prior of the Bayesian (BCL) estimator. Each negative's score is ranked among its anchor's negatives,
/// u = empirical CDF ∈ (0, 1]; u is mapped to the CDF c of the true-negative scale by solving
/// A·c² + B·c = u with A = (1 − 2α)(τ⁻ − τ⁺), B = 2(α·τ⁻ + (1 − α)·τ⁺), τ⁻ = 1 − τ⁺. With φ₁ = 2(1 − c) and φ₂ = 2c,
/// the true-negative, false-negative and hard-true-negative densities are
/// x_tn = α·φ₁ + (1 − α)·φ₂, x_fn = (1 − α)·φ₁ + α·φ₂, x_htn = (α(1 − β)·φ₁ + (1 − α)β·φ₂)/(α(1 − β) + (1 − α)β),
/// and ω = x_htn/(τ⁻·x_tn + τ⁺·x_fn). α = ½, β = ½ give ω ≡ 1 (plain NCE); the weights carry no gradient.
/// </summary>
/// <param name="Alpha">Location α ∈ [½, 1): how well the encoder already ranks true negatives below false ones (its macro-AUC).</param>
/// <param name="Beta">Concentration β ∈ [0, 1]: ½ is neutral, larger puts more weight on hard (high-score) negatives.</param>
public readonly record struct BayesianPrior(double Alpha, double Beta)
{
    /// <summary>α = ½ (no ranking knowledge), β = 1 (the BCL code's default hardness).</summary>
    public static BayesianPrior Default => new(0.5, 1.0);

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming α or β when out of range.</summary>
    public void Validate()
    {
        if (!(Alpha >= 0.5 && Alpha < 1))
            throw new ArgumentOutOfRangeException(nameof(Alpha), Alpha, "BCL's α must lie in [0.5, 1).");
        if (!(Beta >= 0 && Beta <= 1))
            throw new ArgumentOutOfRangeException(nameof(Beta), Beta, "BCL's β must lie in [0, 1].");
    }

    /// <summary>ω for empirical CDF values <paramref name="u"/> (any shape, float64) at positive-class prior τ⁺.</summary>
    internal Tensor Importance(Tensor u, double tauPlus)
    {
        double tauMinus = 1 - tauPlus, alpha = Alpha, beta = Beta;
        double a = (1 - 2 * alpha) * (tauMinus - tauPlus);
        double b = 2 * (alpha * tauMinus + (1 - alpha) * tauPlus);
        // The root of A·c² + B·c = u in [0, 1], written 2u/(B + √(B² + 4A·u)) so A → 0 needs no special case.
        var c = 2.0 * u / ((b * b + 4.0 * a * u).sqrt() + b);
        var phi1 = 2.0 * (1.0 - c);
        var phi2 = 2.0 * c;
        var trueNegative = alpha * phi1 + (1 - alpha) * phi2;
        var falseNegative = (1 - alpha) * phi1 + alpha * phi2;
        var hardTrueNegative = (alpha * (1 - beta) * phi1 + (1 - alpha) * beta * phi2) / (alpha * (1 - beta) + (1 - alpha) * beta);
        return hardTrueNegative / (tauMinus * trueNegative + tauPlus * falseNegative);
    }
}

/// <summary>
/// The distribution over an anchor's N negatives that an NCE-family loss averages under: weights w_ij ≥ 0 summing
/// to 1 over the negatives of each row.
/// </summary>
public abstract record NegativeWeighting
{
    private protected NegativeWeighting()
    {
    }

    /// <summary>Uniform negatives, w_ij = 1/N (SimCLR's sampling).</summary>
    public static NegativeWeighting Uniform { get; } = new UniformNegatives();

    /// <summary>
    /// HCL's hard negatives: w_ij ∝ e^{β·s_ij/t}, computed from the batch inside the loss and NOT detached (as HCL does).
    /// </summary>
    public static NegativeWeighting Hcl(double beta) =>
        double.IsFinite(beta) ? new HclNegatives(beta) : throw new ArgumentOutOfRangeException(nameof(beta), beta, "β must be finite.");

    /// <summary>
    /// Given 2B×2B weights over the rows of [z1; z2], e.g. OT's P*(x⁻|x); self and positive entries are ignored and the
    /// weights are detached.
    /// </summary>
    public static NegativeWeighting Given(Tensor weights) =>
        new GivenNegatives(weights ?? throw new ArgumentNullException(nameof(weights)));

    internal sealed record UniformNegatives : NegativeWeighting;

    internal sealed record HclNegatives(double Beta) : NegativeWeighting;

    internal sealed record GivenNegatives(Tensor Weights) : NegativeWeighting;
}
