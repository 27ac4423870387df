using HardNegOT.Geometry;

namespace HardNegOT.Reference;

/// <summary>
/// Plain double-precision twin of the ILGPU kernels in <c>HardNegOT.Kernels.NormalizedSimilarityKernels</c>:
/// L2 row normalisation of a row-major N×d float32 batch and cosine similarities against it.
/// It is the oracle the kernel tests compare against, so it favours obviousness over speed.
/// </summary>
public static class NormalizedSimilarityReference
{
    /// <summary>
    /// Validates a row-major N×d batch the way every kernel host must before launching:
    /// <paramref name="n"/> and <paramref name="d"/> positive, <c>x.Length == n·d</c>, every entry finite
    /// and no all-zero row. The exception names <paramref name="paramName"/> and the offending row/value.
    /// </summary>
    /// <param name="x">The row-major embeddings.</param>
    /// <param name="n">Number of rows N.</param>
    /// <param name="d">Row dimension d.</param>
    /// <param name="paramName">Name of the caller's embeddings parameter, used in messages.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="n"/> or <paramref name="d"/> is not positive.</exception>
    /// <exception cref="ArgumentException">Shape mismatch, a NaN/±Inf entry, or an all-zero row.</exception>
    public static void Validate(ReadOnlySpan<float> x, int n, int d, string paramName = "x")
    {
        if (n < 1)
            throw new ArgumentOutOfRangeException(nameof(n), n, $"n (rows of {paramName}) must be positive.");
        if (d < 1)
            throw new ArgumentOutOfRangeException(nameof(d), d, $"d (dimension of {paramName}) must be positive.");
        // Shared with the core geometry so every entry point reports bad embeddings identically.
        Embeddings.Validate(x, n, d, paramName);
    }

    /// <summary>Returns the rows of <paramref name="x"/> scaled to unit L2 norm, row-major N×d, in double precision.</summary>
    /// <param name="x">The row-major embeddings (N×d).</param>
    /// <param name="n">Number of rows N.</param>
    /// <param name="d">Row dimension d.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="n"/> or <paramref name="d"/> is not positive.</exception>
    /// <exception cref="ArgumentException">Shape mismatch, a NaN/±Inf entry, or an all-zero row.</exception>
    public static double[] Normalize(ReadOnlySpan<float> x, int n, int d)
    {
        Validate(x, n, d, nameof(x));
        return Embeddings.NormalizeRows(x, n, d, nameof(x));
    }

    /// <summary>
    /// Cosine similarities s_j = x̂_anchor · x̂_j for all rows j, in double precision (not clamped).
    /// </summary>
    /// <param name="x">The row-major embeddings (N×d).</param>
    /// <param name="n">Number of rows N.</param>
    /// <param name="d">Row dimension d.</param>
    /// <param name="anchor">The anchor row, in [0, N).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="n"/>, <paramref name="d"/> or <paramref name="anchor"/> is out of range.</exception>
    /// <exception cref="ArgumentException">Shape mismatch, a NaN/±Inf entry, or an all-zero row.</exception>
    public static double[] SimilarityRow(ReadOnlySpan<float> x, int n, int d, int anchor)
    {
        var xHat = Normalize(x, n, d);
        ValidateAnchors(n, anchor, 1, nameof(anchor));
        return Dots(xHat, n, d, anchor, 1);
    }

    /// <summary>
    /// Cosine similarities for <paramref name="anchorCount"/> consecutive anchors starting at
    /// <paramref name="anchorStart"/>: a row-major anchorCount×N block with entry [a, j] = x̂_(anchorStart+a) · x̂_j.
    /// </summary>
    /// <param name="x">The row-major embeddings (N×d).</param>
    /// <param name="n">Number of rows N.</param>
    /// <param name="d">Row dimension d.</param>
    /// <param name="anchorStart">First anchor row, in [0, N).</param>
    /// <param name="anchorCount">Number of anchors, at least 1, with anchorStart + anchorCount ≤ N.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size or the anchor range is out of range.</exception>
    /// <exception cref="ArgumentException">Shape mismatch, a NaN/±Inf entry, or an all-zero row.</exception>
    public static double[] SimilarityBlock(ReadOnlySpan<float> x, int n, int d, int anchorStart, int anchorCount)
    {
        var xHat = Normalize(x, n, d);
        ValidateAnchors(n, anchorStart, anchorCount, nameof(anchorStart));
        return Dots(xHat, n, d, anchorStart, anchorCount);
    }

    private static double[] Dots(double[] xHat, int n, int d, int anchorStart, int anchorCount)
    {
        var result = new double[checked(anchorCount * n)];
        for (int a = 0; a < anchorCount; a++)
        {
            int i = anchorStart + a;
            for (int j = 0; j < n; j++)
            {
                double dot = 0;
                for (int k = 0; k < d; k++) dot += xHat[i * d + k] * xHat[j * d + k];
                result[a * n + j] = dot;
            }
        }
        return result;
    }

    /// <summary>
    /// Checks that anchors [<paramref name="anchorStart"/>, anchorStart + <paramref name="anchorCount"/>)
    /// lie in [0, <paramref name="n"/>), naming <paramref name="paramName"/> and the bad value otherwise.
    /// </summary>
    /// <param name="n">Number of rows N.</param>
    /// <param name="anchorStart">First anchor row.</param>
    /// <param name="anchorCount">Number of anchors.</param>
    /// <param name="paramName">Name of the caller's anchor parameter, used in messages.</param>
    /// <exception cref="ArgumentOutOfRangeException">The anchor range is empty or leaves [0, N).</exception>
    public static void ValidateAnchors(int n, int anchorStart, int anchorCount, string paramName = "anchorStart")
    {
        if (anchorStart < 0 || anchorStart >= n)
            throw new ArgumentOutOfRangeException(paramName, anchorStart, $"{paramName} must be in [0, n) = [0, {n}).");
        if (anchorCount < 1 || anchorCount > n - anchorStart)
            throw new ArgumentOutOfRangeException(
                nameof(anchorCount), anchorCount,
                $"anchorCount must be in [1, n - {paramName}] = [1, {n - anchorStart}].");
    }
}
