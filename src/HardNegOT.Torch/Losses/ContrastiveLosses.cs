using HardNegOT.Torch.Negatives;
using TorchSharp;
using static TorchSharp.torch;

namespace HardNegOT.Torch.Losses;

/// <summary>Which negative the triplet loss compares the positive with.</summary>
public enum TripletNegative
{
    /// <summary>Average of the hinge over the anchor's N negatives (or its weighted average, given weights).</summary>
    Mean,

    /// <summary>Only the hardest negative: the one with the largest cosine similarity (smallest distance).</summary>
    Hardest,
}

/// <summary>
/// Contrastive losses over a two-view batch (z1, z2 of shape B×d, each row normalised inside).
/// The 2B anchors are the rows of [z1; z2]; the positive of anchor i is its other view and its
/// N = 2B − 2 negatives are every other row (<see cref="ContrastiveMask"/>). With s the cosine
/// similarity and t the temperature, pos_i = e^{s(z1_i, z2_i)/t} and neg_ij = e^{s_ij/t}.
/// Every loss is a scalar mean over the 2B anchors and keeps the graph of z1 and z2.
/// </summary>
public static class ContrastiveLosses
{
    /// <summary>The 2B×2B cosine similarities of the rows of [z1; z2], with the graph of the inputs.</summary>
    public static Tensor Similarity(Tensor z1, Tensor z2) => ContrastiveScores.Similarity(z1, z2);

