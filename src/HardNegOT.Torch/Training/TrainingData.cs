using HardNegOT.Data;

namespace HardNegOT.Torch.Training;

/// <summary>Which image set a training run uses.</summary>
public enum TrainingDataset
{
    /// <summary>Fashion-MNIST, 1×28×28 (IDX files; the Debian package's directory by default).</summary>
    FashionMnist,

    /// <summary>CIFAR-10, 3×32×32 (binary version; needs the data directory).</summary>
    Cifar10,

    /// <summary>STL-10, 3×96×96 (binary version; needs the data directory). Trains on the 5,000 labelled training images.</summary>
    Stl10,
}

/// <summary>
/// The images a run uses, float pixels in [0, 1], CHW per image: the training images, the kNN memory bank /
/// linear-readout training rows (un-augmented) and the evaluation queries, each with labels.
/// </summary>
/// <param name="TrainPixels">Training images, N × <see cref="ValuesPerImage"/>.</param>
/// <param name="BankPixels">Memory-bank images, M × <see cref="ValuesPerImage"/>.</param>
/// <param name="BankLabels">Labels of the memory bank.</param>
/// <param name="QueryPixels">Query images, Q × <see cref="ValuesPerImage"/>.</param>
/// <param name="QueryLabels">Labels of the queries.</param>
/// <param name="Classes">Number of classes.</param>
public sealed record TrainingData(float[] TrainPixels, float[] BankPixels, int[] BankLabels, float[] QueryPixels, int[] QueryLabels, int Classes)
{
    /// <summary>Channels per image (1 for Fashion-MNIST, 3 for CIFAR-10 and STL-10).</summary>
    public int Channels { get; init; } = 1;

    /// <summary>Pixel rows per image.</summary>
    public int Height { get; init; } = FashionMnist.ImageRows;

    /// <summary>Pixel columns per image.</summary>
    public int Width { get; init; } = FashionMnist.ImageColumns;

    /// <summary>Values per image: <see cref="Channels"/> × <see cref="Height"/> × <see cref="Width"/>.</summary>
    public int ValuesPerImage => Channels * Height * Width;

    /// <summary>The tensor shape of <paramref name="count"/> images: count × C × H × W (−1 to infer the count).</summary>
    /// <param name="count">Number of images, or −1.</param>
    public long[] ImageShape(long count) => [count, Channels, Height, Width];

    /// <summary>Loads the set <see cref="ContrastiveTrainerOptions.Dataset"/> names (see the Load* methods).</summary>
    /// <param name="options">The run's settings (dataset, subset sizes and data directory).</param>
    public static TrainingData Load(ContrastiveTrainerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Dataset switch
        {
            TrainingDataset.FashionMnist => LoadFashionMnist(options),
            TrainingDataset.Cifar10 => LoadCifar10(options),
            TrainingDataset.Stl10 => LoadStl10(options),
            _ => throw new ArgumentOutOfRangeException(nameof(options), options.Dataset, "Unknown dataset."),
        };
    }

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
        return FromSplits(ImageDataset.FromFashionMnist(train), ImageDataset.FromFashionMnist(test), options);
    }

    /// <summary>
    /// Loads CIFAR-10 from <see cref="ContrastiveTrainerOptions.DataDirectory"/> with the same subsets as
    /// <see cref="LoadFashionMnist"/> (reading only the batches those need).
    /// </summary>
    /// <param name="options">The run's settings; the data directory is required.</param>
    public static TrainingData LoadCifar10(ContrastiveTrainerOptions options)
    {
        var directory = RequireDirectory(options, "CIFAR-10");
        var train = Cifar10.Load(Cifar10Split.Train, directory, TrainImagesNeeded(options));
        var test = Cifar10.Load(Cifar10Split.Test, directory, options.EvalTestSubset);
        return FromSplits(train, test, options);
    }

    /// <summary>
    /// Loads STL-10 from <see cref="ContrastiveTrainerOptions.DataDirectory"/>: training images, memory bank and
    /// queries come from the labelled train and test splits as for <see cref="LoadFashionMnist"/>.
    /// </summary>
    /// <param name="options">The run's settings; the data directory is required.</param>
    public static TrainingData LoadStl10(ContrastiveTrainerOptions options)
    {
        var directory = RequireDirectory(options, "STL-10");
        var train = Stl10.Load(Stl10Split.Train, directory, TrainImagesNeeded(options));
        var test = Stl10.Load(Stl10Split.Test, directory, options.EvalTestSubset);
        return FromSplits(train, test, options);
    }

    private static string RequireDirectory(ContrastiveTrainerOptions options, string dataset)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.DataDirectory
            ?? throw new DirectoryNotFoundException($"{dataset} has no default location; pass the directory holding its binary files (--data-dir).");
    }

    private static int? TrainImagesNeeded(ContrastiveTrainerOptions options) =>
        options.TrainSubset is { } n ? Math.Max(n, options.EvalTrainSubset) : null;

    private static TrainingData FromSplits(ImageDataset train, ImageDataset test, ContrastiveTrainerOptions options)
    {
        int n = Math.Min(options.TrainSubset ?? train.Count, train.Count);
        int m = Math.Min(options.EvalTrainSubset, train.Count);
        int q = Math.Min(options.EvalTestSubset, test.Count);
        // One conversion of the larger prefix serves both the training images and the memory bank.
        var trainPixels = train.PixelsAsFloat32(Math.Max(n, m));
        int values = train.ValuesPerImage;
        return new TrainingData(
            trainPixels[..(n * values)], trainPixels[..(m * values)], train.LabelsAsInt32()[..m],
            test.PixelsAsFloat32(q), test.LabelsAsInt32()[..q], train.ClassCount)
        {
            Channels = train.Channels,
            Height = train.Height,
            Width = train.Width,
        };
    }
}
