using HardNegOT.Data;

namespace HardNegOT.Tests.Data;

public sealed class Cifar10Tests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("hardnegot-cifar-");

    public void Dispose() => _dir.Delete(recursive: true);

    /// <summary>Pixel value of (image, channel, row, column): distinct under a row/column swap and across channels.</summary>
    private static byte Value(int image, int c, int r, int col) => (byte)((image * 13 + c * 71 + r * 3 + col * 5) % 256);

    /// <summary>Records written byte by byte: label, then the red, green and blue planes, each row-major.</summary>
    private static byte[] Records(int firstImage, params byte[] labels)
    {
        var bytes = new List<byte>();
        for (int i = 0; i < labels.Length; i++)
        {
            bytes.Add(labels[i]);
            for (int c = 0; c < 3; c++)
                for (int r = 0; r < 32; r++)
                    for (int col = 0; col < 32; col++)
                        bytes.Add(Value(firstImage + i, c, r, col));
        }
        return [.. bytes];
    }

    private string WriteTrain(string? folder = null)
    {
        string dir = folder is null ? _dir.FullName : Directory.CreateDirectory(Path.Combine(_dir.FullName, folder)).FullName;
        for (int f = 0; f < 5; f++)
            File.WriteAllBytes(Path.Combine(dir, $"data_batch_{f + 1}.bin"), Records(2 * f, (byte)(2 * f % 10), (byte)((2 * f + 1) % 10)));
        return dir;
    }

    private static void AssertImage(ImageDataset set, int index, int expectedImage)
    {
        var image = set.Image(index);
        for (int c = 0; c < 3; c++)
            for (int r = 0; r < 32; r++)
                for (int col = 0; col < 32; col++)
                    Assert.Equal(Value(expectedImage, c, r, col), image[(c * 32 + r) * 32 + col]);
    }

    [Fact]
    public void Train_split_reads_the_five_batches_in_order_as_CHW_with_labels()
    {
        WriteTrain();
        var set = Cifar10.Load(Cifar10Split.Train, _dir.FullName);
        Assert.Equal((10, 3, 32, 32, 3072), (set.Count, set.Channels, set.Height, set.Width, set.ValuesPerImage));
        Assert.Equal(new byte[] { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 }, set.Labels);
        for (int i = 0; i < 10; i++) AssertImage(set, i, i);
        Assert.Equal(5, set.SourcePaths.Count);
        Assert.EndsWith("data_batch_5.bin", set.SourcePaths[4]);
        Assert.Equal("truck", set.ClassNames[9]);
        var floats = set.PixelsAsFloat32(2);
        Assert.Equal(2 * 3072, floats.Length);
        Assert.Equal(set.Pixels[3000] / 255f, floats[3000]);
    }

    [Fact]
    public void MaxImages_reads_only_the_batches_it_needs_and_the_archive_folder_is_found()
    {
        WriteTrain(Cifar10.ArchiveFolder);
        var set = Cifar10.Load(Cifar10Split.Train, _dir.FullName, maxImages: 3);
        Assert.Equal(3, set.Count);
        Assert.Equal(2, set.SourcePaths.Count);
        AssertImage(set, 2, 2);
        Assert.Equal(new byte[] { 0, 1, 2 }, set.Labels);
    }

    [Fact]
    public void Test_split_and_ReadBatch_read_test_batch()
    {
        string path = Path.Combine(_dir.FullName, "test_batch.bin");
        File.WriteAllBytes(path, Records(0, 9, 4, 0));
        var set = Cifar10.Load(Cifar10Split.Test, _dir.FullName);
        Assert.Equal(new byte[] { 9, 4, 0 }, set.Labels);
        AssertImage(set, 1, 1);
        var (pixels, labels) = Cifar10.ReadBatch(path);
        Assert.Equal(set.Pixels, pixels);
        Assert.Equal(set.Labels, labels);
    }

    [Fact]
    public void Missing_batch_is_named()
    {
        WriteTrain();
        File.Delete(Path.Combine(_dir.FullName, "data_batch_4.bin"));
        var ex = Assert.Throws<FileNotFoundException>(() => Cifar10.Load(Cifar10Split.Train, _dir.FullName));
        Assert.Contains("data_batch_4.bin", ex.Message);
        Assert.EndsWith("data_batch_4.bin", ex.FileName);
        Assert.Throws<DirectoryNotFoundException>(() => Cifar10.Load(Cifar10Split.Test, Path.Combine(_dir.FullName, "nowhere")));
    }

    [Fact]
    public void Size_that_is_not_a_whole_number_of_records_is_reported_with_the_sizes()
    {
        string path = Path.Combine(_dir.FullName, "test_batch.bin");
        File.WriteAllBytes(path, [.. Records(0, 1, 2), 7, 7, 7, 7, 7]);
        var ex = Assert.Throws<BinaryImageFormatException>(() => Cifar10.Load(Cifar10Split.Test, _dir.FullName));
        Assert.Equal(path, ex.Path);
        Assert.Contains("6151", ex.Message);
        Assert.Contains("3073", ex.Message);
        Assert.Contains("5 bytes left over", ex.Message);

        File.WriteAllBytes(path, []);
        Assert.Contains("empty", Assert.Throws<BinaryImageFormatException>(() => Cifar10.ReadBatch(path)).Message);
    }

    [Fact]
    public void Label_above_9_is_reported_with_its_record()
    {
        string path = Path.Combine(_dir.FullName, "test_batch.bin");
        File.WriteAllBytes(path, Records(0, 3, 10));
        var ex = Assert.Throws<BinaryImageFormatException>(() => Cifar10.Load(Cifar10Split.Test, _dir.FullName));
        Assert.Contains("record 1", ex.Message);
        Assert.Contains("label 10", ex.Message);
        Assert.Contains(path, ex.Message);
    }
}
