namespace HardNegOT.Torch.Multimodal;

/// <summary>Settings of a <see cref="MultimodalTrainer"/> run.</summary>
public sealed record MultimodalTrainerOptions
{
    /// <summary>
    /// The model's shape; its text vocabulary size and length are overridden by the tokenizer's (so the placeholder
    /// values given here do not matter).
    /// </summary>
    public TwoTowerOptions Model { get; init; } = new()
    {
        Text = new TextEncoderOptions { VocabularySize = 5, MaxLength = 3 },
    };

    /// <summary>Pairs per batch B ≥ 2; the incomplete last batch of an epoch is dropped.</summary>
    public int BatchSize { get; init; } = 128;

    /// <summary>Passes over the training pairs.</summary>
    public int Epochs { get; init; } = 5;

    /// <summary>Cap on the steps of an epoch, or null for every full batch.</summary>
    public int? StepsPerEpoch { get; init; }

    /// <summary>Adam learning rate.</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>Seed of the weights and the batch order.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>The recall@k reported on the held-out pairs.</summary>
    public IReadOnlyList<int> RecallKs { get; init; } = RetrievalMetrics.DefaultKs;

    /// <summary>Evaluate every this many epochs (and after the last).</summary>
    public int EvalEvery { get; init; } = 1;

    /// <summary>Throws when a field is out of range.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Model, nameof(Model));
        ArgumentNullException.ThrowIfNull(RecallKs, nameof(RecallKs));
        if (BatchSize < 2) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "A batch needs at least 2 pairs.");
        if (Epochs < 1) throw new ArgumentOutOfRangeException(nameof(Epochs), Epochs, "Train at least one epoch.");
        if (StepsPerEpoch is < 1) throw new ArgumentOutOfRangeException(nameof(StepsPerEpoch), StepsPerEpoch, "Must be positive or null.");
        if (!(LearningRate > 0) || !double.IsFinite(LearningRate))
            throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "Must be a positive finite number.");
        if (EvalEvery < 1) throw new ArgumentOutOfRangeException(nameof(EvalEvery), EvalEvery, "Must be positive.");
        if (RecallKs.Count == 0 || RecallKs.Any(k => k < 1)) throw new ArgumentException("RecallKs needs at least one k ≥ 1.", nameof(RecallKs));
    }
}
