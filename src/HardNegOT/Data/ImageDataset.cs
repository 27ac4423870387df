namespace HardNegOT.Data;

/// <summary>
/// Images as unsigned bytes in CHW order (channel planes, each row-major) with optional class labels: the common shape
/// of Fashion-MNIST (1×28×28), CIFAR-10 (3×32×32) and STL-10 (3×96×96) once loaded.
/// </summary>
public sealed class ImageDataset
{
    /// <summary>Wraps <paramref name="pixels"/> and <paramref name="labels"/> (not copied).</summary>
    /// <param name="name">What the images are, e.g. "CIFAR-10 train"; used in messages.</param>
    /// <param name="channels">Channels per image (1 grey, 3 RGB).</param>
    /// <param name="height">Pixel rows per image.</param>
    /// <param name="width">Pixel columns per image.</param>
    /// <param name="pixels">Count × channels × height × width bytes, image after image, each CHW.</param>
    /// <param name="labels">One class 0..classNames.Count−1 per image, or null for an unlabelled set.</param>
    /// <param name="classNames">Names of the classes, indexed by label.</param>
    /// <param name="sourcePaths">The files the images and labels came from.</param>
    /// <exception cref="ArgumentException">The sizes do not match, or a label is out of range.</exception>
    public ImageDataset(string name, int channels, int height, int width, byte[] pixels, byte[]? labels,
        IReadOnlyList<string> classNames, IReadOnlyList<string> sourcePaths)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentNullException.ThrowIfNull(pixels);
        ArgumentNullException.ThrowIfNull(classNames);
        ArgumentNullException.ThrowIfNull(sourcePaths);
        long perImage = (long)channels * height * width;
        if (pixels.LongLength % perImage != 0)
            throw new ArgumentException($"{pixels.Length} bytes are not a whole number of {channels}×{height}×{width} images.", nameof(pixels));
        Count = (int)(pixels.LongLength / perImage);
        if (labels is not null)
        {
            if (labels.Length != Count)
                throw new ArgumentException($"{labels.Length} labels for {Count} images.", nameof(labels));
            int bad = Array.FindIndex(labels, l => l >= classNames.Count);
            if (bad >= 0)
                throw new ArgumentException($"label {bad} is {labels[bad]}; the {classNames.Count} classes are 0..{classNames.Count - 1}.", nameof(labels));
        }
        Name = name;
        Channels = channels;
        Height = height;
        Width = width;
        Pixels = pixels;
        Labels = labels;
        ClassNames = classNames;
        SourcePaths = sourcePaths;
    }

    /// <summary>Wraps a loaded Fashion-MNIST split (shares its arrays) as 1×28×28 images.</summary>
    /// <param name="set">The split.</param>
    public static ImageDataset FromFashionMnist(FashionMnistSet set)
    {
        ArgumentNullException.ThrowIfNull(set);
        return new ImageDataset($"Fashion-MNIST {set.Split.ToString().ToLowerInvariant()}", 1, FashionMnist.ImageRows, FashionMnist.ImageColumns,
            set.Images.Pixels, set.Labels, FashionMnist.ClassNames, [set.ImagesPath, set.LabelsPath]);
    }

    /// <summary>What the images are, e.g. "CIFAR-10 train".</summary>
    public string Name { get; }

    /// <summary>Number of images.</summary>
    public int Count { get; }

    /// <summary>Channels per image.</summary>
    public int Channels { get; }

    /// <summary>Pixel rows per image.</summary>
    public int Height { get; }

    /// <summary>Pixel columns per image.</summary>
    public int Width { get; }

    /// <summary>Bytes per image: <see cref="Channels"/> × <see cref="Height"/> × <see cref="Width"/>.</summary>
    public int ValuesPerImage => Channels * Height * Width;

    /// <summary>All pixels, 0..255: image i occupies <c>[i * ValuesPerImage, (i + 1) * ValuesPerImage)</c>, CHW.</summary>
    public byte[] Pixels { get; }

    /// <summary>The class of each image (0-based), or null when the set is unlabelled.</summary>
    public byte[]? Labels { get; }

    /// <summary>Whether <see cref="Labels"/> is present.</summary>
    public bool HasLabels => Labels is not null;

    /// <summary>Number of classes (the length of <see cref="ClassNames"/>).</summary>
    public int ClassCount => ClassNames.Count;

    /// <summary>Names of the classes, indexed by label.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The files the set was read from.</summary>
    public IReadOnlyList<string> SourcePaths { get; }

    /// <summary>The bytes of image <paramref name="index"/> (a view, not a copy), CHW.</summary>
    /// <param name="index">Zero-based image index.</param>
    public ReadOnlySpan<byte> Image(int index)
    {
        if ((uint)index >= (uint)Count)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"Image index must be in [0, {Count}).");
        return Pixels.AsSpan(index * ValuesPerImage, ValuesPerImage);
    }

    /// <summary>
    /// The first <paramref name="count"/> images (all when null) scaled to [0, 1] as float32 (byte / 255), CHW per
    /// image; a new array on every call.
    /// </summary>
    /// <param name="count">How many images, at most <see cref="Count"/>; null for all.</param>
    public float[] PixelsAsFloat32(int? count = null)
    {
        int n = count ?? Count;
        if (n < 0 || n > Count) throw new ArgumentOutOfRangeException(nameof(count), count, $"Must lie in [0, {Count}].");
        if ((long)n * ValuesPerImage > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(count), count, $"{n} images of {ValuesPerImage} floats do not fit in one array; take fewer.");
        var result = new float[n * ValuesPerImage];
        // Division rather than multiplication by 1/255 so that 255 maps exactly to 1.
        for (int i = 0; i < result.Length; i++) result[i] = Pixels[i] / 255f;
        return result;
    }

    /// <summary>The labels widened to int; a new array on every call.</summary>
    /// <exception cref="InvalidOperationException">The set is unlabelled.</exception>
    public int[] LabelsAsInt32() => Labels is { } labels
        ? Array.ConvertAll(labels, static b => (int)b)
        : throw new InvalidOperationException($"{Name} has no labels.");
}
