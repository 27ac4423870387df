using HardNegOT.Data;

namespace HardNegOT.Torch.Training;

/// <summary>
/// The images a run uses, row-major float pixels in [0, 1]: the training images, the kNN memory bank / linear-readout
/// training rows (un-augmented) and the evaluation queries, each with labels.
/// </summary>
/// <param name="TrainPixels">Training images, N × 784.</param>
/// <param name="BankPixels">Memory-bank images, M × 784.</param>
/// <param name="BankLabels">Labels of the memory bank.</param>
/// <param name="QueryPixels">Query images, Q × 784.</param>
/// <param name="QueryLabels">Labels of the queries.</param>
/// <param name="Classes">Number of classes.</param>
public sealed record TrainingData(float[] TrainPixels, float[] BankPixels, int[] BankLabels, float[] QueryPixels, int[] QueryLabels, int Classes)
{
    /// <summary>
    /// Loads Fashion-MNIST: the first <see cref="ContrastiveTrainerOptions.TrainSubset"/> training images to train on,
    /// the first <see cref="ContrastiveTrainerOptions.EvalTrainSubset"/> as memory bank and the first
    /// <see cref="ContrastiveTrainerOptions.EvalTestSubset"/> test images as queries (each capped at the split size).
    /// </summary>
    /// <param name="options">The run's settings (subset sizes and data directory).</param>
    public static TrainingData LoadFashionMnist(ContrastiveTrainerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var train = FashionMnist.Load(FashionMnistSplit.Train, options.DataDirectory);
        var test = FashionMnist.Load(FashionMnistSplit.Test, options.DataDirectory);
        var trainPixels = train.PixelsAsFloat32();
        var trainLabels = train.LabelsAsInt32();
        var testPixels = test.PixelsAsFloat32();
        var testLabels = test.LabelsAsInt32();
        const int ppi = FashionMnist.PixelsPerImage;
        int n = Math.Min(options.TrainSubset ?? train.Count, train.Count);
        int m = Math.Min(options.EvalTrainSubset, train.Count);
        int q = Math.Min(options.EvalTestSubset, test.Count);
        return new TrainingData(
            trainPixels[..(n * ppi)], trainPixels[..(m * ppi)], trainLabels[..m],
            testPixels[..(q * ppi)], testLabels[..q], FashionMnist.ClassCount);
    }
}
