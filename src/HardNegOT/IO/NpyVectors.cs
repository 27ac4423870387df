using System.Buffers.Binary;

namespace HardNegOT.IO;

/// <summary>
/// Reads 1-D integer <c>.npy</c> arrays such as class labels. The header is parsed by <see cref="NpyFile.ReadHeader(string)"/>,
/// so the same malformed-file checks apply; this class only adds the integer dtypes and the 1-D shape.
/// </summary>
public static class NpyVectors
{
    /// <summary>
    /// Reads a 1-D little-endian int64 (<c>&lt;i8</c>), int32 (<c>&lt;i4</c>) or uint8 (<c>|u1</c>) array as int64.
    /// int64 is what <c>np.save</c> writes for a default integer array on Linux; int32 and uint8 are accepted because
    /// Windows numpy and raw label files produce them.
    /// </summary>
    /// <param name="path">The .npy file.</param>
    /// <returns>The values in file order.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="NpyFormatException">The file is malformed or truncated, not 1-D, or of another dtype.</exception>
    public static long[] ReadInt64(string path)
    {
        var header = NpyFile.ReadHeader(path);
        int itemSize = header.Descr switch
        {
            "<i8" => 8,
            "<i4" => 4,
            "|u1" or "<u1" or "|i1" => 1,
            _ => throw new NpyFormatException(
                path, $"unsupported dtype '{header.Descr}' for an integer vector; expected int64 '<i8', int32 '<i4' or uint8 '|u1'."),
        };
        if (header.Shape.Count != 1)
        {
            throw new NpyFormatException(
                path, $"expected a 1-D array of shape (n,) but the file holds a {header.Shape.Count}-D array of shape {header.FormatShape()}.");
        }

        long count = header.Shape[0];
        if (count > Array.MaxLength)
        {
            throw new NpyFormatException(path, $"shape {header.FormatShape()} is too large to hold in one .NET array.");
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        long expected = count * itemSize;
        long actual = stream.Length - header.DataOffset;
        if (actual != expected)
        {
            throw new NpyFormatException(
                path,
                $"{(actual < expected ? "truncated data" : "data length does not match the shape")}: shape {header.FormatShape()} of " +
                $"'{header.Descr}' needs {expected} bytes after the {header.DataOffset}-byte header but the file has {actual}.");
        }

        stream.Seek(header.DataOffset, SeekOrigin.Begin);
        var bytes = new byte[expected];
        stream.ReadExactly(bytes);
        var values = new long[count];
        for (int i = 0; i < values.Length; i++)
        {
            var item = bytes.AsSpan(i * itemSize, itemSize);
            values[i] = header.Descr switch
            {
                "<i8" => BinaryPrimitives.ReadInt64LittleEndian(item),
                "<i4" => BinaryPrimitives.ReadInt32LittleEndian(item),
                "|i1" => (sbyte)item[0],
                _ => item[0],
            };
        }

        return values;
    }
}
