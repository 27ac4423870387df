namespace HardNegOT.Data;

/// <summary>The random choices of one augmented view: a translation, whether to mirror the image and, for colour images, the colour distortion.</summary>
/// <param name="ShiftRows">Rows to move the content down (negative: up).</param>
/// <param name="ShiftColumns">Columns to move the content right (negative: left).</param>
/// <param name="FlipHorizontal">Whether the image is mirrored left–right before it is translated.</param>
public readonly record struct AugmentationParameters(int ShiftRows, int ShiftColumns, bool FlipHorizontal)
{
    /// <summary>The colour jitter and greyscale choices (applied after flip and translation); the default changes nothing.</summary>
    public ColorJitterParameters Color { get; init; }

    /// <summary>The random resized crop, applied first; null for none.</summary>
    public CropBox? Crop { get; init; }
}

/// <summary>
/// The augmentations that turn one image into two "views" for contrastive learning: a random horizontal flip followed by
/// a random translation of up to <see cref="MaxShift"/> pixels in each direction, with zeros shifted in from the border
/// (Fashion-MNIST backgrounds are 0), and for RGB images optionally SimCLR's <see cref="Data.ColorJitter"/> (jitter and
/// random greyscale). Images are float arrays, CHW: <see cref="Channels"/> planes, each row-major.
/// </summary>
public sealed class ImageAugmentation
{
    /// <summary>Creates the augmentation for <paramref name="rows"/> × <paramref name="columns"/> images.</summary>
    /// <param name="rows">Pixel rows per image (28 for Fashion-MNIST).</param>
    /// <param name="columns">Pixel columns per image (28 for Fashion-MNIST).</param>
    /// <param name="maxShift">Largest translation in pixels along each axis; 0 disables translation.</param>
    /// <param name="flipProbability">Probability of a horizontal flip, in [0, 1].</param>
    /// <param name="channels">Channels per image: 1 (grey) or 3 (RGB).</param>
    /// <param name="colorJitter">Colour distortion of RGB views, or null for none; needs 3 channels.</param>
    /// <param name="crop">Random resized crop applied before everything else, or null for none.</param>
    public ImageAugmentation(int rows = FashionMnist.ImageRows, int columns = FashionMnist.ImageColumns, int maxShift = 2, double flipProbability = 0.5,
        int channels = 1, ColorJitter? colorJitter = null, RandomResizedCrop? crop = null)
    {
        Crop = crop;
        if (channels is not (1 or 3))
            throw new ArgumentOutOfRangeException(nameof(channels), channels, "Images have 1 (grey) or 3 (RGB) channels.");
        if (colorJitter is not null && channels != 3)
            throw new ArgumentException("Colour jitter and random greyscale need RGB images (3 channels).", nameof(colorJitter));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(columns);
        ArgumentOutOfRangeException.ThrowIfNegative(maxShift);
        if (!(flipProbability >= 0 && flipProbability <= 1))
            throw new ArgumentOutOfRangeException(nameof(flipProbability), flipProbability, "The flip probability must be in [0, 1].");
        Rows = rows;
        Columns = columns;
        MaxShift = maxShift;
        FlipProbability = flipProbability;
        Channels = channels;
        ColorJitter = colorJitter;
    }

    /// <summary>
    /// The default augmentation for images of the given shape: for grey images a flip and ±2-pixel shifts (the
    /// Fashion-MNIST default); for RGB images a flip, shifts of up to an eighth of the side (4 px on 32×32, as CIFAR's
    /// pad-4 random crop) and SimCLR's colour jitter and random greyscale.
    /// </summary>
    /// <param name="channels">1 or 3.</param>
    /// <param name="rows">Pixel rows per image.</param>
    /// <param name="columns">Pixel columns per image.</param>
    public static ImageAugmentation Default(int channels, int rows, int columns) => channels == 1
        ? new ImageAugmentation(rows, columns)
        : new ImageAugmentation(rows, columns, maxShift: 0, flipProbability: 0.5, channels, Data.ColorJitter.SimClr, new RandomResizedCrop(minScale: 0.2));

