using HardNegOT.Torch.Encoders;
using TorchSharp;
using static TorchSharp.torch;

namespace HardNegOT.Torch.Tests.Encoders;

public sealed class EncoderWeightsTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("hardnegot-weights-");

    public EncoderWeightsTests() => TorchRuntime.EnsureLoaded();

    public void Dispose() => _dir.Delete(recursive: true);

    private string PathOf(string name) => Path.Combine(_dir.FullName, name);

    /// <summary>A small-CNN encoder with non-default BatchNorm statistics (one training-mode forward).</summary>
    private static ContrastiveEncoder Trained(int seed, int channels = 1)
    {
        var encoder = EncoderFactory.Create("small-cnn", channels, seed);
        using var noGrad = torch.no_grad();
        using var x = torch.rand(4, channels, 28, 28, generator: new Generator((ulong)seed));
        encoder.train();
        encoder.forward(x);
        return encoder;
    }

    [Fact]
    public void Save_then_load_restores_parameters_and_BatchNorm_statistics_exactly()
    {
        using var source = Trained(1);
        string file = PathOf("nested/dir/small.bin");
        EncoderWeights.Save(source, file);
        using var target = EncoderFactory.Create("small-cnn", 1, seed: 2);
        var before = target.state_dict();
        Assert.Contains(before.Keys, k => !before[k].SameAs(source.state_dict()[k]));

        EncoderWeights.Load(target, file);

        var expected = source.state_dict();
        var actual = target.state_dict();
        Assert.Equal(expected.Keys, actual.Keys);
        foreach (var key in expected.Keys) Assert.True(expected[key].SameAs(actual[key]), key);
        Assert.Contains(expected.Keys, k => k.EndsWith("running_mean", StringComparison.Ordinal) && !expected[k].eq(0).all().item<bool>());
        source.eval();
        target.eval();
        using var x = torch.rand(3, 1, 28, 28);
        using var noGrad = torch.no_grad();
        Assert.True(source.forward(x).Projection.SameAs(target.forward(x).Projection));
    }

    [Fact]
    public void ReadEntries_lists_the_state_dict_names_types_and_shapes_in_order()
    {
        using var source = EncoderFactory.Create("resnet18", 3, seed: 1);
        string file = PathOf("r18.bin");
        EncoderWeights.Save(source.Backbone, file);
        var entries = EncoderWeights.ReadEntries(file);
        var state = source.Backbone.state_dict().ToArray();
        Assert.Equal(state.Select(kv => kv.Key), entries.Select(e => e.Name));
        for (int i = 0; i < state.Length; i++)
        {
            Assert.Equal(state[i].Value.shape, entries[i].Shape);
            Assert.Equal(state[i].Value.dtype, entries[i].DType);
        }
        Assert.Equal("64×3×3×3 Float32", entries[0].Describe());
    }

    [Fact]
    public void Missing_file_is_named()
    {
        using var target = EncoderFactory.Create("small-cnn", 1, seed: 1);
        string file = PathOf("absent.bin");
        var ex = Assert.Throws<FileNotFoundException>(() => EncoderWeights.Load(target, file));
        Assert.Contains(file, ex.Message);
    }

    [Fact]
    public void Weights_of_another_architecture_are_rejected_with_the_differences_and_the_model_is_unchanged()
    {
        using var grey = Trained(1, channels: 1);
        string file = PathOf("grey.bin");
        EncoderWeights.Save(grey, file);
        using var colour = EncoderFactory.Create("small-cnn", 3, seed: 5);
        var before = colour.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());

        var ex = Assert.Throws<WeightsFormatException>(() => EncoderWeights.Load(colour, file));
        Assert.Equal(file, ex.Path);
        Assert.Contains("'backbone.conv1.weight' is 32×1×3×3 Float32 in the file but 32×3×3×3 Float32 in the model", ex.Message);
        foreach (var (key, value) in colour.state_dict()) Assert.True(before[key].SameAs(value), key);

        using var resnet = EncoderFactory.Create("resnet18", 1, seed: 5);
        var other = Assert.Throws<WeightsFormatException>(() => EncoderWeights.Load(resnet, file));
        Assert.Contains("are missing from the file: 'backbone.layer1.0.conv1.weight' (64×64×3×3 Float32)", other.Message);
        Assert.Contains("are not in the model: 'backbone.conv2.weight'", other.Message);
    }

    [Fact]
    public void Truncated_and_overlong_files_are_rejected()
    {
        using var source = EncoderFactory.Create("small-cnn", 1, seed: 1);
        string file = PathOf("full.bin");
        EncoderWeights.Save(source, file);
        var bytes = File.ReadAllBytes(file);

        string cut = PathOf("cut.bin");
        File.WriteAllBytes(cut, bytes[..(bytes.Length - 10)]);
        var ex = Assert.Throws<WeightsFormatException>(() => EncoderWeights.Load(source, cut));
        Assert.Contains("truncated", ex.Message);
        Assert.Contains(cut, ex.Message);

        string header = PathOf("header.bin");
        File.WriteAllBytes(header, bytes[..3]);
        Assert.Throws<WeightsFormatException>(() => EncoderWeights.ReadEntries(header));

        string longer = PathOf("long.bin");
        File.WriteAllBytes(longer, [.. bytes, 1, 2, 3]);
        var extra = Assert.Throws<WeightsFormatException>(() => EncoderWeights.Load(source, longer));
        Assert.Contains("3 bytes follow", extra.Message);
    }
}
