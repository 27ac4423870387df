using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using HardNegOT.Costs;
using HardNegOT.Couplings;
using HardNegOT.Geometry;
using HardNegOT.Problems;
using HardNegOT.Solvers;
using HardNegOT.Testing;

namespace HardNegOT.Kernels.Tests;

/// <summary>Full <see cref="KernelSinkhorn"/> solves on ILGPU's CPU accelerator against <see cref="ReferenceSinkhorn"/>.</summary>
[Collection(CpuAcceleratorCollection.Name)]
public sealed class KernelSinkhornTests(CpuAcceleratorFixture fixture)
{
    // Conditional probabilities are compared absolutely. Both solvers stop at the reference's 1e-6: on clustered
    // batches a 1e-5 stop alone moves weights near 1 by ~1e-4 (measured; the kernel then tracks the reference
    // to 1e-6), and float32 still reaches 1e-6 at ε ≥ 0.05.
    private const double WeightTolerance = 1e-4;
    private static readonly SinkhornOptions KernelOptions = new() { Tolerance = SinkhornOptions.ReferenceTolerance, MaxIterations = 20_000 };

    // The fused half-step is the product's path for any N; the materialised one has its own tests below.
    private readonly KernelSinkhorn _solver = new(fixture.Session) { Path = KernelPath.Fused };

    // Uniform marginals, so both solvers use the symmetric update. Some batches are slow for any scheme
    // (clustered rows under the exponential cost with κ = 0.25 at ε = 0.1 take the double reference ~25 000
    // iterations), far beyond the CPU accelerator's ~3 ms an iteration: combinations the reference cannot solve
    // in ReferenceBudget iterations are skipped (typically 10–40 % of them, depending on the draw), and the fact
    // checks that enough were compared for the property not to be vacuous.
    private const int ReferenceBudget = 500;

