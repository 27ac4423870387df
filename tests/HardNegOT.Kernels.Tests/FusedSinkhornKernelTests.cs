using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using HardNegOT.Costs;
using HardNegOT.Geometry;
using HardNegOT.Testing;

namespace HardNegOT.Kernels.Tests;

/// <summary>
/// One fused half-step on ILGPU's CPU accelerator against the double-precision half-step of
/// <see cref="FusedSinkhornReference"/>, plus the consumer kernels against <see cref="Couplings.Coupling"/>.
/// </summary>
/// <remarks>
/// Tolerance: |kernel − reference| ≤ 1e-4·max(1, |reference|). The kernel's float32 rounding scales with the
/// terms it sums (costs and potentials of order 1), not with the output, which can pass through 0.
/// </remarks>
[Collection(CpuAcceleratorCollection.Name)]
public sealed class FusedSinkhornKernelTests(CpuAcceleratorFixture fixture)
{
    private const double Tolerance = 1e-4;

    private readonly KernelSinkhorn _solver = new(fixture.Session);

    // The tile size varies too: the CPU accelerator has no shared-memory limit, so the automatic choice is one
    // tile of all N rows; 1, 5 and 16 rows make the tile loop run several times with a ragged last tile.
    [Property(MaxTest = 30)]
    public Property Half_step_matches_double_reference_for_every_cost_and_epsilon() =>
        Prop.ForAll(Arb.From(SphereBatches.Gen(3, 48, 16)), Arb.From(Gen.Elements(0, 1, 5, 16)), (batch, tileRows) =>
        {
            _solver.TileRows = tileRows;
            var rng = new Random(batch.Seed);
            int n = batch.Count;
            // Potentials of the size a solve produces; a marginal with some zero-mass rows (log = −∞).
            var potential = new double[n];
            for (int k = 0; k < n; k++) potential[k] = 2 * rng.NextDouble() - 1;
            var mass = new double[n];
            for (int k = 0; k < n; k++) mass[k] = rng.Next(8) == 0 ? 0 : 0.5 + rng.NextDouble();
            var logMarginal = FusedSinkhornReference.Log(mass);

            foreach (var cost in FusedSinkhornReference.Costs)
            {
                var geometry = FusedSinkhornReference.GeometryFor(batch, cost);
                foreach (double eps in FusedSinkhornReference.Epsilons)
                {
                    var expected = FusedSinkhornReference.HalfStep(geometry, eps, potential, logMarginal);
                    var actual = _solver.HalfStep(geometry, eps, potential, logMarginal);
                    for (int r = 0; r < n; r++)
                    {
                        // A row whose every partner has zero mass has no finite value in either implementation.
                        if (double.IsPositiveInfinity(expected[r]))
                        {
                            Assert.Equal(double.PositiveInfinity, actual[r]);
                            expected[r] = actual[r] = 0;
                        }
                    }
                    FusedSinkhornReference.AssertClose(expected, actual, Tolerance,
                        $"{batch}, {cost}, ε = {eps}, {geometry.Layout.Name}, tile rows {tileRows}");
                }
            }
        });

    [Theory]
    [InlineData(0.01)]
    [InlineData(0.1)]
    [InlineData(1.0)]
    public void Masked_pairs_are_excluded_even_when_they_are_the_cheapest(double eps)
    {
        // Two views of B samples where view 2 repeats view 1 exactly: every masked pair (self and positive)
        // has s = 1, the lowest possible cost, and a large potential on top. Including them would dominate the LSE.
        const int batchSize = 20, d = 6;
        var rng = new Random(7);
        var data = new float[2 * batchSize * d];
        for (int i = 0; i < batchSize * d; i++) data[i] = data[batchSize * d + i] = (float)(rng.NextDouble() * 2 - 1);
        var geometry = new PointCloudGeometry(data, 2 * batchSize, d, new SquaredEuclideanCost(), BatchLayout.TwoView(batchSize));
        int n = geometry.Count;
        var potential = new double[n];
        for (int k = 0; k < n; k++) potential[k] = 0.5 * rng.NextDouble();
        var logMarginal = FusedSinkhornReference.Log(Enumerable.Repeat(1.0 / n, n).ToArray());

        var expected = FusedSinkhornReference.HalfStep(geometry, eps, potential, logMarginal);
        var actual = _solver.HalfStep(geometry, eps, potential, logMarginal);

        FusedSinkhornReference.AssertClose(expected, actual, Tolerance, $"ε = {eps}");
        // Sanity of the setup: with the masked pairs included the half-step would be far lower.
        _solver.TileRows = 7;
        FusedSinkhornReference.AssertClose(expected, _solver.HalfStep(geometry, eps, potential, logMarginal), Tolerance, $"ε = {eps}, 7-row tiles");
        var unmasked = new PointCloudGeometry(data, n, d, new SquaredEuclideanCost(), BatchLayout.Unpaired(n));
        for (int r = 0; r < n; r++)
        {
            double withMasked = -eps * Math.Log(Enumerable.Range(0, n)
                .Sum(k => Math.Exp((potential[k] - unmasked.Cost.FromSimilarity(unmasked.Similarity(r, k))) / eps + logMarginal[k])));
            Assert.True(withMasked < expected[r] - 1e-3, $"row {r}: including masked pairs would give {withMasked}, not below {expected[r]}");
        }
    }

    [Fact]
    public void Half_step_stays_finite_at_extreme_epsilon_and_cost()
    {
        // ε = 1e-3 with the exponential cost at κ = −2 gives terms of magnitude e⁶/ε ≈ 4e5: the online LSE
        // must rescale rather than overflow.
        var batch = new SphereBatch(SphereKind.NearAntipodal, 33, 5, 11);
        var geometry = new PointCloudGeometry(batch.Data, batch.Count, batch.Dimension, new ExponentialCost(-2), BatchLayout.Unpaired(batch.Count));
        var potential = new double[batch.Count];
        var logMarginal = FusedSinkhornReference.Log(Enumerable.Repeat(1.0 / batch.Count, batch.Count).ToArray());
        foreach (double eps in new[] { 1e-3, 1e3 })
        {
            var expected = FusedSinkhornReference.HalfStep(geometry, eps, potential, logMarginal);
            var actual = _solver.HalfStep(geometry, eps, potential, logMarginal);
            FusedSinkhornReference.AssertClose(expected, actual, Tolerance, $"ε = {eps}");
        }
    }

    [Fact]
    public void Half_step_allocates_no_N_by_N_buffer()
    {
        var batch = new SphereBatch(SphereKind.Random, 64, 4, 3);
        var geometry = new PointCloudGeometry(batch.Data, 64, 4, new CosineCost(), BatchLayout.TwoView(32));
        _solver.HalfStep(geometry, 0.1, new double[64], FusedSinkhornReference.Log(Enumerable.Repeat(1.0 / 64, 64).ToArray()));
        // points (N·d) + positive map + potential + log marginal + output (4 N).
        Assert.Equal((64L * 4 + 4 * 64) * sizeof(float), _solver.LastAllocatedBytes);
        Assert.True(_solver.LastAllocatedBytes < 64L * 64 * sizeof(float));
    }
}
