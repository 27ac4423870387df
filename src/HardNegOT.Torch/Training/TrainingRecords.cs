namespace HardNegOT.Torch.Training;

/// <summary>One row of metrics.csv: an epoch end (or the untrained encoder at epoch 0, step 0).</summary>
/// <param name="Epoch">Epochs completed.</param>
/// <param name="Step">Optimiser steps completed.</param>
/// <param name="Loss">Mean training loss of the epoch; null for the untrained row.</param>
/// <param name="KnnTop1">Weighted-kNN top-1 accuracy in [0, 1], or null when not evaluated.</param>
/// <param name="LinearTop1">Linear-readout top-1 accuracy in [0, 1], or null when not evaluated.</param>
/// <param name="MeanSinkhornIterations">Mean Sinkhorn iterations per step of the epoch (ot only).</param>
/// <param name="Seconds">Training seconds of the epoch (excluding evaluation).</param>
public sealed record MetricsRow(int Epoch, long Step, double? Loss, double? KnnTop1, double? LinearTop1, double? MeanSinkhornIterations, double Seconds);

/// <summary>What the trainer reports after each step.</summary>
/// <param name="Epoch">Zero-based epoch of the step.</param>
/// <param name="Epochs">Total epochs of the run.</param>
/// <param name="StepInEpoch">One-based step within the epoch.</param>
/// <param name="StepsPerEpoch">Steps of one epoch.</param>
/// <param name="GlobalStep">Optimiser steps completed in total.</param>
/// <param name="Loss">This step's loss.</param>
/// <param name="SinkhornIterations">Sinkhorn iterations of this step's OT solve (ot only).</param>
/// <param name="StepsPerSecond">Step rate of this invocation so far.</param>
public sealed record TrainingProgress(int Epoch, int Epochs, int StepInEpoch, int StepsPerEpoch, long GlobalStep, double Loss, int? SinkhornIterations, double StepsPerSecond);

/// <summary>The outcome of <see cref="ContrastiveTrainer.Run"/>.</summary>
/// <param name="Metrics">Every metrics row of the run, including those before a resume.</param>
/// <param name="StepLosses">The losses of the steps this invocation ran, in order.</param>
/// <param name="UntrainedKnnTop1">kNN accuracy of the encoder before training (step 0).</param>
/// <param name="UntrainedLinearTop1">Linear-readout accuracy before training.</param>
/// <param name="FinalKnnTop1">kNN accuracy after the last epoch.</param>
/// <param name="FinalLinearTop1">Linear-readout accuracy after the last epoch.</param>
/// <param name="StartEpoch">The epoch this invocation started at (0, or the resumed checkpoint's).</param>
/// <param name="GlobalStep">Optimiser steps completed in total.</param>
/// <param name="MeanSinkhornIterations">Mean Sinkhorn iterations per step of this invocation (ot only).</param>
public sealed record TrainingResult(
    IReadOnlyList<MetricsRow> Metrics, IReadOnlyList<double> StepLosses, double UntrainedKnnTop1, double UntrainedLinearTop1,
    double FinalKnnTop1, double FinalLinearTop1, int StartEpoch, long GlobalStep, double? MeanSinkhornIterations);

/// <summary>A checkpoint directory is missing, unreadable or belongs to a run with other settings.</summary>
/// <param name="message">What is wrong, naming the path.</param>
/// <param name="innerException">The underlying failure, if any.</param>
public sealed class CheckpointException(string message, Exception? innerException = null) : Exception(message, innerException);
