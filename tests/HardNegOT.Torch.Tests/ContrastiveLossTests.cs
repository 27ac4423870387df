using HardNegOT.Torch.Losses;
using HardNegOT.Torch.Negatives;
using TorchSharp;
using static TorchSharp.torch;
using R = HardNegOT.Torch.Tests.ContrastiveReference;

namespace HardNegOT.Torch.Tests;

public class ContrastiveLossTests
{
    // B = 2, d = 2, deliberately not unit norm: rows normalise to (1,0), (0.6,0.8) | (0.8,0.6), (−0.6,0.8).
    private static readonly double[][] Z1 = [[2, 0], [3, 4]];
    private static readonly double[][] Z2 = [[4, 3], [-3, 4]];
    private const double T = 0.5;
    private const double Tolerance = 2e-5;

    public ContrastiveLossTests() => TorchRuntime.EnsureLoaded();

    private static Tensor ToTensor(double[][] rows, bool requiresGrad = false) =>
        torch.tensor(rows.SelectMany(r => r.Select(v => (float)v)).ToArray(), new long[] { rows.Length, rows[0].Length })
            .requires_grad_(requiresGrad);

    private static double Value(Tensor loss) => loss.to_type(ScalarType.Float64).item<double>();

    private static (double[][] Z1, double[][] Z2) RandomViews(int b, int d, int seed)
    {
        var rng = new Random(seed);
        double[][] Make() => Enumerable.Range(0, b).Select(_ => Enumerable.Range(0, d).Select(_ => rng.NextDouble() * 2 - 1).ToArray()).ToArray();
        return (Make(), Make());
    }

    private static Tensor UniformWeights(int b)
    {
        using var mask = ContrastiveMask.Negatives(b);
        return mask.to_type(ScalarType.Float32) / (2.0 * b - 2);
    }

