using System.Buffers.Binary;
using System.IO.Compression;

namespace HardNegOT.Data;

/// <summary>
/// Reads the IDX format of MNIST and Fashion-MNIST: a big-endian header (magic 0x0000TTDD where TT is the element type
/// and DD the number of dimensions, then one 32-bit size per dimension) followed by the data.
/// Files may be plain or gzip-compressed; compression is detected from the content, not the file name.
/// </summary>
public static class IdxFile
{
    /// <summary>Magic number of an unsigned-byte, 3-dimensional (count × rows × columns) image file.</summary>
    public const int UnsignedByteImagesMagic = 0x00000803;

    /// <summary>Magic number of an unsigned-byte, 1-dimensional (count) label file.</summary>
    public const int UnsignedByteLabelsMagic = 0x00000801;

    private const byte UnsignedByteType = 0x08;

    /// <summary>Reads an image file with magic 0x00000803 (unsigned bytes, count × rows × columns).</summary>
    /// <param name="path">The file, plain or gzip-compressed.</param>
    /// <returns>The images with their pixels in file order.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="IdxFormatException">Wrong magic, element type or dimension count, truncated or over-long data.</exception>
    public static IdxImages ReadImages(string path)
    {
        var (dims, data) = Read(path, expectedDimensions: 3, "images: count × rows × columns");
        return new IdxImages(dims[0], dims[1], dims[2], data);
    }

    /// <summary>Reads a label file with magic 0x00000801 (unsigned bytes, one per item).</summary>
    /// <param name="path">The file, plain or gzip-compressed.</param>
    /// <returns>The labels in file order.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="IdxFormatException">Wrong magic, element type or dimension count, truncated or over-long data.</exception>
    public static byte[] ReadLabels(string path) => Read(path, expectedDimensions: 1, "labels: count").Data;

    private static (int[] Dims, byte[] Data) Read(string path, int expectedDimensions, string layout)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"IDX file '{path}' does not exist.", path);
        }

        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        bool gzip = IsGzip(file);
        using Stream stream = gzip ? new GZipStream(file, CompressionMode.Decompress) : file;
        string bytesKind = gzip ? "decompressed bytes" : "bytes";

        try
        {
            Span<byte> magic = stackalloc byte[4];
            int got = stream.ReadAtLeast(magic, 4, throwOnEndOfStream: false);
            if (got < 4)
            {
                throw new IdxFormatException(path, $"truncated header: expected a 4-byte magic number but the file has {got} {bytesKind}.");
            }

            CheckMagic(path, magic, expectedDimensions, layout);

            int headerLength = 4 + (4 * expectedDimensions);
            var sizeBytes = new byte[4 * expectedDimensions];
            got = stream.ReadAtLeast(sizeBytes, sizeBytes.Length, throwOnEndOfStream: false);
            if (got < sizeBytes.Length)
            {
                throw new IdxFormatException(
                    path, $"truncated header: expected {headerLength} header bytes ({layout}) but the file has {4 + got} {bytesKind}.");
            }

            var dims = new int[expectedDimensions];
            long count = 1;
            for (int i = 0; i < dims.Length; i++)
            {
                uint size = BinaryPrimitives.ReadUInt32BigEndian(sizeBytes.AsSpan(4 * i, 4));
                if (size > int.MaxValue)
                {
                    throw new IdxFormatException(path, $"dimension {i} has the implausible size {size}.");
                }

                dims[i] = (int)size;
                count *= size; // each factor < 2^31 and count stays ≤ Array.MaxLength below, so no overflow
                if (count > Array.MaxLength)
                {
                    throw new IdxFormatException(path, $"dimensions ({string.Join(" × ", dims[..(i + 1)])}) are too large for one .NET array.");
                }
            }

            var data = new byte[count];
            got = stream.ReadAtLeast(data, data.Length, throwOnEndOfStream: false);
            if (got < data.Length)
            {
                throw new IdxFormatException(
                    path,
                    $"truncated data: dimensions {string.Join(" × ", dims)} need {headerLength + count} {bytesKind} " +
                    $"({headerLength}-byte header + {count} data) but the file has {headerLength + got}.");
            }

            long extra = CountRemaining(stream);
            if (extra > 0)
            {
                throw new IdxFormatException(
                    path,
                    $"data length does not match the header: dimensions {string.Join(" × ", dims)} need {headerLength + count} {bytesKind} " +
                    $"but the file has {headerLength + count + extra} ({extra} extra).");
            }

            return (dims, data);
        }
        catch (InvalidDataException ex)
        {
            // GZipStream reports corrupt or cut-off compressed data this way.
            throw new IdxFormatException(path, $"corrupt gzip data ({ex.Message}).", ex);
        }
    }

    private static void CheckMagic(string path, ReadOnlySpan<byte> magic, int expectedDimensions, string layout)
    {
        int expectedMagic = (UnsignedByteType << 8) | expectedDimensions;
        int actual = BinaryPrimitives.ReadInt32BigEndian(magic);
        if (actual == expectedMagic)
        {
            return;
        }

        string expected = $"expected magic 0x{expectedMagic:X8} (unsigned bytes, {expectedDimensions}-D {layout})";
        if (magic[0] != 0 || magic[1] != 0)
        {
            throw new IdxFormatException(path, $"bad magic 0x{actual:X8}: not an IDX file; {expected}.");
        }

        if (magic[2] != UnsignedByteType)
        {
            throw new IdxFormatException(
                path, $"magic 0x{actual:X8} declares element type 0x{magic[2]:X2} ({TypeName(magic[2])}), which is unsupported; {expected}.");
        }

        throw new IdxFormatException(
            path, $"magic 0x{actual:X8} declares {magic[3]} dimension(s); {expected}.");
    }

    private static string TypeName(byte code) => code switch
    {
        0x08 => "unsigned byte",
        0x09 => "signed byte",
        0x0B => "int16",
        0x0C => "int32",
        0x0D => "float32",
        0x0E => "float64",
        _ => "unknown type",
    };

    /// <summary>Checks for the gzip signature 1F 8B (an IDX file starts with 00 00) and rewinds.</summary>
    private static bool IsGzip(FileStream file)
    {
        Span<byte> signature = stackalloc byte[2];
        int got = file.ReadAtLeast(signature, 2, throwOnEndOfStream: false);
        file.Position = 0;
        return got == 2 && signature[0] == 0x1F && signature[1] == 0x8B;
    }

    private static long CountRemaining(Stream stream)
    {
        var scratch = new byte[1 << 14];
        long total = 0;
        int n;
        while ((n = stream.Read(scratch)) > 0)
        {
            total += n;
        }

        return total;
    }
}
