using HardNegOT.Costs;
using HardNegOT.Torch.Alignment;
using HardNegOT.Torch.Losses;
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

/// <summary>The training objective.</summary>
public enum ContrastiveLoss
{
    /// <summary>Plain NCE over the weighted negatives (<see cref="NegativeEstimator.Nce"/>).</summary>
    Nce,

    /// <summary>Debiased NCE, the paper's Eq. 8 (<see cref="NegativeEstimator.Debiased"/>).</summary>
    Dcl,

    /// <summary>Bayesian contrastive loss (<see cref="NegativeEstimator.Bayesian"/>).</summary>
    Bcl,

    /// <summary>GCA-INCE: cross-entropy of the batch's Sinkhorn plan against the positive pairs (<see cref="GcaLosses.Ince"/>).</summary>
    GcaInce,

    /// <summary>GCA-RINCE: the robust term of the plan (<see cref="GcaLosses.Rince"/>).</summary>
    GcaRince,

    /// <summary>GCA-UOT: r1·CE + r2·robust term of the unbalanced plan (<see cref="GcaLosses.Uot"/>).</summary>
    GcaUot,
}

/// <summary>
/// Every setting of a <see cref="ContrastiveTrainer"/> run; written to config.json and compared on resume.
/// Defaults are the budget run that finishes in minutes on two CPU cores.
/// </summary>
public sealed record ContrastiveTrainerOptions
{
    /// <summary>Negative weighting.</summary>
    public NegativeSampling Negatives { get; init; } = NegativeSampling.Ot;

    /// <summary>The objective: an NCE estimator over the weighted negatives (default dcl) or a GCA plan loss.</summary>
    public ContrastiveLoss Loss { get; init; } = ContrastiveLoss.Dcl;

    /// <summary>Sinkhorn normalisation steps of the GCA plan (its ε is the temperature).</summary>
    public int PlanIterations { get; init; } = AlignmentPlanOptions.DefaultIterations;

    /// <summary>How gradients pass the GCA plan's steps: unrolled (default) or implicit (balanced plans only).</summary>
    public PlanGradient PlanGradient { get; init; } = PlanGradient.Unrolled;

    /// <summary>Marginal relaxation ρ of the GCA-UOT plan.</summary>
    public double Rho { get; init; } = 1.0;

    /// <summary>Robust term's q ∈ (0, 1] (gca-rince, gca-uot).</summary>
    public double Q { get; init; } = RobustTerm.Default.Q;

    /// <summary>Robust term's λ &gt; 0 (gca-rince, gca-uot).</summary>
    public double Lambda { get; init; } = RobustTerm.Default.Lambda;

    /// <summary>GCA-UOT's weight of the cross-entropy.</summary>
    public double R1 { get; init; } = 1.0;

    /// <summary>GCA-UOT's weight of the robust term.</summary>
    public double R2 { get; init; } = 0.1;

    /// <summary>Whether the objective is a GCA plan loss (which builds its own plan and so takes uniform negatives).</summary>
    public bool IsAlignmentLoss => Loss is ContrastiveLoss.GcaInce or ContrastiveLoss.GcaRince or ContrastiveLoss.GcaUot;

    /// <summary>The GCA plan's options.</summary>
    public AlignmentPlanOptions ToPlanOptions() => new()
    {
        Epsilon = Temperature,
        Iterations = PlanIterations,
        Rho = Loss == ContrastiveLoss.GcaUot ? Rho : null,
        Gradient = PlanGradient,
    };

    /// <summary>BCL's location α ∈ [½, 1) (bayesian loss only).</summary>
    public double BclAlpha { get; init; } = BayesianPrior.Default.Alpha;

    /// <summary>BCL's concentration β ∈ [0, 1] (bayesian loss only).</summary>
    public double BclBeta { get; init; } = BayesianPrior.Default.Beta;

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
        Require(Enum.IsDefined(Loss), nameof(Loss), Loss, "Unknown loss.");
        Require(!IsAlignmentLoss || Negatives == NegativeSampling.Uniform, nameof(Negatives), Negatives,
            "The GCA losses build their own plan over the batch; they take uniform negatives.");
        Require(PlanIterations >= 1, nameof(PlanIterations), PlanIterations, "The plan needs at least one normalisation step.");
        Require(Rho > 0 && !double.IsNaN(Rho), nameof(Rho), Rho, "ρ must be positive.");
        Require(Q > 0 && Q <= 1, nameof(Q), Q, "q must lie in (0, 1].");
        Require(Lambda > 0 && double.IsFinite(Lambda), nameof(Lambda), Lambda, "λ must be a positive finite number.");
        Require(R1 >= 0 && double.IsFinite(R1), nameof(R1), R1, "r1 must be a non-negative finite number.");
        Require(R2 >= 0 && double.IsFinite(R2) && R1 + R2 > 0, nameof(R2), R2, "r2 must be a non-negative finite number, and r1 + r2 > 0.");
        Require(Enum.IsDefined(PlanGradient), nameof(PlanGradient), PlanGradient, "Unknown plan gradient.");
        Require(!(PlanGradient == PlanGradient.Implicit && Loss == ContrastiveLoss.GcaUot), nameof(PlanGradient), PlanGradient,
            "Implicit plan gradients are for balanced plans; gca-uot needs unrolled gradients.");
        try
        {
            new BayesianPrior(BclAlpha, BclBeta).Validate();
        }
        catch (ArgumentOutOfRangeException ex)
        {
            // Re-named so that messages point at the option, not the prior's property.
            string name = ex.ParamName == nameof(BayesianPrior.Alpha) ? nameof(BclAlpha) : nameof(BclBeta);
            Require(false, name, ex.ActualValue, ex.Message.Split(" (Parameter")[0]);
        }
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
