using HardNegOT.Torch.Multimodal;
using HardNegOT.Torch.Tests.Training;
using SkiaSharp;

namespace HardNegOT.Torch.Tests.Multimodal;

public sealed class CaptionedImageLoaderTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static readonly ImageLoadOptions Four = new() { Width = 4, Height = 4 };

    /// <summary>Writes a w×h image whose pixel (x, y) has the colour <paramref name="colour"/> returns.</summary>
    private string WriteImage(string name, int w, int h, Func<int, int, SKColor> colour, SKEncodedImageFormat format = SKEncodedImageFormat.Png)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                bitmap.SetPixel(x, y, colour(x, y));
        string path = Path.Combine(_dir.Path, name);
        using var data = bitmap.Encode(format, 95);
        File.WriteAllBytes(path, data.ToArray());
        return path;
    }

    private static SKColor Grey(int v) => new((byte)v, (byte)v, (byte)v);

    [Fact]
    public void Png_pixels_come_back_exactly_as_luminance_in_0_1()
    {
        string path = WriteImage("a.png", 4, 4, (x, y) => x == 3 && y == 0 ? new SKColor(255, 0, 0) : Grey(x * 60 + y));
        var pixels = ImageFiles.ReadGreyscale(path, Four);
        Assert.Equal(16, pixels.Length);
        Assert.Equal((2 * 60 + 1) / 255f, pixels[1 * 4 + 2], 6); // row 1, column 2
        Assert.Equal(0f, pixels[0]);
        Assert.Equal(0.299f, pixels[3], 3); // pure red
        var inverted = ImageFiles.ReadGreyscale(path, Four with { Invert = true });
        Assert.Equal(1 - (2 * 60 + 1) / 255f, inverted[1 * 4 + 2], 6);
    }

    [Fact]
    public void Transparent_pixels_are_background_and_other_sizes_are_resampled()
    {
        string path = WriteImage("t.png", 8, 8, (x, y) => x < 4 ? new SKColor(200, 200, 200, 0) : Grey(200));
        var pixels = ImageFiles.ReadGreyscale(path, Four);
        for (int y = 0; y < 4; y++)
        {
            Assert.Equal(0f, pixels[y * 4 + 0], 2);
            Assert.Equal(200 / 255f, pixels[y * 4 + 3], 2);
        }
        string jpeg = WriteImage("g.jpg", 16, 16, (_, _) => Grey(128), SKEncodedImageFormat.Jpeg);
        Assert.All(ImageFiles.ReadGreyscale(jpeg, Four), v => Assert.Equal(128 / 255f, v, 1));
    }

    [Fact]
    public void Csv_rows_pair_images_with_captions_and_labels()
    {
        WriteImage("dark.png", 4, 4, (_, _) => Grey(20));
        Directory.CreateDirectory(Path.Combine(_dir.Path, "sub"));
        WriteImage(Path.Combine("sub", "light.png"), 4, 4, (_, _) => Grey(240));
        string csv = Path.Combine(_dir.Path, "pairs.csv");
        File.WriteAllText(csv, "Label,Image,Caption\n0,dark.png,\"a dark, small square\"\n\n1,sub/light.png,\"a \"\"light\"\" one\"\n");
        var set = CaptionedImageLoader.LoadCsv(csv, Four);
        Assert.Equal(2, set.Count);
        Assert.Equal(["a dark, small square", "a \"light\" one"], set.Captions);
        Assert.Equal([0, 1], set.Labels!);
        Assert.Null(set.Groups);
        Assert.Equal((4, 4), (set.Height, set.Width));
        Assert.All(set.Image(0).ToArray(), v => Assert.Equal(20 / 255f, v, 6));
        Assert.All(set.Image(1).ToArray(), v => Assert.Equal(240 / 255f, v, 6));
        Assert.Equal($"{csv}:4", set.Sources![1]);
    }

    [Theory]
    [InlineData("picture,caption\nx.png,hi\n", 1, "lacks an image column")]
    [InlineData("image,words\nx.png,hi\n", 1, "lacks a caption column")]
    [InlineData("image,caption\nmissing.png,hi\n", 2, "missing.png' does not exist")]
    [InlineData("image,caption\nok.png,hi\nok.png\n", 3, "1 fields but the header has 2")]
    [InlineData("image,caption\nok.png,\"open\n", 2, "quoted field is not closed")]
    [InlineData("image,caption\nok.png,  \n", 2, "caption of 'ok.png' is empty")]
    [InlineData("image,caption,label\nok.png,hi,cat\n", 2, "label 'cat'")]
    [InlineData("image,caption\nnot-an-image.png,hi\n", 2, "could not be decoded")]
    [InlineData("image,caption\n", null, "no rows")]
    public void Bad_csv_files_are_refused_naming_file_and_line(string content, int? line, string expected)
    {
        WriteImage("ok.png", 4, 4, (_, _) => Grey(9));
        File.WriteAllText(Path.Combine(_dir.Path, "not-an-image.png"), "plain text");
        string csv = Path.Combine(_dir.Path, "bad.csv");
        File.WriteAllText(csv, content);
        var error = Assert.Throws<CaptionDataException>(() => CaptionedImageLoader.LoadCsv(csv, Four));
        Assert.Contains(csv, error.Message);
        Assert.Equal(line, error.Line);
        if (line is { } l) Assert.Contains($"line {l}:", error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void Folder_pairs_each_image_with_its_text_file_in_name_order()
    {
        WriteImage("b.png", 4, 4, (_, _) => Grey(100));
        WriteImage("a.PNG", 4, 4, (_, _) => Grey(50));
        File.WriteAllText(Path.Combine(_dir.Path, "a.txt"), "  first\n caption ");
        File.WriteAllText(Path.Combine(_dir.Path, "b.txt"), "second");
        File.WriteAllText(Path.Combine(_dir.Path, "notes.md"), "ignored");
        var set = CaptionedImageLoader.LoadFolder(_dir.Path, Four);
        Assert.Equal(["first caption", "second"], set.Captions);
        Assert.Equal(50 / 255f, set.Image(0)[0], 6);
        WriteImage("c.jpg", 4, 4, (_, _) => Grey(1), SKEncodedImageFormat.Jpeg);
        var error = Assert.Throws<CaptionDataException>(() => CaptionedImageLoader.LoadFolder(_dir.Path, Four));
        Assert.Contains("'c.jpg' has no caption file 'c.txt'", error.Message);
        Assert.Contains(_dir.Path, error.Message);
    }

    [Fact]
    public void Missing_inputs_are_named()
    {
        string csv = Path.Combine(_dir.Path, "absent.csv");
        Assert.Contains(csv, Assert.Throws<FileNotFoundException>(() => CaptionedImageLoader.LoadCsv(csv)).Message);
        Assert.Throws<DirectoryNotFoundException>(() => CaptionedImageLoader.LoadFolder(Path.Combine(_dir.Path, "none")));
        Assert.Contains("no images", Assert.Throws<CaptionDataException>(() => CaptionedImageLoader.LoadFolder(_dir.Path)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageFiles.ReadGreyscale(csv, new ImageLoadOptions { Width = 0 }));
    }
}