    [Fact]
    public void Solves_match_the_reference_conditionals_for_every_cost()
    {
        int compared = 0, skipped = 0;
        var property = Prop.ForAll(
            Arb.From(SphereBatches.Gen(3, 40, 16)),
            Arb.From(Gen.Elements(0.1, 0.5, 1.0)),
            (batch, eps) =>
            {
                foreach (var cost in FusedSinkhornReference.Costs)
                {
                    var problem = FusedSinkhornReference.ProblemFor(batch, cost, eps);
                    // The kernel runs the plain symmetric update and its cap is sized from the reference's
                    // count, so the reference runs that same scheme (not the accelerated default).
                    var reference = new ReferenceSinkhorn().Solve(problem,
                        SinkhornOptions.Reference with { MaxIterations = ReferenceBudget, Update = SinkhornUpdate.Symmetric });
                    if (!reference.Converged)
                    {
                        skipped++;
                        continue;
                    }
                    compared++;
                    // Float32 may need a few more iterations than double; a bounded cap keeps a failure fast.
                    var options = KernelOptions with { MaxIterations = 2 * reference.Iterations + 50 };
                    _solver.TileRows = batch.Seed % 2 == 0 ? 0 : 6;
                    AssertMatchesReference(problem, options, reference, $"{batch}, {cost}, ε = {eps}");
                }
            });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(8), property);
        Assert.True(compared >= 8, $"only {compared} combinations compared, {skipped} skipped as too slow for the reference");
    }

    // Alternating runs only where it converges in a few hundred iterations (see the property above).
    [Theory]
    [InlineData(SinkhornUpdate.Symmetric, SphereKind.Random, 0.1)]
    [InlineData(SinkhornUpdate.Symmetric, SphereKind.Clustered, 0.1)]
    [InlineData(SinkhornUpdate.Symmetric, SphereKind.NearAntipodal, 0.1)]
    [InlineData(SinkhornUpdate.Alternating, SphereKind.Random, 0.5)]
    [InlineData(SinkhornUpdate.Alternating, SphereKind.Duplicated, 1.0)]
    public void Both_update_schemes_reach_the_reference_coupling(SinkhornUpdate update, SphereKind kind, double eps)
    {
        var batch = new SphereBatch(kind, 32, 8, 5);
        var problem = new EntropicProblem(
            new PointCloudGeometry(batch.Data, 32, 8, new SquaredEuclideanCost(), BatchLayout.TwoView(16)), eps);
        var coupling = AssertMatchesReference(problem, KernelOptions with { Update = update }, $"{update}, {kind}");
        if (update == SinkhornUpdate.Symmetric)
            Assert.Equal(coupling.F.ToArray(), coupling.G.ToArray());
    }

    [Fact]
    public void Unequal_marginals_use_the_alternating_update_and_match_the_reference()
    {
        var batch = new SphereBatch(SphereKind.Random, 24, 6, 9);
        var rng = new Random(2);
        var a = Enumerable.Range(0, 24).Select(_ => 0.5 + rng.NextDouble()).ToArray();
        var b = Enumerable.Range(0, 24).Select(_ => 0.5 + rng.NextDouble()).ToArray();
        double sa = a.Sum(), sb = b.Sum();
        for (int i = 0; i < 24; i++) { a[i] /= sa; b[i] /= sb; }
        var problem = new EntropicProblem(
            new PointCloudGeometry(batch.Data, 24, 6, new ExponentialCost(), BatchLayout.Unpaired(24)), 0.5, a, b);
        Assert.Equal(SinkhornUpdate.Alternating, KernelOptions.ResolveUpdate(problem));
        AssertMatchesReference(problem, KernelOptions, "unequal marginals");
    }

    [Theory]
    [InlineData(SinkhornUpdate.Symmetric, SphereKind.Clustered, 0.1)]
    [InlineData(SinkhornUpdate.Alternating, SphereKind.Random, 0.5)]
    public void Warm_start_from_the_solution_equals_the_cold_start(SinkhornUpdate update, SphereKind kind, double eps)
    {
        var problem = Problem(kind, 32, 8, eps);
        var options = KernelOptions with { Update = update };
        _solver.CheckEvery = 1;
        var cold = _solver.Solve(problem, options);
        var warm = _solver.Solve(problem, options with { WarmStart = cold.F.ToArray() });

        Assert.True(cold.Converged && warm.Converged);
        Assert.True(warm.Iterations <= 2, $"warm start took {warm.Iterations} iterations (cold: {cold.Iterations})");
        AssertConditionalsClose(cold, warm, 1e-5, "warm vs cold");
        for (int i = 0; i < problem.Count; i++)
            Assert.True(Math.Abs(warm.F[i] - cold.F[i]) <= 1e-4 * problem.Epsilon, $"f[{i}]: {warm.F[i]} vs {cold.F[i]}");
    }

    [Theory]
    [InlineData(SinkhornUpdate.Symmetric, 1)]
    [InlineData(SinkhornUpdate.Alternating, 1)]
    [InlineData(SinkhornUpdate.Symmetric, 10)]
    [InlineData(SinkhornUpdate.Alternating, 7)]
    public void Iteration_cap_returns_not_converged_without_NaN(SinkhornUpdate update, int checkEvery)
    {
        // ε = 0.01 on clusters needs far more than 3 iterations; 3 is not a multiple of checkEvery > 3,
        // so the cap itself must trigger the final check.
        var problem = Problem(SphereKind.Clustered, 40, 8, 0.01);
        _solver.CheckEvery = checkEvery;
        var coupling = _solver.Solve(problem, new SinkhornOptions { Tolerance = 1e-9, MaxIterations = 3, Update = update });

        Assert.False(coupling.Converged);
        Assert.Equal(3, coupling.Iterations);
        Assert.True(double.IsFinite(coupling.MarginalError) && coupling.MarginalError > 1e-9);
        // Row i of P(f, g) sums to a_i·exp((f_i − T_b(g)_i)/ε), so the device-reduced error is the coupling's own
        // row error, recomputed here in double from the returned duals.
        double recomputed = coupling.RowMarginalError();
        Assert.True(Math.Abs(recomputed - coupling.MarginalError) <= 1e-3 * recomputed,
            $"device error {coupling.MarginalError:R} vs recomputed {recomputed:R}");
        Assert.All(coupling.F.ToArray(), v => Assert.True(double.IsFinite(v)));
        Assert.All(coupling.G.ToArray(), v => Assert.True(double.IsFinite(v)));
        Assert.Equal("kernel-cpu", coupling.Solver);
    }

    [Fact]
    public void Check_every_k_iterations_stops_on_a_multiple_of_k()
    {
        var problem = Problem(SphereKind.Random, 24, 4, 0.1);
        _solver.CheckEvery = 10;
        var coupling = _solver.Solve(problem, KernelOptions);
        Assert.True(coupling.Converged);
        Assert.Equal(0, coupling.Iterations % 10);
        Assert.True(coupling.MarginalError <= KernelOptions.Tolerance);
    }

    [Fact]
    public void Device_memory_is_linear_in_N_and_d_not_quadratic()
    {
        const int n = 64, d = 4, c = 8;
        var problem = Problem(SphereKind.Random, n, d, 0.5);
        _solver.Path = KernelPath.Fused;
        foreach (var update in new[] { SinkhornUpdate.Symmetric, SinkhornUpdate.Alternating })
        {
            // Memory does not depend on convergence: a few iterations suffice.
            _solver.Solve(problem, KernelOptions with { Update = update, MaxIterations = 5 });
            long bytes = _solver.LastAllocatedBytes;
            Assert.True(bytes > 0);
            Assert.True(bytes <= c * (n * d + n) * sizeof(float), $"{update}: {bytes} bytes > {c}·(N·d + N)·4");
            Assert.True(bytes < (long)n * n * sizeof(float), $"{update}: {bytes} bytes ≥ N²·4");
        }
    }

    [Theory]
    [InlineData(SphereKind.Random, SinkhornUpdate.Symmetric, 0.1)]
    [InlineData(SphereKind.Clustered, SinkhornUpdate.Symmetric, 0.5)]
    [InlineData(SphereKind.NearAntipodal, SinkhornUpdate.Symmetric, 1.0)]
    [InlineData(SphereKind.Random, SinkhornUpdate.Alternating, 0.5)]
    public void Materialized_path_matches_the_reference_and_the_fused_path_for_every_cost(SphereKind kind, SinkhornUpdate update, double eps)
    {
        var batch = new SphereBatch(kind, 24, 6, 77);
        foreach (var cost in FusedSinkhornReference.Costs)
        {
            var problem = FusedSinkhornReference.ProblemFor(batch, cost, eps);
            var options = KernelOptions with { Update = update };
            _solver.Path = KernelPath.Materialized;
            var materialized = AssertMatchesReference(problem, options, $"materialized {kind}, {cost}, ε = {eps}");
            Assert.Equal(KernelPath.Materialized, _solver.LastPath);
            _solver.Path = KernelPath.Fused;
            var fused = _solver.Solve(problem, options);
            Assert.Equal(KernelPath.Fused, _solver.LastPath);
            // Same float32 terms summed in another order: the duals agree to rounding, the iteration counts nearly.
            Assert.True(Math.Abs(fused.Iterations - materialized.Iterations) <= KernelSinkhorn.DefaultCheckEvery,
                $"{cost}: fused {fused.Iterations} vs materialized {materialized.Iterations} iterations");
            AssertConditionalsClose(fused, materialized, WeightTolerance, $"fused vs materialized, {cost}");
        }
    }

    [Fact]
    public void Materialized_path_holds_the_N_by_N_cost_and_auto_follows_the_measured_threshold()
    {
        const int n = 32, d = 4;
        var problem = Problem(SphereKind.Random, n, d, 0.5);
        var options = KernelOptions with { MaxIterations = 3 };
        _solver.Path = KernelPath.Fused;
        _solver.Solve(problem, options);
        long fusedBytes = _solver.LastAllocatedBytes;
        _solver.Path = KernelPath.Materialized;
        _solver.Solve(problem, options);
        Assert.Equal(fusedBytes + (long)n * n * sizeof(float), _solver.LastAllocatedBytes);

        _solver.Path = KernelPath.Auto;
        _solver.Solve(problem, options);
        Assert.Equal(n <= _solver.MaterializedMaxCount ? KernelPath.Materialized : KernelPath.Fused, _solver.LastPath);
        var large = Problem(SphereKind.Random, Math.Max(8, 2 * (_solver.MaterializedMaxCount / 2 + 1)), d, 0.5);
        _solver.Solve(large, options);
        Assert.Equal(KernelPath.Fused, _solver.LastPath);
        Assert.Throws<ArgumentOutOfRangeException>(() => _solver.Path = (KernelPath)7);
    }

    [Fact]
    public void Device_conditional_rows_match_the_couplings_own()
    {
        var problem = Problem(SphereKind.Duplicated, 30, 5, 0.1);
        var coupling = new ReferenceSinkhorn().Solve(problem);
        int[] anchors = [0, 7, 29, 7];
        _solver.TileRows = 4;
        var rows = _solver.ConditionalRows(coupling, anchors);

        Assert.Equal(anchors.Length * problem.Count, rows.Length);
        var expected = new double[problem.Count];
        for (int t = 0; t < anchors.Length; t++)
        {
            coupling.ConditionalRow(anchors[t], expected);
            var actual = rows.AsSpan(t * problem.Count, problem.Count);
            for (int j = 0; j < problem.Count; j++)
            {
                if (problem.Geometry.IsMasked(anchors[t], j)) Assert.Equal(0.0, actual[j]);
                Assert.True(Math.Abs(actual[j] - expected[j]) <= 1e-5, $"anchor {anchors[t]}, j = {j}: {actual[j]} vs {expected[j]}");
            }
            Assert.Equal(1.0, actual.ToArray().Sum(), 1e-5);
        }
        // Linear in what it touches: geometry, g, log b, anchors, LSEs and the requested rows only.
        Assert.True(_solver.LastAllocatedBytes < (long)problem.Count * problem.Count * sizeof(float));
    }

    [Fact]
    public void Bad_inputs_are_rejected_on_the_host()
    {
        var problem = Problem(SphereKind.Random, 8, 3, 0.1);
        Assert.Throws<ArgumentException>(() => _solver.Solve(problem, KernelOptions with { WarmStart = new double[7] }));
        Assert.Throws<ArgumentException>(() => _solver.Solve(problem, KernelOptions with { WarmStart = [.. new double[7], double.NaN] }));
        Assert.Throws<ArgumentOutOfRangeException>(() => _solver.CheckEvery = 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => _solver.TileRows = -1);
        // Schemes the device loop does not implement (accelerated host-side ones, or anything added later) are
        // refused instead of silently running plain alternating updates.
        var unsupported = Enum.GetValues<SinkhornUpdate>()
            .Where(u => u is not (SinkhornUpdate.Auto or SinkhornUpdate.Symmetric or SinkhornUpdate.Alternating))
            .Append((SinkhornUpdate)99);
        foreach (var update in unsupported)
            Assert.Throws<NotSupportedException>(() => _solver.Solve(problem, KernelOptions with { Update = update }));
        Assert.Throws<ArgumentOutOfRangeException>(() => _solver.ConditionalRows(_solver.Solve(problem), [8]));

        // Beyond C_max/ε = 1e4 float32 cannot resolve the plan: refused, as by the CPU solver, not solved wrongly.
        var tooSharp = Problem(SphereKind.Random, 8, 3, 4.0 / (2 * SinglePrecision.MaximumCostOverEpsilon));
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => _solver.Solve(tooSharp));
        Assert.Equal("problem", error.ParamName);
        Assert.Contains("float32", error.Message);
    }

    [SkipUnlessCudaFact]
    public void Cuda_solves_match_the_reference()
    {
        using var solver = new KernelSinkhorn(AcceleratorBackend.Cuda);
        Assert.Equal("kernel-cuda", solver.Name);
        foreach (var cost in FusedSinkhornReference.Costs)
            foreach (var kind in Enum.GetValues<SphereKind>())
            {
                var batch = new SphereBatch(kind, 96, 16, 17);
                var problem = new EntropicProblem(
                    new PointCloudGeometry(batch.Data, 96, 16, cost, BatchLayout.TwoView(48)), 0.1);
                var reference = new ReferenceSinkhorn().Solve(problem);
                var coupling = solver.Solve(problem, KernelOptions);
                Assert.True(coupling.Converged, $"{kind}, {cost}: error {coupling.MarginalError} after {coupling.Iterations}");
                AssertConditionalsClose(reference, coupling, WeightTolerance, $"cuda, {kind}, {cost}");
            }
    }

    [SkipUnlessCudaFact]
    public void Cuda_solves_a_batch_whose_cost_matrix_would_not_fit_in_its_buffers()
    {
        // N = 8192, d = 128: the N² cost would take 256 MiB; the solve allocates ~4 MiB.
        const int n = 8192, d = 128;
        using var solver = new KernelSinkhorn(AcceleratorBackend.Cuda);
        var batch = new SphereBatch(SphereKind.Clustered, n, d, 23);
        var problem = new EntropicProblem(
            new PointCloudGeometry(batch.Data, n, d, new SquaredEuclideanCost(), BatchLayout.TwoView(n / 2)), 0.1);
        var coupling = solver.Solve(problem, SinkhornOptions.Fast);
        Assert.True(coupling.Converged, $"error {coupling.MarginalError} after {coupling.Iterations}");
        Assert.True(solver.LastAllocatedBytes <= 8L * (n * d + n) * sizeof(float));
        var rows = solver.ConditionalRows(coupling, [0, n - 1]);
        Assert.Equal(1.0, rows.AsSpan(0, n).ToArray().Sum(), 1e-3);
    }

    private Coupling AssertMatchesReference(EntropicProblem problem, SinkhornOptions options, string context)
    {
        var reference = new ReferenceSinkhorn().Solve(problem, SinkhornOptions.Reference with { Update = options.Update });
        Assert.True(reference.Converged, $"{context}: the reference did not converge");
        return AssertMatchesReference(problem, options, reference, context);
    }

    private Coupling AssertMatchesReference(EntropicProblem problem, SinkhornOptions options, Coupling reference, string context)
    {
        var coupling = _solver.Solve(problem, options);

        // Float32 potentials stall where rounding of terms of size C/ε (~6e-8·C/ε each) outweighs the
        // remaining error, which can sit above a 1e-6 target when C_max/ε is in the hundreds.
        double floatFloor = 1e-6 + 2e-7 * problem.Geometry.Cost.MaximumCost / problem.Epsilon;
        Assert.True(coupling.Converged || coupling.MarginalError <= floatFloor,
            $"{context}: kernel error {coupling.MarginalError} after {coupling.Iterations} iterations (float32 floor {floatFloor:G3})");
        // The same error recomputed in double from the returned (float-rounded) duals.
        Assert.True(coupling.RowMarginalError() <= 1e-3, $"{context}: row marginal error {coupling.RowMarginalError()}");
        Assert.True(coupling.ColumnMarginalError() <= 1e-3, $"{context}: column marginal error {coupling.ColumnMarginalError()}");
        AssertConditionalsClose(reference, coupling, WeightTolerance, context);
        return coupling;
    }

    private static void AssertConditionalsClose(Coupling expected, Coupling actual, double tolerance, string context)
    {
        var p = expected.ConditionalMatrix();
        var q = actual.ConditionalMatrix();
        for (int k = 0; k < p.Length; k++)
        {
            Assert.False(double.IsNaN(q[k]), $"{context}: NaN at {k}");
            Assert.True(Math.Abs(p[k] - q[k]) <= tolerance,
                $"{context}: P(j|i) at (i, j) = ({k / expected.Problem.Count}, {k % expected.Problem.Count}) is {q[k]:R}, reference {p[k]:R}");
        }
    }

    private static EntropicProblem Problem(SphereKind kind, int n, int d, double eps)
    {
        var batch = new SphereBatch(kind, n, d, 1234);
        return new EntropicProblem(new PointCloudGeometry(batch.Data, n, d, new SquaredEuclideanCost(), BatchLayout.TwoView(n / 2)), eps);
    }
}
