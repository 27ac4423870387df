using SkiaSharp;

namespace HardNegOT.Torch.Multimodal;

/// <summary>How image files become model input.</summary>
public sealed record ImageLoadOptions
{
    /// <summary>Output columns (the image is stretched to fit; default 28 for <see cref="Encoders.SmallCnn"/>).</summary>
    public int Width { get; init; } = 28;

    /// <summary>Output rows.</summary>
    public int Height { get; init; } = 28;

    /// <summary>
    /// Use 1 − luminance, for dark objects on a light background (the models here expect light on dark, as in
    /// Fashion-MNIST).
    /// </summary>
    public bool Invert { get; init; }

    /// <summary>Throws when a field is out of range.</summary>
    public void Validate()
    {
        if (Width < 1 || Width > 4096) throw new ArgumentOutOfRangeException(nameof(Width), Width, "Width must be 1..4096.");
        if (Height < 1 || Height > 4096) throw new ArgumentOutOfRangeException(nameof(Height), Height, "Height must be 1..4096.");
    }
}

/// <summary>Decodes PNG, JPEG and the other formats SkiaSharp reads into greyscale pixels in [0, 1].</summary>
public static class ImageFiles
{
    /// <summary>File extensions <see cref="CaptionedImageLoader.LoadFolder"/> treats as images.</summary>
    public static IReadOnlyList<string> Extensions { get; } = Array.AsReadOnly([".png", ".jpg", ".jpeg"]);

    /// <summary>
    /// Reads one image as Height×Width row-major values in [0, 1]: luminance 0.299R + 0.587G + 0.114B (or its
    /// complement with <see cref="ImageLoadOptions.Invert"/>) times alpha, so transparent pixels are background 0.
    /// Images of another size are resampled bilinearly to it.
    /// </summary>
    /// <param name="path">The image file.</param>
    /// <param name="options">Output size and polarity; default 28×28.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not an image SkiaSharp can decode.</exception>
    public static float[] ReadGreyscale(string path, ImageLoadOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= new ImageLoadOptions();
        options.Validate();
        if (!File.Exists(path)) throw new FileNotFoundException($"Image file '{path}' does not exist.", path);
        using var decoded = SKBitmap.Decode(path)
            ?? throw new InvalidDataException($"Image file '{path}' could not be decoded (not a PNG or JPEG, or corrupt).");
        var info = new SKImageInfo(options.Width, options.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var converted = decoded.Width == options.Width && decoded.Height == options.Height
            ? decoded.Copy(SKColorType.Rgba8888)
            : decoded.Resize(info, new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear));
        if (converted is null) throw new InvalidDataException($"Image file '{path}' could not be converted to {options.Width}×{options.Height} RGBA.");
        var result = new float[options.Width * options.Height];
        for (int y = 0; y < options.Height; y++)
            for (int x = 0; x < options.Width; x++)
            {
                var c = converted.GetPixel(x, y);
                double luminance = (0.299 * c.Red + 0.587 * c.Green + 0.114 * c.Blue) / 255.0;
                if (options.Invert) luminance = 1 - luminance;
                result[y * options.Width + x] = (float)Math.Clamp(luminance * c.Alpha / 255.0, 0, 1);
            }
        return result;
    }
}