    [Fact]
    public void InfoNce_B2_d2_matches_hand_computed_value()
    {
        // Hand check of anchor 0: s_pos = 0.8, negatives s = 0.6 (row 1) and −0.6 (row 3).
        double anchor0 = -Math.Log(Math.Exp(1.6) / (Math.Exp(1.6) + Math.Exp(1.2) + Math.Exp(-1.2)));
        Assert.True(anchor0 > 0.5 && anchor0 < 0.6, $"anchor 0 term {anchor0}");
        using var loss = ContrastiveLosses.InfoNce(ToTensor(Z1), ToTensor(Z2), T);
        Assert.Equal(R.InfoNce(Z1, Z2, T), Value(loss), Tolerance);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.1)]
    [InlineData(0.5)]
    public void DebiasedNce_B2_d2_matches_hand_computed_value(double tauPlus)
    {
        using var loss = ContrastiveLosses.DebiasedNce(ToTensor(Z1), ToTensor(Z2), T, tauPlus);
        Assert.Equal(R.Debiased(Z1, Z2, T, tauPlus), Value(loss), Tolerance);
    }

    [Theory]
    [InlineData(1.0, 0.1)]
    [InlineData(0.5, 0.0)]
    [InlineData(2.0, 0.3)]
    public void HardNce_B2_d2_matches_hand_computed_value(double beta, double tauPlus)
    {
        using var loss = ContrastiveLosses.HardNce(ToTensor(Z1), ToTensor(Z2), T, beta, tauPlus);
        Assert.Equal(R.Hcl(Z1, Z2, T, beta, tauPlus), Value(loss), Tolerance);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.1)]
    public void OtNce_with_explicit_weights_B2_d2_matches_hand_computed_value(double tauPlus)
    {
        // Negatives of anchor i are {i+1, i+3} mod 4 (everything but i and i±2); put 0.25/0.75 on them.
        // Masked entries hold junk on purpose: the loss must ignore them.
        var w = new double[4, 4];
        for (int i = 0; i < 4; i++)
        {
            w[i, i] = 9;
            w[i, (i + 2) % 4] = 9;
            w[i, (i + 1) % 4] = 0.25;
            w[i, (i + 3) % 4] = 0.75;
        }
        var flat = new float[16];
        for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) flat[i * 4 + j] = (float)w[i, j];
        using var weights = torch.tensor(flat, new long[] { 4, 4 });
        using var loss = ContrastiveLosses.OtNce(ToTensor(Z1), ToTensor(Z2), T, tauPlus, weights);
        Assert.Equal(R.OtNce(Z1, Z2, T, tauPlus, w), Value(loss), Tolerance);
    }

    [Theory]
    [InlineData(0.5, TripletNegative.Mean)]
    [InlineData(0.5, TripletNegative.Hardest)]
    [InlineData(1.5, TripletNegative.Mean)]
    [InlineData(1.5, TripletNegative.Hardest)]
    public void Triplet_B2_d2_matches_hand_computed_value(double margin, TripletNegative mode)
    {
        using var loss = ContrastiveLosses.Triplet(ToTensor(Z1), ToTensor(Z2), margin, mode);
        Assert.Equal(R.Triplet(Z1, Z2, margin, mode == TripletNegative.Hardest), Value(loss), Tolerance);
    }

    [Theory]
    [InlineData(0.1, 0.5, 1.0)]
    [InlineData(0.1, 0.8, 1.0)]
    [InlineData(0.2, 0.9, 0.3)]
    [InlineData(0.0, 0.7, 0.5)]
    public void Bcl_matches_the_reference_on_random_views(double tauPlus, double alpha, double beta)
    {
        var (a, b) = RandomViews(5, 3, seed: 29);
        using var loss = ContrastiveLosses.Bcl(ToTensor(a), ToTensor(b), T, tauPlus, new BayesianPrior(alpha, beta));
        Assert.Equal(R.Bcl(a, b, T, tauPlus, alpha, beta), Value(loss), 1e-5);
    }

    /// <summary>
    /// Hand check, B = 2, α = ½, β = 1, τ⁺ = 0: then c = u and ω = 2u, so of each anchor's two negatives the higher-scoring
    /// one (u = 1) gets ω = 2 and the other (u = ½) ω = 1, and Ng = Σ ω·neg (N·w = 1). Similarities from the unit rows:
    /// anchor 0: pos 0.8, negatives 0.6, −0.6; anchor 1: pos 0.28, negatives 0.96, 0.6; anchor 2: pos 0.8, negatives
    /// 0.96, 0; anchor 3: pos 0.28, negatives 0, −0.6 (t = ½ doubles them in the exponents).
    /// </summary>
    [Fact]
    public void Bcl_B2_d2_matches_hand_computed_value()
    {
        static double Term(double pos, double hi, double lo) =>
            -Math.Log(Math.Exp(2 * pos) / (Math.Exp(2 * pos) + 2 * Math.Exp(2 * hi) + Math.Exp(2 * lo)));
        double expected = (Term(0.8, 0.6, -0.6) + Term(0.28, 0.96, 0.6) + Term(0.8, 0.96, 0) + Term(0.28, 0, -0.6)) / 4;
        using var loss = ContrastiveLosses.Bcl(ToTensor(Z1), ToTensor(Z2), T, 0.0, new BayesianPrior(0.5, 1.0));
        Assert.Equal(expected, Value(loss), Tolerance);
        Assert.Equal(expected, R.Bcl(Z1, Z2, T, 0.0, 0.5, 1.0), 1e-12);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.3)]
    public void Bcl_with_neutral_prior_equals_InfoNce(double tauPlus)
    {
        // α = ½, β = ½ give ω ≡ 1 for any τ⁺: x_htn = φ₁/2 + φ₂/2 = 1 and x_tn = x_fn = 1.
        var (a, b) = RandomViews(6, 4, seed: 31);
        using var bcl = ContrastiveLosses.Bcl(ToTensor(a), ToTensor(b), T, tauPlus, new BayesianPrior(0.5, 0.5));
        using var info = ContrastiveLosses.InfoNce(ToTensor(a), ToTensor(b), T);
        Assert.Equal(Value(info), Value(bcl), 1e-5);
    }

    [Fact]
    public void Bcl_with_given_weights_matches_the_reference()
    {
        var (a, b) = RandomViews(3, 4, seed: 37);
        var rng = new Random(4);
        var w = new double[6, 6];
        for (int i = 0; i < 6; i++)
        {
            var negatives = R.Negatives(i, 3).ToArray();
            var raw = negatives.Select(_ => rng.NextDouble() + 0.1).ToArray();
            for (int k = 0; k < negatives.Length; k++) w[i, negatives[k]] = raw[k] / raw.Sum();
        }
        var flat = new float[36];
        for (int i = 0; i < 6; i++) for (int j = 0; j < 6; j++) flat[i * 6 + j] = (float)w[i, j];
        using var weights = torch.tensor(flat, new long[] { 6, 6 });
        using var loss = ContrastiveLosses.Bcl(ToTensor(a), ToTensor(b), T, 0.1, new BayesianPrior(0.8, 1.0), weights);
        Assert.Equal(R.Bcl(a, b, T, 0.1, 0.8, 1.0, w), Value(loss), 1e-5);
    }

    [Theory]
    [InlineData(NegativeEstimator.Nce, 0.0)]
    [InlineData(NegativeEstimator.Debiased, 0.1)]
    [InlineData(NegativeEstimator.Bayesian, 0.1)]
    public void Hcl_weighting_with_beta_0_equals_uniform_for_every_estimator(NegativeEstimator estimator, double tauPlus)
    {
        var (a, b) = RandomViews(5, 3, seed: 41);
        using var hcl = ContrastiveLosses.Nce(ToTensor(a), ToTensor(b), T, estimator, NegativeWeighting.Hcl(0), tauPlus);
        using var uniform = ContrastiveLosses.Nce(ToTensor(a), ToTensor(b), T, estimator, NegativeWeighting.Uniform, tauPlus);
        Assert.Equal(Value(uniform), Value(hcl), 1e-5);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.1)]
    [InlineData(0.4)]
    public void OtNce_with_uniform_weights_equals_DebiasedNce(double tauPlus)
    {
        var (a, b) = RandomViews(8, 5, seed: 11);
        using var weights = UniformWeights(8);
        using var ot = ContrastiveLosses.OtNce(ToTensor(a), ToTensor(b), T, tauPlus, weights);
        using var debiased = ContrastiveLosses.DebiasedNce(ToTensor(a), ToTensor(b), T, tauPlus);
        Assert.Equal(Value(debiased), Value(ot), 1e-5);
    }

    /// <summary>
    /// τ⁺ = 0 and w_ij = 1/N make Ng_i = N·Σ_j neg_ij/N = Σ_j neg_ij exactly; the clamp N·e^{−1/t} never
    /// binds because every neg_ij ≥ e^{−1/t} (s ≥ −1). So the OT loss equals NT-Xent's
    /// −log(pos_i/(pos_i + Σ_{j≠i, j≠pos} neg_ij)) anchor by anchor, hence equal means (to float rounding).
    /// </summary>
    [Fact]
    public void OtNce_with_tauPlus_0_and_uniform_weights_equals_InfoNce()
    {
        var (a, b) = RandomViews(6, 4, seed: 5);
        using var weights = UniformWeights(6);
        using var ot = ContrastiveLosses.OtNce(ToTensor(a), ToTensor(b), T, 0.0, weights);
        using var info = ContrastiveLosses.InfoNce(ToTensor(a), ToTensor(b), T);
        Assert.Equal(Value(info), Value(ot), 1e-5);
        Assert.Equal(R.InfoNce(a, b, T), Value(ot), 1e-5);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.2)]
    public void HardNce_with_beta_0_equals_DebiasedNce(double tauPlus)
    {
        var (a, b) = RandomViews(5, 3, seed: 3);
        using var hard = ContrastiveLosses.HardNce(ToTensor(a), ToTensor(b), T, 0.0, tauPlus);
        using var debiased = ContrastiveLosses.DebiasedNce(ToTensor(a), ToTensor(b), T, tauPlus);
        Assert.Equal(Value(debiased), Value(hard), 1e-6);
    }

    public static TheoryData<string> LossNames => new() { "info", "debiased", "hcl", "ot", "bcl", "triplet-mean", "triplet-hardest" };

    [Theory]
    [MemberData(nameof(LossNames))]
    public void Backward_gives_finite_nonzero_gradients_on_both_views(string name)
    {
        var (a, b) = RandomViews(6, 4, seed: 17);
        using var z1 = ToTensor(a, requiresGrad: true);
        using var z2 = ToTensor(b, requiresGrad: true);
        using var loss = name switch
        {
            "info" => ContrastiveLosses.InfoNce(z1, z2, T),
            "debiased" => ContrastiveLosses.DebiasedNce(z1, z2, T, 0.1),
            "hcl" => ContrastiveLosses.HardNce(z1, z2, T, 1.0, 0.1),
            "ot" => ContrastiveLosses.OtNce(z1, z2, T, 0.1, new OtNegativeOptions { Epsilon = 0.5 }),
            "bcl" => ContrastiveLosses.Bcl(z1, z2, T, 0.1, new BayesianPrior(0.8, 1.0)),
            "triplet-mean" => ContrastiveLosses.Triplet(z1, z2, 1.5, TripletNegative.Mean),
            _ => ContrastiveLosses.Triplet(z1, z2, 1.5, TripletNegative.Hardest),
        };
        loss.backward();
        foreach (var z in new[] { z1, z2 })
        {
            var grad = z.grad;
            Assert.NotNull(grad);
            var values = grad!.data<float>().ToArray();
            Assert.All(values, v => Assert.True(float.IsFinite(v)));
            Assert.Contains(values, v => v != 0f);
        }
    }

    [Fact]
    public void OtNce_does_not_backpropagate_into_the_weights()
    {
        var (a, b) = RandomViews(4, 3, seed: 8);
        using var z1 = ToTensor(a, requiresGrad: true);
        using var z2 = ToTensor(b, requiresGrad: true);
        using var weights = UniformWeights(4).requires_grad_(true);
        using var loss = ContrastiveLosses.OtNce(z1, z2, T, 0.1, weights);
        loss.backward();
        Assert.Null(weights.grad);
        Assert.NotNull(z1.grad);

        // The op's weights are detached even when the embeddings require grad.
        using var all = torch.cat(new[] { z1, z2 }, 0);
        using var result = OtNegativeWeights.Compute(all, new OtNegativeOptions());
        Assert.False(result.Weights.requires_grad);
    }

    [Fact]
    public void Modules_forward_equals_the_static_functions()
    {
        var (a, b) = RandomViews(4, 3, seed: 21);
        using var z1 = ToTensor(a);
        using var z2 = ToTensor(b);
        using var info = new InfoNceLoss(T);
        using var hcl = new HardNceLoss(T, 1.0, 0.1);
        using var debiased = new DebiasedNceLoss(T, 0.1);
        using var triplet = new TripletLoss(0.5, TripletNegative.Hardest);
        using var ot = new OtNceLoss(new OtNegativeOptions(), T, 0.1);
        using var bcl = new BclLoss(T, 0.1, new BayesianPrior(0.8, 1.0));
        Assert.Equal(Value(ContrastiveLosses.Bcl(z1, z2, T, 0.1, new BayesianPrior(0.8, 1.0))), Value(bcl.call(z1, z2)), 1e-7);
        Assert.Equal(Value(ContrastiveLosses.InfoNce(z1, z2, T)), Value(info.call(z1, z2)), 1e-7);
        Assert.Equal(Value(ContrastiveLosses.HardNce(z1, z2, T, 1.0, 0.1)), Value(hcl.call(z1, z2)), 1e-7);
        Assert.Equal(Value(ContrastiveLosses.DebiasedNce(z1, z2, T, 0.1)), Value(debiased.call(z1, z2)), 1e-7);
        Assert.Equal(Value(ContrastiveLosses.Triplet(z1, z2, 0.5, TripletNegative.Hardest)), Value(triplet.call(z1, z2)), 1e-7);
        Assert.Equal(Value(ContrastiveLosses.OtNce(z1, z2, T, 0.1, new OtNegativeOptions())), Value(ot.call(z1, z2)), 1e-6);
        Assert.NotNull(ot.Sampler.LastDiagnostics);
    }

    [Fact]
    public void Negative_mask_excludes_self_and_positive_only()
    {
        using var mask = ContrastiveMask.Negatives(3);
        var m = mask.data<bool>().ToArray();
        for (int i = 0; i < 6; i++)
            for (int j = 0; j < 6; j++)
                Assert.Equal(j != i && j != (i + 3) % 6, m[i * 6 + j]);
    }

    [Fact]
    public void Bad_loss_inputs_throw_ArgumentException_naming_the_input()
    {
        using var good = ToTensor(Z1);
        using var cube = torch.ones(2, 2, 2);
        using var wrongShape = torch.ones(3, 2);
        Assert.Equal("z1", Assert.ThrowsAny<ArgumentException>(() => ContrastiveLosses.InfoNce(cube, good, T)).ParamName);
        Assert.Equal("z2", Assert.ThrowsAny<ArgumentException>(() => ContrastiveLosses.InfoNce(good, wrongShape, T)).ParamName);
        Assert.Equal("temperature", Assert.ThrowsAny<ArgumentException>(() => ContrastiveLosses.InfoNce(good, good, 0)).ParamName);
        Assert.Equal("tauPlus", Assert.ThrowsAny<ArgumentException>(() => ContrastiveLosses.DebiasedNce(good, good, T, 1.0)).ParamName);
        using var badWeights = torch.ones(3, 3);
        Assert.Equal("weights", Assert.ThrowsAny<ArgumentException>(() => ContrastiveLosses.OtNce(good, good, T, 0, badWeights)).ParamName);
        Assert.Equal("Alpha", Assert.ThrowsAny<ArgumentException>(() => ContrastiveLosses.Bcl(good, good, T, 0.1, new BayesianPrior(0.4, 1))).ParamName);
        Assert.Equal("Beta", Assert.ThrowsAny<ArgumentException>(() => ContrastiveLosses.Bcl(good, good, T, 0.1, new BayesianPrior(0.6, 1.5))).ParamName);
        using var unnormalised = torch.ones(4, 4);
        Assert.Equal("weights", Assert.ThrowsAny<ArgumentException>(() => ContrastiveLosses.OtNce(good, good, T, 0, unnormalised)).ParamName);
    }
}
