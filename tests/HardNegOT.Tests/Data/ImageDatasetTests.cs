using HardNegOT.Data;

namespace HardNegOT.Tests.Data;

public sealed class ImageDatasetTests
{
    private static readonly string[] TwoClasses = ["a", "b"];

    [Fact]
    public void Sizes_and_labels_are_checked()
    {
        Assert.Throws<ArgumentException>(() => new ImageDataset("x", 3, 2, 2, new byte[13], null, TwoClasses, []));
        Assert.Throws<ArgumentException>(() => new ImageDataset("x", 3, 2, 2, new byte[24], [0], TwoClasses, []));
        var ex = Assert.Throws<ArgumentException>(() => new ImageDataset("x", 3, 2, 2, new byte[24], [0, 2], TwoClasses, []));
        Assert.Contains("label 1 is 2", ex.Message);
        var set = new ImageDataset("x", 3, 2, 2, [.. Enumerable.Range(0, 24).Select(i => (byte)(i * 10))], [1, 0], TwoClasses, []);
        Assert.Equal(2, set.Count);
        Assert.Equal(new byte[] { 120, 130 }, set.Image(1)[..2].ToArray());
        Assert.Equal(new[] { 1, 0 }, set.LabelsAsInt32());
        Assert.Throws<ArgumentOutOfRangeException>(() => set.Image(2));
        Assert.Throws<ArgumentOutOfRangeException>(() => set.PixelsAsFloat32(3));
        Assert.Equal(230 / 255f, set.PixelsAsFloat32()[23]);
    }

    [Fact]
    public void FashionMnist_split_becomes_a_one_channel_28x28_set_sharing_its_arrays()
    {
        string dir = Directory.CreateTempSubdirectory("hardnegot-imageset-").FullName;
        try
        {
            File.WriteAllBytes(Path.Combine(dir, "t10k-images-idx3-ubyte"), IdxTestFiles.Images(2, 28, 28, IdxTestFiles.Pattern(2 * 784)));
            File.WriteAllBytes(Path.Combine(dir, "t10k-labels-idx1-ubyte"), IdxTestFiles.Labels([7, 3]));
            var fashion = FashionMnist.Load(FashionMnistSplit.Test, dir);
            var set = ImageDataset.FromFashionMnist(fashion);
            Assert.Equal((2, 1, 28, 28, 10), (set.Count, set.Channels, set.Height, set.Width, set.ClassCount));
            Assert.Same(fashion.Images.Pixels, set.Pixels);
            Assert.Same(fashion.Labels, set.Labels);
            Assert.Equal(fashion.PixelsAsFloat32(), set.PixelsAsFloat32());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
