using HardNegOT.Data;
using static TorchSharp.torch;

namespace HardNegOT.Torch.Multimodal;

/// <summary>What a <see cref="ICrossModalNegativeSource"/> sees of one training step.</summary>
/// <param name="Epoch">Zero-based epoch.</param>
/// <param name="Step">Zero-based step within the epoch.</param>
/// <param name="Indices">Indices of the batch's pairs in <paramref name="Data"/>, in batch order.</param>
/// <param name="Images">B×d unit image embeddings; they carry the autograd graph (detach before solving on them).</param>
/// <param name="Texts">B×d unit text embeddings, row i paired with image i; with graph.</param>
/// <param name="InverseTemperature">The model's current 1/t (scalar, with graph).</param>
/// <param name="Data">The training pairs (captions, labels, groups).</param>
public sealed record CrossModalBatch(int Epoch, int Step, int[] Indices, Tensor Images, Tensor Texts, Tensor InverseTemperature, ImageCaptionSet Data);

/// <summary>
/// The trainer's extension point: supplies extra negatives or logit offsets (e.g. OT weights, log w_ij) for each
/// batch, which <see cref="ClipLoss"/> adds to the plain CLIP loss. Tensors created during the call belong to the
/// step's dispose scope and are freed after the optimiser step.
/// </summary>
public interface ICrossModalNegativeSource
{
    /// <summary>The extra terms for this batch, or null for plain CLIP.</summary>
    /// <param name="batch">The step's embeddings and context.</param>
    CrossModalNegatives? Negatives(CrossModalBatch batch);
}

/// <summary>Adapts a delegate to <see cref="ICrossModalNegativeSource"/>.</summary>
/// <param name="negatives">Called once per training step.</param>
public sealed class DelegateNegativeSource(Func<CrossModalBatch, CrossModalNegatives?> negatives) : ICrossModalNegativeSource
{
    private readonly Func<CrossModalBatch, CrossModalNegatives?> _negatives = negatives ?? throw new ArgumentNullException(nameof(negatives));

    /// <inheritdoc />
    public CrossModalNegatives? Negatives(CrossModalBatch batch) => _negatives(batch);
}
