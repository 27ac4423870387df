using HardNegOT.Geometry;
using TorchSharp;
using static TorchSharp.torch;

namespace HardNegOT.Torch.Losses;

/// <summary>
/// The one place that says which pairs of a two-view batch [z1; z2] are negatives: every pair except
/// the row itself and its positive (i ± B), exactly <see cref="BatchLayout.TwoView"/>'s mask.
/// </summary>
public static class ContrastiveMask
{
    /// <summary>
    /// Boolean 2B×2B tensor on the CPU, true where (i, j) is a negative pair; every row has N = 2B − 2 trues.
    /// </summary>
    public static Tensor Negatives(int batchSize)
    {
        var layout = BatchLayout.TwoView(batchSize);
        int n = layout.Count;
        var mask = new bool[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                mask[i * n + j] = !layout.IsMasked(i, j);
        return torch.tensor(mask, new long[] { n, n });
    }

    /// <summary>Number of negatives per anchor, N = 2B − 2.</summary>
    public static int NegativeCount(int batchSize) => 2 * batchSize - 2;

    /// <summary>
    /// Keeps the negative entries of a 2B×2B matrix, row by row in column order: the result is 2B×(2B − 2).
    /// </summary>
    public static Tensor SelectNegatives(Tensor matrix, int batchSize)
    {
        using var mask = Negatives(batchSize);
        return matrix.masked_select(mask.to(matrix.device)).view(2L * batchSize, NegativeCount(batchSize));
    }
}
