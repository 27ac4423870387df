namespace HardNegOT.Data;

/// <summary>
/// The colour choices of one augmented view: whether the jitter is applied, its four factors and their order, and
/// whether the view is turned grey. The default value changes nothing.
/// </summary>
/// <param name="Jitter">Whether brightness, contrast, saturation and hue are adjusted.</param>
/// <param name="Brightness">Brightness factor (1: unchanged).</param>
/// <param name="Contrast">Contrast factor (1: unchanged).</param>
/// <param name="Saturation">Saturation factor (1: unchanged).</param>
/// <param name="Hue">Hue shift in turns (0: unchanged).</param>
/// <param name="Order">The order of the four adjustments, a permutation of "bcsh" (brightness, contrast, saturation, hue).</param>
/// <param name="Grayscale">Whether the view is replaced by its luma in all three channels (after the jitter).</param>
public readonly record struct ColorJitterParameters(
    bool Jitter, float Brightness, float Contrast, float Saturation, float Hue, string? Order, bool Grayscale);

/// <summary>
/// SimCLR's colour distortion for RGB images in [0, 1], CHW float: with probability <see cref="Probability"/> a colour
/// jitter — brightness, contrast and saturation factors drawn uniformly from [max(0, 1 − s), 1 + s] and a hue shift from
/// [−h, h], applied in a random order with clamping to [0, 1] after each, as torchvision's ColorJitter does — then, with
/// probability <see cref="GrayscaleProbability"/>, conversion to greyscale (luma 0.2989 R + 0.587 G + 0.114 B in every
/// channel).
/// </summary>
public sealed class ColorJitter
{
    /// <summary>Luma weights of red, green and blue (ITU-R 601, as torchvision uses them).</summary>
    public static readonly (float R, float G, float B) LumaWeights = (0.2989f, 0.587f, 0.114f);

    /// <summary>Creates the distortion; every strength 0 and both probabilities 0 make it the identity.</summary>
    /// <param name="brightness">Brightness strength s ≥ 0: factor in [max(0, 1 − s), 1 + s].</param>
    /// <param name="contrast">Contrast strength ≥ 0.</param>
    /// <param name="saturation">Saturation strength ≥ 0.</param>
    /// <param name="hue">Hue strength in [0, 0.5] turns: shift in [−hue, hue].</param>
    /// <param name="probability">Probability that the jitter is applied to a view.</param>
    /// <param name="grayscaleProbability">Probability that a view is turned grey.</param>
    /// <exception cref="ArgumentOutOfRangeException">A strength is negative, NaN or infinite, the hue strength exceeds 0.5, or a probability is outside [0, 1].</exception>
    public ColorJitter(double brightness = 0.4, double contrast = 0.4, double saturation = 0.4, double hue = 0.1,
        double probability = 0.8, double grayscaleProbability = 0.2)
    {
        static void Strength(double value, string name)
        {
            if (!(value >= 0 && double.IsFinite(value)))
                throw new ArgumentOutOfRangeException(name, value, "A jitter strength must be a finite number ≥ 0.");
        }
        static void CheckProbability(double value, string name)
        {
            if (!(value >= 0 && value <= 1))
                throw new ArgumentOutOfRangeException(name, value, "A probability must lie in [0, 1].");
        }
        Strength(brightness, nameof(brightness));
        Strength(contrast, nameof(contrast));
        Strength(saturation, nameof(saturation));
        if (!(hue >= 0 && hue <= 0.5))
            throw new ArgumentOutOfRangeException(nameof(hue), hue, "The hue strength must lie in [0, 0.5] turns.");
        CheckProbability(probability, nameof(probability));
        CheckProbability(grayscaleProbability, nameof(grayscaleProbability));
        BrightnessStrength = brightness;
        ContrastStrength = contrast;
        SaturationStrength = saturation;
        HueStrength = hue;
        Probability = probability;
        GrayscaleProbability = grayscaleProbability;
    }

    /// <summary>SimCLR's CIFAR setting: strengths 0.4, 0.4, 0.4, 0.1 applied with p = 0.8, then greyscale with p = 0.2.</summary>
    public static ColorJitter SimClr { get; } = new();

    /// <summary>Brightness strength.</summary>
    public double BrightnessStrength { get; }

