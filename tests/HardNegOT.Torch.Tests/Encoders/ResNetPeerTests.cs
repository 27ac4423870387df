using System.Text.Json;
using HardNegOT.IO;
using HardNegOT.Tests.Support;
using HardNegOT.Torch.Encoders;
using TorchSharp;
using static TorchSharp.torch;

namespace HardNegOT.Torch.Tests.Encoders;

/// <summary>
/// Cross-checks the CIFAR ResNets against an independent PyTorch definition (cifar_resnet_peer.py, run by
/// /usr/bin/python3 with torch 1.13): the same state-dict names and shapes, the same parameter counts and, for
/// ResNet-18, the same features and projections from the same weights in training and eval mode.
/// </summary>
public class ResNetPeerTests
{
    private static readonly string Script = Path.Combine(AppContext.BaseDirectory, "Encoders", "cifar_resnet_peer.py");

    public ResNetPeerTests() => TorchRuntime.EnsureLoaded();

    private sealed record PeerReport(long BackboneParameters, long EncoderParameters, int FeatureDimension, JsonElement[][] State);

    private static PeerReport RunPeer(params string[] args)
    {
        var json = Python.Run([Script, .. args]);
        return JsonSerializer.Deserialize<PeerReport>(json, new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower })!;
    }

    [Theory]
    [InlineData("resnet18", 3)]
    [InlineData("resnet18", 1)]
    [InlineData("resnet50", 3)]
    public void State_dict_names_shapes_and_parameter_counts_match_PyTorch(string name, int channels)
    {
        var peer = RunPeer(name, channels.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var encoder = EncoderFactory.Create(name, channels, seed: 1);
        var ours = encoder.state_dict().Select(kv => (kv.Key, string.Join("x", kv.Value.shape))).ToArray();
        var theirs = peer.State.Select(e => (e[0].GetString()!, string.Join("x", e[1].EnumerateArray().Select(d => d.GetInt64())))).ToArray();
        Assert.Equal(theirs.OrderBy(t => t.Item1, StringComparer.Ordinal), ours.OrderBy(t => t.Item1, StringComparer.Ordinal));
        Assert.Equal(peer.BackboneParameters, encoder.Backbone.parameters().Sum(p => p.numel()));
        Assert.Equal(peer.EncoderParameters, encoder.parameters().Sum(p => p.numel()));
        Assert.Equal(peer.FeatureDimension, encoder.Backbone.FeatureDimension);
    }

    [Fact]
    public void ResNet18_features_and_projections_match_PyTorch_from_the_same_weights()
    {
        var dir = Directory.CreateTempSubdirectory("hardnegot-resnet-peer-");
        try
        {
            using var encoder = EncoderFactory.Create("resnet18", 3, seed: 21);
            var manifest = new List<string>();
            int index = 0;
            foreach (var (key, tensor) in encoder.state_dict())
            {
                var shape = tensor.shape.Select(d => (int)d).ToArray();
                var file = Path.Combine(dir.FullName, $"t{index}.npy");
                if (tensor.dtype == ScalarType.Int64) NpyFile.WriteInt64(file, tensor.data<long>().ToArray(), shape);
                else NpyFile.WriteFloat32(file, tensor.data<float>().ToArray(), shape);
                manifest.Add($"{index++} {key}");
            }
            File.WriteAllLines(Path.Combine(dir.FullName, "manifest.txt"), manifest);
            // Images in [0, 1] shifted to mean ≈ 0, as a normalised batch would be.
            using var x = torch.rand(4, 3, 32, 32, generator: new Generator(3)) - 0.5;
            NpyFile.WriteFloat32(Path.Combine(dir.FullName, "x.npy"), x.data<float>().ToArray(), 4, 3, 32, 32);

            RunPeer("resnet18", "3", dir.FullName);

            using var noGrad = torch.no_grad();
            foreach (var mode in new[] { "train", "eval" })
            {
                encoder.train(mode == "train");
                var (h, z) = encoder.forward(x);
                AssertClose(Path.Combine(dir.FullName, $"{mode}_h.npy"), h, $"{mode} features");
                AssertClose(Path.Combine(dir.FullName, $"{mode}_z.npy"), z, $"{mode} projections");
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static void AssertClose(string peerFile, Tensor ours, string what)
    {
        var theirs = NpyFile.ReadMatrixAsFloat32(peerFile);
        Assert.Equal(ours.shape, new long[] { theirs.Rows, theirs.Columns });
        var values = ours.data<float>().ToArray();
        double scale = values.Max(v => Math.Abs(v));
        Assert.True(scale > 1e-3, $"{what} are all ≈ 0, which would make the comparison vacuous");
        for (int i = 0; i < values.Length; i++)
            Assert.True(Math.Abs(values[i] - theirs.Data[i]) <= 1e-4 * scale + 1e-6, $"{what}[{i}]: ours {values[i]}, PyTorch {theirs.Data[i]}");
    }
}
