using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace HardNegOT.IO;

/// <summary>
/// Reads and writes NumPy <c>.npy</c> files (format versions 1.0, 2.0 and 3.0).
/// Readers accept 2-D little-endian float32 (<c>&lt;f4</c>) or float64 (<c>&lt;f8</c>) arrays in C order;
/// writers produce version 1.0 files that <c>numpy.load</c> reads.
/// </summary>
/// <remarks>
/// NaN and infinite values are read and written as they are: whether they are acceptable is for the consumer to decide.
/// </remarks>
public static class NpyFile
{
    /// <summary>The six bytes every .npy file starts with: 0x93 followed by "NUMPY".</summary>
    private static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>numpy aligns the data start to this many bytes so that the data can be memory-mapped.</summary>
    private const int HeaderAlignment = 64;

    /// <summary>Elements converted per chunk when the file dtype differs from the requested one.</summary>
    private const int ConversionChunk = 1 << 14;

    /// <summary>Reads a 2-D float32 or float64 array, converting float64 values to float32 (round to nearest).</summary>
    /// <param name="path">The .npy file.</param>
    /// <returns>The matrix in row-major order.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="NpyFormatException">The file is malformed, truncated, not 2-D, Fortran-ordered or of another dtype.</exception>
    public static NpyArray<float> ReadMatrixAsFloat32(string path) => ReadMatrix<float>(path);

    /// <summary>Reads a 2-D float32 or float64 array as float64 (float32 values are widened exactly).</summary>
    /// <param name="path">The .npy file.</param>
    /// <returns>The matrix in row-major order.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="NpyFormatException">The file is malformed, truncated, not 2-D, Fortran-ordered or of another dtype.</exception>
    public static NpyArray<double> ReadMatrixAsFloat64(string path) => ReadMatrix<double>(path);

    /// <summary>Reads and validates only the header of a .npy file (magic, version, 'descr', 'fortran_order', 'shape').</summary>
    /// <param name="path">The .npy file.</param>
    /// <returns>The parsed header; its dtype and shape are reported, not checked against what readers support.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="NpyFormatException">The magic, version or header dictionary is malformed or truncated.</exception>
    public static NpyHeader ReadHeader(string path)
    {
        using var stream = OpenRead(path);
        return ReadHeader(stream, path);
    }

    /// <summary>Writes a little-endian float32 (<c>&lt;f4</c>) array of the given shape in C order.</summary>
    /// <param name="path">Destination file; overwritten if it exists.</param>
    /// <param name="data">The values in row-major order.</param>
    /// <param name="shape">The dimensions; their product must equal the data length. No dimensions means a 0-d scalar.</param>
    /// <exception cref="ArgumentException">The shape has a negative dimension or does not match the data length.</exception>
    public static void WriteFloat32(string path, ReadOnlySpan<float> data, params int[] shape) => Write(path, data, "<f4", shape);

    /// <summary>Writes a little-endian float64 (<c>&lt;f8</c>) array of the given shape in C order.</summary>
    /// <param name="path">Destination file; overwritten if it exists.</param>
    /// <param name="data">The values in row-major order.</param>
    /// <param name="shape">The dimensions; their product must equal the data length. No dimensions means a 0-d scalar.</param>
    /// <exception cref="ArgumentException">The shape has a negative dimension or does not match the data length.</exception>
    public static void WriteFloat64(string path, ReadOnlySpan<double> data, params int[] shape) => Write(path, data, "<f8", shape);

    /// <summary>Writes a little-endian int64 (<c>&lt;i8</c>) array of the given shape in C order.</summary>
    /// <param name="path">Destination file; overwritten if it exists.</param>
    /// <param name="data">The values in row-major order.</param>
    /// <param name="shape">The dimensions; their product must equal the data length. No dimensions means a 0-d scalar.</param>
    /// <exception cref="ArgumentException">The shape has a negative dimension or does not match the data length.</exception>
    public static void WriteInt64(string path, ReadOnlySpan<long> data, params int[] shape) => Write(path, data, "<i8", shape);

    /// <summary>Formats a shape the way numpy's repr does: <c>()</c>, <c>(5,)</c>, <c>(3, 4)</c>.</summary>
    internal static string FormatShape(IReadOnlyList<long> shape) => shape.Count switch
    {
        0 => "()",
        1 => string.Create(CultureInfo.InvariantCulture, $"({shape[0]},)"),
        _ => "(" + string.Join(", ", shape.Select(d => d.ToString(CultureInfo.InvariantCulture))) + ")",
    };

