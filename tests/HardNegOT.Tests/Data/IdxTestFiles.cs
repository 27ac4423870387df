using System.Buffers.Binary;
using System.IO.Compression;

namespace HardNegOT.Tests.Data;

/// <summary>Writes small IDX files byte by byte (independently of the reader under test).</summary>
internal static class IdxTestFiles
{
    /// <summary>Big-endian magic, big-endian sizes, then the data.</summary>
    public static byte[] Build(int magic, int[] sizes, byte[] data)
    {
        var bytes = new byte[4 + (4 * sizes.Length) + data.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes, magic);
        for (int i = 0; i < sizes.Length; i++)
        {
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + (4 * i)), sizes[i]);
        }

        data.CopyTo(bytes, 4 + (4 * sizes.Length));
        return bytes;
    }

    public static byte[] Images(int count, int rows, int columns, byte[] pixels) => Build(0x00000803, [count, rows, columns], pixels);

    public static byte[] Labels(byte[] labels) => Build(0x00000801, [labels.Length], labels);

    public static byte[] Gzip(byte[] bytes)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest))
        {
            gzip.Write(bytes);
        }

        return output.ToArray();
    }

    /// <summary>Deterministic pixel pattern covering 0 and 255.</summary>
    public static byte[] Pattern(int length) => [.. Enumerable.Range(0, length).Select(i => (byte)(i * 37 % 256))];
}
