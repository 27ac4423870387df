namespace HardNegOT.Data;

/// <summary>
/// Unsigned-byte images read from an IDX file: <see cref="Count"/> images of <see cref="Rows"/> × <see cref="Columns"/>
/// pixels, stored image after image, each row-major.
/// </summary>
public sealed class IdxImages
{
    /// <summary>Wraps <paramref name="pixels"/> (not copied) as <paramref name="count"/> images of the given size.</summary>
    /// <param name="count">Number of images.</param>
    /// <param name="rows">Pixel rows per image.</param>
    /// <param name="columns">Pixel columns per image.</param>
    /// <param name="pixels">count × rows × columns bytes.</param>
    /// <exception cref="ArgumentException">The pixel count does not match the dimensions.</exception>
    public IdxImages(int count, int rows, int columns, byte[] pixels)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        ArgumentNullException.ThrowIfNull(pixels);
        if ((long)count * rows * columns != pixels.LongLength)
        {
            throw new ArgumentException(
                $"{pixels.Length} pixels do not make {count} images of {rows}×{columns}.", nameof(pixels));
        }

        Count = count;
        Rows = rows;
        Columns = columns;
        Pixels = pixels;
    }

    /// <summary>Number of images.</summary>
    public int Count { get; }

    /// <summary>Pixel rows per image.</summary>
    public int Rows { get; }

    /// <summary>Pixel columns per image.</summary>
    public int Columns { get; }

    /// <summary>Pixels per image: <see cref="Rows"/> × <see cref="Columns"/>.</summary>
    public int PixelsPerImage => Rows * Columns;

    /// <summary>All pixels, 0..255: image i occupies <c>[i * PixelsPerImage, (i + 1) * PixelsPerImage)</c>, row-major.</summary>
    public byte[] Pixels { get; }

    /// <summary>The pixels of image <paramref name="index"/> (a view, not a copy).</summary>
    /// <param name="index">Zero-based image index.</param>
    public ReadOnlySpan<byte> Image(int index)
    {
        if ((uint)index >= (uint)Count)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"Image index must be in [0, {Count}).");
        }

        return Pixels.AsSpan(index * PixelsPerImage, PixelsPerImage);
    }

    /// <summary>
    /// All pixels scaled to [0, 1] as float32 (pixel / 255), Count × PixelsPerImage row-major; a new array on every call.
    /// </summary>
    public float[] ToFloat32()
    {
        var result = new float[Pixels.Length];
        for (int i = 0; i < result.Length; i++)
        {
            // Division rather than multiplication by 1/255 so that 255 maps exactly to 1.
            result[i] = Pixels[i] / 255f;
        }

        return result;
    }
}
