using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HardNegOT.Torch.Multimodal;

/// <summary>
/// Pre-LayerNorm transformer encoder block on batch-first input: x + MHA(LN(x)), then + FFN(LN(·)) with GELU.
/// Padded keys (mask 0) get no attention weight, so padding never changes the states of real tokens.
/// </summary>
internal sealed class TransformerBlock : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly int heads;
    private readonly LayerNorm norm1;
    private readonly Linear qkv;
    private readonly Linear attnOut;
    private readonly LayerNorm norm2;
    private readonly Linear ff1;
    private readonly Linear ff2;

    public TransformerBlock(int modelDimension, int heads, int feedForwardDimension) : base(nameof(TransformerBlock))
    {
        this.heads = heads;
        norm1 = nn.LayerNorm(modelDimension);
        qkv = nn.Linear(modelDimension, 3L * modelDimension);
        attnOut = nn.Linear(modelDimension, modelDimension);
        norm2 = nn.LayerNorm(modelDimension);
        ff1 = nn.Linear(modelDimension, feedForwardDimension);
        ff2 = nn.Linear(feedForwardDimension, modelDimension);
        RegisterComponents();
    }

    /// <param name="x">N×L×D states.</param>
    /// <param name="keyIsPadding">N×L booleans, true at padding.</param>
    public override Tensor forward(Tensor x, Tensor keyIsPadding)
    {
        using var scope = NewDisposeScope();
        long n = x.shape[0], l = x.shape[1], d = x.shape[2], dh = d / heads;
        var parts = qkv.forward(norm1.forward(x)).view(n, l, 3, heads, dh).permute(2, 0, 3, 1, 4); // 3×N×H×L×dh
        var (q, k, v) = (parts[0], parts[1], parts[2]);
        var scores = q.matmul(k.transpose(-2, -1)) / Math.Sqrt(dh);
        // A large finite negative rather than −∞: a row with every key padded stays finite (uniform) instead of NaN.
        scores = scores.masked_fill(keyIsPadding.view(n, 1, 1, l), -1e9);
        var attended = scores.softmax(-1).matmul(v).transpose(1, 2).reshape(n, l, d);
        var h = x + attnOut.forward(attended);
        var y = h + ff2.forward(nn.functional.gelu(ff1.forward(norm2.forward(h))));
        return y.MoveToOuterDisposeScope();
    }
}
