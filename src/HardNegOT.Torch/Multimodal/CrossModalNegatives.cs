using static TorchSharp.torch;

namespace HardNegOT.Torch.Multimodal;

/// <summary>
/// Extra terms for the CLIP loss of one batch, all optional; the extension point for hard negatives and OT weights.
/// Extra embeddings are normalised inside the loss and keep their graph (detach them if they should get no gradient).
/// Offsets are added to the B×B logits off the diagonal (the positives are left alone) and get no gradient: an offset
/// log w_ij turns the softmax denominator Σ_j e^{s_ij/t} into Σ_j w_ij·e^{s_ij/t}, −∞ removes a negative.
/// </summary>
/// <param name="ExtraTexts">M×d text embeddings appended as negatives of every image, or null.</param>
/// <param name="ExtraImages">K×d image embeddings appended as negatives of every text, or null.</param>
/// <param name="ImageToTextOffsets">B×B offsets on the image→text logits (row i: image i), or null.</param>
/// <param name="TextToImageOffsets">B×B offsets on the text→image logits (row i: text i), or null.</param>
public sealed record CrossModalNegatives(
    Tensor? ExtraTexts = null,
    Tensor? ExtraImages = null,
    Tensor? ImageToTextOffsets = null,
    Tensor? TextToImageOffsets = null);
