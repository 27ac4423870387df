using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using HardNegOT.Costs;
using HardNegOT.Divergences;
using HardNegOT.Solvers;
using HardNegOT.Testing;

namespace HardNegOT.Tests.Divergences;

/// <summary>Two clouds of the same dimension, with their own sizes, kinds and seeds.</summary>
public sealed record CloudPair(SphereBatch X, SphereBatch Y, double Epsilon, bool Cosine)
{
    public GroundCost Cost => Cosine ? new CosineCost() : new SquaredEuclideanCost();

    public override string ToString() => $"x = {X}, y = {Y}, ε = {Epsilon}, {(Cosine ? "cosine" : "sqeuclid")}";
}

/// <summary>FsCheck generator of <see cref="CloudPair"/>: N from 1 to 40, d from 2 to 8.</summary>
public static class CloudPairs
{
    public static Arbitrary<CloudPair> Pairs() => Arb.From(
        // d = 1 puts every point at ±1: two atoms whose coupling e^{−4/ε} stalls any Sinkhorn scheme at tight tolerances.
        from dimension in Gen.Choose(2, 8)
        from kindX in Gen.Elements(Enum.GetValues<SphereKind>())
        from kindY in Gen.Elements(Enum.GetValues<SphereKind>())
        from n in Gen.Choose(1, 40)
        from m in Gen.Choose(1, 40)
        from seed in Gen.Choose(0, int.MaxValue / 2)
        // Properties that assume convergence use ε ≥ 0.5 (TestProblems.Epsilons); smaller ε is covered by the translation facts.
        from eps in Gen.Elements(0.5, 1.0, 2.0)
        from cosine in Gen.Elements(false, true)
        select new CloudPair(new SphereBatch(kindX, n, dimension, seed), new SphereBatch(kindY, m, dimension, seed + 1), eps, cosine));
}

/// <summary>
/// The debiased Sinkhorn divergence: non-negative on random clouds (the costs here have positive-definite Gibbs
/// kernels), zero when the two inputs describe the same measure in different ways, and growing as β is translated.
/// </summary>
[Properties(Arbitrary = [typeof(CloudPairs)], MaxTest = 25)]
public class SinkhornDivergenceTests
{
    private static SinkhornDivergenceResult Divergence(float[] x, int n, float[] y, int m, int d, GroundCost cost, double eps,
        double[]? a = null, double[]? b = null) =>
        SinkhornDivergence.Compute(x, n, y, m, d, cost, eps, a: a, b: b);

    [Property]
    public void Is_non_negative_on_random_clouds(CloudPair pair)
    {
        var result = Divergence(pair.X.Data, pair.X.Count, pair.Y.Data, pair.Y.Count, pair.X.Dimension, pair.Cost, pair.Epsilon);
        Assert.True(result.Converged, $"{pair}: not converged ({result.Iterations} iterations)");
        Assert.True(result.Divergence >= -1e-9, $"{pair}: S = {result.Divergence:R} ({result})");
    }

    [Property]
    public void Is_symmetric_in_its_arguments(CloudPair pair)
    {
        var forward = Divergence(pair.X.Data, pair.X.Count, pair.Y.Data, pair.Y.Count, pair.X.Dimension, pair.Cost, pair.Epsilon);
        var backward = Divergence(pair.Y.Data, pair.Y.Count, pair.X.Data, pair.X.Count, pair.X.Dimension, pair.Cost, pair.Epsilon);
        Assert.Equal(forward.Divergence, backward.Divergence, 1e-8);
    }

    [Property]
    public void Is_zero_for_the_same_measure_written_differently(CloudPair pair)
    {
        // β: α's points permuted, rescaled (normalisation undoes it) and with the first point split into two copies
        // that share its weight. Same measure, different input.
        var x = pair.X;
        int n = x.Count, d = x.Dimension;
        var rng = new Random(x.Seed);
        var order = Enumerable.Range(0, n).ToArray();
        rng.Shuffle(order);
        var y = new float[(n + 1) * d];
        var b = new double[n + 1];
        for (int k = 0; k < n; k++)
        {
            float scale = (float)(0.5 + 4 * rng.NextDouble());
            for (int c = 0; c < d; c++) y[k * d + c] = scale * x.Data[order[k] * d + c];
            b[k] = 1.0 / n;
        }
        int split = Array.IndexOf(order, 0);
        x.Data.AsSpan(0, d).CopyTo(y.AsSpan(n * d, d));
        b[split] = 0.3 / n;
        b[n] = 0.7 / n;

        var result = Divergence(x.Data, n, y, n + 1, d, pair.Cost, pair.Epsilon, b: b);
        Assert.True(result.Converged, $"{pair}: not converged");
        Assert.True(Math.Abs(result.Divergence) <= 1e-8, $"{pair}: S = {result.Divergence:R} for equal measures");
    }

