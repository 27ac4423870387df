using TorchSharp;
using static TorchSharp.torch;

namespace HardNegOT.Torch.Losses;

/// <summary>
/// Cosine similarities of a two-view batch, split by the shared mask: for the 2B anchors of
/// [z1; z2], the positive similarity s(z1_i, z2_i) (repeated for both views) and the 2B×(2B − 2)
/// negative similarities. Both keep the autograd graph of the inputs.
/// </summary>
internal sealed class ContrastiveScores
{
    private ContrastiveScores(Tensor positive, Tensor negative, int batchSize)
    {
        Positive = positive;
        Negative = negative;
        BatchSize = batchSize;
    }

    /// <summary>Length-2B positive similarities.</summary>
    public Tensor Positive { get; }

    /// <summary>2B×N negative similarities, N = 2B − 2.</summary>
    public Tensor Negative { get; }

    public int BatchSize { get; }

    public int NegativeCount => ContrastiveMask.NegativeCount(BatchSize);

    /// <summary>Normalises the views and computes the scores (tensors join the caller's dispose scope).</summary>
    public static ContrastiveScores Of(Tensor z1, Tensor z2)
    {
        int batchSize = ValidateViews(z1, z2);
        var similarity = Similarity(z1, z2);
        var positive = similarity.diagonal(batchSize);
        return new ContrastiveScores(torch.cat(new[] { positive, positive }, 0),
            ContrastiveMask.SelectNegatives(similarity, batchSize), batchSize);
    }

    /// <summary>The 2B×2B cosine similarities of the rows of [z1; z2] (validated, with the graph of the inputs).</summary>
    public static Tensor Similarity(Tensor z1, Tensor z2)
    {
        ValidateViews(z1, z2);
        var all = nn.functional.normalize(torch.cat(new[] { z1, z2 }, 0), p: 2, dim: 1);
        return torch.mm(all, all.t());
    }

    internal static int ValidateViews(Tensor z1, Tensor z2)
    {
        ArgumentNullException.ThrowIfNull(z1);
        ArgumentNullException.ThrowIfNull(z2);
        if (z1.dim() != 2)
            throw new ArgumentException($"z1 must be a 2-D tensor B×d, got shape [{string.Join(", ", z1.shape)}].", nameof(z1));
        if (z2.dim() != 2)
            throw new ArgumentException($"z2 must be a 2-D tensor B×d, got shape [{string.Join(", ", z2.shape)}].", nameof(z2));
        if (z1.shape[0] != z2.shape[0] || z1.shape[1] != z2.shape[1])
            throw new ArgumentException(
                $"z2 has shape [{string.Join(", ", z2.shape)}] but z1 has [{string.Join(", ", z1.shape)}]; the views must match.", nameof(z2));
        if (z1.shape[0] < 2)
            throw new ArgumentException($"z1 has {z1.shape[0]} rows; a batch needs B ≥ 2 so every anchor has a negative.", nameof(z1));
        if (z1.shape[1] < 1)
            throw new ArgumentException("z1 has dimension d = 0.", nameof(z1));
        if (z1.dtype != z2.dtype)
            throw new ArgumentException($"z2 has dtype {z2.dtype} but z1 has {z1.dtype}.", nameof(z2));
        if (!z1.is_floating_point())
            throw new ArgumentException($"z1 has dtype {z1.dtype}; embeddings must be floating point.", nameof(z1));
        return checked((int)z1.shape[0]);
    }
}
