namespace HardNegOT.Data;

/// <summary>Which Fashion-MNIST split to load.</summary>
public enum FashionMnistSplit
{
    /// <summary>The 60,000-image training split (files <c>train-*</c>).</summary>
    Train,

    /// <summary>The 10,000-image test split (files <c>t10k-*</c>).</summary>
    Test,
}

/// <summary>One loaded Fashion-MNIST split: 28×28 grayscale images and their class labels 0..9.</summary>
public sealed class FashionMnistSet
{
    internal FashionMnistSet(FashionMnistSplit split, IdxImages images, byte[] labels, string imagesPath, string labelsPath)
    {
        Split = split;
        Images = images;
        Labels = labels;
        ImagesPath = imagesPath;
        LabelsPath = labelsPath;
    }

    /// <summary>The split this set holds.</summary>
    public FashionMnistSplit Split { get; }

    /// <summary>Number of images (equal to the number of labels).</summary>
    public int Count => Images.Count;

    /// <summary>The images as bytes 0..255, <see cref="Count"/> × 784 row-major.</summary>
    public IdxImages Images { get; }

    /// <summary>The class of each image, 0..9; index into <see cref="FashionMnist.ClassNames"/>.</summary>
    public byte[] Labels { get; }

    /// <summary>The image file that was read.</summary>
    public string ImagesPath { get; }

    /// <summary>The label file that was read.</summary>
    public string LabelsPath { get; }

    /// <summary>All pixels scaled to [0, 1] as float32, <see cref="Count"/> × 784 row-major; a new array on every call.</summary>
    public float[] PixelsAsFloat32() => Images.ToFloat32();

    /// <summary>The labels widened to int; a new array on every call.</summary>
    public int[] LabelsAsInt32() => Array.ConvertAll(Labels, static b => (int)b);

    /// <summary>The class name of image <paramref name="index"/>, e.g. "Ankle boot".</summary>
    /// <param name="index">Zero-based image index.</param>
    public string ClassNameOf(int index) => FashionMnist.ClassNames[Labels[index]];
}

/// <summary>
/// Loads Fashion-MNIST (Zalando's 28×28 clothing images, 10 classes) from a directory of IDX files, plain or gzipped,
/// as installed by Debian's <c>dataset-fashion-mnist</c> package.
/// </summary>
public static class FashionMnist
{
    /// <summary>Where Debian's <c>dataset-fashion-mnist</c> package installs the files.</summary>
    public const string DefaultDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>Pixel rows per image.</summary>
    public const int ImageRows = 28;

    /// <summary>Pixel columns per image.</summary>
    public const int ImageColumns = 28;

    /// <summary>Pixels per image (28 × 28).</summary>
    public const int PixelsPerImage = ImageRows * ImageColumns;

    /// <summary>Number of classes.</summary>
    public const int ClassCount = 10;

    private const string InstallHint =
        "Install the dataset with `apt-get install dataset-fashion-mnist` (it goes to " + DefaultDirectory +
        ") or pass the directory that holds train-images-idx3-ubyte, train-labels-idx1-ubyte, " +
        "t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (each optionally .gz).";

    /// <summary>The class names, indexed by label: "T-shirt/top", "Trouser", ..., "Ankle boot".</summary>
    public static IReadOnlyList<string> ClassNames { get; } = Array.AsReadOnly(
    [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ]);

    /// <summary>Loads one split from <paramref name="directory"/> (default <see cref="DefaultDirectory"/>).</summary>
    /// <param name="split">Train (60,000 images) or test (10,000 images).</param>
    /// <param name="directory">The directory holding the IDX files; null for <see cref="DefaultDirectory"/>.</param>
    /// <returns>The images and labels, validated against each other.</returns>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="FileNotFoundException">A file of the split is missing.</exception>
    /// <exception cref="IdxFormatException">
    /// A file is malformed or truncated, images are not 28×28, the image and label counts differ, or a label is not 0..9.
    /// </exception>
    public static FashionMnistSet Load(FashionMnistSplit split, string? directory = null)
    {
        directory ??= DefaultDirectory;
        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"Fashion-MNIST directory '{directory}' does not exist. {InstallHint}");
        }

        string prefix = split switch
        {
            FashionMnistSplit.Train => "train",
            FashionMnistSplit.Test => "t10k",
            _ => throw new ArgumentOutOfRangeException(nameof(split), split, "Unknown split."),
        };

        string imagesPath = FindFile(directory, $"{prefix}-images", "idx3-ubyte");
        string labelsPath = FindFile(directory, $"{prefix}-labels", "idx1-ubyte");

        var images = IdxFile.ReadImages(imagesPath);
        if (images.Rows != ImageRows || images.Columns != ImageColumns)
        {
            throw new IdxFormatException(
                imagesPath, $"images are {images.Rows}×{images.Columns} pixels; Fashion-MNIST images are {ImageRows}×{ImageColumns}.");
        }

        var labels = IdxFile.ReadLabels(labelsPath);
        if (labels.Length != images.Count)
        {
            throw new IdxFormatException(
                labelsPath, $"holds {labels.Length} labels but the image file '{imagesPath}' holds {images.Count} images; they must match.");
        }

        int bad = Array.FindIndex(labels, static l => l >= ClassCount);
        if (bad >= 0)
        {
            throw new IdxFormatException(labelsPath, $"label {bad} is {labels[bad]}; Fashion-MNIST labels are 0..{ClassCount - 1}.");
        }

        return new FashionMnistSet(split, images, labels, imagesPath, labelsPath);
    }

    /// <summary>
    /// Finds "{stem}-{suffix}" or "{stem}.{suffix}" (both spellings are in circulation), plain preferred over ".gz".
    /// </summary>
    private static string FindFile(string directory, string stem, string suffix)
    {
        string[] names =
        [
            $"{stem}-{suffix}", $"{stem}-{suffix}.gz", $"{stem}.{suffix}", $"{stem}.{suffix}.gz",
        ];
        foreach (var name in names)
        {
            string candidate = Path.Combine(directory, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException(
            $"Fashion-MNIST file '{Path.Combine(directory, names[0])}' (or {string.Join(", ", names.Skip(1))}) was not found in '{directory}'. {InstallHint}",
            Path.Combine(directory, names[0]));
    }
}