    private static NpyArray<T> ReadMatrix<T>(string path)
        where T : unmanaged
    {
        using var stream = OpenRead(path);
        var header = ReadHeader(stream, path);

        int fileItemSize = header.Descr switch
        {
            "<f4" => sizeof(float),
            "<f8" => sizeof(double),
            _ => throw new NpyFormatException(path, DescribeUnsupportedDtype(header.Descr)),
        };

        if (header.FortranOrder)
        {
            throw new NpyFormatException(
                path,
                $"fortran_order is True (column-major data, shape {header.FormatShape()}); only C order is supported. " +
                "Save it with np.save(path, np.ascontiguousarray(a)).");
        }

        if (header.Shape.Count != 2)
        {
            throw new NpyFormatException(
                path,
                $"expected a 2-D array of shape (rows, columns) but the file holds a {header.Shape.Count}-D array of shape {header.FormatShape()}.");
        }

        long rows = header.Shape[0];
        long columns = header.Shape[1];
        long count;
        try
        {
            count = checked(rows * columns);
        }
        catch (OverflowException)
        {
            throw new NpyFormatException(path, $"shape {header.FormatShape()} has too many elements.");
        }

        if (rows > int.MaxValue || columns > int.MaxValue || count > Array.MaxLength)
        {
            throw new NpyFormatException(path, $"shape {header.FormatShape()} is too large to hold in one .NET array (at most {Array.MaxLength} elements).");
        }

        CheckDataLength(stream, header, fileItemSize, count, path);

        var data = new T[count];
        if (fileItemSize == Marshal.SizeOf<T>())
        {
            ReadLittleEndian(stream, data.AsSpan(), path);
        }
        else if (typeof(T) == typeof(float))
        {
            ReadConverted<double, float>(stream, MemoryMarshal.Cast<T, float>(data.AsSpan()), static d => (float)d, path);
        }
        else
        {
            ReadConverted<float, double>(stream, MemoryMarshal.Cast<T, double>(data.AsSpan()), static f => f, path);
        }

        return new NpyArray<T>((int)rows, (int)columns, data);
    }

    private static string DescribeUnsupportedDtype(string descr)
    {
        string hint = descr.Length > 0 && descr[0] == '>'
            ? " (big-endian; convert with a.astype('<f4') or a.astype('<f8') before saving)"
            : string.Empty;
        return $"unsupported dtype '{descr}'{hint}; expected little-endian float32 '<f4' or float64 '<f8'.";
    }

