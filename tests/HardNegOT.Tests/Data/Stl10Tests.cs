using HardNegOT.Data;

namespace HardNegOT.Tests.Data;

public sealed class Stl10Tests : IDisposable
{
    private const int Side = 96, Plane = Side * Side, PerImage = 3 * Plane;
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("hardnegot-stl-");

    public void Dispose() => _dir.Delete(recursive: true);

    private string PathOf(string name) => Path.Combine(_dir.FullName, name);

    /// <summary>Pixel value of (image, channel, row, column): distinct under a row/column swap and across channels.</summary>
    private static byte Value(int image, int c, int r, int col) => (byte)((image * 13 + c * 71 + r * 3 + col * 5) % 256);

    /// <summary>Images written as the STL-10 README says: channel by channel, each column-major (column outer, row inner).</summary>
    private static byte[] Images(int count)
    {
        var bytes = new byte[count * PerImage];
        int k = 0;
        for (int i = 0; i < count; i++)
            for (int c = 0; c < 3; c++)
                for (int col = 0; col < Side; col++)
                    for (int r = 0; r < Side; r++)
                        bytes[k++] = Value(i, c, r, col);
        return bytes;
    }

    private static void AssertImage(ImageDataset set, int index)
    {
        var image = set.Image(index);
        for (int c = 0; c < 3; c++)
            for (int r = 0; r < Side; r++)
                for (int col = 0; col < Side; col++)
                    Assert.Equal(Value(index, c, r, col), image[c * Plane + r * Side + col]);
    }

    [Fact]
    public void Train_split_is_transposed_to_row_major_CHW_and_labels_become_0_to_9()
    {
        File.WriteAllBytes(PathOf("train_X.bin"), Images(3));
        File.WriteAllBytes(PathOf("train_y.bin"), [1, 10, 4]);
        var set = Stl10.Load(Stl10Split.Train, _dir.FullName);
        Assert.Equal((3, 3, 96, 96), (set.Count, set.Channels, set.Height, set.Width));
        Assert.Equal(new byte[] { 0, 9, 3 }, set.Labels);
        for (int i = 0; i < 3; i++) AssertImage(set, i);
        Assert.Equal("truck", set.ClassNames[set.Labels![1]]);
        Assert.Equal(new[] { PathOf("train_X.bin"), PathOf("train_y.bin") }, set.SourcePaths);
    }

    [Fact]
    public void Test_split_from_the_archive_folder_with_maxImages()
    {
        var nested = Directory.CreateDirectory(Path.Combine(_dir.FullName, Stl10.ArchiveFolder)).FullName;
        File.WriteAllBytes(Path.Combine(nested, "test_X.bin"), Images(3));
        File.WriteAllBytes(Path.Combine(nested, "test_y.bin"), [2, 3, 5]);
        var set = Stl10.Load(Stl10Split.Test, _dir.FullName, maxImages: 2);
        Assert.Equal(2, set.Count);
        Assert.Equal(new byte[] { 1, 2 }, set.Labels);
        AssertImage(set, 1);
    }

    [Fact]
    public void Unlabeled_split_has_no_labels_and_too_many_images_ask_for_maxImages()
    {
        File.WriteAllBytes(PathOf("unlabeled_X.bin"), Images(2));
        var set = Stl10.Load(Stl10Split.Unlabeled, _dir.FullName);
        Assert.False(set.HasLabels);
        Assert.Equal(2, set.Count);
        AssertImage(set, 1);
        Assert.Throws<InvalidOperationException>(() => set.LabelsAsInt32());

        // A sparse file of the real size (100,000 images, 2.76 GB) costs no disk and cannot be read whole.
        using (var big = new FileStream(PathOf("unlabeled_X.bin"), FileMode.Create)) big.SetLength(100_000L * PerImage);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Stl10.Load(Stl10Split.Unlabeled, _dir.FullName));
        Assert.Contains("maxImages", ex.Message);
        Assert.Equal(4, Stl10.Load(Stl10Split.Unlabeled, _dir.FullName, maxImages: 4).Count);
    }

    [Fact]
    public void Missing_files_are_named()
    {
        var ex = Assert.Throws<FileNotFoundException>(() => Stl10.Load(Stl10Split.Train, _dir.FullName));
        Assert.Contains("train_X.bin", ex.Message);
        File.WriteAllBytes(PathOf("train_X.bin"), Images(1));
        ex = Assert.Throws<FileNotFoundException>(() => Stl10.Load(Stl10Split.Train, _dir.FullName));
        Assert.Contains("train_y.bin", ex.Message);
    }

    [Fact]
    public void Sizes_that_do_not_fit_are_reported_with_file_and_sizes()
    {
        File.WriteAllBytes(PathOf("test_X.bin"), [.. Images(2), 1, 2, 3]);
        File.WriteAllBytes(PathOf("test_y.bin"), [1, 2]);
        var ex = Assert.Throws<BinaryImageFormatException>(() => Stl10.Load(Stl10Split.Test, _dir.FullName));
        Assert.Equal(PathOf("test_X.bin"), ex.Path);
        Assert.Contains((2 * PerImage + 3).ToString(System.Globalization.CultureInfo.InvariantCulture), ex.Message);
        Assert.Contains("27648", ex.Message);

        File.WriteAllBytes(PathOf("test_X.bin"), Images(2));
        File.WriteAllBytes(PathOf("test_y.bin"), [1, 2, 3]);
        var count = Assert.Throws<BinaryImageFormatException>(() => Stl10.Load(Stl10Split.Test, _dir.FullName));
        Assert.Equal(PathOf("test_y.bin"), count.Path);
        Assert.Contains("3 labels", count.Message);
        Assert.Contains("2 images", count.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(11)]
    public void Labels_outside_1_to_10_are_rejected(byte bad)
    {
        File.WriteAllBytes(PathOf("train_X.bin"), Images(2));
        File.WriteAllBytes(PathOf("train_y.bin"), [3, bad]);
        var ex = Assert.Throws<BinaryImageFormatException>(() => Stl10.Load(Stl10Split.Train, _dir.FullName));
        Assert.Contains($"label 1 is {bad}", ex.Message);
        Assert.Equal(PathOf("train_y.bin"), ex.Path);
    }
}