    /// <summary>The random resized crop, or null.</summary>
    public RandomResizedCrop? Crop { get; }

    /// <summary>Channels per image (1 or 3).</summary>
    public int Channels { get; }

    /// <summary>The colour distortion of RGB views, or null.</summary>
    public ColorJitter? ColorJitter { get; }

    /// <summary>Values per image: <see cref="Channels"/> × <see cref="Rows"/> × <see cref="Columns"/>.</summary>
    public int ValuesPerImage => Channels * PixelsPerImage;

    /// <summary>Pixel rows per image.</summary>
    public int Rows { get; }

    /// <summary>Pixel columns per image.</summary>
    public int Columns { get; }

    /// <summary>Pixels per image and channel (rows × columns); see <see cref="ValuesPerImage"/> for the buffer length.</summary>
    public int PixelsPerImage => Rows * Columns;

    /// <summary>Largest translation along each axis, in pixels.</summary>
    public int MaxShift { get; }

    /// <summary>Probability of a horizontal flip.</summary>
    public double FlipProbability { get; }

    /// <summary>
    /// A seed for one (sample, view) pair derived from a batch seed with SplitMix64, so that each view's augmentation
    /// depends only on (seed, sample, view) and not on the order in which views are generated. (HashCode.Combine is
    /// randomised per process and would not be reproducible.)
    /// </summary>
    /// <param name="seed">The batch seed.</param>
    /// <param name="sample">Index of the sample in the batch.</param>
    /// <param name="view">Index of the view (0 or 1 for two views).</param>
    public static int SeedFor(int seed, int sample, int view)
    {
        ulong z = (ulong)(uint)seed * 0x9E3779B97F4A7C15UL ^ ((ulong)(uint)sample << 20) ^ (ulong)(uint)view;
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (int)(z & int.MaxValue);
    }

    /// <summary>
    /// Draws one view's parameters: each shift uniform in [−MaxShift, MaxShift], a flip with probability FlipProbability,
    /// then (with a colour jitter) the colour choices.
    /// </summary>
    /// <param name="random">The source of randomness.</param>
    public AugmentationParameters Sample(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        int dy = random.Next(-MaxShift, MaxShift + 1);
        int dx = random.Next(-MaxShift, MaxShift + 1);
        bool flip = random.NextDouble() < FlipProbability;
        // Colour, then crop draws come last, so views without them see exactly the draws they always did.
        var color = ColorJitter?.Sample(random) ?? default;
        return new AugmentationParameters(dy, dx, flip) { Color = color, Crop = Crop?.Sample(random, Rows, Columns) };
    }

    /// <summary>Writes the augmented image: cropped and resized, flipped, translated with zero fill, then colour-distorted, each if asked.</summary>
    /// <param name="image">The source image, <see cref="ValuesPerImage"/> values (CHW, in [0, 1] for the colour distortion).</param>
    /// <param name="destination">Where the view goes; must not overlap <paramref name="image"/>.</param>
    /// <param name="parameters">The flip, translation and colour choices to apply.</param>
    public void Apply(ReadOnlySpan<float> image, Span<float> destination, AugmentationParameters parameters)
    {
        CheckBuffers(image, destination);
        if (parameters.Crop is { } box)
        {
            var cropped = new float[ValuesPerImage];
            RandomResizedCrop.Resample(image, cropped, Channels, Rows, Columns, box);
            Apply(cropped, destination, parameters with { Crop = null });
            return;
        }
        if (!parameters.FlipHorizontal)
        {
            Translate(image, destination, parameters.ShiftRows, parameters.ShiftColumns);
        }
        else
        {
            Span<float> flipped = ValuesPerImage <= 4096 ? stackalloc float[ValuesPerImage] : new float[ValuesPerImage];
            FlipHorizontal(image, flipped);
            Translate(flipped, destination, parameters.ShiftRows, parameters.ShiftColumns);
        }

        if (parameters.Color.Jitter || parameters.Color.Grayscale)
        {
            if (Channels != 3) throw new ArgumentException("Colour choices need RGB images (3 channels).", nameof(parameters));
            Data.ColorJitter.Apply(destination, PixelsPerImage, parameters.Color);
        }
    }