    private static FileStream OpenRead(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"NumPy file '{path}' does not exist.", path);
        }

        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
    }

    private static NpyHeader ReadHeader(FileStream stream, string path)
    {
        // Magic (6) + version (2) + header length (2 bytes in 1.0, 4 bytes in 2.0/3.0).
        Span<byte> prefix = stackalloc byte[12];
        int got = stream.ReadAtLeast(prefix[..8], 8, throwOnEndOfStream: false);
        if (got < 8)
        {
            throw new NpyFormatException(path, $"truncated header: the file has only {stream.Length} bytes, fewer than the 8-byte magic and version.");
        }

        if (!prefix[..6].SequenceEqual(Magic))
        {
            throw new NpyFormatException(
                path,
                $"bad magic: expected the bytes 93-4E-55-4D-50-59 (\\x93NUMPY) but found {Convert.ToHexString(prefix[..6])}; this is not a .npy file.");
        }

        int major = prefix[6];
        int minor = prefix[7];
        int lengthSize = (major, minor) switch
        {
            (1, 0) => 2,
            (2, 0) or (3, 0) => 4,
            _ => throw new NpyFormatException(path, $"unsupported format version {major}.{minor}; versions 1.0, 2.0 and 3.0 are supported."),
        };

        got = stream.ReadAtLeast(prefix.Slice(8, lengthSize), lengthSize, throwOnEndOfStream: false);
        if (got < lengthSize)
        {
            throw new NpyFormatException(path, $"truncated header: the file ends inside the {lengthSize}-byte header-length field.");
        }

        long headerLength = lengthSize == 2
            ? BinaryPrimitives.ReadUInt16LittleEndian(prefix.Slice(8, 2))
            : BinaryPrimitives.ReadUInt32LittleEndian(prefix.Slice(8, 4));
        long headerStart = 8 + lengthSize;
        long available = stream.Length - headerStart;
        if (headerLength > available)
        {
            throw new NpyFormatException(
                path,
                $"truncated header: the header-length field says {headerLength} bytes but only {available} bytes follow it.");
        }

        var headerBytes = new byte[headerLength];
        stream.ReadExactly(headerBytes);

        // Versions 1.0 and 2.0 store the header as latin-1; 3.0 allows UTF-8 (for unicode field names).
        string headerText = major == 3 ? DecodeUtf8(headerBytes, path) : Encoding.Latin1.GetString(headerBytes);
        return ParseHeaderDict(headerText, major, minor, headerStart + headerLength, path);
    }

    private static string DecodeUtf8(byte[] bytes, string path)
    {
        try
        {
            return new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException ex)
        {
            throw new NpyFormatException(path, "the version 3.0 header is not valid UTF-8.", ex);
        }
    }

    private static NpyHeader ParseHeaderDict(string headerText, int major, int minor, long dataOffset, string path)
    {
        object? literal;
        try
        {
            literal = PythonLiteral.Parse(headerText);
        }
        catch (FormatException ex)
        {
            throw new NpyFormatException(path, $"the header is not a valid Python dict literal ({ex.Message}): {Abbreviate(headerText)}", ex);
        }

        if (literal is not Dictionary<string, object?> dict)
        {
            throw new NpyFormatException(path, $"the header is not a Python dict: {Abbreviate(headerText)}");
        }

        // numpy itself rejects headers with missing or extra keys; do the same so that odd files are noticed.
        string[] required = ["descr", "fortran_order", "shape"];
        var missing = required.Where(k => !dict.ContainsKey(k)).ToArray();
        if (missing.Length > 0)
        {
            throw new NpyFormatException(path, $"the header lacks the key(s) {string.Join(", ", missing.Select(k => $"'{k}'"))}: {Abbreviate(headerText)}");
        }

        var extra = dict.Keys.Where(k => !required.Contains(k)).ToArray();
        if (extra.Length > 0)
        {
            throw new NpyFormatException(path, $"the header has unexpected key(s) {string.Join(", ", extra.Select(k => $"'{k}'"))}: {Abbreviate(headerText)}");
        }

        string descr = dict["descr"] switch
        {
            string s => s,
            List<object?> => throw new NpyFormatException(
                path, $"unsupported structured dtype {Abbreviate(headerText)}; expected little-endian float32 '<f4' or float64 '<f8'."),
            var other => throw new NpyFormatException(path, $"'descr' must be a dtype string but is {Describe(other)}."),
        };

        if (dict["fortran_order"] is not bool fortranOrder)
        {
            throw new NpyFormatException(path, $"'fortran_order' must be True or False but is {Describe(dict["fortran_order"])}.");
        }

        if (dict["shape"] is not PythonTuple shapeTuple)
        {
            throw new NpyFormatException(path, $"'shape' must be a tuple of integers but is {Describe(dict["shape"])}.");
        }

        var shape = new long[shapeTuple.Items.Count];
        for (int i = 0; i < shape.Length; i++)
        {
            if (shapeTuple.Items[i] is not long dim || dim < 0)
            {
                throw new NpyFormatException(path, $"'shape' entry {i} must be a non-negative integer but is {Describe(shapeTuple.Items[i])}.");
            }

            shape[i] = dim;
        }

        return new NpyHeader(major, minor, descr, fortranOrder, shape, dataOffset);
    }

    private static string Describe(object? value) => value switch
    {
        null => "None",
        string s => $"'{s}'",
        bool b => b ? "True" : "False",
        long l => l.ToString(CultureInfo.InvariantCulture),
        PythonTuple => "a tuple",
        List<object?> => "a list",
        Dictionary<string, object?> => "a dict",
        _ => value.GetType().Name,
    };

    private static string Abbreviate(string headerText)
    {
        string trimmed = headerText.Trim();
        return trimmed.Length <= 200 ? trimmed : trimmed[..200] + "...";
    }

    private static void CheckDataLength(FileStream stream, NpyHeader header, int itemSize, long count, string path)
    {
        long expected = count * itemSize;
        long actual = stream.Length - header.DataOffset;
        if (actual < expected)
        {
            throw new NpyFormatException(
                path,
                $"truncated data: shape {header.FormatShape()} of '{header.Descr}' needs {expected} bytes after the {header.DataOffset}-byte header but the file has {actual}.");
        }

        if (actual > expected)
        {
            throw new NpyFormatException(
                path,
                $"data length does not match the shape: shape {header.FormatShape()} of '{header.Descr}' needs {expected} bytes after the {header.DataOffset}-byte header but the file has {actual} ({actual - expected} extra).");
        }
    }

    private static void ReadLittleEndian<T>(Stream stream, Span<T> destination, string path)
        where T : unmanaged
    {
        var bytes = MemoryMarshal.AsBytes(destination);
        try
        {
            stream.ReadExactly(bytes);
        }
        catch (EndOfStreamException ex)
        {
            // The length was checked up front, so this means the file shrank while being read.
            throw new NpyFormatException(path, "truncated data: the file ended while reading the array.", ex);
        }

        if (!BitConverter.IsLittleEndian)
        {
            ReverseEachElement(bytes, Marshal.SizeOf<T>());
        }
    }

    private static void ReadConverted<TFile, TOut>(Stream stream, Span<TOut> destination, Func<TFile, TOut> convert, string path)
        where TFile : unmanaged
        where TOut : unmanaged
    {
        var buffer = new TFile[Math.Min(ConversionChunk, destination.Length)];
        for (int start = 0; start < destination.Length; start += buffer.Length)
        {
            int n = Math.Min(buffer.Length, destination.Length - start);
            ReadLittleEndian(stream, buffer.AsSpan(0, n), path);
            var target = destination.Slice(start, n);
            for (int i = 0; i < n; i++)
            {
                target[i] = convert(buffer[i]);
            }
        }
    }

    private static void ReverseEachElement(Span<byte> bytes, int elementSize)
    {
        for (int i = 0; i < bytes.Length; i += elementSize)
        {
            bytes.Slice(i, elementSize).Reverse();
        }
    }

    private static void Write<T>(string path, ReadOnlySpan<T> data, string descr, int[] shape)
        where T : unmanaged
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(shape);
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] < 0)
            {
                throw new ArgumentException($"Dimension {i} of the shape is negative ({shape[i]}).", nameof(shape));
            }
        }

        // Multiply in long and stop once past int.MaxValue: no span is that long, and the product cannot overflow.
        long count = shape.Contains(0) ? 0 : 1;
        for (int i = 0; i < shape.Length && count is > 0 and <= int.MaxValue; i++)
        {
            count *= shape[i];
        }

        var shapeLongs = shape.Select(d => (long)d).ToArray();
        if (count != data.Length)
        {
            string elements = count > int.MaxValue ? "more than int.MaxValue" : count.ToString(CultureInfo.InvariantCulture);
            string scalarHint = shape.Length == 0
                ? " An empty shape means a 0-d scalar; pass the dimensions, e.g. data.Length for a vector."
                : string.Empty;
            throw new ArgumentException(
                $"Shape {FormatShape(shapeLongs)} holds {elements} elements but the data has {data.Length}.{scalarHint}",
                nameof(shape));
        }

        byte[] header = BuildHeader(descr, shapeLongs);
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1 << 16);
        stream.Write(header);
        WriteLittleEndian(stream, data);
    }

    /// <summary>Builds magic, version 1.0, length field and the header dict padded with spaces and '\n' to a multiple of 64 bytes.</summary>
    private static byte[] BuildHeader(string descr, long[] shape)
    {
        // Same key order and spacing as numpy's own writer.
        string dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {FormatShape(shape)}, }}";
        int prefixLength = Magic.Length + 2 + 2;
        int unpadded = prefixLength + dict.Length + 1; // +1 for the terminating newline
        int padding = (HeaderAlignment - (unpadded % HeaderAlignment)) % HeaderAlignment;
        int headerLength = dict.Length + padding + 1;
        if (headerLength > ushort.MaxValue)
        {
            throw new ArgumentException($"The header for shape {FormatShape(shape)} is too long for format version 1.0.", nameof(shape));
        }

        var bytes = new byte[prefixLength + headerLength];
        Magic.CopyTo(bytes);
        bytes[6] = 1;
        bytes[7] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8, 2), (ushort)headerLength);
        Encoding.ASCII.GetBytes(dict, bytes.AsSpan(prefixLength));
        bytes.AsSpan(prefixLength + dict.Length, padding).Fill((byte)' ');
        bytes[^1] = (byte)'\n';
        return bytes;
    }

    private static void WriteLittleEndian<T>(Stream stream, ReadOnlySpan<T> data)
        where T : unmanaged
    {
        var bytes = MemoryMarshal.AsBytes(data);
        if (BitConverter.IsLittleEndian)
        {
            stream.Write(bytes);
            return;
        }

        // Big-endian host: swap a chunk at a time rather than copying the whole array.
        int elementSize = Marshal.SizeOf<T>();
        var chunk = new byte[elementSize * ConversionChunk];
        for (int start = 0; start < bytes.Length; start += chunk.Length)
        {
            int n = Math.Min(chunk.Length, bytes.Length - start);
            bytes.Slice(start, n).CopyTo(chunk);
            ReverseEachElement(chunk.AsSpan(0, n), elementSize);
            stream.Write(chunk, 0, n);
        }
    }
}
