using HardNegOT.Torch.Encoders;
using TorchSharp;
using static TorchSharp.torch;

namespace HardNegOT.Torch.Tests.Encoders;

public class EncoderFactoryTests
{
    public EncoderFactoryTests() => TorchRuntime.EnsureLoaded();

    private static long ParameterCount(nn.Module module) => module.parameters().Sum(p => p.numel());

    [Theory]
    [InlineData("small-cnn", 1, 28, 128)]
    [InlineData("small-cnn", 3, 32, 128)]
    [InlineData("resnet18", 1, 28, 512)]
    [InlineData("resnet18", 3, 32, 512)]
    [InlineData("resnet50", 3, 32, 2048)]
    public void Forward_gives_features_of_the_backbone_width_and_128_d_projections(string name, int channels, int size, int features)
    {
        using var encoder = EncoderFactory.Create(name, channels, seed: 1, imageSize: size);
        Assert.Equal(features, encoder.Backbone.FeatureDimension);
        Assert.Equal(channels, encoder.Backbone.InputChannels);
        using var x = torch.rand(2, channels, size, size);
        var (h, z) = encoder.forward(x);
        Assert.Equal(new long[] { 2, features }, h.shape);
        Assert.Equal(new long[] { 2, 128 }, z.shape);
        Assert.True(h.isfinite().all().item<bool>() && z.isfinite().all().item<bool>());
    }

