using HardNegOT.Data;

namespace HardNegOT.Tests.Data;

public sealed class IdxFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hardnegot-idx-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReadsImagesPlainOrGzipped(bool gzip)
    {
        byte[] pixels = IdxTestFiles.Pattern(3 * 2 * 4);
        string path = Write("images", IdxTestFiles.Images(3, 2, 4, pixels), gzip);

        var images = IdxFile.ReadImages(path);

        Assert.Equal((3, 2, 4, 8), (images.Count, images.Rows, images.Columns, images.PixelsPerImage));
        Assert.Equal(pixels, images.Pixels);
        Assert.Equal(pixels[8..16], images.Image(1).ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => images.Image(3));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReadsLabelsPlainOrGzipped(bool gzip)
    {
        byte[] labels = [9, 0, 0, 3, 7, 255];
        string path = Write("labels", IdxTestFiles.Labels(labels), gzip);
        Assert.Equal(labels, IdxFile.ReadLabels(path));
    }

    [Fact]
    public void GzipIsDetectedFromContentNotFileName()
    {
        string plainNamedGz = Path.Combine(_dir, "plain.gz");
        File.WriteAllBytes(plainNamedGz, IdxTestFiles.Labels([1, 2]));
        string gzipWithoutExtension = Path.Combine(_dir, "compressed");
        File.WriteAllBytes(gzipWithoutExtension, IdxTestFiles.Gzip(IdxTestFiles.Labels([3, 4])));

        Assert.Equal(new byte[] { 1, 2 }, IdxFile.ReadLabels(plainNamedGz));
        Assert.Equal(new byte[] { 3, 4 }, IdxFile.ReadLabels(gzipWithoutExtension));
    }

    [Fact]
    public void ZeroImagesAreAllowed()
    {
        var images = IdxFile.ReadImages(Write("empty", IdxTestFiles.Images(0, 28, 28, []), gzip: false));
        Assert.Equal(0, images.Count);
        Assert.Empty(images.Pixels);
    }

    [Fact]
    public void ToFloat32ScalesPixelsToUnitInterval()
    {
        byte[] pixels = [0, 1, 127, 128, 254, 255];
        var images = IdxFile.ReadImages(Write("images", IdxTestFiles.Images(2, 1, 3, pixels), gzip: false));

        float[] scaled = images.ToFloat32();

        Assert.Equal(pixels.Select(p => p / 255f), scaled);
        Assert.Equal(0f, scaled[0]);
        Assert.Equal(1f, scaled[^1]);
    }

    [Theory]
    [InlineData(false, "need 40 bytes", "has 35")]
    [InlineData(true, "need 40 decompressed bytes", "has 35")]
    public void TruncatedImageDataIsReportedWithExpectedAndActualBytes(bool gzip, string expected, string actual)
    {
        byte[] full = IdxTestFiles.Images(3, 2, 4, IdxTestFiles.Pattern(24));
        string path = Write("images", full[..^5], gzip);

        var ex = Assert.Throws<IdxFormatException>(() => IdxFile.ReadImages(path));
        AssertNames(ex, path, "truncated data", "3 × 2 × 4", expected, actual);
    }

    [Fact]
    public void TruncatedLabelDataIsReported()
    {
        byte[] full = IdxTestFiles.Labels([1, 2, 3, 4]);
        string path = Write("labels", full[..^1], gzip: false);

        var ex = Assert.Throws<IdxFormatException>(() => IdxFile.ReadLabels(path));
        AssertNames(ex, path, "truncated data", "need 12 bytes", "has 11");
    }

    [Fact]
    public void CutOffGzipStreamIsReportedAsAnIdxError()
    {
        byte[] compressed = IdxTestFiles.Gzip(IdxTestFiles.Images(50, 28, 28, IdxTestFiles.Pattern(50 * 784)));
        string path = Path.Combine(_dir, "cut.gz");
        File.WriteAllBytes(path, compressed[..(compressed.Length / 2)]);

        // Depending on where the cut falls, GZipStream reports corruption or an early end; both must name the file.
        var ex = Assert.Throws<IdxFormatException>(() => IdxFile.ReadImages(path));
        Assert.Equal(path, ex.Path);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(6, "expected 16 header bytes", "has 6")]
    [InlineData(2, "expected a 4-byte magic number", "has 2")]
    public void TruncatedHeaderIsReported(int keep, string expected, string actual)
    {
        byte[] full = IdxTestFiles.Images(1, 2, 2, [1, 2, 3, 4]);
        string path = Write("images", full[..keep], gzip: false);

        var ex = Assert.Throws<IdxFormatException>(() => IdxFile.ReadImages(path));
        AssertNames(ex, path, "truncated header", expected, actual);
    }

    [Fact]
    public void ExtraBytesAfterTheDataAreReported()
    {
        string path = Write("labels", [.. IdxTestFiles.Labels([1, 2]), 0, 0, 0], gzip: true);

        var ex = Assert.Throws<IdxFormatException>(() => IdxFile.ReadLabels(path));
        AssertNames(ex, path, "does not match the header", "3 extra");
    }

    [Theory]
    [InlineData(0x12345678, "bad magic 0x12345678", "not an IDX file")]
    [InlineData(0x00000D03, "element type 0x0D (float32)", "unsupported")]
    [InlineData(0x00000801, "declares 1 dimension(s)", "expected magic 0x00000803")]
    public void WrongMagicForImagesIsReported(int magic, string first, string second)
    {
        string path = Write("images", IdxTestFiles.Build(magic, [1, 2, 2], [1, 2, 3, 4]), gzip: false);

        var ex = Assert.Throws<IdxFormatException>(() => IdxFile.ReadImages(path));
        AssertNames(ex, path, first, second);
    }

    [Fact]
    public void ImageFileGivenAsLabelsIsReported()
    {
        string path = Write("images", IdxTestFiles.Images(1, 1, 1, [5]), gzip: false);

        var ex = Assert.Throws<IdxFormatException>(() => IdxFile.ReadLabels(path));
        AssertNames(ex, path, "declares 3 dimension(s)", "expected magic 0x00000801");
    }

    [Fact]
    public void ImplausibleDimensionIsReported()
    {
        string path = Write("images", IdxTestFiles.Build(0x00000803, [-1, 28, 28], []), gzip: false);

        var ex = Assert.Throws<IdxFormatException>(() => IdxFile.ReadImages(path));
        AssertNames(ex, path, "dimension 0 has the implausible size 4294967295");
    }

    [Fact]
    public void DimensionsTooLargeForAnArrayAreReportedBeforeAllocating()
    {
        string path = Write("images", IdxTestFiles.Build(0x00000803, [int.MaxValue, 28, 28], []), gzip: false);

        var ex = Assert.Throws<IdxFormatException>(() => IdxFile.ReadImages(path));
        AssertNames(ex, path, "too large");
    }

    [Fact]
    public void MissingFileThrowsFileNotFoundNamingThePath()
    {
        string path = Path.Combine(_dir, "absent-idx3-ubyte");
        var ex = Assert.Throws<FileNotFoundException>(() => IdxFile.ReadImages(path));
        Assert.Equal(path, ex.FileName);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }

    private string Write(string name, byte[] bytes, bool gzip)
    {
        string path = Path.Combine(_dir, name + (gzip ? ".gz" : string.Empty));
        File.WriteAllBytes(path, gzip ? IdxTestFiles.Gzip(bytes) : bytes);
        return path;
    }

    private static void AssertNames(IdxFormatException ex, string path, params string[] fragments)
    {
        Assert.Equal(path, ex.Path);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        foreach (var fragment in fragments)
        {
            Assert.Contains(fragment, ex.Message, StringComparison.Ordinal);
        }
    }
}
