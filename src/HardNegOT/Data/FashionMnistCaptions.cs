namespace HardNegOT.Data;

/// <summary>Simple visual attributes of a 28×28 image, measured on its foreground (pixels ≥ <see cref="FashionMnistCaptions.ForegroundThreshold"/>).</summary>
/// <param name="MeanIntensity">Mean value of the foreground pixels (0 when there are none).</param>
/// <param name="Fill">Fraction of all pixels that are foreground.</param>
/// <param name="ColumnSpan">Columns from the leftmost to the rightmost foreground pixel (0 when there are none).</param>
public readonly record struct ImageAttributes(double MeanIntensity, double Fill, int ColumnSpan)
{
    /// <summary>"dark" below <see cref="FashionMnistCaptions.DarkBelow"/>, else "light".</summary>
    public string BrightnessWord => MeanIntensity < FashionMnistCaptions.DarkBelow ? "dark" : "light";

    /// <summary>"small" below <see cref="FashionMnistCaptions.SmallBelow"/>, else "large".</summary>
    public string SizeWord => Fill < FashionMnistCaptions.SmallBelow ? "small" : "large";

    /// <summary>"narrow" below <see cref="FashionMnistCaptions.NarrowBelow"/> columns, else "wide".</summary>
    public string WidthWord => ColumnSpan < FashionMnistCaptions.NarrowBelow ? "narrow" : "wide";
}

/// <summary>
/// Captions for Fashion-MNIST images from the class name and three attributes measured on the pixels (brightness,
/// size, width), in one of a few templates picked per image from (seed, index). Every template names the class and
/// all three attribute words, so a caption's content depends on the image alone and only its wording on the seed.
/// </summary>
public static class FashionMnistCaptions
{
    /// <summary>Pixels at or above this value are foreground.</summary>
    public const float ForegroundThreshold = 0.1f;

    /// <summary>Mean foreground intensity below which an image is "dark" (about the 40th percentile of the training split).</summary>
    public const double DarkBelow = 0.6;

    /// <summary>Foreground fraction below which an image is "small" (about the median of the training split).</summary>
    public const double SmallBelow = 0.45;

    /// <summary>Foreground column span below which an image is "narrow" (trousers and most dresses are).</summary>
    public const int NarrowBelow = 18;

    /// <summary>
    /// The templates; {b}, {s}, {w} and {c} stand for the brightness, size and width words and the class noun
    /// (every attribute word starts with a consonant, so the article is always "a").
    /// </summary>
    public static IReadOnlyList<string> Templates { get; } = Array.AsReadOnly(
    [
        "a photo of a {b}, {s}, {w} {c}.",
        "a {s} {w} {c} in {b} tones.",
        "an image of a {w} {c}, {s} and {b}.",
        "{b} {c}: {s} and {w}.",
    ]);

    /// <summary>The class name as captions write it: lower case, e.g. "ankle boot", "t-shirt/top".</summary>
    /// <param name="label">Class 0..9.</param>
    public static string ClassNoun(int label)
    {
        if ((uint)label >= FashionMnist.ClassCount)
            throw new ArgumentOutOfRangeException(nameof(label), label, $"Fashion-MNIST labels are 0..{FashionMnist.ClassCount - 1}.");
        return FashionMnist.ClassNames[label].ToLowerInvariant();
    }

    /// <summary>Measures the attributes of one 28×28 image with values in [0, 1].</summary>
    /// <param name="image">784 pixels, row-major.</param>
    public static ImageAttributes Describe(ReadOnlySpan<float> image)
    {
        if (image.Length != FashionMnist.PixelsPerImage)
            throw new ArgumentException($"An image has {FashionMnist.PixelsPerImage} pixels; got {image.Length}.", nameof(image));
        double sum = 0;
        int count = 0, left = int.MaxValue, right = -1;
        for (int p = 0; p < image.Length; p++)
        {
            float v = image[p];
            if (!float.IsFinite(v)) throw new ArgumentException($"Pixel {p} is {v}.", nameof(image));
            if (v < ForegroundThreshold) continue;
            sum += v;
            count++;
            int column = p % FashionMnist.ImageColumns;
            left = Math.Min(left, column);
            right = Math.Max(right, column);
        }
        return count == 0
            ? new ImageAttributes(0, 0, 0)
            : new ImageAttributes(sum / count, (double)count / image.Length, right - left + 1);
    }