    [Fact]
    public void Names_are_case_insensitive_and_unknown_names_are_rejected_by_name()
    {
        using var a = EncoderFactory.CreateBackbone("ResNet18", 3);
        Assert.IsType<CifarResNet>(a);
        var ex = Assert.Throws<ArgumentException>(() => EncoderFactory.CreateBackbone("resnet34", 3));
        Assert.Contains("resnet34", ex.Message);
        Assert.Contains("small-cnn", ex.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => EncoderFactory.CreateBackbone("resnet18", 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => EncoderFactory.CreateBackbone("small-cnn", 1, imageSize: 30));
    }

    [Fact]
    public void Default_encoder_is_still_the_small_cnn()
    {
        Assert.Equal("small-cnn", EncoderFactory.DefaultName);
        using var encoder = new ContrastiveEncoder();
        Assert.IsType<SmallCnn>(encoder.Backbone);
        Assert.Equal(128, encoder.Backbone.FeatureDimension);
    }

    [Fact]
    public void ResNet_rejects_input_with_the_wrong_channel_count()
    {
        using var backbone = CifarResNet.ResNet18(3);
        using var grey = torch.rand(2, 1, 32, 32);
        var ex = Assert.Throws<ArgumentException>(() => backbone.forward(grey));
        Assert.Contains("N×3×H×W", ex.Message);
    }

    [Fact]
    public void ResNet_parameter_counts_are_torchvisions_minus_fc_with_a_3x3_stem()
    {
        // torchvision resnet18 11,689,512 − fc (512·1000 + 1000) − 7×7 stem (64·3·49) + 3×3 stem (64·3·9);
        // resnet50 25,557,032 − fc (2048·1000 + 1000) − 9,408 + 1,728. (Cross-checked against PyTorch in ResNetPeerTests.)
        using var r18 = CifarResNet.ResNet18(3);
        using var r50 = CifarResNet.ResNet50(3);
        Assert.Equal(11_689_512 - 513_000 - 9_408 + 1_728, ParameterCount(r18));
        Assert.Equal(25_557_032 - 2_049_000 - 9_408 + 1_728, ParameterCount(r50));
        // One input channel only changes the stem: 64·(3 − 1)·9 fewer weights.
        using var r18Grey = CifarResNet.ResNet18(1);
        Assert.Equal(ParameterCount(r18) - 64 * 2 * 9, ParameterCount(r18Grey));
    }

    [Fact]
    public void Projection_head_is_feature_to_512_without_bias_then_BN_ReLU_then_512_to_128()
    {
        using var encoder = new ContrastiveEncoder(CifarResNet.ResNet18(3));
        var head = encoder.Head.named_parameters().ToDictionary(p => p.name, p => p.parameter.shape);
        Assert.Equal(new long[] { 512, 512 }, head["fc1.weight"]);
        Assert.DoesNotContain("fc1.bias", head.Keys);
        Assert.Equal(new long[] { 512 }, head["bn.weight"]);
        Assert.Equal(new long[] { 128, 512 }, head["fc2.weight"]);
        Assert.Equal(new long[] { 128 }, head["fc2.bias"]);
    }

    [Theory]
    [InlineData("small-cnn", 1, 28)]
    [InlineData("resnet18", 3, 32)]
    public void Training_mode_normalises_with_batch_statistics_and_eval_mode_with_running_ones(string name, int channels, int size)
    {
        using var encoder = EncoderFactory.Create(name, channels, seed: 3, imageSize: size);
        using var x = torch.rand(4, channels, size, size, generator: new Generator(5));
        using var y = torch.rand(4, channels, size, size, generator: new Generator(6));
        using var firstOnly = x[..1];
        using var mixed = torch.cat([x[..1], y[1..]]);
        using var noGrad = torch.no_grad();
        var meanBefore = encoder.named_buffers().First(b => b.name.EndsWith("running_mean", StringComparison.Ordinal)).buffer.clone();

        encoder.train();
        var (hx, _) = encoder.forward(x);
        var (hMixed, _) = encoder.forward(mixed);
        // In training mode a sample's features depend on the rest of the batch.
        Assert.False(hx[0].allclose(hMixed[0], rtol: 1e-4, atol: 1e-5));
        var meanAfter = encoder.named_buffers().First(b => b.name.EndsWith("running_mean", StringComparison.Ordinal)).buffer;
        Assert.False(meanBefore.SameAs(meanAfter), "a training-mode forward updates the running statistics");

        encoder.eval();
        var frozen = meanAfter.clone();
        var (ex, _) = encoder.forward(x);
        var (eMixed, _) = encoder.forward(mixed);
        var (eSingle, _) = encoder.forward(firstOnly);
        Assert.True(ex[0].allclose(eMixed[0], rtol: 1e-4, atol: 1e-5));
        Assert.True(ex[0].allclose(eSingle[0], rtol: 1e-4, atol: 1e-5));
        Assert.True(frozen.SameAs(meanAfter), "an eval-mode forward leaves the running statistics alone");
        Assert.True(encoder.training == false && encoder.Backbone.training == false);
    }

    [Theory]
    [InlineData("small-cnn", 1, 28)]
    [InlineData("resnet18", 3, 32)]
    public void Same_seed_gives_identical_weights_and_outputs_and_another_seed_differs(string name, int channels, int size)
    {
        using var a = EncoderFactory.Create(name, channels, seed: 11, imageSize: size);
        using (torch.rand(10)) { } // torch's global generator must not matter
        using var b = EncoderFactory.Create(name, channels, seed: 11, imageSize: size);
        using var c = EncoderFactory.Create(name, channels, seed: 12, imageSize: size);
        var pa = a.state_dict();
        var pb = b.state_dict();
        var pc = c.state_dict();
        Assert.Equal(pa.Keys, pb.Keys);
        foreach (var key in pa.Keys) Assert.True(pa[key].SameAs(pb[key]), key);
        Assert.Contains(pa.Keys, key => !pa[key].SameAs(pc[key]));
        using var x = torch.rand(2, channels, size, size, generator: new Generator(2));
        using var noGrad = torch.no_grad();
        Assert.True(a.forward(x).Projection.SameAs(b.forward(x).Projection));
        Assert.False(a.forward(x).Projection.SameAs(c.forward(x).Projection));
    }

    [Fact]
    public void ResetParameters_resets_every_BatchNorm_of_a_ResNet_including_the_shortcuts()
    {
        using var encoder = EncoderFactory.Create("resnet18", 3, seed: 1);
        var state = encoder.state_dict();
        var shortcutBn = state["backbone.layer2.0.downsample.1.weight"];
        Assert.True(shortcutBn.eq(1).all().item<bool>());
        Assert.True(state["backbone.layer2.0.downsample.1.bias"].eq(0).all().item<bool>());
        // Convolutions use PyTorch's default bound 1/√fan_in: the shortcut conv has fan_in 64·1·1.
        var shortcutConv = state["backbone.layer2.0.downsample.0.weight"];
        Assert.True(shortcutConv.abs().max().item<float>() <= 1 / 8f + 1e-6);
        Assert.True(shortcutConv.abs().max().item<float>() > 0.1f);
    }
}
