using HardNegOT.Costs;
using HardNegOT.Problems;
using HardNegOT.Solvers;
using HardNegOT.Testing;

namespace HardNegOT.Kernels.Tests;

/// <summary>
/// <see cref="KernelSinkhorn.WeightedNegativeSums"/> (the fused OT-weighted NCE negative term) against a double
/// computation from <c>Coupling.ConditionalMatrix</c> and the geometry's similarities.
/// </summary>
[Collection(CpuAcceleratorCollection.Name)]
public sealed class WeightedNegativeSumsTests(CpuAcceleratorFixture fixture)
{
    private readonly KernelSinkhorn _solver = new(fixture.Session);

    private static double[] Expected(HardNegOT.Couplings.Coupling coupling, double temperature)
    {
        var geometry = coupling.Problem.Geometry;
        int n = geometry.Count;
        var w = coupling.ConditionalMatrix();
        var result = new double[n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                if (!geometry.IsMasked(i, j))
                    result[i] += w[i * n + j] * Math.Exp(geometry.Similarity(i, j) / temperature);
        return result;
    }

    public static TheoryData<string, int, double, double> Cases() => new()
    {
        { "sqeuclid", 24, 0.5, 0.1 },
        { "sqeuclid", 32, 0.1, 0.05 },
        { "exp", 20, 0.25, 0.5 },
        { "cosine", 17, 0.2, 1.0 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_the_double_computation_from_the_conditional_matrix(string cost, int n, double epsilon, double temperature)
    {
        var batch = new SphereBatch(n % 2 == 0 ? SphereKind.Clustered : SphereKind.Random, n, 6, Seed: n);
        var problem = FusedSinkhornReference.ProblemFor(batch, GroundCost.Parse(cost), epsilon);
        var coupling = new ReferenceSinkhorn().Solve(problem, SinkhornOptions.Reference);
        Assert.True(coupling.Converged);

        var expected = Expected(coupling, temperature);
        var actual = _solver.WeightedNegativeSums(coupling, temperature);
        Assert.Equal(n, actual.Length);
        for (int i = 0; i < n; i++)
        {
            double relative = Math.Abs(actual[i] - expected[i]) / expected[i];
            Assert.True(relative <= 1e-4, $"{cost}, ε = {epsilon}, τ = {temperature}: row {i} is {actual[i]:R}, expected {expected[i]:R} (rel {relative:E2})");
        }
    }

    [Fact]
    public void Works_on_a_kernel_solved_coupling_with_non_uniform_marginals()
    {
        var batch = new SphereBatch(SphereKind.Random, 16, 5, Seed: 9);
        var geometry = FusedSinkhornReference.GeometryFor(batch, new SquaredEuclideanCost());
        var random = new Random(3);
        var a = Enumerable.Range(0, 16).Select(_ => 0.5 + random.NextDouble()).ToArray();
        double total = a.Sum();
        a = a.Select(v => v / total).ToArray();
        var problem = new EntropicProblem(geometry, 0.5, a, a);
        var coupling = _solver.Solve(problem, new SinkhornOptions { Tolerance = 1e-6, MaxIterations = 5000 });
        var expected = Expected(coupling, 0.2);
        var actual = _solver.WeightedNegativeSums(coupling, 0.2);
        for (int i = 0; i < 16; i++)
            Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-4 * expected[i], $"row {i}: {actual[i]:R} vs {expected[i]:R}");
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Rejects_a_bad_temperature(double temperature)
    {
        var batch = new SphereBatch(SphereKind.Random, 6, 3, Seed: 1);
        var coupling = new ReferenceSinkhorn().Solve(FusedSinkhornReference.ProblemFor(batch, new CosineCost(), 1.0));
        Assert.Throws<ArgumentOutOfRangeException>(() => _solver.WeightedNegativeSums(coupling, temperature));
    }
}
