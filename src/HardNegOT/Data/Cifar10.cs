namespace HardNegOT.Data;

/// <summary>Which CIFAR-10 split to load.</summary>
public enum Cifar10Split
{
    /// <summary>The 50,000 training images (data_batch_1.bin … data_batch_5.bin).</summary>
    Train,

    /// <summary>The 10,000 test images (test_batch.bin).</summary>
    Test,
}

/// <summary>
/// Loads CIFAR-10 (32×32 colour images, 10 classes) from its binary version: each batch file is a sequence of
/// 3073-byte records, one label byte 0..9 followed by 3072 pixel bytes — the red, green and blue planes of 32×32, each
/// row-major — which is already the CHW layout of <see cref="ImageDataset"/>.
/// </summary>
public static class Cifar10
{
    /// <summary>Name of the format in error messages.</summary>
    public const string FormatName = "CIFAR-10 binary";

    /// <summary>Side of the square images.</summary>
    public const int ImageSize = 32;

    /// <summary>Colour channels.</summary>
    public const int Channels = 3;

    /// <summary>Bytes of one image (3 × 32 × 32).</summary>
    public const int ValuesPerImage = Channels * ImageSize * ImageSize;

    /// <summary>Bytes of one record: a label byte then the image.</summary>
    public const int RecordSize = 1 + ValuesPerImage;

    /// <summary>Number of classes.</summary>
    public const int ClassCount = 10;

    /// <summary>The folder the official archive unpacks to; looked into when the directory itself lacks the files.</summary>
    public const string ArchiveFolder = "cifar-10-batches-bin";

    private const string InstallHint =
        "Pass the directory holding data_batch_1.bin … data_batch_5.bin and test_batch.bin (the unpacked binary version, " +
        "cifar-10-binary.tar.gz, from https://www.cs.toronto.edu/~kriz/cifar.html).";

    /// <summary>The class names, indexed by label (batches.meta.txt).</summary>
    public static IReadOnlyList<string> ClassNames { get; } = Array.AsReadOnly(
    [
        "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
    ]);

    /// <summary>The batch files of a split, in reading order.</summary>
    /// <param name="split">Train or test.</param>
    public static IReadOnlyList<string> FileNames(Cifar10Split split) => split switch
    {
        Cifar10Split.Train => ["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"],
        Cifar10Split.Test => ["test_batch.bin"],
        _ => throw new ArgumentOutOfRangeException(nameof(split), split, "Unknown split."),
    };

    /// <summary>Loads a split: the batch files in order, or only as many records as <paramref name="maxImages"/> needs.</summary>
    /// <param name="split">Train (50,000 images) or test (10,000).</param>
    /// <param name="directory">The directory holding the .bin files, or the one holding cifar-10-batches-bin/.</param>
    /// <param name="maxImages">Read at most this many images (the first ones); null for all.</param>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="FileNotFoundException">A batch file is missing (the message names it).</exception>
    /// <exception cref="BinaryImageFormatException">A file is empty, not a whole number of records, or holds a label above 9.</exception>
    public static ImageDataset Load(Cifar10Split split, string directory, int? maxImages = null)
    {
        if (maxImages is < 1) throw new ArgumentOutOfRangeException(nameof(maxImages), maxImages, "Must be at least 1.");
        var names = FileNames(split);
        directory = BinaryRecordFile.Resolve(FormatName, directory, ArchiveFolder, names[0], InstallHint);
        var paths = names.Select(n => Path.Combine(directory, n)).ToArray();
        // Check every file before reading any, so a missing last batch is reported at once.
        var records = paths.Select(p => BinaryRecordFile.CountRecords(FormatName, p, RecordSize, "a label byte and 3×32×32 pixel bytes", InstallHint)).ToArray();
        long total = Math.Min(records.Sum(), maxImages ?? long.MaxValue);
        if (total * ValuesPerImage > Array.MaxLength)
            throw new BinaryImageFormatException(FormatName, paths[0], $"{total} images do not fit in one array; pass a smaller maxImages.");

        var pixels = new byte[total * ValuesPerImage];
        var labels = new byte[total];
        var used = new List<string>();
        int done = 0;
        for (int f = 0; f < paths.Length && done < total; f++)
        {
            int take = (int)Math.Min(records[f], total - done);
            ReadBatch(paths[f], take, pixels.AsSpan(done * ValuesPerImage, take * ValuesPerImage), labels.AsSpan(done, take));
            used.Add(paths[f]);
            done += take;
        }
        return new ImageDataset($"CIFAR-10 {split.ToString().ToLowerInvariant()}", Channels, ImageSize, ImageSize, pixels, labels, ClassNames, used);
    }

    /// <summary>Reads one batch file whole.</summary>
    /// <param name="path">A data_batch_N.bin or test_batch.bin file.</param>
    /// <returns>The images (CHW bytes, image after image) and their labels 0..9.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="BinaryImageFormatException">The file is empty, not a whole number of records, or holds a label above 9.</exception>
    public static (byte[] Pixels, byte[] Labels) ReadBatch(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        long count = BinaryRecordFile.CountRecords(FormatName, path, RecordSize, "a label byte and 3×32×32 pixel bytes", InstallHint);
        if (count * ValuesPerImage > Array.MaxLength)
            throw new BinaryImageFormatException(FormatName, path, $"{count} images do not fit in one array.");
        var pixels = new byte[count * ValuesPerImage];
        var labels = new byte[count];
        ReadBatch(path, (int)count, pixels, labels);
        return (pixels, labels);
    }

    private static void ReadBatch(string path, int count, Span<byte> pixels, Span<byte> labels)
    {
        var raw = new byte[(long)count * RecordSize];
        BinaryRecordFile.ReadPrefix(path, raw);
        for (int i = 0; i < count; i++)
        {
            var record = raw.AsSpan(i * RecordSize, RecordSize);
            if (record[0] >= ClassCount)
            {
                throw new BinaryImageFormatException(FormatName, path,
                    $"record {i} (byte offset {(long)i * RecordSize}) has label {record[0]}; CIFAR-10 labels are 0..{ClassCount - 1}.");
            }
            labels[i] = record[0];
            record[1..].CopyTo(pixels.Slice(i * ValuesPerImage, ValuesPerImage));
        }
    }
}
