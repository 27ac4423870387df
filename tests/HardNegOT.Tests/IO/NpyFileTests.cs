using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using HardNegOT.IO;
using HardNegOT.Tests.Support;

namespace HardNegOT.Tests.IO;

public sealed class NpyFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hardnegot-npy-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // ---------------------------------------------------------------- round trips (FsCheck)

    [Property]
    public Property Float32MatrixRoundTripsBitForBit() => Prop.ForAll(
        MatrixArb<float>(),
        m =>
        {
            string path = NewPath();
            NpyFile.WriteFloat32(path, m.Data, m.Rows, m.Columns);

            var asFloat32 = NpyFile.ReadMatrixAsFloat32(path);
            Assert.Equal((m.Rows, m.Columns), (asFloat32.Rows, asFloat32.Columns));
            AssertSameBits(m.Data, asFloat32.Data);

            var asFloat64 = NpyFile.ReadMatrixAsFloat64(path);
            Assert.Equal((m.Rows, m.Columns), (asFloat64.Rows, asFloat64.Columns));
            AssertSameValues(Array.ConvertAll(m.Data, f => (double)f), asFloat64.Data);
        });

    [Property]
    public Property Float64MatrixRoundTripsBitForBitAndNarrowsToNearestFloat32() => Prop.ForAll(
        MatrixArb<double>(),
        m =>
        {
            string path = NewPath();
            NpyFile.WriteFloat64(path, m.Data, m.Rows, m.Columns);

            var asFloat64 = NpyFile.ReadMatrixAsFloat64(path);
            Assert.Equal((m.Rows, m.Columns), (asFloat64.Rows, asFloat64.Columns));
            AssertSameBits(m.Data, asFloat64.Data);

            var asFloat32 = NpyFile.ReadMatrixAsFloat32(path);
            AssertSameValues(Array.ConvertAll(m.Data, d => (float)d), asFloat32.Data);
        });

    [Property]
    public Property Int64ArrayOfAnyShapeWritesAHeaderThatReadsBackAndExactData() => Prop.ForAll(
        (from rank in Gen.Choose(0, 4)
         from shape in Gen.Choose(0, 4).ArrayOf(rank)
         from data in ArbMap.Default.GeneratorFor<long>().ArrayOf(shape.Aggregate(1, (a, b) => a * b))
         select (Shape: shape, Data: data)).ToArbitrary(),
        x =>
        {
            string path = NewPath();
            NpyFile.WriteInt64(path, x.Data, x.Shape);

            var header = NpyFile.ReadHeader(path);
            Assert.Equal((1, 0), (header.MajorVersion, header.MinorVersion));
            Assert.Equal("<i8", header.Descr);
            Assert.False(header.FortranOrder);
            Assert.Equal(x.Shape.Select(d => (long)d), header.Shape);
            Assert.Equal(0, header.DataOffset % 64);

            byte[] file = File.ReadAllBytes(path);
            Assert.Equal((byte)'\n', file[header.DataOffset - 1]);
            Assert.Equal(header.DataOffset + (8L * x.Data.Length), file.Length);
            Assert.Equal(MemoryMarshal.AsBytes(x.Data.AsSpan()).ToArray(), file[(int)header.DataOffset..]);
        });

    // ---------------------------------------------------------------- what we write, byte by byte

    [Fact]
    public void WrittenHeaderIsVersion1PaddedToMultipleOf64EndingInNewline()
    {
        string path = NewPath();
        NpyFile.WriteFloat32(path, new float[12], 3, 4);
        byte[] file = File.ReadAllBytes(path);

        Assert.Equal(new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0 }, file[..8]);
        int headerLength = BinaryPrimitives.ReadUInt16LittleEndian(file.AsSpan(8, 2));
        Assert.Equal(0, (10 + headerLength) % 64);
        Assert.Equal(10 + headerLength + (12 * 4), file.Length);
        string header = Encoding.ASCII.GetString(file, 10, headerLength);
        Assert.EndsWith("\n", header, StringComparison.Ordinal);
        Assert.Equal("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }", header.TrimEnd(' ', '\n'));
    }

    [Theory]
    [InlineData(new[] { 5 }, "(5,)")]
    [InlineData(new int[0], "()")]
    [InlineData(new[] { 2, 0, 3 }, "(2, 0, 3)")]
    public void WrittenShapeUsesPythonTupleSyntax(int[] shape, string expected)
    {
        string path = NewPath();
        int count = shape.Aggregate(1, (a, b) => a * b);
        NpyFile.WriteFloat64(path, new double[count], shape);
        Assert.Contains($"'shape': {expected}, }}", File.ReadAllText(path, Encoding.Latin1), StringComparison.Ordinal);
    }

    [Fact]
    public void WriteRejectsShapeThatDoesNotMatchDataLength()
    {
        var ex = Assert.Throws<ArgumentException>(() => NpyFile.WriteFloat64(NewPath(), new double[6], 4, 2));
        Assert.Contains("(4, 2)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("6", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WriteWithoutShapeMeansScalarAndRejectsLongerData()
    {
        var ex = Assert.Throws<ArgumentException>(() => NpyFile.WriteInt64(NewPath(), new long[3]));
        Assert.Contains("0-d scalar", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WriteRejectsNegativeDimension()
    {
        var ex = Assert.Throws<ArgumentException>(() => NpyFile.WriteFloat32(NewPath(), new float[0], 3, -1));
        Assert.Contains("negative", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WriteRejectsHugeShapeWithoutOverflowing()
    {
        var ex = Assert.Throws<ArgumentException>(() => NpyFile.WriteFloat32(NewPath(), new float[4], int.MaxValue, int.MaxValue, 4));
        Assert.Contains("more than int.MaxValue", ex.Message, StringComparison.Ordinal);
    }

    // ---------------------------------------------------------------- reading hand-made files

    [Fact]
    public void NaNAndInfinitiesAreReadAsTheyAre()
    {
        string path = NewPath();
        double[] values = [double.NaN, double.PositiveInfinity, double.NegativeInfinity, -0.0];
        NpyFile.WriteFloat64(path, values, 2, 2);

        AssertSameBits(values, NpyFile.ReadMatrixAsFloat64(path).Data);
        var narrowed = NpyFile.ReadMatrixAsFloat32(path);
        Assert.True(float.IsNaN(narrowed[0, 0]));
        Assert.Equal(float.PositiveInfinity, narrowed[0, 1]);
        Assert.Equal(float.NegativeInfinity, narrowed[1, 0]);
        Assert.True(float.IsNegative(narrowed[1, 1]) && narrowed[1, 1] == 0f);
    }

    [Fact]
    public void MatrixAccessorsUseRowMajorOrder()
    {
        string path = NewPath();
        NpyFile.WriteFloat32(path, [1, 2, 3, 4, 5, 6], 2, 3);
        var m = NpyFile.ReadMatrixAsFloat32(path);

        Assert.Equal(6f, m[1, 2]);
        Assert.Equal(new float[] { 4, 5, 6 }, m.Row(1).ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => m[0, 3]);
        Assert.Throws<ArgumentOutOfRangeException>(() => m.Row(2));
    }

    [Fact]
    public void MissingFileThrowsFileNotFoundNamingThePath()
    {
        string path = Path.Combine(_dir, "no-such-file.npy");
        var ex = Assert.Throws<FileNotFoundException>(() => NpyFile.ReadMatrixAsFloat32(path));
        Assert.Equal(path, ex.FileName);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BadMagicIsRejected()
    {
        string path = WriteBytes("PK\u0003\u0004 this is a zip file, not npy"u8.ToArray());
        AssertRejected(path, "bad magic", "not a .npy file");
    }

    [Fact]
    public void FileShorterThanMagicIsRejectedAsTruncated()
    {
        string path = WriteBytes([0x93, (byte)'N', (byte)'U']);
        AssertRejected(path, "truncated header", "3 bytes");
    }

    [Fact]
    public void HeaderCutShortIsRejectedAsTruncatedHeader()
    {
        string valid = NewPath();
        NpyFile.WriteFloat32(valid, new float[4], 2, 2);
        string path = WriteBytes(File.ReadAllBytes(valid)[..40]);
        AssertRejected(path, "truncated header", "says 118 bytes", "only 30");
    }

    [Fact]
    public void HeaderLengthFieldCutShortIsRejected()
    {
        string path = WriteBytes([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 2, 0, 0x10]);
        AssertRejected(path, "truncated header", "4-byte header-length field");
    }

    [Fact]
    public void TruncatedDataIsRejectedWithExpectedAndActualByteCounts()
    {
        string valid = NewPath();
        NpyFile.WriteFloat32(valid, new float[12], 3, 4);
        byte[] bytes = File.ReadAllBytes(valid);
        string path = WriteBytes(bytes[..^5]);
        AssertRejected(path, "truncated data", "(3, 4)", "'<f4'", "needs 48 bytes", "has 43");
    }

    [Fact]
    public void TrailingBytesAfterTheDataAreRejected()
    {
        string valid = NewPath();
        NpyFile.WriteFloat64(valid, new double[4], 2, 2);
        string path = WriteBytes([.. File.ReadAllBytes(valid), 1, 2, 3]);
        AssertRejected(path, "does not match the shape", "needs 32 bytes", "has 35", "3 extra");
    }

    [Theory]
    [InlineData(4, 0)]
    [InlineData(1, 1)]
    [InlineData(0, 0)]
    public void UnknownFormatVersionIsRejected(byte major, byte minor)
    {
        string path = WriteBytes(NpyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1), }", 1, 0, new byte[4]));
        byte[] bytes = File.ReadAllBytes(path);
        bytes[6] = major;
        bytes[7] = minor;
        File.WriteAllBytes(path, bytes);
        AssertRejected(path, $"unsupported format version {major}.{minor}");
    }

    [Theory]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3 }", "not a valid Python dict literal")]
    [InlineData("['descr', '<f4']", "not a Python dict")]
    [InlineData("{'descr': '<f4', 'shape': (2, 3), }", "lacks the key(s) 'fortran_order'")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'extra': 1, }", "unexpected key(s) 'extra'")]
    [InlineData("{'descr': '<f4', 'fortran_order': 0, 'shape': (2, 3), }", "'fortran_order' must be True or False but is 0")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': [2, 3], }", "'shape' must be a tuple of integers but is a list")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3), }", "'shape' entry 1 must be a non-negative integer but is -3")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 'x'), }", "'shape' entry 1 must be a non-negative integer but is 'x'")]
    [InlineData("{'descr': 4, 'fortran_order': False, 'shape': (2, 3), }", "'descr' must be a dtype string but is 4")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } junk", "unexpected text after the literal")]
    public void MalformedHeaderDictIsRejected(string header, string expected)
    {
        string path = WriteBytes(NpyBytes(header, 1, 0, new byte[24]));
        AssertRejected(path, expected);
        Assert.Throws<NpyFormatException>(() => NpyFile.ReadHeader(path));
    }

    [Fact]
    public void HeaderParsingFollowsPythonLiteralRules()
    {
        // Double quotes, key order, whitespace, no trailing comma, Python 2 "L" suffixes: all legal in old numpy files.
        string header = "{ \"shape\" : ( 2L , 3L ) ,\n 'fortran_order':False,'descr':\"<f8\"}";
        string path = WriteBytes(NpyBytes(header, 1, 0, MemoryMarshal.AsBytes<double>([1, 2, 3, 4, 5, 6]).ToArray()));

        var m = NpyFile.ReadMatrixAsFloat64(path);
        Assert.Equal((2, 3), (m.Rows, m.Columns));
        Assert.Equal(new double[] { 1, 2, 3, 4, 5, 6 }, m.Data);
    }

    [Fact]
    public void ParenthesisedSingleValueIsNotATuple()
    {
        // In Python "(6)" is the integer 6, not a shape; only "(6,)" is a one-element tuple.
        string path = WriteBytes(NpyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (6), }", 1, 0, new byte[24]));
        AssertRejected(path, "'shape' must be a tuple of integers but is 6");
    }

    [Fact]
    public void Version3HeaderIsDecodedAsUtf8()
    {
        string path = WriteBytes(NpyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2), }", 3, 0, MemoryMarshal.AsBytes<float>([7, 8]).ToArray()));
        var header = NpyFile.ReadHeader(path);
        Assert.Equal(3, header.MajorVersion);
        Assert.Equal(new float[] { 7, 8 }, NpyFile.ReadMatrixAsFloat32(path).Data);
    }

    [Fact]
    public void Version3HeaderWithInvalidUtf8IsRejected()
    {
        byte[] bytes = NpyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2), }", 3, 0, new byte[8]);
        bytes[14] = 0xFF; // inside the header text, which starts after the 12-byte prefix
        AssertRejected(WriteBytes(bytes), "not valid UTF-8");
    }

    // ---------------------------------------------------------------- files written by numpy

    [Theory]
    [InlineData("<f4", "1,0", 3, 4)]
    [InlineData("<f4", "2,0", 5, 2)]
    [InlineData("<f4", "3,0", 1, 7)]
    [InlineData("<f4", "1,0", 0, 5)]
    [InlineData("<f4", "1,0", 150, 130)]
    [InlineData("<f8", "1,0", 4, 3)]
    [InlineData("<f8", "2,0", 2, 2)]
    [InlineData("<f8", "3,0", 6, 1)]
    [InlineData("<f8", "2,0", 130, 150)]
    public void ReadsMatricesWrittenByNumpy(string dtype, string version, int rows, int columns)
    {
        string path = NewPath();
        string[] lines = Numpy(
            """
            path, dtype, rows, cols = sys.argv[1], sys.argv[2], int(sys.argv[4]), int(sys.argv[5])
            version = tuple(int(v) for v in sys.argv[3].split(','))
            a = (np.random.default_rng(1234).standard_normal((rows, cols)) * 100).astype(dtype)
            flat = a.reshape(-1)  # a view: the specials land in a
            specials = [np.nan, np.inf, -np.inf, -0.0, 1e-40, 3.4e38]
            n = min(flat.size, len(specials))
            flat[:n] = specials[:n]
            with open(path, 'wb') as f:
                np.lib.format.write_array(f, a, version=version)
            print(a.astype('<f4').tobytes().hex())
            print(a.astype('<f8').tobytes().hex())
            """,
            path, dtype, version, rows.ToString(), columns.ToString()).Split('\n');

        var header = NpyFile.ReadHeader(path);
        Assert.Equal(int.Parse(version[..1]), header.MajorVersion);
        Assert.Equal(dtype, header.Descr);

        var asFloat32 = NpyFile.ReadMatrixAsFloat32(path);
        Assert.Equal((rows, columns), (asFloat32.Rows, asFloat32.Columns));
        AssertSameValues(MemoryMarshal.Cast<byte, float>(Convert.FromHexString(lines[0])).ToArray(), asFloat32.Data);

        var asFloat64 = NpyFile.ReadMatrixAsFloat64(path);
        Assert.Equal((rows, columns), (asFloat64.Rows, asFloat64.Columns));
        AssertSameValues(MemoryMarshal.Cast<byte, double>(Convert.FromHexString(lines[1])).ToArray(), asFloat64.Data);
    }

    [Theory]
    [InlineData("fortran", "fortran_order is True", "(3, 4)", "np.ascontiguousarray")]
    [InlineData(">f4", "unsupported dtype '>f4'", "big-endian")]
    [InlineData(">f8", "unsupported dtype '>f8'", "big-endian")]
    [InlineData("<i4", "unsupported dtype '<i4'", "expected little-endian float32 '<f4' or float64 '<f8'")]
    [InlineData("<i8", "unsupported dtype '<i8'")]
    [InlineData("<f2", "unsupported dtype '<f2'")]
    [InlineData("|u1", "unsupported dtype '|u1'")]
    [InlineData("<c8", "unsupported dtype '<c8'")]
    [InlineData("structured", "unsupported structured dtype", "('x', '<f4')")]
    [InlineData("1d", "expected a 2-D array of shape (rows, columns)", "1-D array of shape (5,)")]
    [InlineData("3d", "expected a 2-D array of shape (rows, columns)", "3-D array of shape (2, 3, 4)")]
    [InlineData("0d", "expected a 2-D array of shape (rows, columns)", "0-D array of shape ()")]
    public void RejectsNumpyFilesItCannotRead(string kind, params string[] expected)
    {
        string path = NewPath();
        Numpy(
            """
            path, kind = sys.argv[1], sys.argv[2]
            a = np.arange(12, dtype='<f8').reshape(3, 4)
            arrays = {
                'fortran': np.asfortranarray(a),
                '>f4': a.astype('>f4'), '>f8': a.astype('>f8'),
                '<i4': a.astype('<i4'), '<i8': a.astype('<i8'), '<f2': a.astype('<f2'),
                '|u1': a.astype('u1'), '<c8': a.astype('<c8'),
                'structured': np.zeros(3, dtype=[('x', '<f4'), ('y', '<f4')]),
                '1d': np.arange(5, dtype='<f4'), '3d': np.zeros((2, 3, 4), dtype='<f4'), '0d': np.array(1.5),
            }
            np.save(path, arrays[kind])
            """,
            path, kind);

        AssertRejected(path, expected);
    }

    [Fact]
    public void NumpyReadsWhatWeWriteWithTheSameDtypeShapeAndValues()
    {
        var rng = new Random(42);
        float[] f32 = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, -0f, float.Epsilon, float.MaxValue, .. Enumerable.Range(0, 6).Select(_ => (float)rng.NextDouble() - 0.5f)];
        double[] f64 = [double.NaN, double.Epsilon, -double.MaxValue, 1.0 / 3, .. Enumerable.Range(0, 6).Select(_ => rng.NextDouble() * 1e6)];
        long[] i64 = [long.MinValue, long.MaxValue, -1, 0, 1, 1L << 40, 7];
        long[] i64Cube = [.. Enumerable.Range(0, 12).Select(i => (long)i * -1_000_000_007)];
        double[] wide = [.. Enumerable.Range(0, 1000).Select(i => Math.Sin(i))];

        var cases = new (string Name, string Dtype, long[] Shape, byte[] Bytes, Action<string> Write)[]
        {
            ("f32", "<f4", [3, 4], Bytes<float>(f32), p => NpyFile.WriteFloat32(p, f32, 3, 4)),
            ("f64", "<f8", [2, 5], Bytes<double>(f64), p => NpyFile.WriteFloat64(p, f64, 2, 5)),
            ("i64", "<i8", [7], Bytes<long>(i64), p => NpyFile.WriteInt64(p, i64, 7)),
            ("i64cube", "<i8", [2, 3, 2], Bytes<long>(i64Cube), p => NpyFile.WriteInt64(p, i64Cube, 2, 3, 2)),
            ("scalar", "<f8", [], Bytes<double>([2.5]), p => NpyFile.WriteFloat64(p, [2.5])),
            ("empty", "<f4", [0, 3], [], p => NpyFile.WriteFloat32(p, [], 0, 3)),
            ("wide", "<f8", [1, 1000], Bytes<double>(wide), p => NpyFile.WriteFloat64(p, wide, 1, 1000)),
        };

        var paths = cases.Select(c => Path.Combine(_dir, c.Name + ".npy")).ToArray();
        for (int i = 0; i < cases.Length; i++)
        {
            cases[i].Write(paths[i]);
        }

        string json = Numpy(
            """
            import json
            out = []
            for path in sys.argv[1:]:
                with open(path, 'rb') as f:
                    version = np.lib.format.read_magic(f)
                a = np.load(path, allow_pickle=False)
                m = np.load(path, mmap_mode='r')  # memory-mapping needs a sane, aligned header too
                out.append({'version': list(version), 'dtype': a.dtype.str, 'shape': list(a.shape),
                            'c_order': bool(a.flags.c_contiguous), 'hex': a.tobytes().hex(),
                            'mmap_equal': bool(np.array_equal(np.asarray(m), a, equal_nan=a.dtype.kind == 'f'))})
            print(json.dumps(out))
            """,
            paths);

        var results = JsonDocument.Parse(json).RootElement.EnumerateArray().ToArray();
        Assert.Equal(cases.Length, results.Length);
        for (int i = 0; i < cases.Length; i++)
        {
            var r = results[i];
            string name = cases[i].Name;
            Assert.True(r.GetProperty("version").EnumerateArray().Select(v => v.GetInt32()).SequenceEqual([1, 0]), name);
            Assert.Equal((name, cases[i].Dtype), (name, r.GetProperty("dtype").GetString()));
            Assert.Equal(
                (name, NpyHeaderShape(cases[i].Shape)),
                (name, NpyHeaderShape(r.GetProperty("shape").EnumerateArray().Select(v => v.GetInt64()).ToArray())));
            Assert.True(r.GetProperty("c_order").GetBoolean(), name);
            Assert.True(r.GetProperty("mmap_equal").GetBoolean(), name);
            Assert.Equal((name, Convert.ToHexStringLower(cases[i].Bytes)), (name, r.GetProperty("hex").GetString()));
        }
    }

    // ---------------------------------------------------------------- helpers

    private string NewPath() => Path.Combine(_dir, Guid.NewGuid().ToString("N") + ".npy");

    private string WriteBytes(byte[] bytes)
    {
        string path = NewPath();
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>Builds a .npy file with an arbitrary header text (unpadded), for malformed-header tests.</summary>
    private static byte[] NpyBytes(string headerText, byte major, byte minor, byte[] data)
    {
        byte[] header = major == 3 ? Encoding.UTF8.GetBytes(headerText + "\n") : Encoding.Latin1.GetBytes(headerText + "\n");
        int lengthSize = major == 1 ? 2 : 4;
        var bytes = new List<byte> { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', major, minor };
        var length = new byte[lengthSize];
        if (lengthSize == 2)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(length, (ushort)header.Length);
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)header.Length);
        }

        bytes.AddRange(length);
        bytes.AddRange(header);
        bytes.AddRange(data);
        return [.. bytes];
    }

    private static string NpyHeaderShape(long[] shape) => "(" + string.Join(", ", shape) + ")";

    private static byte[] Bytes<T>(T[] values)
        where T : unmanaged => MemoryMarshal.AsBytes(values.AsSpan()).ToArray();

    /// <summary>Both readers must reject the file with an <see cref="NpyFormatException"/> naming it and saying why.</summary>
    private static void AssertRejected(string path, params string[] expectedFragments)
    {
        var readers = new Action[] { () => NpyFile.ReadMatrixAsFloat32(path), () => NpyFile.ReadMatrixAsFloat64(path) };
        foreach (var read in readers)
        {
            var ex = Assert.Throws<NpyFormatException>(read);
            Assert.IsAssignableFrom<FormatException>(ex);
            Assert.Equal(path, ex.Path);
            Assert.Contains(path, ex.Message, StringComparison.Ordinal);
            foreach (var fragment in expectedFragments)
            {
                Assert.Contains(fragment, ex.Message, StringComparison.Ordinal);
            }
        }
    }

    private static string Numpy(string body, params string[] args) =>
        Python.RunScript("import sys\nimport numpy as np\n" + body, args);

    private static Arbitrary<(int Rows, int Columns, T[] Data)> MatrixArb<T>() =>
        (from rows in Gen.Choose(0, 9)
         from columns in Gen.Choose(0, 9)
         from data in ArbMap.Default.GeneratorFor<T>().ArrayOf(rows * columns)
         select (rows, columns, data)).ToArbitrary();

    private static void AssertSameBits<T>(T[] expected, T[] actual)
        where T : unmanaged =>
        Assert.Equal(Convert.ToHexString(MemoryMarshal.AsBytes(expected.AsSpan())), Convert.ToHexString(MemoryMarshal.AsBytes(actual.AsSpan())));

    /// <summary>Equal bit for bit, except that any NaN matches any NaN (payloads may change in conversions).</summary>
    private static void AssertSameValues(double[] expected, double[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            bool same = double.IsNaN(expected[i])
                ? double.IsNaN(actual[i])
                : BitConverter.DoubleToInt64Bits(expected[i]) == BitConverter.DoubleToInt64Bits(actual[i]);
            Assert.True(same, $"element {i}: expected {expected[i]:R}, got {actual[i]:R}");
        }
    }

    private static void AssertSameValues(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            bool same = float.IsNaN(expected[i])
                ? float.IsNaN(actual[i])
                : BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]);
            Assert.True(same, $"element {i}: expected {expected[i]:R}, got {actual[i]:R}");
        }
    }
}
