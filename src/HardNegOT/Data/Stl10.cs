namespace HardNegOT.Data;

/// <summary>Which STL-10 split to load.</summary>
public enum Stl10Split
{
    /// <summary>The 5,000 labelled training images (train_X.bin, train_y.bin).</summary>
    Train,

    /// <summary>The 8,000 labelled test images (test_X.bin, test_y.bin).</summary>
    Test,

    /// <summary>The 100,000 unlabelled images (unlabeled_X.bin).</summary>
    Unlabeled,
}

/// <summary>
/// Loads STL-10 (96×96 colour images, 10 classes) from its binary version. Per the dataset's documentation an image
/// file is a sequence of 3×96×96-byte images, each stored one channel at a time (red, green, blue) and within a channel
/// in column-major order; the reader transposes every plane to the row-major CHW layout of <see cref="ImageDataset"/>.
/// Label files hold one byte per image, 1..10, which become 0..9.
/// </summary>
public static class Stl10
{
    /// <summary>Name of the format in error messages.</summary>
    public const string FormatName = "STL-10 binary";

    /// <summary>Side of the square images.</summary>
    public const int ImageSize = 96;

    /// <summary>Colour channels.</summary>
    public const int Channels = 3;

    /// <summary>Bytes of one image (3 × 96 × 96).</summary>
    public const int ValuesPerImage = Channels * ImageSize * ImageSize;

    /// <summary>Number of classes.</summary>
    public const int ClassCount = 10;

    /// <summary>The folder the official archive unpacks to; looked into when the directory itself lacks the files.</summary>
    public const string ArchiveFolder = "stl10_binary";

    private const string InstallHint =
        "Pass the directory holding train_X.bin, train_y.bin, test_X.bin, test_y.bin and unlabeled_X.bin (the unpacked " +
        "stl10_binary.tar.gz from https://cs.stanford.edu/~acoates/stl10/).";

    /// <summary>The class names, indexed by the 0-based label (class_names.txt).</summary>
    public static IReadOnlyList<string> ClassNames { get; } = Array.AsReadOnly(
    [
        "airplane", "bird", "car", "cat", "deer", "dog", "horse", "monkey", "ship", "truck",
    ]);

    /// <summary>The image file of a split.</summary>
    /// <param name="split">The split.</param>
    public static string ImagesFileName(Stl10Split split) => split switch
    {
        Stl10Split.Train => "train_X.bin",
        Stl10Split.Test => "test_X.bin",
        Stl10Split.Unlabeled => "unlabeled_X.bin",
        _ => throw new ArgumentOutOfRangeException(nameof(split), split, "Unknown split."),
    };

    /// <summary>The label file of a split, or null for the unlabelled split.</summary>
    /// <param name="split">The split.</param>
    public static string? LabelsFileName(Stl10Split split) => split switch
    {
        Stl10Split.Train => "train_y.bin",
        Stl10Split.Test => "test_y.bin",
        Stl10Split.Unlabeled => null,
        _ => throw new ArgumentOutOfRangeException(nameof(split), split, "Unknown split."),
    };