    /// <summary>
    /// InfoNCE / SimCLR NT-Xent: mean of −log(pos_i / (pos_i + Σ_j neg_ij)), computed as a stable
    /// log-sum-exp over the logits [s_pos, s_neg]/t.
    /// </summary>
    public static Tensor InfoNce(Tensor z1, Tensor z2, double temperature)
    {
        RequireTemperature(temperature);
        using var scope = torch.NewDisposeScope();
        var s = ContrastiveScores.Of(z1, z2);
        var logits = torch.cat(new[] { s.Positive.unsqueeze(1), s.Negative }, 1) / temperature;
        var loss = (logits.logsumexp(1) - s.Positive / temperature).mean();
        return loss.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The NCE family in one place: loss = mean_i −log(pos_i/(pos_i + Ng_i)), where <paramref name="negatives"/> says how
    /// each anchor's N negatives are weighted and <paramref name="estimator"/> how the weighted mass becomes Ng_i.
    /// Every named loss below is one choice of the two; the study grid crosses them.
    /// </summary>
    /// <param name="z1">View 1, B×d.</param>
    /// <param name="z2">View 2, B×d.</param>
    /// <param name="temperature">t &gt; 0.</param>
    /// <param name="estimator">Plain, debiased or Bayesian.</param>
    /// <param name="negatives">Uniform, HCL or given (OT) weights.</param>
    /// <param name="tauPlus">Positive-class prior τ⁺ ∈ [0, 1) (debiased and Bayesian estimators).</param>
    /// <param name="prior">The Bayesian estimator's α and β; <see cref="BayesianPrior.Default"/> when null.</param>
    public static Tensor Nce(Tensor z1, Tensor z2, double temperature, NegativeEstimator estimator, NegativeWeighting negatives,
        double tauPlus = 0, BayesianPrior? prior = null)
    {
        RequireTemperature(temperature);
        RequireTauPlus(tauPlus);
        ArgumentNullException.ThrowIfNull(negatives);
        if (!Enum.IsDefined(estimator))
            throw new ArgumentOutOfRangeException(nameof(estimator), estimator, "Unknown negative estimator.");
        var bayes = prior ?? BayesianPrior.Default;
        if (estimator == NegativeEstimator.Bayesian) bayes.Validate();
        using var scope = torch.NewDisposeScope();
        var s = ContrastiveScores.Of(z1, z2);
        var neg = (s.Negative / temperature).exp();
        if (estimator == NegativeEstimator.Bayesian)
            neg = neg * BayesianImportance(s, tauPlus, bayes);
        int n = s.NegativeCount;
        var mass = negatives switch
        {
            NegativeWeighting.UniformNegatives => neg.sum(1),
            // N·Σ softmax(β s/t)·neg = Σ imp·neg / mean(imp), HCL's reweighting, with the softmax keeping e^{βs/t} in range.
            NegativeWeighting.HclNegatives h => (torch.softmax(s.Negative * (h.Beta / temperature), 1) * neg).sum(1) * (double)n,
            NegativeWeighting.GivenNegatives g => (NegativeWeights(g.Weights, s) * neg).sum(1) * (double)n,
            _ => throw new ArgumentOutOfRangeException(nameof(negatives), negatives, "Unknown negative weighting."),
        };
        var pos = (s.Positive / temperature).exp();
        var ng = estimator == NegativeEstimator.Debiased
            ? ((pos * (-tauPlus * n) + mass) / (1.0 - tauPlus)).clamp_min(n * Math.Exp(-1.0 / temperature))
            : mass;
        return (-(pos / (pos + ng)).log()).mean().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Debiased contrastive loss (Chuang et al. 2020): Ng_i = max((−τ⁺·N·pos_i + Σ_j neg_ij)/(1 − τ⁺), N·e^{−1/t}),
    /// loss = mean(−log(pos/(pos + Ng))). τ⁺ = 0 gives InfoNCE.
    /// </summary>
    public static Tensor DebiasedNce(Tensor z1, Tensor z2, double temperature, double tauPlus) =>
        Nce(z1, z2, temperature, NegativeEstimator.Debiased, NegativeWeighting.Uniform, tauPlus);

    /// <summary>
    /// HCL's hard-negative estimator (Robinson et al. 2021), as in its code: imp = e^{β·log neg} = e^{β s/t},
    /// reweight_i = Σ_j imp_ij·neg_ij / mean_j imp_ij, then the debiased Ng with reweight in place of Σ neg.
    /// The importance weights are not detached. β = 0 gives <see cref="DebiasedNce"/>.
    /// </summary>
    public static Tensor HardNce(Tensor z1, Tensor z2, double temperature, double beta, double tauPlus) =>
        Nce(z1, z2, temperature, NegativeEstimator.Debiased, NegativeWeighting.Hcl(beta), tauPlus);

    /// <summary>
    /// BCL, the Bayesian contrastive loss (Liu and Wang): Ng_i = N·Σ_j w_ij·ω_ij·neg_ij with the importance weights ω of
    /// <paramref name="prior"/> (see <see cref="BayesianPrior"/>), loss = mean(−log(pos/(pos + Ng))). With uniform
    /// negatives (<paramref name="weights"/> null) this is BCL's own loss; given OT weights it reweights the OT negatives.
    /// </summary>
    /// <param name="z1">View 1, B×d.</param>
    /// <param name="z2">View 2, B×d.</param>
    /// <param name="temperature">t &gt; 0.</param>
    /// <param name="tauPlus">Positive-class prior τ⁺ ∈ [0, 1).</param>
    /// <param name="prior">α and β.</param>
    /// <param name="weights">Optional 2B×2B negative weights (e.g. OT), detached; null for uniform.</param>
    public static Tensor Bcl(Tensor z1, Tensor z2, double temperature, double tauPlus, BayesianPrior prior, Tensor? weights = null) =>
        Nce(z1, z2, temperature, NegativeEstimator.Bayesian,
            weights is null ? NegativeWeighting.Uniform : NegativeWeighting.Given(weights), tauPlus, prior);

    /// <summary>
    /// NCE with OT negative weights (the paper's Eq. 8, as its code computes it):
    /// Ng_i = max((−τ⁺·N·pos_i + N·Σ_j w_ij·neg_ij)/(1 − τ⁺), N·e^{−1/t}), loss = mean(−log(pos/(pos + Ng))).
    /// With uniform w_ij = 1/N this is <see cref="DebiasedNce"/>.
    /// </summary>
    /// <param name="z1">View 1, B×d.</param>
    /// <param name="z2">View 2, B×d.</param>
    /// <param name="temperature">t &gt; 0.</param>
    /// <param name="tauPlus">Positive-class prior τ⁺ ∈ [0, 1).</param>
    /// <param name="weights">
    /// 2B×2B conditional weights P*(x⁻|x) over the rows of [z1; z2] (e.g. <see cref="OtNegativeWeightsResult.Weights"/>):
    /// non-negative, each row summing to 1 over its negatives; self and positive entries are ignored.
    /// Detached here: no gradient flows through them.
    /// </param>
    public static Tensor OtNce(Tensor z1, Tensor z2, double temperature, double tauPlus, Tensor weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        return Nce(z1, z2, temperature, NegativeEstimator.Debiased, NegativeWeighting.Given(weights), tauPlus);
    }

    /// <summary>
    /// <see cref="OtNce(Tensor, Tensor, double, double, Tensor)"/> with the weights solved from [z1; z2]
    /// by <paramref name="sampler"/> (warm-started across calls when its options say so).
    /// </summary>
    public static Tensor OtNce(Tensor z1, Tensor z2, double temperature, double tauPlus, OtNegativeSampler sampler)
    {
        ArgumentNullException.ThrowIfNull(sampler);
        if (sampler.Options.Layout != NegativeLayout.TwoView)
            throw new ArgumentException("The contrastive losses need the two-view layout.", nameof(sampler));
        RequireTemperature(temperature);
        RequireTauPlus(tauPlus);
        ContrastiveScores.ValidateViews(z1, z2);
        using var scope = torch.NewDisposeScope();
        using var weights = sampler.Sample(torch.cat(new[] { z1.detach(), z2.detach() }, 0));
        return OtNce(z1, z2, temperature, tauPlus, weights.Weights).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// <see cref="OtNce(Tensor, Tensor, double, double, Tensor)"/> with the weights solved cold from [z1; z2]
    /// by <see cref="OtNegativeWeights.Compute"/>.
    /// </summary>
    public static Tensor OtNce(Tensor z1, Tensor z2, double temperature, double tauPlus, OtNegativeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return OtNce(z1, z2, temperature, tauPlus, new OtNegativeSampler(options with { WarmStart = false }));
    }

    /// <summary>
    /// Triplet loss with margin m on the unit sphere, with squared distances d² = 2 − 2s:
    /// per anchor h_ij = max(0, d²(a, p) − d²(a, n_j) + m). <see cref="TripletNegative.Mean"/> averages h_ij
    /// over the N negatives (or takes Σ_j w_ij·h_ij when <paramref name="weights"/> are given, e.g. OT weights,
    /// detached); <see cref="TripletNegative.Hardest"/> keeps only the negative of largest similarity and
    /// ignores weights. The loss is the mean over the 2B anchors.
    /// </summary>
    public static Tensor Triplet(Tensor z1, Tensor z2, double margin, TripletNegative negative = TripletNegative.Mean, Tensor? weights = null)
    {
        if (!(margin >= 0) || !double.IsFinite(margin))
            throw new ArgumentOutOfRangeException(nameof(margin), margin, "The margin must be a non-negative finite number.");
        if (!Enum.IsDefined(negative))
            throw new ArgumentOutOfRangeException(nameof(negative), negative, "Unknown triplet negative mode.");
        using var scope = torch.NewDisposeScope();
        var s = ContrastiveScores.Of(z1, z2);
        var positiveDistance = (2.0 - 2.0 * s.Positive).unsqueeze(1);
        if (negative == TripletNegative.Hardest)
        {
            var hardestDistance = (2.0 - 2.0 * s.Negative.amax(new long[] { 1 }, keepdim: true));
            return (positiveDistance - hardestDistance + margin).relu().mean().MoveToOuterDisposeScope();
        }
        var hinge = (positiveDistance - (2.0 - 2.0 * s.Negative) + margin).relu();
        var perAnchor = weights is null ? hinge.mean(new long[] { 1 }) : (NegativeWeights(weights, s) * hinge).sum(1);
        return perAnchor.mean().MoveToOuterDisposeScope();
    }

    // BCL's ω from each negative's rank among its anchor's negatives (empirical CDF, ties counted as ≤); no gradient.
    private static Tensor BayesianImportance(ContrastiveScores s, double tauPlus, BayesianPrior prior)
    {
        var scores = s.Negative.detach();
        var sorted = scores.sort(1).Values;
        var u = torch.searchsorted(sorted, scores, right: true).to_type(ScalarType.Float64) / (double)s.NegativeCount;
        return prior.Importance(u, tauPlus).to_type(s.Negative.dtype);
    }

    // Negative entries (2B×N) of a 2B×2B weight matrix, detached and in the scores' dtype, after checking shape and rows.
    private static Tensor NegativeWeights(Tensor weights, ContrastiveScores s)
    {
        long rows = 2L * s.BatchSize;
        if (weights.dim() != 2 || weights.shape[0] != rows || weights.shape[1] != rows)
            throw new ArgumentException(
                $"weights have shape [{string.Join(", ", weights.shape)}]; expected 2B×2B = {rows}×{rows}.", nameof(weights));
        if (!weights.is_floating_point())
            throw new ArgumentException($"weights have dtype {weights.dtype}; expected floating point.", nameof(weights));
        var w = ContrastiveMask.SelectNegatives(weights.detach().to(s.Negative.device), s.BatchSize).to_type(ScalarType.Float64);
        // One small host sync: wrong weights would silently rescale the loss.
        double minimum = w.min().item<double>();
        double rowError = (w.sum(1) - 1.0).abs().max().item<double>();
        if (!(minimum >= 0) || !(rowError <= 1e-3))
            throw new ArgumentException(
                $"weights must be non-negative with each row summing to 1 over its negatives (min {minimum}, max row error {rowError}).",
                nameof(weights));
        return w.to_type(s.Negative.dtype);
    }

    private static void RequireTemperature(double temperature)
    {
        if (!(temperature > 0) || !double.IsFinite(temperature))
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "The temperature must be a positive finite number.");
    }

    private static void RequireTauPlus(double tauPlus)
    {
        if (!(tauPlus >= 0 && tauPlus < 1))
            throw new ArgumentOutOfRangeException(nameof(tauPlus), tauPlus, "τ⁺ must lie in [0, 1).");
    }
}
