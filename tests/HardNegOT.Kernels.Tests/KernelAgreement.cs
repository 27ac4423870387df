using HardNegOT.Reference;

namespace HardNegOT.Kernels.Tests;

/// <summary>
/// Compares <see cref="NormalizedSimilarity"/> on any accelerator with the double-precision
/// <see cref="NormalizedSimilarityReference"/>; shared by the CPU, CUDA and OpenCL tests.
/// </summary>
internal static class KernelAgreement
{
    /// <summary>
    /// Absolute tolerance. Every compared quantity is bounded by 1 (entries of unit vectors, cosines),
    /// so the float32 error is relative to 1, not to the value: ≲ (d + 3)·2⁻²⁴ ≈ 3e-6 for d ≤ 48.
    /// A relative bound would wrongly demand full precision from cosines that cancel to ~0.
    /// </summary>
    public const double Tolerance = 1e-5;

    public static void AssertMatchesReference(NormalizedSimilarity similarity, EmbeddingBatch batch)
    {
        int n = batch.N, d = batch.D;

        var xHat = similarity.Normalize(batch.Values, n, d);
        AssertClose(NormalizedSimilarityReference.Normalize(batch.Values, n, d), xHat, d, "Normalize", batch);
        AssertUnitRows(xHat, n, d, batch);
        AssertDuplicatesIdentical(batch, xHat);

        var row = similarity.SimilarityRow(batch.Values, n, d, batch.Anchor);
        AssertClose(NormalizedSimilarityReference.SimilarityRow(batch.Values, n, d, batch.Anchor), row, n, "SimilarityRow", batch);

        var block = similarity.SimilarityBlock(batch.Values, n, d, batch.BlockStart, batch.BlockCount);
        AssertClose(
            NormalizedSimilarityReference.SimilarityBlock(batch.Values, n, d, batch.BlockStart, batch.BlockCount),
            block, n, "SimilarityBlock", batch);
    }

    public static void AssertClose(double[] expected, float[] actual, int width, string what, object context)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            // NaN fails this comparison, so a NaN from the kernel is always reported.
            if (!(Math.Abs(actual[i] - expected[i]) <= Tolerance))
                Assert.Fail(
                    $"{what}[{i / width}, {i % width}] = {actual[i]:R}, reference {expected[i]:R} " +
                    $"(|Δ| = {Math.Abs(actual[i] - expected[i]):E2} > {Tolerance:E0}); {context}");
        }
    }

    public static void AssertUnitRows(float[] xHat, int n, int d, object context)
    {
        for (int i = 0; i < n; i++)
        {
            double sumSquares = 0;
            for (int k = 0; k < d; k++) sumSquares += (double)xHat[i * d + k] * xHat[i * d + k];
            double norm = Math.Sqrt(sumSquares);
            if (!(Math.Abs(norm - 1) <= Tolerance))
                Assert.Fail($"‖x̂[{i}]‖ = {norm:R}, expected 1 ± {Tolerance:E0}; {context}");
        }
    }

    // Identical input rows run identical arithmetic, so their outputs must agree bit for bit.
    private static void AssertDuplicatesIdentical(EmbeddingBatch batch, float[] xHat)
    {
        int d = batch.D;
        for (int i = 0; i < batch.N; i++)
        for (int j = i + 1; j < batch.N; j++)
        {
            if (!batch.Values.AsSpan(i * d, d).SequenceEqual(batch.Values.AsSpan(j * d, d)))
                continue;
            if (!xHat.AsSpan(i * d, d).SequenceEqual(xHat.AsSpan(j * d, d)))
                Assert.Fail($"rows {i} and {j} are equal inputs but normalise differently; {batch}");
        }
    }
}