    /// <summary>Loads a split, or its first <paramref name="maxImages"/> images.</summary>
    /// <param name="split">Train (5,000 images), test (8,000) or unlabeled (100,000: more bytes than one array holds, so pass maxImages).</param>
    /// <param name="directory">The directory holding the .bin files, or the one holding stl10_binary/.</param>
    /// <param name="maxImages">Read at most this many images (the first ones); null for all.</param>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="FileNotFoundException">A file of the split is missing (the message names it).</exception>
    /// <exception cref="BinaryImageFormatException">
    /// A file is empty or not a whole number of records, the image and label counts differ, or a label is not 1..10.
    /// </exception>
    /// <exception cref="ArgumentOutOfRangeException">The images asked for do not fit in one array.</exception>
    public static ImageDataset Load(Stl10Split split, string directory, int? maxImages = null)
    {
        if (maxImages is < 1) throw new ArgumentOutOfRangeException(nameof(maxImages), maxImages, "Must be at least 1.");
        string imagesName = ImagesFileName(split);
        directory = BinaryRecordFile.Resolve(FormatName, directory, ArchiveFolder, imagesName, InstallHint);
        string imagesPath = Path.Combine(directory, imagesName);
        // The dataset's README calls the unlabelled file unlabeled.bin; the archive ships unlabeled_X.bin.
        if (split == Stl10Split.Unlabeled && !File.Exists(imagesPath) && File.Exists(Path.Combine(directory, "unlabeled.bin")))
            imagesPath = Path.Combine(directory, "unlabeled.bin");
        string? labelsPath = LabelsFileName(split) is { } l ? Path.Combine(directory, l) : null;

        long available = CountImages(imagesPath);
        if (labelsPath is not null)
        {
            long labelCount = BinaryRecordFile.CountRecords(FormatName, labelsPath, 1, "one label byte per image", InstallHint);
            if (labelCount != available)
            {
                throw new BinaryImageFormatException(FormatName, labelsPath,
                    $"holds {labelCount} labels but the image file '{imagesPath}' holds {available} images; they must match.");
            }
        }
        long count = Math.Min(available, maxImages ?? long.MaxValue);
        if (count * ValuesPerImage > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(maxImages), maxImages,
                $"'{imagesPath}' holds {available} images; {count} of {ValuesPerImage} bytes do not fit in one array. " +
                $"Pass maxImages ≤ {Array.MaxLength / ValuesPerImage}.");
        }

        var pixels = ReadImages(imagesPath, (int)count);
        var labels = labelsPath is null ? null : ReadLabels(labelsPath, (int)count);
        string[] sources = labelsPath is null ? [imagesPath] : [imagesPath, labelsPath];
        return new ImageDataset($"STL-10 {split.ToString().ToLowerInvariant()}", Channels, ImageSize, ImageSize, pixels, labels, ClassNames, sources);
    }

    /// <summary>Reads the first <paramref name="count"/> images of an image file (all when null), converted to row-major CHW.</summary>
    /// <param name="path">A *_X.bin file.</param>
    /// <param name="count">How many images; null for all.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="BinaryImageFormatException">The file is empty, not a whole number of images, or shorter than asked.</exception>
    public static byte[] ReadImages(string path, int? count = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        long available = CountImages(path);
        long n = count ?? available;
        if (n < 0 || n > available)
            throw new BinaryImageFormatException(FormatName, path, $"{n} images were asked for but the file holds {available}.");
        if (n * ValuesPerImage > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(count), count, $"{n} images of {ValuesPerImage} bytes do not fit in one array.");

        var pixels = new byte[n * ValuesPerImage];
        var image = new byte[ValuesPerImage];
        const int plane = ImageSize * ImageSize;
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 20);
        for (long i = 0; i < n; i++)
        {
            file.ReadExactly(image);
            var target = pixels.AsSpan((int)(i * ValuesPerImage), ValuesPerImage);
            for (int c = 0; c < Channels; c++)
            {
                // Column-major in the file: byte (column · 96 + row) of the plane is pixel (row, column).
                for (int column = 0; column < ImageSize; column++)
                    for (int row = 0; row < ImageSize; row++)
                        target[c * plane + row * ImageSize + column] = image[c * plane + column * ImageSize + row];
            }
        }
        return pixels;
    }

    /// <summary>Reads the first <paramref name="count"/> labels of a label file (all when null) as 0..9.</summary>
    /// <param name="path">A *_y.bin file.</param>
    /// <param name="count">How many labels; null for all.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="BinaryImageFormatException">The file is empty, shorter than asked, or holds a label outside 1..10.</exception>
    public static byte[] ReadLabels(string path, int? count = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        long available = BinaryRecordFile.CountRecords(FormatName, path, 1, "one label byte per image", InstallHint);
        long n = count ?? available;
        if (n < 0 || n > available)
            throw new BinaryImageFormatException(FormatName, path, $"{n} labels were asked for but the file holds {available}.");
        var labels = new byte[n];
        BinaryRecordFile.ReadPrefix(path, labels);
        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] is < 1 or > ClassCount)
                throw new BinaryImageFormatException(FormatName, path, $"label {i} is {labels[i]}; STL-10 labels are 1..{ClassCount}.");
            labels[i]--;
        }
        return labels;
    }

    private static long CountImages(string path) =>
        BinaryRecordFile.CountRecords(FormatName, path, ValuesPerImage, "3×96×96 pixel bytes per image", InstallHint);
}
