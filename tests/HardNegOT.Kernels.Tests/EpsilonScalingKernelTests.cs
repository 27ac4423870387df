using HardNegOT.Costs;
using HardNegOT.Solvers;
using HardNegOT.Testing;

namespace HardNegOT.Kernels.Tests;

/// <summary><see cref="EpsilonScalingSinkhorn"/> wrapped around <see cref="KernelSinkhorn"/> (warm starts on the device).</summary>
[Collection(CpuAcceleratorCollection.Name)]
public sealed class EpsilonScalingKernelTests(CpuAcceleratorFixture fixture)
{
    [Theory]
    [InlineData("sqeuclid", 0.2)]
    [InlineData("cosine", 0.1)]
    public void Eps_scaled_kernel_solve_equals_a_direct_kernel_solve(string cost, double epsilon)
    {
        var batch = new SphereBatch(SphereKind.Random, 12, 5, Seed: 12);
        var problem = FusedSinkhornReference.ProblemFor(batch, GroundCost.Parse(cost), epsilon);
        var options = new SinkhornOptions { Tolerance = SinkhornOptions.ReferenceTolerance, MaxIterations = 20_000 };
        var kernel = new KernelSinkhorn(fixture.Session);

        var direct = kernel.Solve(problem, options);
        var scaling = new EpsilonScalingSinkhorn(kernel);
        Assert.NotEmpty(scaling.Schedule(problem));
        var scaled = scaling.Solve(problem, options);

        Assert.True(direct.Converged && scaled.Converged, $"direct {direct.Iterations} it, scaled {scaled.Iterations} it");
        Assert.Equal("eps-scaling(kernel-cpu)", scaled.Solver);
        var expected = direct.ConditionalMatrix();
        var actual = scaled.ConditionalMatrix();
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4, $"entry {i}: scaled {actual[i]:R}, direct {expected[i]:R}");
    }
}