    /// <summary>Draws parameters from <paramref name="random"/> and writes the augmented image.</summary>
    /// <param name="image">The source image.</param>
    /// <param name="destination">Where the view goes; must not overlap <paramref name="image"/>.</param>
    /// <param name="random">The source of randomness.</param>
    /// <returns>The parameters that were applied.</returns>
    public AugmentationParameters Apply(ReadOnlySpan<float> image, Span<float> destination, Random random)
    {
        var parameters = Sample(random);
        Apply(image, destination, parameters);
        return parameters;
    }

    /// <summary>Mirrors every channel left–right: destination[ch, r, c] = image[ch, r, Columns − 1 − c].</summary>
    /// <param name="image">The source image.</param>
    /// <param name="destination">The mirrored image; must not overlap <paramref name="image"/>.</param>
    public void FlipHorizontal(ReadOnlySpan<float> image, Span<float> destination)
    {
        CheckBuffers(image, destination);
        // The planes of a CHW image are stacked rows, so mirroring every row mirrors every channel.
        for (int r = 0; r < Channels * Rows; r++)
        {
            var source = image.Slice(r * Columns, Columns);
            var target = destination.Slice(r * Columns, Columns);
            for (int c = 0; c < Columns; c++) target[c] = source[Columns - 1 - c];
        }
    }

    /// <summary>
    /// Moves the content of every channel by (<paramref name="shiftRows"/>, <paramref name="shiftColumns"/>):
    /// destination[ch, r, c] = image[ch, r − shiftRows, c − shiftColumns], and 0 where that falls outside the image.
    /// </summary>
    /// <param name="image">The source image.</param>
    /// <param name="destination">The translated image; must not overlap <paramref name="image"/>.</param>
    /// <param name="shiftRows">Rows to move down (negative: up).</param>
    /// <param name="shiftColumns">Columns to move right (negative: left).</param>
    public void Translate(ReadOnlySpan<float> image, Span<float> destination, int shiftRows, int shiftColumns)
    {
        CheckBuffers(image, destination);
        destination.Clear();
        // Only the overlap of the shifted image with the frame is copied; everything else stays 0.
        int columnStart = Math.Max(0, shiftColumns), columnEnd = Math.Min(Columns, Columns + shiftColumns);
        if (columnStart >= columnEnd) return;
        for (int ch = 0; ch < Channels; ch++)
        {
            var sourcePlane = image.Slice(ch * PixelsPerImage, PixelsPerImage);
            var targetPlane = destination.Slice(ch * PixelsPerImage, PixelsPerImage);
            for (int r = Math.Max(0, shiftRows); r < Math.Min(Rows, Rows + shiftRows); r++)
            {
                var source = sourcePlane.Slice((r - shiftRows) * Columns + columnStart - shiftColumns, columnEnd - columnStart);
                source.CopyTo(targetPlane.Slice(r * Columns + columnStart, columnEnd - columnStart));
            }
        }
    }

    private void CheckBuffers(ReadOnlySpan<float> image, Span<float> destination)
    {
        if (image.Length != ValuesPerImage)
            throw new ArgumentException($"image has {image.Length} values, expected {Channels}×{Rows}×{Columns} = {ValuesPerImage}.", nameof(image));
        if (destination.Length != ValuesPerImage)
            throw new ArgumentException($"destination has {destination.Length} values, expected {ValuesPerImage}.", nameof(destination));
        if (image.Overlaps(destination))
            throw new ArgumentException("destination must not overlap the source image.", nameof(destination));
    }
}
