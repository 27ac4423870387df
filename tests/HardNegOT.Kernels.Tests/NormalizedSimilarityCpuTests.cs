using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using HardNegOT.Testing;

namespace HardNegOT.Kernels.Tests;

/// <summary>The kernels on ILGPU's CPU accelerator against the double-precision reference.</summary>
[Collection(CpuAcceleratorCollection.Name)]
public sealed class NormalizedSimilarityCpuTests(CpuAcceleratorFixture fixture)
{
    private readonly NormalizedSimilarity _similarity = fixture.Similarity;

    [Property(MaxTest = 200, Arbitrary = new[] { typeof(EmbeddingBatches) })]
    public void Kernels_match_double_reference_and_rows_have_unit_norm(EmbeddingBatch batch) =>
        KernelAgreement.AssertMatchesReference(_similarity, batch);

    [Property(MaxTest = 50)]
    public Property Kernels_match_double_reference_on_the_shared_sphere_batches() =>
        // The solution-wide shapes (random, clustered, duplicated, near-antipodal), capped at the CPU accelerator's budget.
        Prop.ForAll(
            Arb.From(SphereBatches.Gen(1, EmbeddingBatches.MaxN, EmbeddingBatches.MaxD)),
            sphere =>
            {
                int n = sphere.Count;
                var batch = new EmbeddingBatch(
                    n, sphere.Dimension, sphere.Data, Anchor: sphere.Seed % n, BlockStart: 0, BlockCount: Math.Min(n, 4), sphere.ToString());
                KernelAgreement.AssertMatchesReference(_similarity, batch);
            });

    [Fact]
    public void Extreme_magnitudes_neither_overflow_nor_underflow()
    {
        // Each row would break a naive float32 sum of squares: 1e20² and float.MaxValue² overflow to +Inf,
        // 1e-20² and subnormal² underflow to 0, and mixing 1e30 with 1e-30 loses the small entry entirely.
        const int d = 4;
        float[] values =
        [
            float.MaxValue, -float.MaxValue, float.MaxValue, 1f,
            1e20f, 1e20f, -1e20f, 1e20f,
            1e-20f, -1e-20f, 1e-20f, 1e-20f,
            float.Epsilon, 0f, -float.Epsilon, 0f,      // smallest subnormal
            1e-40f, 2e-40f, 0f, -3e-40f,                // subnormals
            1e30f, 1e-30f, 0f, 0f,
            1e-38f, 3e38f, 0f, 0f,
            0f, 0f, 0f, -1e-25f,
        ];
        var batch = new EmbeddingBatch(values.Length / d, d, values, Anchor: 1, BlockStart: 0, BlockCount: values.Length / d, "extremes");

        KernelAgreement.AssertMatchesReference(_similarity, batch);

        // Spot-check exact expectations that do not depend on the reference.
        var xHat = _similarity.Normalize(values, batch.N, d);
        Assert.Equal(0.5f, xHat[1 * d + 0], tolerance: 1e-6f);        // (1,1,-1,1)/2
        Assert.Equal(-1f / MathF.Sqrt(2), xHat[3 * d + 2], tolerance: 1e-6f);
        Assert.Equal(-1f, xHat[7 * d + 3]);
    }

    [Fact]
    public void Self_similarity_is_one_and_orthogonal_rows_are_zero()
    {
        // Hand-checkable case independent of the reference implementation.
        float[] values =
        [
            3f, 4f, 0f,
            0f, 0f, 2f,
            -6f, -8f, 0f,
            1f, 1f, 0f,
        ];
        var row = _similarity.SimilarityRow(values, 4, 3, anchor: 0);
        Assert.Equal(1f, row[0], tolerance: 1e-6f);
        Assert.Equal(0f, row[1], tolerance: 1e-6f);
        Assert.Equal(-1f, row[2], tolerance: 1e-6f);
        Assert.Equal(7f / (5f * MathF.Sqrt(2)), row[3], tolerance: 1e-6f);

        var block = _similarity.SimilarityBlock(values, 4, 3, anchorStart: 1, anchorCount: 3);
        Assert.Equal(12, block.Length);
        Assert.Equal(1f, block[0 * 4 + 1], tolerance: 1e-6f);          // anchor 1 with itself
        Assert.Equal(-1f, block[1 * 4 + 0], tolerance: 1e-6f);         // anchor 2 with row 0
        Assert.Equal(1f, block[2 * 4 + 3], tolerance: 1e-6f);          // anchor 3 with itself
    }

    [Fact]
    public void Factory_reports_the_cpu_accelerator()
    {
        Assert.Equal(AcceleratorBackend.Cpu, fixture.Session.Backend);
        Assert.Equal(AcceleratorBackend.Cpu, fixture.Session.Requested);
        Assert.Equal(ILGPU.Runtime.AcceleratorType.CPU, fixture.Session.Accelerator.AcceleratorType);
        Assert.StartsWith("cpu: ", fixture.Session.Selection);
    }
}
