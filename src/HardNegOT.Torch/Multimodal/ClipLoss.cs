using TorchSharp;
using static TorchSharp.torch;

namespace HardNegOT.Torch.Multimodal;

/// <summary>
/// Symmetric CLIP InfoNCE over B paired image and text embeddings (pair i on the diagonal). With unit rows u_i, v_j
/// and s_ij = u_i·v_j: loss = ½[mean_i −log softmax_j(s_ij/t)_i + mean_j −log softmax_i(s_ij/t)_j], i.e. the mean of
/// the image→text and text→image cross-entropies. Rows are normalised inside; the result keeps the graph of the
/// embeddings and of a tensor temperature.
/// </summary>
public static class ClipLoss
{
    /// <summary>The loss at a fixed temperature t &gt; 0.</summary>
    /// <param name="images">B×d image embeddings.</param>
    /// <param name="texts">B×d text embeddings; row i pairs with image i.</param>
    /// <param name="temperature">t.</param>
    /// <param name="extra">Extra negatives and logit offsets, or null.</param>
    public static Tensor Symmetric(Tensor images, Tensor texts, double temperature, CrossModalNegatives? extra = null)
    {
        if (!(temperature > 0) || !double.IsFinite(temperature))
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "The temperature must be a positive finite number.");
        ArgumentNullException.ThrowIfNull(images);
        using var scope = NewDisposeScope();
        using var inverse = torch.tensor(1.0 / temperature, dtype: images.dtype, device: images.device);
        return Symmetric(images, texts, inverse, extra).MoveToOuterDisposeScope();
    }

    /// <summary>The loss with logits s/t = s·<paramref name="inverseTemperature"/> (e.g. <see cref="TwoTowerModel.InverseTemperature"/>).</summary>
    /// <param name="images">B×d image embeddings.</param>
    /// <param name="texts">B×d text embeddings; row i pairs with image i.</param>
    /// <param name="inverseTemperature">Scalar tensor 1/t &gt; 0; gradients flow into it.</param>
    /// <param name="extra">Extra negatives and logit offsets, or null.</param>
    public static Tensor Symmetric(Tensor images, Tensor texts, Tensor inverseTemperature, CrossModalNegatives? extra = null)
    {
        long b = ValidatePairs(images, texts);
        ArgumentNullException.ThrowIfNull(inverseTemperature);
        if (inverseTemperature.numel() != 1)
            throw new ArgumentException($"inverseTemperature must be a scalar; got shape [{string.Join(", ", inverseTemperature.shape)}].", nameof(inverseTemperature));
        using var scope = NewDisposeScope();
        var u = nn.functional.normalize(images, dim: 1);
        var v = nn.functional.normalize(texts, dim: 1);
        var scale = inverseTemperature.reshape(Array.Empty<long>()).to_type(u.dtype);
        var similarity = u.matmul(v.t());
        var imageToText = Offset(similarity * scale, extra?.ImageToTextOffsets, b, nameof(CrossModalNegatives.ImageToTextOffsets));
        var textToImage = Offset(similarity.t() * scale, extra?.TextToImageOffsets, b, nameof(CrossModalNegatives.TextToImageOffsets));
        var moreTexts = extra?.ExtraTexts is { } et ? Extra(et, u, nameof(CrossModalNegatives.ExtraTexts)) : null;
        var moreImages = extra?.ExtraImages is { } ei ? Extra(ei, v, nameof(CrossModalNegatives.ExtraImages)) : null;
        if (moreTexts is not null) imageToText = torch.cat(new[] { imageToText, u.matmul(moreTexts.t()) * scale }, 1);
        if (moreImages is not null) textToImage = torch.cat(new[] { textToImage, v.matmul(moreImages.t()) * scale }, 1);
        var target = torch.arange(b, dtype: ScalarType.Int64, device: u.device);
        var (i2t, i2tTarget) = WithPositives(imageToText, target, extra?.ExtraPositiveImages, extra?.ExtraPositiveImageTargets, v, moreTexts, scale, b,
            nameof(CrossModalNegatives.ExtraPositiveImages), nameof(CrossModalNegatives.ExtraPositiveImageTargets));
        var (t2i, t2iTarget) = WithPositives(textToImage, target, extra?.ExtraPositiveTexts, extra?.ExtraPositiveTextTargets, u, moreImages, scale, b,
            nameof(CrossModalNegatives.ExtraPositiveTexts), nameof(CrossModalNegatives.ExtraPositiveTextTargets));
        var loss = (nn.functional.cross_entropy(i2t, i2tTarget) + nn.functional.cross_entropy(t2i, t2iTarget)) * 0.5;
        return loss.MoveToOuterDisposeScope();
    }

    // Appends the extra anchors' logit rows (against the batch candidates, then the extra negatives) and their targets.
    private static (Tensor Logits, Tensor Targets) WithPositives(Tensor logits, Tensor targets, Tensor? anchors, Tensor? anchorTargets,
        Tensor candidates, Tensor? extraCandidates, Tensor scale, long b, string name, string targetsName)
    {
        if (anchors is null && anchorTargets is null) return (logits, targets);
        if (anchors is null || anchorTargets is null)
            throw new ArgumentException($"{name} and {targetsName} go together; only one was given.", anchors is null ? name : targetsName);
        var a = Extra(anchors, candidates, name);
        if (anchorTargets.dim() != 1 || anchorTargets.shape[0] != a.shape[0] || anchorTargets.dtype != ScalarType.Int64)
            throw new ArgumentException($"{targetsName} must be {a.shape[0]} int64 batch indices; got {anchorTargets.dtype} [{string.Join(", ", anchorTargets.shape)}].", targetsName);
        var t = anchorTargets.to(candidates.device);
        if (a.shape[0] == 0) return (logits, targets);
        if (t.lt(0).any().item<bool>() || t.ge(b).any().item<bool>())
            throw new ArgumentException($"{targetsName} holds an index outside the batch 0..{b - 1}.", targetsName);
        var rows = a.matmul(candidates.t()) * scale;
        if (extraCandidates is not null) rows = torch.cat(new[] { rows, a.matmul(extraCandidates.t()) * scale }, 1);
        return (torch.cat(new[] { logits, rows }, 0), torch.cat(new[] { targets, t }, 0));
    }

    private static long ValidatePairs(Tensor images, Tensor texts)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(texts);
        if (images.dim() != 2 || images.shape[0] < 2 || images.shape[1] < 1)
            throw new ArgumentException($"images must be B×d with B ≥ 2 (a pair needs a negative); got shape [{string.Join(", ", images.shape)}].", nameof(images));
        if (texts.dim() != 2 || texts.shape[0] != images.shape[0] || texts.shape[1] != images.shape[1])
            throw new ArgumentException($"texts have shape [{string.Join(", ", texts.shape)}]; they must match images [{string.Join(", ", images.shape)}].", nameof(texts));
        if (!images.is_floating_point() || images.dtype != texts.dtype)
            throw new ArgumentException($"images ({images.dtype}) and texts ({texts.dtype}) must share one floating-point dtype.", nameof(texts));
        return images.shape[0];
    }

    private static Tensor Extra(Tensor extra, Tensor anchors, string name)
    {
        if (extra.dim() != 2 || extra.shape[1] != anchors.shape[1])
            throw new ArgumentException($"{name} has shape [{string.Join(", ", extra.shape)}]; expected M×{anchors.shape[1]}.", name);
        return nn.functional.normalize(extra.to_type(anchors.dtype).to(anchors.device), dim: 1);
    }

    private static Tensor Offset(Tensor logits, Tensor? offsets, long b, string name)
    {
        if (offsets is null) return logits;
        if (offsets.dim() != 2 || offsets.shape[0] != b || offsets.shape[1] != b)
            throw new ArgumentException($"{name} has shape [{string.Join(", ", offsets.shape)}]; expected {b}×{b}.", name);
        var o = offsets.detach().to_type(logits.dtype).to(logits.device);
        // One host sync: NaN or +∞ would silently poison the loss; −∞ (weight 0) is allowed.
        if (o.isnan().any().item<bool>() || o.isposinf().any().item<bool>())
            throw new ArgumentException($"{name} holds NaN or +∞; offsets must be finite or −∞.", name);
        using var eye = torch.eye(b, dtype: ScalarType.Bool, device: logits.device);
        return logits + o.masked_fill(eye, 0.0);
    }
}
