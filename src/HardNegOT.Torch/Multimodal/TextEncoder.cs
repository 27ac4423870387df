using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HardNegOT.Torch.Multimodal;

/// <summary>
/// Text tower trained from scratch: token embedding plus learned positions, <see cref="TextEncoderOptions.Layers"/>
/// pre-LN transformer blocks, a final LayerNorm, pooling (masked mean or [CLS]) and a linear projection to
/// <see cref="TextEncoderOptions.OutputDimension"/>. Input: N×L token ids (int64, L ≤ MaxLength) and the N×L
/// attention mask (1 real, 0 padding) as <c>HardNegOT.Text.TextTokenizer</c> produces them; output N×out, not normalised.
/// </summary>
public sealed class TextEncoder : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Embedding tokens;
    private readonly Parameter positions;
    private readonly ModuleList<TransformerBlock> blocks;
    private readonly LayerNorm norm;
    private readonly Linear projection;

    /// <summary>Creates the encoder with torch's default initialisation.</summary>
    /// <param name="options">Its shape; validated here.</param>
    public TextEncoder(TextEncoderOptions options) : base(nameof(TextEncoder))
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        tokens = nn.Embedding(options.VocabularySize, options.ModelDimension);
        positions = new Parameter(torch.randn(options.MaxLength, options.ModelDimension) * 0.02);
        blocks = new ModuleList<TransformerBlock>(Enumerable.Range(0, options.Layers)
            .Select(_ => new TransformerBlock(options.ModelDimension, options.Heads, options.FeedForwardDimension)).ToArray());
        norm = nn.LayerNorm(options.ModelDimension);
        projection = nn.Linear(options.ModelDimension, options.OutputDimension);
        RegisterComponents();
    }

    /// <summary>The encoder's shape.</summary>
    public TextEncoderOptions Options { get; }

    /// <inheritdoc />
    public override Tensor forward(Tensor ids, Tensor mask)
    {
        Validate(ids, mask);
        using var scope = NewDisposeScope();
        long l = ids.shape[1];
        var x = tokens.forward(ids) + positions.narrow(0, 0, l).unsqueeze(0);
        var padding = mask.eq(0);
        foreach (var block in blocks) x = block.forward(x, padding);
        x = norm.forward(x);
        Tensor pooled;
        if (Options.Pooling == TextPooling.Cls)
        {
            pooled = x.select(1, 0);
        }
        else
        {
            var m = mask.to_type(x.dtype).unsqueeze(-1);
            pooled = (x * m).sum(1) / m.sum(1).clamp_min(1.0);
        }
        return projection.forward(pooled).MoveToOuterDisposeScope();
    }

    // Embedding lookups with bad ids fail deep in native code; say what is wrong instead (one small host sync).
    private void Validate(Tensor ids, Tensor mask)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(mask);
        if (ids.dim() != 2 || ids.shape[0] < 1 || ids.shape[1] < 1)
            throw new ArgumentException($"ids must be N×L with N, L ≥ 1; got shape [{string.Join(", ", ids.shape)}].", nameof(ids));
        if (ids.dtype != ScalarType.Int64)
            throw new ArgumentException($"ids have dtype {ids.dtype}; token ids are int64.", nameof(ids));
        if (ids.shape[1] > Options.MaxLength)
            throw new ArgumentException($"ids have length {ids.shape[1]} but the encoder's positions cover {Options.MaxLength}.", nameof(ids));
        if (mask.dim() != 2 || mask.shape[0] != ids.shape[0] || mask.shape[1] != ids.shape[1])
            throw new ArgumentException($"mask has shape [{string.Join(", ", mask.shape)}]; expected that of ids [{string.Join(", ", ids.shape)}].", nameof(mask));
        long min = ids.min().item<long>(), max = ids.max().item<long>();
        if (min < 0 || max >= Options.VocabularySize)
            throw new ArgumentException($"ids lie in [{min}, {max}] but the vocabulary has ids 0..{Options.VocabularySize - 1}.", nameof(ids));
    }
}
