using FsCheck;
using FsCheck.Fluent;
using HardNegOT.Costs;
using HardNegOT.Couplings;
using HardNegOT.Geometry;
using HardNegOT.Problems;
using HardNegOT.Solvers;
using HardNegOT.Testing;
using ILGPU;
using ILGPU.Runtime;

namespace HardNegOT.Kernels.Tests;

/// <summary>
/// Unbalanced (KL-relaxed) solves of <see cref="KernelSinkhorn"/> on ILGPU's CPU accelerator against the double
/// <see cref="ReferenceSinkhorn"/> on the same problem, N ≤ 40 (the simulator is slow).
/// </summary>
[Collection(CpuAcceleratorCollection.Name)]
public sealed class UnbalancedKernelSinkhornTests(CpuAcceleratorFixture fixture)
{
    private const double WeightTolerance = 1e-4;
    private const int ReferenceBudget = 500;
    private static readonly SinkhornOptions KernelOptions = new() { Tolerance = SinkhornOptions.ReferenceTolerance, MaxIterations = 20_000 };

    private readonly KernelSinkhorn _solver = new(fixture.Session);

    [Fact]
    public void Relaxed_solves_match_the_reference_plan_and_mass()
    {
        int compared = 0, skipped = 0;
        var property = Prop.ForAll(
            Arb.From(SphereBatches.Gen(3, 40, 16)),
            Arb.From(Gen.Elements(0.25, 0.5, 1.0)),
            Arb.From(Gen.Elements(0.1, 1.0, 10.0)),
            (batch, eps, rho) =>
            {
                var cost = FusedSinkhornReference.Costs[batch.Seed % FusedSinkhornReference.Costs.Length];
                var problem = EntropicProblem.Unbalanced(FusedSinkhornReference.GeometryFor(batch, cost), eps, rho, rho);
                var reference = new ReferenceSinkhorn().Solve(problem,
                    SinkhornOptions.Reference with { Tolerance = 1e-9, MaxIterations = ReferenceBudget, Update = SinkhornUpdate.Symmetric });
                if (!reference.Converged)
                {
                    skipped++;
                    return;
                }
                compared++;
                _solver.TileRows = batch.Seed % 2 == 0 ? 0 : 5;
                var coupling = _solver.Solve(problem, KernelOptions with { MaxIterations = 2 * reference.Iterations + 50 });
                AssertMatches(reference, coupling, $"{batch}, {cost}, ε = {eps}, ρ = {rho}");
                // a = b and ρ_a = ρ_b: the symmetric shortcut, so the returned potentials coincide.
                Assert.Equal(coupling.F.ToArray(), coupling.G.ToArray());
            });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(8), property);
        Assert.True(compared >= 6, $"only {compared} compared, {skipped} skipped as too slow for the reference");
    }

    [Fact]
    public void Unequal_strengths_and_marginals_run_the_alternating_update()
    {
        var batch = new SphereBatch(SphereKind.Random, 24, 6, 9);
        var rng = new Random(4);
        var a = Enumerable.Range(0, 24).Select(_ => (0.5 + rng.NextDouble()) / 24).ToArray();
        var b = Enumerable.Range(0, 24).Select(_ => (0.2 + 2 * rng.NextDouble()) / 24).ToArray();
        var problem = EntropicProblem.Unbalanced(
            new PointCloudGeometry(batch.Data, 24, 6, new SquaredEuclideanCost(), BatchLayout.TwoView(12)), 0.5, 0.5, 5.0, a, b);
        Assert.Equal(SinkhornUpdate.Alternating, KernelOptions.ResolvePlainUpdate(problem));
        var reference = new ReferenceSinkhorn().Solve(problem, SinkhornOptions.Reference with { Tolerance = 1e-10 });
        _solver.CheckEvery = 1;
        var coupling = _solver.Solve(problem, KernelOptions);
        AssertMatches(reference, coupling, "ρ_a = 0.5, ρ_b = 5, a ≠ b");
        // Neither marginal is met, and the coupling says so.
        Assert.True(coupling.RowMarginalError() > 1e-3 && coupling.ColumnMarginalError() > 1e-3);
    }

    [Fact]
    public void A_huge_strength_recovers_the_balanced_kernel_solve()
    {
        var batch = new SphereBatch(SphereKind.Clustered, 32, 8, 3);
        var geometry = new PointCloudGeometry(batch.Data, 32, 8, new SquaredEuclideanCost(), BatchLayout.TwoView(16));
        var options = KernelOptions with { Update = SinkhornUpdate.Symmetric };
        var balanced = _solver.Solve(new EntropicProblem(geometry, 0.5), options);
        var relaxed = _solver.Solve(EntropicProblem.Unbalanced(geometry, 0.5, 1e7, 1e7), options);
        Assert.True(balanced.Converged && relaxed.Converged);
        var p = balanced.ToMatrix();
        var q = relaxed.ToMatrix();
        for (int k = 0; k < p.Length; k++)
            Assert.True(Math.Abs(p[k] - q[k]) * 32 <= 1e-5, $"entry {k}: balanced {p[k]:R}, ρ = 1e7 {q[k]:R}");
    }

    [Fact]
    public void Device_memory_stays_linear_for_relaxed_problems()
    {
        const int n = 64, d = 4, c = 8;
        var batch = new SphereBatch(SphereKind.Random, n, d, 1);
        var problem = EntropicProblem.Unbalanced(
            new PointCloudGeometry(batch.Data, n, d, new SquaredEuclideanCost(), BatchLayout.TwoView(n / 2)), 0.5, 1.0, 2.0);
        // The fused path's bound; the materialised one adds N² floats by design.
        _solver.Path = KernelPath.Fused;
        _solver.Solve(problem, KernelOptions with { MaxIterations = 5 });
        Assert.True(_solver.LastAllocatedBytes <= c * (n * d + n) * sizeof(float), $"{_solver.LastAllocatedBytes} bytes");
    }

    [Fact]
    public void Layouts_that_keep_the_diagonal_are_refused()
    {
        // The kernels skip k = r unconditionally (the Sinkhorn divergence's unmasked self terms need the CPU solvers).
        var batch = new SphereBatch(SphereKind.Random, 8, 3, 1);
        var problem = new EntropicProblem(new PointCloudGeometry(batch.Data, 8, 3, new SquaredEuclideanCost(), BatchLayout.Unmasked(8)), 0.5);
        var error = Assert.Throws<NotSupportedException>(() => _solver.Solve(problem));
        Assert.Contains("unmasked", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Scale_kernel_matches_a_host_multiply()
    {
        var accelerator = fixture.Session.Accelerator;
        var scale = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, float>(FusedSinkhornKernels.Scale);
        float[] values = [-3.5f, 0f, 1e-30f, 2.25f, float.MaxValue / 2, -7f];
        using var buffer = accelerator.Allocate1D(values);
        scale(values.Length, buffer.View, 0.75f);
        var result = buffer.GetAsArray1D();
        for (int i = 0; i < values.Length; i++) Assert.Equal(values[i] * 0.75f, result[i]);
    }

    private static void AssertMatches(Coupling reference, Coupling coupling, string context)
    {
        var problem = reference.Problem;
        double floatFloor = 1e-6 + 2e-7 * problem.Geometry.Cost.MaximumCost / problem.Epsilon;
        Assert.True(coupling.Converged || coupling.ConvergenceError <= floatFloor,
            $"{context}: dual change {coupling.ConvergenceError} after {coupling.Iterations} iterations");
        // The reported row error is the double recount of the returned duals, not the device's dual change.
        double recount = coupling.RowMarginalError();
        Assert.True(Math.Abs(recount - coupling.MarginalError) <= 1e-4 * (1 + recount), $"{context}: reported {coupling.MarginalError}, recount {recount}");
        var p = reference.ConditionalMatrix();
        var q = coupling.ConditionalMatrix();
        for (int k = 0; k < p.Length; k++)
            Assert.True(Math.Abs(p[k] - q[k]) <= WeightTolerance, $"{context}: weight {k}: {q[k]:R}, reference {p[k]:R}");
        double mass = coupling.RowSums().Sum(), referenceMass = reference.RowSums().Sum();
        Assert.True(Math.Abs(mass - referenceMass) <= 1e-4 * referenceMass, $"{context}: mass {mass:R}, reference {referenceMass:R}");
    }
}
