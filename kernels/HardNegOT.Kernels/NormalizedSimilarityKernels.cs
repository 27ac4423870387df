using ILGPU;

namespace HardNegOT.Kernels;

/// <summary>
/// ILGPU kernels for unit-L2 row normalisation and cosine similarity of a row-major N×d float32 batch.
/// Each public static method is one implicitly grouped kernel; launch them through
/// <see cref="NormalizedSimilarity"/>, which validates inputs on the host first.
/// </summary>
/// <remarks>
/// Preconditions the kernels do not check (the host does): every entry is finite, no row is all zeros,
/// and every index fits in <see cref="int"/>. The double-precision twin is
/// <c>HardNegOT.Reference.NormalizedSimilarityReference</c>.
/// </remarks>
public static class NormalizedSimilarityKernels
{
    /// <summary>
    /// One thread per row: writes row <paramref name="row"/> of <paramref name="x"/> scaled to unit L2 norm
    /// into <paramref name="xHat"/>, accumulating in float32.
    /// </summary>
    /// <remarks>
    /// The row is first divided by its largest magnitude m, so the sum of squares lies in [1, d] and
    /// cannot overflow (entries ≳ 1.8e19 would square to +Inf) or underflow (entries ≲ 1e-19 would square
    /// to subnormals or zero). Division rather than multiplying by 1/m keeps subnormal m from turning into +Inf.
    /// </remarks>
    /// <param name="row">The row index, in [0, N).</param>
    /// <param name="x">Input embeddings, N·d values.</param>
    /// <param name="xHat">Output, N·d values; may not alias <paramref name="x"/>.</param>
    /// <param name="d">Row dimension d.</param>
    [KernelEntryPoint]
    public static void NormalizeRows(Index1D row, ArrayView<float> x, ArrayView<float> xHat, int d)
    {
        int offset = row.X * d;

        float maxAbs = 0f;
        for (int k = 0; k < d; k++)
            maxAbs = IntrinsicMath.Max(maxAbs, IntrinsicMath.Abs(x[offset + k]));

        // Every term is ≤ 1 and the largest is exactly 1, so sumSquares ∈ [1, d].
        float sumSquares = 0f;
        for (int k = 0; k < d; k++)
        {
            float v = x[offset + k] / maxAbs;
            sumSquares += v * v;
        }

        float inverseNorm = 1f / MathF.Sqrt(sumSquares);
        for (int k = 0; k < d; k++)
            xHat[offset + k] = x[offset + k] / maxAbs * inverseNorm;
    }

    /// <summary>
    /// One thread per column j: <c>s[j] = x̂_anchor · x̂_j</c> over unit-norm rows, accumulating in float32.
    /// </summary>
    /// <remarks>Values are not clamped to [-1, 1]; rounding can leave them a few ulps outside.</remarks>
    /// <param name="j">The column (other row) index, in [0, N).</param>
    /// <param name="xHat">Unit-norm rows from <see cref="NormalizeRows"/>, N·d values.</param>
    /// <param name="s">Output similarities, N values.</param>
    /// <param name="d">Row dimension d.</param>
    /// <param name="anchor">The anchor row, in [0, N).</param>
    [KernelEntryPoint]
    public static void SimilarityRow(Index1D j, ArrayView<float> xHat, ArrayView<float> s, int d, int anchor)
    {
        int a = anchor * d;
        int b = j.X * d;
        float dot = 0f;
        for (int k = 0; k < d; k++)
            dot += xHat[a + k] * xHat[b + k];
        s[j] = dot;
    }

    /// <summary>
    /// One thread per (anchor, column) pair: a row-major block <c>s[r·N + j] = x̂_(anchorStart+r) · x̂_j</c>
    /// for the anchors [anchorStart, anchorStart + block height).
    /// </summary>
    /// <remarks>
    /// <c>index.X</c> is the column j and <c>index.Y</c> the anchor offset r, so neighbouring threads write
    /// neighbouring outputs. This is the straightforward form; a shared-memory tiled variant belongs with
    /// the fused Sinkhorn kernels, which need the block without storing it.
    /// </remarks>
    /// <param name="index">(X = column j in [0, N), Y = anchor offset r in [0, block height)).</param>
    /// <param name="xHat">Unit-norm rows from <see cref="NormalizeRows"/>, N·d values.</param>
    /// <param name="s">Output block, (block height)·N values.</param>
    /// <param name="n">Number of rows N (the block's row stride).</param>
    /// <param name="d">Row dimension d.</param>
    /// <param name="anchorStart">Row of the block's first anchor.</param>
    [KernelEntryPoint]
    public static void SimilarityBlock(
        Index2D index, ArrayView<float> xHat, ArrayView<float> s, int n, int d, int anchorStart)
    {
        int j = index.X;
        int r = index.Y;
        int a = (anchorStart + r) * d;
        int b = j * d;
        float dot = 0f;
        for (int k = 0; k < d; k++)
            dot += xHat[a + k] * xHat[b + k];
        s[r * n + j] = dot;
    }
}