    /// <summary>Contrast strength.</summary>
    public double ContrastStrength { get; }

    /// <summary>Saturation strength.</summary>
    public double SaturationStrength { get; }

    /// <summary>Hue strength in turns.</summary>
    public double HueStrength { get; }

    /// <summary>Probability that the jitter is applied.</summary>
    public double Probability { get; }

    /// <summary>Probability of the greyscale conversion.</summary>
    public double GrayscaleProbability { get; }

    /// <summary>Draws one view's colour choices.</summary>
    /// <param name="random">The source of randomness.</param>
    public ColorJitterParameters Sample(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        bool jitter = random.NextDouble() < Probability;
        // Everything is drawn whether or not the jitter applies, so the stream never depends on the coin flip.
        float brightness = Factor(random, BrightnessStrength);
        float contrast = Factor(random, ContrastStrength);
        float saturation = Factor(random, SaturationStrength);
        float hue = (float)((2 * random.NextDouble() - 1) * HueStrength);
        Span<char> order = ['b', 'c', 's', 'h'];
        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        bool grey = random.NextDouble() < GrayscaleProbability;
        return new ColorJitterParameters(jitter, brightness, contrast, saturation, hue, new string(order), grey);
    }

    private static float Factor(Random random, double strength) =>
        (float)(Math.Max(0, 1 - strength) + random.NextDouble() * (1 + strength - Math.Max(0, 1 - strength)));

    /// <summary>Applies <paramref name="parameters"/> in place to one RGB image.</summary>
    /// <param name="image">3 × <paramref name="plane"/> values in [0, 1], CHW.</param>
    /// <param name="plane">Pixels per channel (rows × columns).</param>
    /// <param name="parameters">The choices from <see cref="Sample"/>.</param>
    public static void Apply(Span<float> image, int plane, ColorJitterParameters parameters)
    {
        CheckRgb(image, plane);
        if (parameters.Jitter)
        {
            foreach (char op in parameters.Order ?? "bcsh")
            {
                switch (op)
                {
                    case 'b' when parameters.Brightness != 1: AdjustBrightness(image, parameters.Brightness); break;
                    case 'c' when parameters.Contrast != 1: AdjustContrast(image, plane, parameters.Contrast); break;
                    case 's' when parameters.Saturation != 1: AdjustSaturation(image, plane, parameters.Saturation); break;
                    case 'h' when parameters.Hue != 0: AdjustHue(image, plane, parameters.Hue); break;
                    case 'b' or 'c' or 's' or 'h': break;
                    default: throw new ArgumentException($"Order '{parameters.Order}' is not a permutation of \"bcsh\".", nameof(parameters));
                }
            }
        }
        if (parameters.Grayscale) ToGrayscale(image, plane);
    }

    /// <summary>Scales every value by <paramref name="factor"/> and clamps to [0, 1] (blend with black).</summary>
    /// <param name="image">The image, any layout.</param>
    /// <param name="factor">Brightness factor ≥ 0.</param>
    public static void AdjustBrightness(Span<float> image, float factor)
    {
        for (int i = 0; i < image.Length; i++) image[i] = Clamp01(factor * image[i]);
    }

    /// <summary>Blends every value with the image's mean luma: factor · x + (1 − factor) · mean, clamped to [0, 1].</summary>
    /// <param name="image">3 × <paramref name="plane"/> values, CHW.</param>
    /// <param name="plane">Pixels per channel.</param>
    /// <param name="factor">Contrast factor ≥ 0 (0: flat grey, 1: unchanged).</param>
    public static void AdjustContrast(Span<float> image, int plane, float factor)
    {
        CheckRgb(image, plane);
        double sum = 0;
        for (int p = 0; p < plane; p++) sum += Luma(image, plane, p);
        float mean = (float)(sum / plane);
        for (int i = 0; i < image.Length; i++) image[i] = Clamp01(factor * image[i] + (1 - factor) * mean);
    }