    /// <summary>The caption of one image in template <paramref name="template"/>.</summary>
    /// <param name="image">784 pixels in [0, 1].</param>
    /// <param name="label">Class 0..9.</param>
    /// <param name="template">Index into <see cref="Templates"/>.</param>
    public static string Caption(ReadOnlySpan<float> image, int label, int template)
    {
        if ((uint)template >= (uint)Templates.Count)
            throw new ArgumentOutOfRangeException(nameof(template), template, $"Templates are 0..{Templates.Count - 1}.");
        var a = Describe(image);
        return Fill(Templates[template], a.BrightnessWord, a.SizeWord, a.WidthWord, ClassNoun(label));
    }

    /// <summary>The template image <paramref name="index"/> gets under <paramref name="seed"/>.</summary>
    /// <param name="seed">Caption seed.</param>
    /// <param name="index">Image index.</param>
    public static int TemplateOf(int seed, int index) =>
        ImageAugmentation.SeedFor(seed, index, 0x7e47) % Templates.Count;

    /// <summary>
    /// Pairs the first <paramref name="count"/> images of <paramref name="set"/> (all when null) with their captions.
    /// Groups are (class, brightness, size, width), so retrieval counts any image with the same content as a match.
    /// </summary>
    /// <param name="set">A loaded split.</param>
    /// <param name="seed">Seed of the template choice.</param>
    /// <param name="count">How many images, from the start of the split; null for all.</param>
    public static ImageCaptionSet Build(FashionMnistSet set, int seed, int? count = null)
    {
        ArgumentNullException.ThrowIfNull(set);
        int n = count ?? set.Count;
        if (n < 1 || n > set.Count)
            throw new ArgumentOutOfRangeException(nameof(count), count, $"The split has {set.Count} images.");
        // Only the n images used are widened (pixel / 255, as IdxImages.ToFloat32 does).
        var pixels = new float[n * FashionMnist.PixelsPerImage];
        var bytes = set.Images.Pixels;
        for (int i = 0; i < pixels.Length; i++) pixels[i] = bytes[i] / 255f;
        return Build(pixels, set.LabelsAsInt32().AsSpan(0, n).ToArray(), seed);
    }

    /// <summary>Pairs row-major 28×28 images (values in [0, 1]) with their captions; see <see cref="Build(FashionMnistSet, int, int?)"/>.</summary>
    /// <param name="pixels">N×784 pixels.</param>
    /// <param name="labels">N class labels 0..9.</param>
    /// <param name="seed">Seed of the template choice.</param>
    public static ImageCaptionSet Build(float[] pixels, int[] labels, int seed)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        ArgumentNullException.ThrowIfNull(labels);
        const int ppi = FashionMnist.PixelsPerImage;
        if (pixels.Length != (long)labels.Length * ppi)
            throw new ArgumentException($"pixels hold {pixels.Length} values; {labels.Length} labels need {(long)labels.Length * ppi}.", nameof(pixels));
        var captions = new string[labels.Length];
        var groups = new int[labels.Length];
        for (int i = 0; i < labels.Length; i++)
        {
            var image = pixels.AsSpan(i * ppi, ppi);
            captions[i] = Caption(image, labels[i], TemplateOf(seed, i));
            var a = Describe(image);
            groups[i] = labels[i] * 8 + (a.BrightnessWord == "dark" ? 0 : 4) + (a.SizeWord == "small" ? 0 : 2) + (a.WidthWord == "narrow" ? 0 : 1);
        }
        return new ImageCaptionSet(pixels, FashionMnist.ImageRows, FashionMnist.ImageColumns, captions, labels, groups);
    }

    private static string Fill(string template, string brightness, string size, string width, string noun) =>
        template.Replace("{b}", brightness).Replace("{s}", size).Replace("{w}", width).Replace("{c}", noun);
}