    [Fact]
    public void Is_zero_for_identical_inputs()
    {
        // The cross term solves the concatenated problem with another update than the self terms: equal values, not bits.
        var x = new SphereBatch(SphereKind.Clustered, 12, 5, 3);
        var result = Divergence(x.Data, 12, x.Data, 12, 5, new SquaredEuclideanCost(), 0.5);
        Assert.Equal(0.0, result.Divergence, 1e-10);
        Assert.Equal(result.SelfA, result.Cross, 1e-10);
        Assert.Equal(result.SelfA, result.SelfB);
    }

    [Fact]
    public void The_self_term_is_the_entropic_cost_of_a_single_point()
    {
        // One point on each side: the only plan is P = 1 at cost C(x, y) and KL(P ‖ 1·1) = 0, so OT_ε = C exactly.
        float[] x = [1, 0], y = [0, 1];
        var result = Divergence(x, 1, y, 1, 2, new SquaredEuclideanCost(), 0.3);
        Assert.Equal(2.0, result.Cross, 1e-12);
        Assert.Equal(0.0, result.SelfA, 1e-12);
        Assert.Equal(2.0, result.Divergence, 1e-12);
    }

    [Theory]
    [InlineData(0.1)]
    [InlineData(0.5)]
    [InlineData(2.0)]
    public void Grows_as_beta_is_translated(double eps)
    {
        // A cloud around e₁ and its translate by t·e₂ (then normalised onto the sphere, like every input).
        const int n = 24, d = 4;
        var rng = new Random(5);
        var x = new float[n * d];
        for (int i = 0; i < n; i++)
            for (int c = 0; c < d; c++)
                x[i * d + c] = (c == 0 ? 2f : 0f) + (float)(rng.NextDouble() - 0.5);
        double previous = double.NegativeInfinity;
        foreach (float t in new[] { 0f, 0.1f, 0.3f, 0.6f, 1.2f, 2.4f })
        {
            var y = (float[])x.Clone();
            for (int i = 0; i < n; i++) y[i * d + 1] += t;
            var result = Divergence(x, n, y, n, d, new SquaredEuclideanCost(), eps);
            Assert.True(result.Converged, $"t = {t}: not converged");
            Assert.True(result.Divergence > previous, $"ε = {eps}, t = {t}: S = {result.Divergence:R} did not grow from {previous:R}");
            previous = result.Divergence;
        }
        Assert.True(previous > 0.1, $"ε = {eps}: S = {previous} after the largest translation");
    }

    [Fact]
    public void The_float32_solver_gives_the_same_divergence()
    {
        var x = new SphereBatch(SphereKind.Random, 30, 6, 8);
        var y = new SphereBatch(SphereKind.Clustered, 20, 6, 9);
        var reference = Divergence(x.Data, 30, y.Data, 20, 6, new SquaredEuclideanCost(), 0.5);
        var fast = SinkhornDivergence.Compute(x.Data, 30, y.Data, 20, 6, new SquaredEuclideanCost(), 0.5,
            new CpuSinkhorn(), new SinkhornOptions { Tolerance = 1e-6, MaxIterations = 10_000 });
        Assert.True(fast.Converged);
        Assert.Equal(reference.Divergence, fast.Divergence, 1e-4);
    }

    [Fact]
    public void Bad_inputs_are_rejected_naming_them()
    {
        var x = new SphereBatch(SphereKind.Random, 4, 3, 1).Data;
        var cost = new SquaredEuclideanCost();
        Assert.Equal("n", Assert.Throws<ArgumentOutOfRangeException>(() => SinkhornDivergence.Compute([], 0, x, 4, 3, cost, 0.5)).ParamName);
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => SinkhornDivergence.Compute(x, 4, x.AsSpan(0, 9), 4, 3, cost, 0.5)).ParamName);
        var zero = (float[])x.Clone();
        Array.Clear(zero, 3, 3);
        Assert.Equal("x", Assert.Throws<ArgumentException>(() => SinkhornDivergence.Compute(zero, 4, x, 4, 3, cost, 0.5)).ParamName);
        Assert.Equal("a", Assert.Throws<ArgumentException>(() => SinkhornDivergence.Compute(x, 4, x, 4, 3, cost, 0.5, a: [0.5, 0.5, 0.5, 0.5])).ParamName);
        Assert.Equal("b", Assert.Throws<ArgumentException>(() => SinkhornDivergence.Compute(x, 4, x, 4, 3, cost, 0.5, b: [1, 0, double.NaN, 0])).ParamName);
        Assert.Equal("epsilon", Assert.Throws<ArgumentOutOfRangeException>(() => SinkhornDivergence.Compute(x, 4, x, 4, 3, cost, -1)).ParamName);
    }
}
