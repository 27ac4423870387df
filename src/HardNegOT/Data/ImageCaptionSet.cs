namespace HardNegOT.Data;

/// <summary>
/// Paired images and captions: N greyscale images of Height×Width pixels in [0, 1] (row-major, image after image)
/// and their N captions. Optional class labels, and optional match groups: pairs in the same group are
/// interchangeable matches for retrieval (e.g. the same class and attributes); without groups a pair matches only itself.
/// </summary>
public sealed class ImageCaptionSet
{
    /// <summary>Creates the set after checking that the parts agree.</summary>
    /// <param name="pixels">N×Height×Width values in [0, 1].</param>
    /// <param name="height">Image rows.</param>
    /// <param name="width">Image columns.</param>
    /// <param name="captions">N non-null captions.</param>
    /// <param name="labels">N class labels, or null.</param>
    /// <param name="groups">N match groups, or null.</param>
    /// <param name="sources">N descriptions of where each pair came from (e.g. "file.csv:12"), or null.</param>
    public ImageCaptionSet(float[] pixels, int height, int width, IReadOnlyList<string> captions,
        int[]? labels = null, int[]? groups = null, IReadOnlyList<string>? sources = null)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        ArgumentNullException.ThrowIfNull(captions);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        int ppi = checked(height * width);
        if (pixels.Length != (long)captions.Count * ppi)
            throw new ArgumentException($"pixels hold {pixels.Length} values; {captions.Count} captions of {height}×{width} images need {(long)captions.Count * ppi}.", nameof(pixels));
        for (int i = 0; i < captions.Count; i++)
            if (captions[i] is null) throw new ArgumentException($"Caption {i} is null.", nameof(captions));
        CheckLength(labels, captions.Count, nameof(labels));
        CheckLength(groups, captions.Count, nameof(groups));
        if (sources is not null && sources.Count != captions.Count)
            throw new ArgumentException($"sources has {sources.Count} entries for {captions.Count} captions.", nameof(sources));
        Pixels = pixels;
        Height = height;
        Width = width;
        Captions = captions;
        Labels = labels;
        Groups = groups;
        Sources = sources;
    }

    /// <summary>Number of pairs N.</summary>
    public int Count => Captions.Count;

    /// <summary>Image rows.</summary>
    public int Height { get; }

    /// <summary>Image columns.</summary>
    public int Width { get; }

    /// <summary>Values per image.</summary>
    public int PixelsPerImage => Height * Width;

    /// <summary>All images, N×Height×Width row-major, values in [0, 1].</summary>
    public float[] Pixels { get; }

    /// <summary>The captions.</summary>
    public IReadOnlyList<string> Captions { get; }

    /// <summary>Class labels, or null.</summary>
    public int[]? Labels { get; }

    /// <summary>Match groups for retrieval, or null (each pair matches only itself).</summary>
    public int[]? Groups { get; }

    /// <summary>Where each pair came from, or null.</summary>
    public IReadOnlyList<string>? Sources { get; }

    /// <summary>The pixels of image <paramref name="index"/>.</summary>
    /// <param name="index">Zero-based pair index.</param>
    public ReadOnlySpan<float> Image(int index) => Pixels.AsSpan(checked(index * PixelsPerImage), PixelsPerImage);

    /// <summary>The pairs at <paramref name="indices"/>, in that order (copies).</summary>
    /// <param name="indices">Pair indices; repeats allowed.</param>
    public ImageCaptionSet Subset(IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        var pixels = new float[indices.Count * PixelsPerImage];
        for (int k = 0; k < indices.Count; k++)
        {
            if ((uint)indices[k] >= (uint)Count)
                throw new ArgumentOutOfRangeException(nameof(indices), indices[k], $"Index {k} is outside 0..{Count - 1}.");
            Image(indices[k]).CopyTo(pixels.AsSpan(k * PixelsPerImage, PixelsPerImage));
        }
        return new ImageCaptionSet(pixels, Height, Width, indices.Select(i => Captions[i]).ToArray(),
            Labels is null ? null : indices.Select(i => Labels[i]).ToArray(),
            Groups is null ? null : indices.Select(i => Groups[i]).ToArray(),
            Sources is null ? null : indices.Select(i => Sources[i]).ToArray());
    }

    /// <summary>
    /// Splits the pairs at random into a training part and <paramref name="heldOut"/> held-out pairs, with a
    /// Fisher–Yates permutation seeded by <paramref name="seed"/>; each part keeps the original order.
    /// </summary>
    /// <param name="heldOut">Held-out pairs, 1..N−1.</param>
    /// <param name="seed">Seed of the permutation.</param>
    public (ImageCaptionSet Train, ImageCaptionSet HeldOut) Split(int heldOut, int seed)
    {
        if (heldOut < 1 || heldOut >= Count)
            throw new ArgumentOutOfRangeException(nameof(heldOut), heldOut, $"Hold out between 1 and {Count - 1} of the {Count} pairs.");
        var order = Enumerable.Range(0, Count).ToArray();
        var random = new Random(seed);
        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        var held = order[..heldOut];
        var train = order[heldOut..];
        Array.Sort(held);
        Array.Sort(train);
        return (Subset(train), Subset(held));
    }

    private static void CheckLength(int[]? values, int count, string name)
    {
        if (values is not null && values.Length != count)
            throw new ArgumentException($"{name} has {values.Length} entries for {count} captions.", name);
    }
}
