using HardNegOT.Torch.Alignment;
using HardNegOT.Torch.Losses;
using TorchSharp;
using static TorchSharp.torch;

namespace HardNegOT.Torch.Tests;

public class GcaLossTests
{
    public GcaLossTests() => TorchRuntime.EnsureLoaded();

    private static Tensor Views(int b, int d, int seed, bool requiresGrad = false)
    {
        var rng = new Random(seed);
        var values = Enumerable.Range(0, b * d).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
        return torch.tensor(values, new long[] { b, d }, dtype: ScalarType.Float64).requires_grad_(requiresGrad);
    }

    private static double Value(Tensor t) => t.to_type(ScalarType.Float64).item<double>();

    private static double[] Gradient(Func<Tensor, Tensor, Tensor> loss, Tensor z1, Tensor z2)
    {
        var a = z1.detach().clone().requires_grad_(true);
        var b = z2.detach().clone().requires_grad_(true);
        loss(a, b).backward();
        return a.grad!.data<double>().Concat(b.grad!.data<double>()).ToArray();
    }

    // Central differences in double precision: the referee for both gradient modes.
    private static double[] FiniteDifferences(Func<Tensor, Tensor, Tensor> loss, Tensor z1, Tensor z2, double h = 1e-6)
    {
        var x1 = z1.detach().data<double>().ToArray();
        var x2 = z2.detach().data<double>().ToArray();
        long[] shape = z1.shape;
        double Eval(double[] p1, double[] p2)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            return Value(loss(torch.tensor(p1, shape, dtype: ScalarType.Float64), torch.tensor(p2, shape, dtype: ScalarType.Float64)));
        }
        var gradient = new double[x1.Length + x2.Length];
        for (int k = 0; k < gradient.Length; k++)
        {
            var (target, index) = k < x1.Length ? (x1, k) : (x2, k - x1.Length);
            double saved = target[index];
            target[index] = saved + h;
            double plus = Eval(x1, x2);
            target[index] = saved - h;
            double minus = Eval(x1, x2);
            target[index] = saved;
            gradient[k] = (plus - minus) / (2 * h);
        }
        return gradient;
    }

    private static void AssertClose(double[] expected, double[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = expected.Max(Math.Abs);
        for (int k = 0; k < expected.Length; k++)
            Assert.True(Math.Abs(expected[k] - actual[k]) <= tolerance * Math.Max(scale, 1e-12),
                $"component {k}: expected {expected[k]:R}, got {actual[k]:R} (scale {scale:G3})");
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.1)]
    public void Gca_ince_with_one_row_step_equals_InfoNce_exactly(double temperature)
    {
        using var z1 = Views(6, 4, seed: 1);
        using var z2 = Views(6, 4, seed: 2);
        var plan = new AlignmentPlanOptions { Epsilon = temperature, Iterations = 1 };
        using var gca = GcaLosses.Ince(z1, z2, plan);
        using var info = ContrastiveLosses.InfoNce(z1, z2, temperature);
        Assert.Equal(Value(info), Value(gca), 1e-12);
    }

    [Fact]
    public void More_steps_change_the_loss_and_the_plan_becomes_doubly_stochastic()
    {
        using var z1 = Views(5, 3, seed: 3);
        using var z2 = Views(5, 3, seed: 4);
        using var similarity = ContrastiveLosses.Similarity(z1, z2);
        using var logPlan = AlignmentPlan.LogPlan(similarity, new AlignmentPlanOptions { Epsilon = 0.5, Iterations = 400 });
        using var plan = logPlan.exp();
        Assert.True(Value((plan.sum(1) - 1).abs().max()) < 1e-9);
        Assert.True(Value((plan.sum(new long[] { 0 }) - 1).abs().max()) < 1e-9);
        Assert.Equal(0.0, Value(plan.diagonal().abs().max()));
        using var one = GcaLosses.Ince(z1, z2, new AlignmentPlanOptions { Epsilon = 0.5, Iterations = 1 });
        using var ten = GcaLosses.Ince(z1, z2, new AlignmentPlanOptions { Epsilon = 0.5, Iterations = 10 });
        Assert.NotEqual(Value(one), Value(ten), 6);
    }

    public static TheoryData<string> Losses => new() { "ince", "rince", "uot" };

    private static Func<Tensor, Tensor, Tensor> Loss(string name, PlanGradient gradient = PlanGradient.Unrolled, int iterations = 10) => name switch
    {
        "ince" => (a, b) => GcaLosses.Ince(a, b, new AlignmentPlanOptions { Epsilon = 0.5, Iterations = iterations, Gradient = gradient }),
        "rince" => (a, b) => GcaLosses.Rince(a, b, new AlignmentPlanOptions { Epsilon = 0.5, Iterations = iterations, Gradient = gradient }, new RobustTerm(0.5, 0.05)),
        _ => (a, b) => GcaLosses.Uot(a, b, new AlignmentPlanOptions { Epsilon = 0.5, Iterations = iterations, Rho = 1.0 }, new RobustTerm(0.5, 0.05), 1.0, 0.5),
    };

    [Theory]
    [MemberData(nameof(Losses))]
    public void Unrolled_gradient_matches_finite_differences(string name)
    {
        using var z1 = Views(4, 3, seed: 5);
        using var z2 = Views(4, 3, seed: 6);
        var loss = Loss(name);
        AssertClose(FiniteDifferences(loss, z1, z2), Gradient(loss, z1, z2), 1e-6);
    }

    [Theory]
    [InlineData("ince")]
    [InlineData("rince")]
    public void Implicit_gradient_matches_the_unrolled_one_and_finite_differences_at_convergence(string name)
    {
        using var z1 = Views(4, 3, seed: 7);
        using var z2 = Views(4, 3, seed: 8);
        const int converged = 600;
        var implicitLoss = Loss(name, PlanGradient.Implicit, converged);
        var unrolledLoss = Loss(name, PlanGradient.Unrolled, converged);
        var implicitGradient = Gradient(implicitLoss, z1, z2);
        AssertClose(Gradient(unrolledLoss, z1, z2), implicitGradient, 1e-7);
        AssertClose(FiniteDifferences(unrolledLoss, z1, z2), implicitGradient, 1e-6);
        using var a = implicitLoss(z1, z2);
        using var b = unrolledLoss(z1, z2);
        Assert.Equal(Value(b), Value(a), 1e-12);
    }

    [Fact]
    public void Implicit_gradient_is_not_exact_for_a_truncated_plan()
    {
        // The implicit formula assumes the fixed point; after 2 steps it must differ from the unrolled truth.
        using var z1 = Views(4, 3, seed: 9);
        using var z2 = Views(4, 3, seed: 10);
        var implicitGradient = Gradient(Loss("ince", PlanGradient.Implicit, 2), z1, z2);
        var unrolledGradient = Gradient(Loss("ince", PlanGradient.Unrolled, 2), z1, z2);
        Assert.True(implicitGradient.Zip(unrolledGradient, (x, y) => Math.Abs(x - y)).Max() > 1e-4);
    }

    [Fact]
    public void Rince_tends_to_ince_plus_log_lambda_as_q_tends_to_0()
    {
        using var z1 = Views(5, 4, seed: 11);
        using var z2 = Views(5, 4, seed: 12);
        var plan = new AlignmentPlanOptions { Epsilon = 0.5, Iterations = 1 };
        using var ince = GcaLosses.Ince(z1, z2, plan);
        using var rince = GcaLosses.Rince(z1, z2, plan, new RobustTerm(1e-6, 0.05));
        Assert.Equal(Value(ince) + Math.Log(0.05), Value(rince), 1e-4);
    }

    [Fact]
    public void Uot_with_huge_rho_and_no_robust_term_recovers_ince()
    {
        using var z1 = Views(5, 4, seed: 13);
        using var z2 = Views(5, 4, seed: 14);
        using var ince = GcaLosses.Ince(z1, z2, new AlignmentPlanOptions { Epsilon = 0.5 });
        using var uot = GcaLosses.Uot(z1, z2, new AlignmentPlanOptions { Epsilon = 0.5, Rho = 1e12 }, RobustTerm.Default, 1.0, 0.0);
        Assert.Equal(Value(ince), Value(uot), 1e-9);
    }

    /// <summary>
    /// Noisy views: a quarter of the positive pairs have their second view replaced by an unrelated direction. The
    /// balanced plan must still give each such row and column unit mass, so it keeps mass on the corrupted pairs; the
    /// unbalanced plan lets those badly fitting rows shed mass, so a smaller share of its mass sits on them.
    /// </summary>
    [Theory]
    [InlineData(21)]
    [InlineData(22)]
    [InlineData(23)]
    public void Unbalanced_plan_puts_less_mass_on_corrupted_pairs_than_the_balanced_one(int seed)
    {
        const int b = 16, d = 8;
        var rng = new Random(seed);
        double[] Direction() => Enumerable.Range(0, d).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
        var anchors = Enumerable.Range(0, b).Select(_ => Direction()).ToArray();
        var corrupted = Enumerable.Range(0, b).Where(i => i % 4 == 0).ToHashSet();
        var views = anchors.Select((x, i) => corrupted.Contains(i) ? Direction() : x.Select(v => v + 0.1 * (rng.NextDouble() - 0.5)).ToArray()).ToArray();
        using var z1 = torch.tensor(anchors.SelectMany(r => r).ToArray(), new long[] { b, d }, dtype: ScalarType.Float64);
        using var z2 = torch.tensor(views.SelectMany(r => r).ToArray(), new long[] { b, d }, dtype: ScalarType.Float64);
        using var similarity = ContrastiveLosses.Similarity(z1, z2);

        double CorruptedShare(AlignmentPlanOptions options)
        {
            using var plan = AlignmentPlan.LogPlan(similarity, options).exp();
            var p = plan.data<double>().ToArray();
            double onCorrupted = corrupted.Sum(i => p[i * 2 * b + i + b] + p[(i + b) * 2 * b + i]);
            return onCorrupted / p.Sum();
        }

        double balanced = CorruptedShare(new AlignmentPlanOptions { Epsilon = 0.1 });
        double unbalanced = CorruptedShare(new AlignmentPlanOptions { Epsilon = 0.1, Rho = 0.05 });
        Assert.True(unbalanced < balanced, $"corrupted share: unbalanced {unbalanced:G4}, balanced {balanced:G4}");
    }

    [Fact]
    public void Bad_settings_throw_naming_the_setting()
    {
        using var z = Views(3, 2, seed: 1);
        Assert.Equal("Epsilon", Assert.ThrowsAny<ArgumentException>(() => GcaLosses.Ince(z, z, new AlignmentPlanOptions { Epsilon = 0 })).ParamName);
        Assert.Equal("Iterations", Assert.ThrowsAny<ArgumentException>(() => GcaLosses.Ince(z, z, new AlignmentPlanOptions { Iterations = 0 })).ParamName);
        Assert.Equal("Rho", Assert.ThrowsAny<ArgumentException>(() => GcaLosses.Ince(z, z, new AlignmentPlanOptions { Rho = -1 })).ParamName);
        Assert.Equal("Gradient", Assert.ThrowsAny<ArgumentException>(() =>
            GcaLosses.Ince(z, z, new AlignmentPlanOptions { Rho = 1, Gradient = PlanGradient.Implicit })).ParamName);
        Assert.Equal("Q", Assert.ThrowsAny<ArgumentException>(() => GcaLosses.Rince(z, z, new AlignmentPlanOptions(), new RobustTerm(0, 1))).ParamName);
        Assert.Equal("Lambda", Assert.ThrowsAny<ArgumentException>(() => GcaLosses.Rince(z, z, new AlignmentPlanOptions(), new RobustTerm(0.5, 0))).ParamName);
        Assert.Equal("plan", Assert.ThrowsAny<ArgumentException>(() => GcaLosses.Uot(z, z, new AlignmentPlanOptions(), RobustTerm.Default)).ParamName);
        Assert.Equal("r1", Assert.ThrowsAny<ArgumentException>(() => GcaLosses.Uot(z, z, new AlignmentPlanOptions { Rho = 1 }, RobustTerm.Default, -1)).ParamName);
        using var bad = torch.ones(3, 3, dtype: ScalarType.Float64);
        Assert.Equal("z2", Assert.ThrowsAny<ArgumentException>(() => GcaLosses.Ince(z, bad, new AlignmentPlanOptions())).ParamName);
    }
}
