using static TorchSharp.torch;

namespace HardNegOT.Torch.Multimodal;

/// <summary>
/// Extra terms for the CLIP loss of one batch, all optional; the extension point for hard negatives and OT weights.
/// Extra embeddings are normalised inside the loss and keep their graph (detach them if they should get no gradient).
/// Offsets are added to the B×B logits off the diagonal (the positives are left alone) and get no gradient: an offset
/// log w_ij turns the softmax denominator Σ_j e^{s_ij/t} into Σ_j w_ij·e^{s_ij/t}, −∞ removes a negative.
/// Extra positives are additional anchors: an extra image row k is one more image→text query whose positive is batch
/// text <c>ExtraPositiveImageTargets[k]</c> and whose negatives are every other batch text and the extra texts (and
/// likewise for extra text rows); each direction's cross-entropy is then the mean over its B + K anchors.
/// </summary>
/// <param name="ExtraTexts">M×d text embeddings appended as negatives of every image, or null.</param>
/// <param name="ExtraImages">K×d image embeddings appended as negatives of every text, or null.</param>
/// <param name="ImageToTextOffsets">B×B offsets on the image→text logits (row i: image i), or null.</param>
/// <param name="TextToImageOffsets">B×B offsets on the text→image logits (row i: text i), or null.</param>
/// <param name="ExtraPositiveImages">K×d image-side anchors (e.g. OT-transported v′), or null.</param>
/// <param name="ExtraPositiveImageTargets">K batch indices (int64): the text each extra image row is paired with.</param>
/// <param name="ExtraPositiveTexts">K′×d text-side anchors (e.g. OT-transported t′), or null.</param>
/// <param name="ExtraPositiveTextTargets">K′ batch indices (int64): the image each extra text row is paired with.</param>
public sealed record CrossModalNegatives(
    Tensor? ExtraTexts = null,
    Tensor? ExtraImages = null,
    Tensor? ImageToTextOffsets = null,
    Tensor? TextToImageOffsets = null,
    Tensor? ExtraPositiveImages = null,
    Tensor? ExtraPositiveImageTargets = null,
    Tensor? ExtraPositiveTexts = null,
    Tensor? ExtraPositiveTextTargets = null);
