using System.Security.Cryptography;
using HardNegOT.Data;
using HardNegOT.Tests.Support;

namespace HardNegOT.Tests.Data;

public sealed class FashionMnistTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hardnegot-fmnist-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void ClassNamesAreTheTenFashionMnistClassesInLabelOrder()
    {
        Assert.Equal(
            ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"],
            FashionMnist.ClassNames);
    }

    [Theory]
    [InlineData(FashionMnistSplit.Train, "train-images-idx3-ubyte", "train-labels-idx1-ubyte", false)]
    [InlineData(FashionMnistSplit.Test, "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", true)]
    [InlineData(FashionMnistSplit.Test, "t10k-images.idx3-ubyte", "t10k-labels.idx1-ubyte", false)]
    public void LoadsASplitFromADirectory(FashionMnistSplit split, string imagesName, string labelsName, bool gzip)
    {
        byte[] pixels = IdxTestFiles.Pattern(3 * 784);
        byte[] labels = [9, 0, 4];
        WriteFile(imagesName, IdxTestFiles.Images(3, 28, 28, pixels), gzip);
        WriteFile(labelsName, IdxTestFiles.Labels(labels), gzip);

        var set = FashionMnist.Load(split, _dir);

        Assert.Equal(split, set.Split);
        Assert.Equal(3, set.Count);
        Assert.Equal(Path.Combine(_dir, imagesName), set.ImagesPath);
        Assert.Equal(Path.Combine(_dir, labelsName), set.LabelsPath);
        Assert.Equal(pixels, set.Images.Pixels);
        Assert.Equal(labels, set.Labels);
        Assert.Equal(new[] { 9, 0, 4 }, set.LabelsAsInt32());
        Assert.Equal("Ankle boot", set.ClassNameOf(0));
        Assert.Equal(pixels.Select(p => p / 255f), set.PixelsAsFloat32());
    }

    [Fact]
    public void ImageAndLabelCountMismatchNamesBothFiles()
    {
        WriteFile("t10k-images-idx3-ubyte", IdxTestFiles.Images(3, 28, 28, new byte[3 * 784]), gzip: false);
        WriteFile("t10k-labels-idx1-ubyte", IdxTestFiles.Labels([1, 2]), gzip: false);

        var ex = Assert.Throws<IdxFormatException>(() => FashionMnist.Load(FashionMnistSplit.Test, _dir));

        Assert.Contains(Path.Combine(_dir, "t10k-labels-idx1-ubyte"), ex.Message, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(_dir, "t10k-images-idx3-ubyte"), ex.Message, StringComparison.Ordinal);
        Assert.Contains("2 labels", ex.Message, StringComparison.Ordinal);
        Assert.Contains("3 images", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LabelOutsideTheTenClassesIsReported()
    {
        WriteFile("t10k-images-idx3-ubyte", IdxTestFiles.Images(3, 28, 28, new byte[3 * 784]), gzip: false);
        WriteFile("t10k-labels-idx1-ubyte", IdxTestFiles.Labels([1, 10, 2]), gzip: false);

        var ex = Assert.Throws<IdxFormatException>(() => FashionMnist.Load(FashionMnistSplit.Test, _dir));

        Assert.Contains("label 1 is 10", ex.Message, StringComparison.Ordinal);
        Assert.Contains("0..9", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ImagesThatAreNot28By28AreReported()
    {
        WriteFile("train-images-idx3-ubyte", IdxTestFiles.Images(2, 32, 32, new byte[2 * 1024]), gzip: false);
        WriteFile("train-labels-idx1-ubyte", IdxTestFiles.Labels([1, 2]), gzip: false);

        var ex = Assert.Throws<IdxFormatException>(() => FashionMnist.Load(FashionMnistSplit.Train, _dir));

        Assert.Contains("32×32", ex.Message, StringComparison.Ordinal);
        Assert.Contains("28×28", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingDirectoryNamesItAndSuggestsTheDebianPackage()
    {
        string missing = Path.Combine(_dir, "not-there");

        var ex = Assert.Throws<DirectoryNotFoundException>(() => FashionMnist.Load(FashionMnistSplit.Test, missing));

        Assert.Contains(missing, ex.Message, StringComparison.Ordinal);
        Assert.Contains("apt-get install dataset-fashion-mnist", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingFileNamesItAndSuggestsTheDebianPackage()
    {
        WriteFile("train-images-idx3-ubyte", IdxTestFiles.Images(1, 28, 28, new byte[784]), gzip: false);

        var ex = Assert.Throws<FileNotFoundException>(() => FashionMnist.Load(FashionMnistSplit.Train, _dir));

        Assert.Equal(Path.Combine(_dir, "train-labels-idx1-ubyte"), ex.FileName);
        Assert.Contains("train-labels-idx1-ubyte.gz", ex.Message, StringComparison.Ordinal);
        Assert.Contains("apt-get install dataset-fashion-mnist", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(FashionMnistSplit.Test, 10_000)]
    [InlineData(FashionMnistSplit.Train, 60_000)]
    public void ReadsTheInstalledDataset(FashionMnistSplit split, int expectedCount)
    {
        Assert.True(
            Directory.Exists(FashionMnist.DefaultDirectory),
            $"Fashion-MNIST is not installed in {FashionMnist.DefaultDirectory}: run `apt-get install dataset-fashion-mnist`.");

        var set = FashionMnist.Load(split);

        Assert.Equal(expectedCount, set.Count);
        Assert.Equal((28, 28), (set.Images.Rows, set.Images.Columns));
        Assert.Equal(expectedCount * 784, set.Images.Pixels.Length);

        // Fashion-MNIST is balanced: every class has exactly a tenth of the images.
        int[] perClass = new int[10];
        foreach (byte label in set.Labels)
        {
            perClass[label]++; // an out-of-range label would throw here (and Load rejects it first)
        }

        Assert.All(perClass, n => Assert.Equal(expectedCount / 10, n));

        float[] scaled = set.PixelsAsFloat32();
        Assert.Equal(expectedCount * 784, scaled.Length);
        Assert.All(scaled, v => Assert.InRange(v, 0f, 1f));
        Assert.Equal(0f, scaled.Min());
        Assert.Equal(1f, scaled.Max());

        // Cross-check the decoded bytes against Python's own gzip module (no numpy involved).
        string[] digests = Python.RunScript(
            """
            import gzip, hashlib, sys
            for path, header in ((sys.argv[1], 16), (sys.argv[2], 8)):
                with gzip.open(path, 'rb') if path.endswith('.gz') else open(path, 'rb') as f:
                    print(hashlib.sha256(f.read()[header:]).hexdigest())
            """,
            set.ImagesPath,
            set.LabelsPath).Split('\n');
        Assert.Equal(digests[0], Convert.ToHexStringLower(SHA256.HashData(set.Images.Pixels)));
        Assert.Equal(digests[1], Convert.ToHexStringLower(SHA256.HashData(set.Labels)));
    }

    private void WriteFile(string name, byte[] bytes, bool gzip) =>
        File.WriteAllBytes(Path.Combine(_dir, name), gzip ? IdxTestFiles.Gzip(bytes) : bytes);
}
