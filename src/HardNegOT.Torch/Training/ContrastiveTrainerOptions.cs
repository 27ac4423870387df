using HardNegOT.Costs;
using HardNegOT.Torch.Encoders;
using HardNegOT.Torch.Negatives;

namespace HardNegOT.Torch.Training;

/// <summary>How the negatives of each anchor are weighted in the loss.</summary>
public enum NegativeSampling
{
    /// <summary>Uniform negatives: the debiased NCE (τ⁺ = 0 gives InfoNCE / SimCLR).</summary>
    Uniform,

    /// <summary>HCL's importance-weighted hard negatives (β concentration).</summary>
    Hcl,

    /// <summary>Entropic-OT negative weights (the paper's method), solved per batch with a warm-started Sinkhorn.</summary>
    Ot,
}

/// <summary>
/// Every setting of a <see cref="ContrastiveTrainer"/> run; written to config.json and compared on resume.
/// Defaults are the budget run that finishes in minutes on two CPU cores.
/// </summary>
public sealed record ContrastiveTrainerOptions
{
    /// <summary>Negative weighting.</summary>
    public NegativeSampling Negatives { get; init; } = NegativeSampling.Ot;

    /// <summary>Entropic ε of the OT weights (ot only).</summary>
    public double Epsilon { get; init; } = OtNegativeOptions.DefaultEpsilon;

    /// <summary>Ground cost of the OT weights: sqeuclid, sqeuclid-half, exp or cosine (ot only).</summary>
    public string Cost { get; init; } = "sqeuclid";

    /// <summary>κ of the exp cost.</summary>
    public double Kappa { get; init; } = ExponentialCost.DefaultKappa;

    /// <summary>HCL concentration β (hcl only).</summary>
    public double Beta { get; init; } = 1.0;

    /// <summary>Positive-class prior τ⁺ ∈ [0, 1) of the debiased estimators.</summary>
    public double TauPlus { get; init; } = 0.1;

    /// <summary>Softmax temperature t of the contrastive loss.</summary>
    public double Temperature { get; init; } = 0.5;

    /// <summary>Images per batch B (each gives two views, so 2B rows).</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Epochs to train (on resume: the total, including those already done).</summary>
    public int Epochs { get; init; } = 6;

    /// <summary>Adam learning rate.</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>Seed of the initial weights, the shuffles and the augmentations.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Evaluate every this many epochs (the last epoch and the untrained encoder are always evaluated).</summary>
    public int EvalEvery { get; init; } = 1;

    /// <summary>Cap on the steps of one epoch (a budget), or null for a full pass over the training subset.</summary>
    public int? StepsPerEpoch { get; init; } = 50;

    /// <summary>How many training images to train on (the first N of the split), or null for all 60,000.</summary>
    public int? TrainSubset { get; init; } = 20_000;

    /// <summary>kNN memory bank and linear-readout training rows: the first N training images (un-augmented).</summary>
    public int EvalTrainSubset { get; init; } = 5_000;

    /// <summary>Queries of kNN and the linear readout: the first N test images.</summary>
    public int EvalTestSubset { get; init; } = 1_000;

    /// <summary>Neighbours of the weighted kNN.</summary>
    public int KnnK { get; init; } = Evaluation.DefaultK;

    /// <summary>Full-batch Adam steps of the linear readout.</summary>
    public int LinearEpochs { get; init; } = 100;

    /// <summary>Directory of the dataset's files; null means the Debian package's Fashion-MNIST (CIFAR-10 and STL-10 need one).</summary>
    public string? DataDirectory { get; init; }

    /// <summary>Backbone of the encoder: small-cnn, resnet18 or resnet50 (<see cref="EncoderFactory"/>).</summary>
    public string Encoder { get; init; } = EncoderFactory.DefaultName;

    /// <summary>The image set to train and evaluate on.</summary>
    public TrainingDataset Dataset { get; init; } = TrainingDataset.FashionMnist;

    /// <summary>
    /// Checks every value and throws <see cref="ArgumentOutOfRangeException"/> (or <see cref="ArgumentException"/> for
    /// the cost) naming the property.
    /// </summary>
    public void Validate()
    {
        static void Require(bool ok, string name, object? value, string message)
        {
            if (!ok) throw new ArgumentOutOfRangeException(name, value, message);
        }
        Require(Enum.IsDefined(Negatives), nameof(Negatives), Negatives, "Unknown negative sampling.");
        Require(Epsilon > 0 && double.IsFinite(Epsilon), nameof(Epsilon), Epsilon, "ε must be a positive finite number.");
        Require(double.IsFinite(Kappa), nameof(Kappa), Kappa, "κ must be finite.");
        Require(double.IsFinite(Beta), nameof(Beta), Beta, "β must be finite.");
        Require(TauPlus >= 0 && TauPlus < 1, nameof(TauPlus), TauPlus, "τ⁺ must lie in [0, 1).");
        Require(Temperature > 0 && double.IsFinite(Temperature), nameof(Temperature), Temperature, "The temperature must be a positive finite number.");
        Require(BatchSize >= 2, nameof(BatchSize), BatchSize, "The batch size must be at least 2.");
        Require(Epochs >= 1, nameof(Epochs), Epochs, "Epochs must be at least 1.");
        Require(LearningRate > 0 && double.IsFinite(LearningRate), nameof(LearningRate), LearningRate, "The learning rate must be a positive finite number.");
        Require(EvalEvery >= 1, nameof(EvalEvery), EvalEvery, "The evaluation interval must be at least 1 epoch.");
        Require(StepsPerEpoch is null or >= 1, nameof(StepsPerEpoch), StepsPerEpoch, "Steps per epoch must be at least 1.");
        Require(TrainSubset is null or >= 2, nameof(TrainSubset), TrainSubset, "The training subset must hold at least 2 images.");
        Require(TrainSubset is null || TrainSubset >= BatchSize, nameof(TrainSubset), TrainSubset, $"The training subset must hold at least one batch ({BatchSize} images).");
        Require(EvalTrainSubset >= 1, nameof(EvalTrainSubset), EvalTrainSubset, "The kNN memory bank must hold at least 1 image.");
        Require(EvalTestSubset >= 1, nameof(EvalTestSubset), EvalTestSubset, "The evaluation needs at least 1 test image.");
        Require(KnnK >= 1, nameof(KnnK), KnnK, "k must be at least 1.");
        Require(LinearEpochs >= 1, nameof(LinearEpochs), LinearEpochs, "The linear readout needs at least 1 step.");
        Require(Enum.IsDefined(Dataset), nameof(Dataset), Dataset, "Unknown dataset.");
        if (!EncoderFactory.Names.Contains(Encoder))
            throw new ArgumentException($"Unknown encoder '{Encoder}'; expected one of {string.Join(", ", EncoderFactory.Names)}.", nameof(Encoder));
        // Parses the cost name (throws ArgumentException naming it when unknown).
        _ = GroundCost.Parse(Cost, Kappa);
    }

    /// <summary>The OT op's options for these settings (two-view layout, warm start on).</summary>
    public OtNegativeOptions ToOtOptions() => OtNegativeOptions.ForCost(Cost, Kappa) with { Epsilon = Epsilon };
}