    /// <summary>Blends every pixel with its own luma: factor · x + (1 − factor) · luma, clamped to [0, 1].</summary>
    /// <param name="image">3 × <paramref name="plane"/> values, CHW.</param>
    /// <param name="plane">Pixels per channel.</param>
    /// <param name="factor">Saturation factor ≥ 0 (0: grey, 1: unchanged).</param>
    public static void AdjustSaturation(Span<float> image, int plane, float factor)
    {
        CheckRgb(image, plane);
        for (int p = 0; p < plane; p++)
        {
            float luma = Luma(image, plane, p);
            for (int c = 0; c < 3; c++) image[c * plane + p] = Clamp01(factor * image[c * plane + p] + (1 - factor) * luma);
        }
    }

    /// <summary>Rotates every pixel's hue by <paramref name="shift"/> turns (any real; whole turns change nothing) via HSV.</summary>
    /// <param name="image">3 × <paramref name="plane"/> values in [0, 1], CHW.</param>
    /// <param name="plane">Pixels per channel.</param>
    /// <param name="shift">Hue shift in turns.</param>
    public static void AdjustHue(Span<float> image, int plane, double shift)
    {
        CheckRgb(image, plane);
        if (!double.IsFinite(shift)) throw new ArgumentOutOfRangeException(nameof(shift), shift, "The hue shift must be finite.");
        for (int p = 0; p < plane; p++)
        {
            var (h, s, v) = RgbToHsv(image[p], image[plane + p], image[2 * plane + p]);
            h += shift;
            h -= Math.Floor(h);
            var (r, g, b) = HsvToRgb(h, s, v);
            image[p] = Clamp01((float)r);
            image[plane + p] = Clamp01((float)g);
            image[2 * plane + p] = Clamp01((float)b);
        }
    }

    /// <summary>Replaces every channel by the pixel's luma.</summary>
    /// <param name="image">3 × <paramref name="plane"/> values, CHW.</param>
    /// <param name="plane">Pixels per channel.</param>
    public static void ToGrayscale(Span<float> image, int plane)
    {
        CheckRgb(image, plane);
        for (int p = 0; p < plane; p++)
        {
            float luma = Clamp01(Luma(image, plane, p));
            image[p] = image[plane + p] = image[2 * plane + p] = luma;
        }
    }

    /// <summary>
    /// RGB in [0, 1] to hue (turns, [0, 1)), saturation and value ([0, 1]): v = max, s = (max − min) / max (0 when max
    /// is 0), h from the sector of the largest channel (0 for greys).
    /// </summary>
    /// <param name="r">Red.</param>
    /// <param name="g">Green.</param>
    /// <param name="b">Blue.</param>
    public static (double H, double S, double V) RgbToHsv(double r, double g, double b)
    {
        double max = Math.Max(r, Math.Max(g, b));
        double min = Math.Min(r, Math.Min(g, b));
        double delta = max - min;
        double s = max > 0 ? delta / max : 0;
        if (delta <= 0) return (0, s, max);
        double sector = max == r ? (g - b) / delta : max == g ? 2 + (b - r) / delta : 4 + (r - g) / delta;
        double h = sector / 6;
        return (h - Math.Floor(h), s, max);
    }

    /// <summary>The inverse of <see cref="RgbToHsv"/>: hue in turns (any real, taken modulo 1), saturation and value in [0, 1].</summary>
    /// <param name="h">Hue in turns.</param>
    /// <param name="s">Saturation.</param>
    /// <param name="v">Value.</param>
    public static (double R, double G, double B) HsvToRgb(double h, double s, double v)
    {
        double h6 = (h - Math.Floor(h)) * 6;
        int sector = (int)Math.Floor(h6);
        double f = h6 - sector;
        double p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
        return (sector % 6) switch
        {
            0 => (v, t, p),
            1 => (q, v, p),
            2 => (p, v, t),
            3 => (p, q, v),
            4 => (t, p, v),
            _ => (v, p, q),
        };
    }

    private static float Luma(ReadOnlySpan<float> image, int plane, int p) =>
        LumaWeights.R * image[p] + LumaWeights.G * image[plane + p] + LumaWeights.B * image[2 * plane + p];

    private static float Clamp01(float x) => Math.Clamp(x, 0f, 1f);

    private static void CheckRgb(ReadOnlySpan<float> image, int plane)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(plane);
        if (image.Length != 3L * plane)
            throw new ArgumentException($"image has {image.Length} values; an RGB image of {plane} pixels per channel has {3L * plane}.", nameof(image));
    }
}
