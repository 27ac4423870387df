using HardNegOT.Torch.Training;

namespace HardNegOT.Torch.Study;

/// <summary>
/// What every run of a study gets, identically: batch size, steps, training images, evaluation sets and the loss
/// settings that are not varied. Written to study.json; a study directory only resumes under the same budget.
/// </summary>
/// <remarks>
/// Sized from measurements on the 2-core development machine: about 0.73 CPU-seconds per step at B = 64 and about
/// 3.5 CPU-seconds per evaluation on 2,000 + 1,000 images. The quick study then averaged 66 CPU-seconds per run
/// (docs/results/quick), so the 126-run full grid needs about 2.3 CPU-hours: under 3 hours even at one core's throughput.
/// </remarks>
public sealed record StudyBudget
{
    /// <summary>The budget of <c>hardnegot study</c>.</summary>
    public static StudyBudget Default { get; } = new();

    /// <summary>Images per batch B.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Epochs; kNN and the linear readout are evaluated after each (and before training).</summary>
    public int Epochs { get; init; } = 4;

    /// <summary>Steps per epoch (the total is <see cref="Epochs"/> × this).</summary>
    public int StepsPerEpoch { get; init; } = 20;

    /// <summary>Training images: the first N of the training split.</summary>
    public int TrainSubset { get; init; } = 20_000;

    /// <summary>kNN memory bank and readout training rows: the first N training images.</summary>
    public int EvalBank { get; init; } = 2_000;

    /// <summary>Evaluation queries: the first N test images (the fixed analysis batch is drawn from them).</summary>
    public int EvalQueries { get; init; } = 1_000;

    /// <summary>Neighbours of the weighted kNN and ranks of the same-label curve.</summary>
    public int KnnK { get; init; } = Evaluation.DefaultK;

    /// <summary>Full-batch Adam steps of the linear readout.</summary>
    public int LinearEpochs { get; init; } = 100;

    /// <summary>Adam learning rate.</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>Softmax temperature of the contrastive loss.</summary>
    public double Temperature { get; init; } = 0.5;

    /// <summary>Positive-class prior τ⁺ of the debiased estimators (dcl, bcl).</summary>
    public double TauPlus { get; init; } = 0.1;

    /// <summary>κ of the exp cost.</summary>
    public double Kappa { get; init; } = 1.0;

    /// <summary>Optimiser steps of one run.</summary>
    public int TotalSteps => Epochs * StepsPerEpoch;

    /// <summary>Trainer settings shared by every run (negatives, loss and seed are the run's).</summary>
    /// <param name="dataDirectory">Fashion-MNIST directory, or null for the default.</param>
    public ContrastiveTrainerOptions BaseOptions(string? dataDirectory) => new()
    {
        BatchSize = BatchSize,
        Epochs = Epochs,
        StepsPerEpoch = StepsPerEpoch,
        TrainSubset = TrainSubset,
        EvalTrainSubset = EvalBank,
        EvalTestSubset = EvalQueries,
        EvalEvery = 1,
        KnnK = KnnK,
        LinearEpochs = LinearEpochs,
        LearningRate = LearningRate,
        Temperature = Temperature,
        TauPlus = TauPlus,
        Kappa = Kappa,
        DataDirectory = dataDirectory,
    };

    /// <summary>
    /// Checks the values through the trainer's own validation, plus the study's rule that the fixed analysis batch
    /// (B query images) fits in the queries. Throws <see cref="ArgumentOutOfRangeException"/> naming the property.
    /// </summary>
    public void Validate()
    {
        try
        {
            BaseOptions(null).Validate();
        }
        catch (ArgumentOutOfRangeException ex)
        {
            string name = ex.ParamName switch
            {
                nameof(ContrastiveTrainerOptions.EvalTrainSubset) => nameof(EvalBank),
                nameof(ContrastiveTrainerOptions.EvalTestSubset) => nameof(EvalQueries),
                { } other => other,
                null => "budget",
            };
            throw new ArgumentOutOfRangeException(name, ex.ActualValue, ex.Message.Split(" (Parameter")[0].Split('\n')[0]);
        }
        if (EvalQueries < BatchSize)
            throw new ArgumentOutOfRangeException(nameof(EvalQueries), EvalQueries,
                $"The fixed analysis batch takes B = {BatchSize} query images; the queries must hold at least that many.");
    }
}
