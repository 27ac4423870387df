namespace HardNegOT.IO;

/// <summary>The parsed header of a <c>.npy</c> file: format version and the 'descr', 'fortran_order' and 'shape' entries.</summary>
public sealed class NpyHeader
{
    /// <summary>Creates a header description.</summary>
    /// <param name="majorVersion">Format major version (1, 2 or 3).</param>
    /// <param name="minorVersion">Format minor version (0).</param>
    /// <param name="descr">The dtype string, e.g. <c>&lt;f4</c>.</param>
    /// <param name="fortranOrder">Whether the data is stored in column-major order.</param>
    /// <param name="shape">The array dimensions; empty for a 0-d scalar.</param>
    /// <param name="dataOffset">Byte offset of the first data byte in the file.</param>
    public NpyHeader(int majorVersion, int minorVersion, string descr, bool fortranOrder, IReadOnlyList<long> shape, long dataOffset)
    {
        ArgumentNullException.ThrowIfNull(descr);
        ArgumentNullException.ThrowIfNull(shape);
        MajorVersion = majorVersion;
        MinorVersion = minorVersion;
        Descr = descr;
        FortranOrder = fortranOrder;
        Shape = shape;
        DataOffset = dataOffset;
    }

    /// <summary>Format major version: 1 (16-bit header length), 2 (32-bit) or 3 (32-bit, UTF-8 header).</summary>
    public int MajorVersion { get; }

    /// <summary>Format minor version (always 0 for the versions numpy defines).</summary>
    public int MinorVersion { get; }

    /// <summary>The dtype string from the 'descr' entry, e.g. <c>&lt;f4</c>, <c>&lt;f8</c>, <c>&lt;i8</c> or <c>&gt;f4</c>.</summary>
    public string Descr { get; }

    /// <summary>The 'fortran_order' entry: true when the data is stored column-major.</summary>
    public bool FortranOrder { get; }

    /// <summary>The 'shape' entry; empty for a 0-d (scalar) array.</summary>
    public IReadOnlyList<long> Shape { get; }

    /// <summary>Byte offset where the array data starts (magic, version, length field and header included).</summary>
    public long DataOffset { get; }

    /// <summary>The shape as numpy prints it, e.g. <c>(3, 4)</c>, <c>(5,)</c> or <c>()</c>.</summary>
    public string FormatShape() => NpyFile.FormatShape(Shape);
}
