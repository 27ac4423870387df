using HardNegOT.Costs;
using HardNegOT.Geometry;
using HardNegOT.Problems;
using HardNegOT.Solvers;
using HardNegOT.Torch.Negatives;
using TorchSharp;
using static TorchSharp.torch;

namespace HardNegOT.Torch.Tests;

public class OtNegativeWeightsTests
{
    public OtNegativeWeightsTests() => TorchRuntime.EnsureLoaded();

    private static float[] RandomEmbeddings(int n, int d, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n * d).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
    }

    [Theory]
    [InlineData("sqeuclid", 0.5)]
    [InlineData("exp", 0.3)]
    [InlineData("cosine", 1.0)]
    public void Weights_equal_CpuSinkhorn_conditional_matrix(string cost, double epsilon)
    {
        const int n = 12, d = 5;
        var data = RandomEmbeddings(n, d, seed: 42);
        var options = OtNegativeOptions.ForCost(cost) with { Epsilon = epsilon, Tolerance = 1e-6 };
        using var embeddings = torch.tensor(data, new long[] { n, d });
        using var result = OtNegativeWeights.Compute(embeddings, options);

        var geometry = new PointCloudGeometry(data, n, d, GroundCost.Parse(cost), BatchLayout.TwoView(n / 2));
        var expected = new CpuSinkhorn().Solve(new EntropicProblem(geometry, epsilon),
            new SinkhornOptions { Tolerance = 1e-6 }).ConditionalMatrix();

        Assert.Equal(new long[] { n, n }, result.Weights.shape);
        Assert.Equal(ScalarType.Float32, result.Weights.dtype);
        var actual = result.Weights.data<float>().ToArray();
        for (int k = 0; k < actual.Length; k++) Assert.Equal(expected[k], actual[k], 1e-5);
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(0f, actual[i * n + i]);
            Assert.Equal(0f, actual[i * n + (i + n / 2) % n]);
            Assert.Equal(1.0, actual.Skip(i * n).Take(n).Sum(v => (double)v), 1e-5);
        }
        Assert.True(result.Diagnostics.Converged);
        Assert.Equal("cpu", result.Diagnostics.Solver);
        Assert.True(result.Diagnostics.Iterations > 0);
        Assert.True(result.Diagnostics.MarginalError <= 1e-6);
    }

    [Theory]
    [InlineData(ScalarType.Float16)]
    [InlineData(ScalarType.BFloat16)]
    public void Half_precision_inputs_give_float32_weights_of_the_rounded_embeddings(ScalarType dtype)
    {
        const int n = 8, d = 4;
        using var full = torch.tensor(RandomEmbeddings(n, d, seed: 9), new long[] { n, d });
        using var half = full.to_type(dtype);
        using var rounded = half.to_type(ScalarType.Float32);
        using var fromHalf = OtNegativeWeights.Compute(half, new OtNegativeOptions());
        using var fromRounded = OtNegativeWeights.Compute(rounded, new OtNegativeOptions());
        Assert.Equal(ScalarType.Float32, fromHalf.Weights.dtype);
        Assert.Equal(fromRounded.Weights.data<float>().ToArray(), fromHalf.Weights.data<float>().ToArray());
    }

    [Fact]
    public void Unpaired_layout_masks_only_the_diagonal()
    {
        const int n = 5, d = 3;
        using var embeddings = torch.tensor(RandomEmbeddings(n, d, seed: 2), new long[] { n, d });
        using var result = OtNegativeWeights.Compute(embeddings, new OtNegativeOptions { Layout = NegativeLayout.Unpaired });
        var w = result.Weights.data<float>().ToArray();
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                Assert.Equal(i == j, w[i * n + j] == 0f);
    }

    [Fact]
    public void Warm_start_sampler_takes_fewer_iterations_on_the_second_identical_step()
    {
        const int n = 32, d = 8;
        using var embeddings = torch.tensor(RandomEmbeddings(n, d, seed: 7), new long[] { n, d });
        var sampler = new OtNegativeSampler(new OtNegativeOptions { Epsilon = 0.1, Tolerance = 1e-6 });

        using var first = sampler.Sample(embeddings);
        using var second = sampler.Sample(embeddings);

        Assert.False(first.Diagnostics.WarmStarted);
        Assert.Equal(0, first.Diagnostics.IterationsSaved);
        Assert.True(second.Diagnostics.WarmStarted);
        Assert.True(second.Diagnostics.Iterations < first.Diagnostics.Iterations,
            $"warm {second.Diagnostics.Iterations} vs cold {first.Diagnostics.Iterations}");
        Assert.Equal(first.Diagnostics.Iterations, second.Diagnostics.ColdIterations);
        Assert.True(second.Diagnostics.IterationsSaved > 0);
        Assert.Equal(first.Weights.data<float>().ToArray(), second.Weights.data<float>().ToArray(),
            new FloatTolerance(1e-4f));

        // A different batch size starts a new cold chain; Reset does too.
        using var smaller = torch.tensor(RandomEmbeddings(8, d, seed: 1), new long[] { 8, d });
        using var third = sampler.Sample(smaller);
        Assert.False(third.Diagnostics.WarmStarted);
        sampler.Reset();
        using var fourth = sampler.Sample(embeddings);
        Assert.False(fourth.Diagnostics.WarmStarted);
    }

    [Fact]
    public void Sampler_with_warm_start_off_always_solves_cold()
    {
        using var embeddings = torch.tensor(RandomEmbeddings(8, 3, seed: 4), new long[] { 8, 3 });
        var sampler = new OtNegativeSampler(new OtNegativeOptions { WarmStart = false });
        using var first = sampler.Sample(embeddings);
        using var second = sampler.Sample(embeddings);
        Assert.False(second.Diagnostics.WarmStarted);
        Assert.Equal(first.Diagnostics.Iterations, second.Diagnostics.Iterations);
    }

    [Fact]
    public void Odd_row_count_for_two_view_throws_naming_embeddings()
    {
        using var odd = torch.ones(5, 3);
        var ex = Assert.ThrowsAny<ArgumentException>(() => OtNegativeWeights.Compute(odd, new OtNegativeOptions()));
        Assert.Equal("embeddings", ex.ParamName);
    }

    [Fact]
    public void NaN_embeddings_throw_naming_embeddings()
    {
        var data = RandomEmbeddings(6, 3, seed: 3);
        data[7] = float.NaN;
        using var bad = torch.tensor(data, new long[] { 6, 3 });
        var ex = Assert.ThrowsAny<ArgumentException>(() => OtNegativeWeights.Compute(bad, new OtNegativeOptions()));
        Assert.Equal("embeddings", ex.ParamName);
        Assert.Contains("NaN", ex.Message);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-0.5)]
    [InlineData(double.NaN)]
    public void Nonpositive_epsilon_throws_naming_Epsilon(double epsilon)
    {
        var ex = Assert.ThrowsAny<ArgumentException>(() => new OtNegativeOptions { Epsilon = epsilon });
        Assert.Equal(nameof(OtNegativeOptions.Epsilon), ex.ParamName);
    }

    [Fact]
    public void Three_dimensional_tensor_throws_naming_embeddings()
    {
        using var cube = torch.ones(2, 4, 3);
        var ex = Assert.ThrowsAny<ArgumentException>(() => OtNegativeWeights.Compute(cube, new OtNegativeOptions()));
        Assert.Equal("embeddings", ex.ParamName);
    }

    [Fact]
    public void Integer_tensor_and_unknown_cost_throw_ArgumentException()
    {
        using var ints = torch.ones(4, 3, dtype: ScalarType.Int32);
        Assert.Equal("embeddings",
            Assert.ThrowsAny<ArgumentException>(() => OtNegativeWeights.Compute(ints, new OtNegativeOptions())).ParamName);
        Assert.Equal("name", Assert.ThrowsAny<ArgumentException>(() => OtNegativeOptions.ForCost("l1")).ParamName);
    }

    private sealed class FloatTolerance(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) <= tolerance;
        public int GetHashCode(float obj) => 0;
    }
}
