using HardNegOT.Torch.Encoders;
using TorchSharp;

namespace HardNegOT.Torch.Tests.Training;

public class EncoderTests
{
    public EncoderTests() => TorchRuntime.EnsureLoaded();

    [Fact]
    public void Encoder_returns_128_d_features_and_projection_for_flat_and_image_input()
    {
        torch.manual_seed(1);
        using var encoder = new ContrastiveEncoder();
        using var flat = torch.rand(5, 784);
        var (h, z) = encoder.forward(flat);
        Assert.Equal(new long[] { 5, 128 }, h.shape);
        Assert.Equal(new long[] { 5, 128 }, z.shape);
        using var image = flat.view(5, 1, 28, 28);
        var (h2, _) = encoder.forward(image);
        Assert.Equal(new long[] { 5, 128 }, h2.shape);
    }

    [Fact]
    public void Head_maps_through_512_to_128()
    {
        using var head = new ProjectionHead(128);
        var shapes = head.parameters().Select(p => string.Join("x", p.shape)).ToArray();
        Assert.Contains("512x128", shapes);
        Assert.Contains("128x512", shapes);
        head.eval();
        using var x = torch.rand(3, 128);
        using var y = head.forward(x);
        Assert.Equal(new long[] { 3, 128 }, y.shape);
    }
}

public class EncoderInitTests
{
    public EncoderInitTests() => TorchRuntime.EnsureLoaded();

    [Fact]
    public void ResetParameters_is_a_function_of_the_seed_alone()
    {
        using var a = new ContrastiveEncoder();
        using var b = new ContrastiveEncoder();
        a.ResetParameters(4);
        using (torch.rand(100)) { } // draws from the global generator in between must not matter
        b.ResetParameters(4);
        var pa = a.named_parameters().ToArray();
        var pb = b.named_parameters().ToArray();
        Assert.Equal(pa.Select(p => p.name), pb.Select(p => p.name));
        for (int i = 0; i < pa.Length; i++) Assert.True(pa[i].parameter.eq(pb[i].parameter).all().item<bool>(), pa[i].name);
        // PyTorch's default bound 1/√fan_in: the first conv has fan_in 1·3·3 = 9.
        var conv1 = pa.Single(p => p.name == "backbone.conv1.weight").parameter;
        Assert.True(conv1.abs().max().item<float>() <= 1.0 / 3.0 + 1e-6);
        Assert.True(pa.Single(p => p.name == "backbone.bn1.weight").parameter.eq(1).all().item<bool>());
    }
}
