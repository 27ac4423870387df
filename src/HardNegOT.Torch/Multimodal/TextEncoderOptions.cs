namespace HardNegOT.Torch.Multimodal;

/// <summary>How the text encoder turns its L token states into one vector.</summary>
public enum TextPooling
{
    /// <summary>Mean of the states of the real tokens (mask 1), padding excluded.</summary>
    MaskedMean,

    /// <summary>The state of the first token ([CLS]).</summary>
    Cls,
}

/// <summary>Shape of a <see cref="TextEncoder"/>.</summary>
public sealed record TextEncoderOptions
{
    /// <summary>Number of token ids V (the vocabulary size, specials included).</summary>
    public required int VocabularySize { get; init; }

    /// <summary>Longest sequence L the learned positions cover.</summary>
    public required int MaxLength { get; init; }

    /// <summary>Width of the token states.</summary>
    public int ModelDimension { get; init; } = 64;

    /// <summary>Attention heads; must divide <see cref="ModelDimension"/>.</summary>
    public int Heads { get; init; } = 4;

    /// <summary>Transformer blocks (0 gives a bag of position-aware embeddings).</summary>
    public int Layers { get; init; } = 2;

    /// <summary>Hidden width of each block's feed-forward layer.</summary>
    public int FeedForwardDimension { get; init; } = 128;

    /// <summary>Width of the output (the shared embedding dimension).</summary>
    public int OutputDimension { get; init; } = 128;

    /// <summary>Pooling of the token states.</summary>
    public TextPooling Pooling { get; init; } = TextPooling.MaskedMean;

    /// <summary>Throws when a field is out of range.</summary>
    public void Validate()
    {
        Require(VocabularySize >= 5, nameof(VocabularySize), VocabularySize, "needs the 4 specials and at least one word");
        Require(MaxLength >= 3, nameof(MaxLength), MaxLength, "needs room for [CLS], a word and [EOS]");
        Require(ModelDimension >= 1, nameof(ModelDimension), ModelDimension, "must be positive");
        Require(Heads >= 1 && ModelDimension % Heads == 0, nameof(Heads), Heads, $"must be positive and divide the model dimension {ModelDimension}");
        Require(Layers >= 0, nameof(Layers), Layers, "must not be negative");
        Require(FeedForwardDimension >= 1, nameof(FeedForwardDimension), FeedForwardDimension, "must be positive");
        Require(OutputDimension >= 1, nameof(OutputDimension), OutputDimension, "must be positive");
        if (!Enum.IsDefined(Pooling)) throw new ArgumentOutOfRangeException(nameof(Pooling), Pooling, "Unknown pooling.");
    }

    private static void Require(bool ok, string name, int value, string rule)
    {
        if (!ok) throw new ArgumentOutOfRangeException(name, value, $"{name} {rule}.");
    }
}
