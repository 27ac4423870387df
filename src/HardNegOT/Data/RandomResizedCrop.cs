namespace HardNegOT.Data;

/// <summary>A crop rectangle in source pixels (fractional corners allowed), resampled to the full image size.</summary>
/// <param name="Top">Top edge, in rows.</param>
/// <param name="Left">Left edge, in columns.</param>
/// <param name="Height">Height, in rows.</param>
/// <param name="Width">Width, in columns.</param>
public readonly record struct CropBox(double Top, double Left, double Height, double Width);

/// <summary>
/// Random resized crop, per sample: a box covering a fraction s ~ U[<see cref="MinScale"/>, <see cref="MaxScale"/>] of
/// the image area with aspect ratio r, log r ~ U[log <see cref="MinRatio"/>, log <see cref="MaxRatio"/>], placed
/// uniformly; if ten draws do not fit, the largest centred box of ratio in range is used. The box is resampled to the
/// image size bilinearly (pixel centres aligned), so the view keeps its shape.
/// </summary>
public sealed class RandomResizedCrop
{
    /// <summary>Creates the crop; ranges must be positive and ordered, with scales in (0, 1].</summary>
    /// <param name="minScale">Smallest area fraction (SimCLR: 0.08; 0.2 is common for 32×32 images).</param>
    /// <param name="maxScale">Largest area fraction.</param>
    /// <param name="minRatio">Smallest width/height ratio.</param>
    /// <param name="maxRatio">Largest width/height ratio.</param>
    public RandomResizedCrop(double minScale = 0.08, double maxScale = 1.0, double minRatio = 3.0 / 4, double maxRatio = 4.0 / 3)
    {
        if (!(minScale > 0 && minScale <= maxScale && maxScale <= 1))
            throw new ArgumentOutOfRangeException(nameof(minScale), minScale, $"Crop scales need 0 < min ≤ max ≤ 1 (got {minScale}, {maxScale}).");
        if (!(minRatio > 0 && minRatio <= maxRatio && double.IsFinite(maxRatio)))
            throw new ArgumentOutOfRangeException(nameof(minRatio), minRatio, $"Crop ratios need 0 < min ≤ max < ∞ (got {minRatio}, {maxRatio}).");
        MinScale = minScale;
        MaxScale = maxScale;
        MinRatio = minRatio;
        MaxRatio = maxRatio;
    }

    /// <summary>Smallest area fraction.</summary>
    public double MinScale { get; }

    /// <summary>Largest area fraction.</summary>
    public double MaxScale { get; }

    /// <summary>Smallest aspect ratio (width/height).</summary>
    public double MinRatio { get; }

    /// <summary>Largest aspect ratio (width/height).</summary>
    public double MaxRatio { get; }

    /// <summary>Draws a box for a <paramref name="rows"/> × <paramref name="columns"/> image.</summary>
    /// <param name="random">The source of randomness.</param>
    /// <param name="rows">Image rows.</param>
    /// <param name="columns">Image columns.</param>
    public CropBox Sample(Random random, int rows, int columns)
    {
        ArgumentNullException.ThrowIfNull(random);
        double area = (double)rows * columns;
        double logMin = Math.Log(MinRatio), logMax = Math.Log(MaxRatio);
        for (int attempt = 0; attempt < 10; attempt++)
        {
            double target = area * (MinScale + (MaxScale - MinScale) * random.NextDouble());
            double ratio = Math.Exp(logMin + (logMax - logMin) * random.NextDouble());
            double width = Math.Sqrt(target * ratio), height = Math.Sqrt(target / ratio);
            if (width <= columns && height <= rows)
                return new CropBox((rows - height) * random.NextDouble(), (columns - width) * random.NextDouble(), height, width);
        }
        // Fallback: the whole image, trimmed to the nearest allowed ratio, centred.
        double imageRatio = (double)columns / rows;
        double h = rows, w = columns;
        if (imageRatio < MinRatio) h = columns / MinRatio;
        else if (imageRatio > MaxRatio) w = rows * MaxRatio;
        return new CropBox((rows - h) / 2, (columns - w) / 2, h, w);
    }

    /// <summary>
    /// Resamples <paramref name="box"/> of every channel of a CHW image to the full image size, bilinearly; samples
    /// outside the image clamp to its edge.
    /// </summary>
    /// <param name="image">Source, channels × rows × columns.</param>
    /// <param name="destination">Output, same size; must not overlap <paramref name="image"/>.</param>
    /// <param name="channels">Channels.</param>
    /// <param name="rows">Rows.</param>
    /// <param name="columns">Columns.</param>
    /// <param name="box">The crop.</param>
    public static void Resample(ReadOnlySpan<float> image, Span<float> destination, int channels, int rows, int columns, CropBox box)
    {
        int plane = rows * columns;
        if (image.Length != channels * plane || destination.Length != channels * plane)
            throw new ArgumentException($"image and destination must hold {channels}×{rows}×{columns} values.", nameof(destination));
        double scaleY = box.Height / rows, scaleX = box.Width / columns;
        for (int r = 0; r < rows; r++)
        {
            // Pixel centres: output centre r + ½ maps to box.Top + (r + ½)·scale in source coordinates.
            double y = Math.Clamp(box.Top + (r + 0.5) * scaleY - 0.5, 0, rows - 1);
            int y0 = (int)y, y1 = Math.Min(y0 + 1, rows - 1);
            double fy = y - y0;
            for (int c = 0; c < columns; c++)
            {
                double x = Math.Clamp(box.Left + (c + 0.5) * scaleX - 0.5, 0, columns - 1);
                int x0 = (int)x, x1 = Math.Min(x0 + 1, columns - 1);
                double fx = x - x0;
                for (int ch = 0; ch < channels; ch++)
                {
                    var p = image.Slice(ch * plane, plane);
                    double top = p[y0 * columns + x0] * (1 - fx) + p[y0 * columns + x1] * fx;
                    double bottom = p[y1 * columns + x0] * (1 - fx) + p[y1 * columns + x1] * fx;
                    destination[ch * plane + r * columns + c] = (float)(top * (1 - fy) + bottom * fy);
                }
            }
        }
    }
}
