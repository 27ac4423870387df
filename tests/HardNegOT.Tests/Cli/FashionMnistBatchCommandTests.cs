using System.Text.Json;
using HardNegOT.Data;
using HardNegOT.IO;

namespace HardNegOT.Tests.Cli;

/// <summary>
/// <c>hardnegot fashion-mnist-batch</c> on the real Fashion-MNIST files, and <c>weights</c> on its output: OT negatives are
/// harder than uniform ones and fall on the anchor's own class far more often.
/// </summary>
public sealed class FashionMnistBatchCommandTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public FashionMnistBatchCommandTests()
    {
        Assert.True(
            Directory.Exists(FashionMnist.DefaultDirectory),
            $"Fashion-MNIST is not installed at {FashionMnist.DefaultDirectory}: these tests need the real data " +
            "(`apt-get install dataset-fashion-mnist`).");
    }

    public void Dispose() => _temp.Dispose();

    private (NpyArray<float> Embeddings, long[] Labels) Batch(string name, params string[] extra)
    {
        string x = _temp.File($"{name}.x.npy"), l = _temp.File($"{name}.l.npy");
        CliRunner.RunOk(["fashion-mnist-batch", "--out", x, "--labels-out", l, .. extra]);
        Assert.Equal("<f4", NpyFile.ReadHeader(x).Descr);
        Assert.Equal("<i8", NpyFile.ReadHeader(l).Descr);
        return (NpyFile.ReadMatrixAsFloat32(x), NpyVectors.ReadInt64(l));
    }

    [Fact]
    public void Writes_a_2B_by_d_float32_two_view_batch_with_paired_labels()
    {
        var (x, labels) = Batch("a", "--batch-size", "40", "--seed", "3", "--split", "test");
        Assert.Equal((80, 128), (x.Rows, x.Columns));
        Assert.Equal(80, labels.Length);
        for (int i = 0; i < 40; i++)
        {
            Assert.Equal(labels[i], labels[i + 40]);
            Assert.InRange(labels[i], 0, 9);
        }

        // 40 random images cover several classes, and the two views of a sample are different vectors.
        Assert.True(labels.Distinct().Count() >= 5, $"labels {string.Join(",", labels)}");
        Assert.False(x.Row(0).SequenceEqual(x.Row(40)), "the two views of sample 0 should differ");
        Assert.All(Enumerable.Range(0, 80), i => Assert.Contains(x.Row(i).ToArray(), v => v != 0));
    }

    [Fact]
    public void The_same_seed_gives_the_same_batch_and_another_seed_a_different_one()
    {
        var first = Batch("s1", "--batch-size", "16", "--seed", "5");
        var again = Batch("s1b", "--batch-size", "16", "--seed", "5");
        var other = Batch("s2", "--batch-size", "16", "--seed", "6");
        Assert.Equal(first.Embeddings.Data, again.Embeddings.Data);
        Assert.Equal(first.Labels, again.Labels);
        Assert.NotEqual(first.Embeddings.Data, other.Embeddings.Data);
    }

    [Fact]
    public void Projection_dim_0_keeps_784_mean_centred_pixels()
    {
        var (x, _) = Batch("raw", "--batch-size", "8", "--projection-dim", "0");
        Assert.Equal((16, 784), (x.Rows, x.Columns));
        for (int i = 0; i < 16; i++)
        {
            var row = x.Row(i).ToArray();
            Assert.Equal(0.0, row.Average(v => (double)v), 1e-6);
            Assert.Contains(row, v => v < 0);
        }
    }

    [Fact]
    public void Bad_arguments_exit_2_with_one_error_line()
    {
        string x = _temp.File("x.npy");
        foreach (var (args, mention) in new (string[] Args, string Mention)[]
        {
            (["--batch-size", "0"], "--batch-size"),
            (["--batch-size", "70000"], "--batch-size"),
            (["--batch-size", "4", "--projection-dim", "-1"], "--projection-dim"),
            (["--batch-size", "4", "--data-dir", _temp.File("missing")], "--data-dir"),
            (["--batch-size", "4", "--split", "validation"], "--split"),
        })
        {
            var result = CliRunner.Run(["fashion-mnist-batch", "--out", x, .. args]);
            Assert.True(result.ExitCode == 2, $"{string.Join(' ', args)}\n{result}");
            var line = Assert.Single(result.ErrorLines);
            Assert.StartsWith("error: ", line);
            Assert.Contains(mention, line);
        }

        Assert.False(File.Exists(x));
    }

    [Fact]
    public void Weights_on_a_real_batch_find_harder_and_same_class_negatives()
    {
        string x = _temp.File("x.npy"), l = _temp.File("l.npy"), json = _temp.File("d.json");
        CliRunner.RunOk("fashion-mnist-batch", "--batch-size", "128", "--seed", "11", "--out", x, "--labels-out", l);
        var result = CliRunner.RunOk("weights", "--embeddings", x, "--layout", "two-view", "--cost", "sqeuclid", "--epsilon", "0.1",
            "--out", _temp.File("w.npy"), "--conditional", "--labels", l, "--json", json);

        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var root = doc.RootElement;
        double plan = root.GetProperty("expectedSimilarityPlan").GetDouble();
        double uniform = root.GetProperty("expectedSimilarityUniform").GetDouble();
        double gain = root.GetProperty("gain").GetDouble();
        Assert.True(gain > 0 && plan > uniform, $"E_P*[s] = {plan} should exceed E_uniform[s] = {uniform}\n{result.Stdout}");
        double samePlan = root.GetProperty("sameLabelMassPlan").GetDouble();
        double sameUniform = root.GetProperty("sameLabelMassUniform").GetDouble();
        // Ten roughly balanced classes: a uniform negative shares the anchor's class ~10% of the time.
        Assert.InRange(sameUniform, 0.05, 0.2);
        Assert.True(samePlan > 2 * sameUniform,
            $"same-label mass {samePlan} should be well above the uniform {sameUniform}: OT picks same-class look-alikes\n{result.Stdout}");
    }
}
