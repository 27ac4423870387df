using HardNegOT.Torch.Multimodal;
using TorchSharp;
using static TorchSharp.torch;

namespace HardNegOT.Torch.Tests.Multimodal;

/// <summary>Extra positive anchors in <see cref="ClipLoss"/> against a loop reference written from the definition.</summary>
public class ClipLossExtraPositivesTests
{
    public ClipLossExtraPositivesTests() => TorchRuntime.EnsureLoaded();

    private static double[] Unit(double[] x)
    {
        double norm = Math.Sqrt(x.Sum(v => v * v));
        return x.Select(v => v / norm).ToArray();
    }

    private static double Dot(double[] x, double[] y) => x.Zip(y, (a, b) => a * b).Sum();

    private static Tensor ToTensor(double[][] rows, int d) =>
        torch.tensor(rows.SelectMany(r => r.Select(v => (float)v)).ToArray(), new long[] { rows.Length, d });

    private static double[][] RandomRows(Random random, int n, int d) =>
        Enumerable.Range(0, n).Select(_ => Enumerable.Range(0, d).Select(_ => random.NextDouble() * 2 - 1).ToArray()).ToArray();

    // Each direction: the mean over every anchor (batch rows, then extra rows) of −log softmax at its paired candidate,
    // candidates being the batch rows of the other modality followed by the extra negatives.
    private static double Reference(double[][] images, double[][] texts, double t, double[][] extraTexts, double[][] extraImages,
        double[][] positiveImages, int[] imageTargets, double[][] positiveTexts, int[] textTargets)
    {
        double Direction(double[][] queries, int[] targets, double[][] keys, double[][] extra)
        {
            double total = 0;
            for (int q = 0; q < queries.Length; q++)
            {
                var logits = keys.Concat(extra).Select(k => Dot(Unit(queries[q]), Unit(k)) / t).ToList();
                total += -(logits[targets[q]] - Math.Log(logits.Sum(Math.Exp)));
            }
            return total / queries.Length;
        }
        int b = images.Length;
        var i2tQueries = images.Concat(positiveImages).ToArray();
        var i2tTargets = Enumerable.Range(0, b).Concat(imageTargets).ToArray();
        var t2iQueries = texts.Concat(positiveTexts).ToArray();
        var t2iTargets = Enumerable.Range(0, b).Concat(textTargets).ToArray();
        return 0.5 * (Direction(i2tQueries, i2tTargets, texts, extraTexts) + Direction(t2iQueries, t2iTargets, images, extraImages));
    }

    [Theory]
    [InlineData(4, 3, 0.5, 2, 3, 1)]
    [InlineData(6, 5, 0.1, 0, 4, 2)]
    [InlineData(3, 8, 1.0, 5, 0, 3)]
    public void Matches_the_loop_reference(int b, int d, double t, int extraNegatives, int positives, int seed)
    {
        var random = new Random(seed);
        var images = RandomRows(random, b, d);
        var texts = RandomRows(random, b, d);
        var extraTexts = RandomRows(random, extraNegatives, d);
        var extraImages = RandomRows(random, extraNegatives, d);
        var positiveImages = RandomRows(random, positives, d);
        var positiveTexts = RandomRows(random, positives + 1, d);
        var imageTargets = Enumerable.Range(0, positives).Select(_ => random.Next(b)).ToArray();
        var textTargets = Enumerable.Range(0, positives + 1).Select(_ => random.Next(b)).ToArray();
        var extra = new CrossModalNegatives(
            ExtraTexts: extraNegatives > 0 ? ToTensor(extraTexts, d) : null,
            ExtraImages: extraNegatives > 0 ? ToTensor(extraImages, d) : null,
            ExtraPositiveImages: ToTensor(positiveImages, d),
            ExtraPositiveImageTargets: torch.tensor(imageTargets.Select(x => (long)x).ToArray()),
            ExtraPositiveTexts: ToTensor(positiveTexts, d),
            ExtraPositiveTextTargets: torch.tensor(textTargets.Select(x => (long)x).ToArray()));
        double actual = ClipLoss.Symmetric(ToTensor(images, d), ToTensor(texts, d), t, extra).to_type(ScalarType.Float64).item<double>();
        double expected = Reference(images, texts, t, extraTexts, extraImages, positiveImages, imageTargets, positiveTexts, textTargets);
        Assert.Equal(expected, actual, 2e-5);
    }

    [Fact]
    public void Zero_extra_positives_leave_the_loss_unchanged()
    {
        var random = new Random(7);
        var images = ToTensor(RandomRows(random, 5, 4), 4);
        var texts = ToTensor(RandomRows(random, 5, 4), 4);
        var plain = ClipLoss.Symmetric(images, texts, 0.3).item<float>();
        var empty = new CrossModalNegatives(ExtraPositiveImages: torch.zeros(0, 4), ExtraPositiveImageTargets: torch.zeros(0, dtype: ScalarType.Int64));
        Assert.Equal(plain, ClipLoss.Symmetric(images, texts, 0.3, empty).item<float>());
    }

    [Fact]
    public void Gradients_flow_into_the_batch_and_bad_targets_are_named()
    {
        using var images = torch.randn(4, 3, generator: new Generator(1)).requires_grad_();
        using var texts = torch.randn(4, 3, generator: new Generator(2)).requires_grad_();
        var extra = new CrossModalNegatives(ExtraPositiveImages: torch.randn(2, 3), ExtraPositiveImageTargets: torch.tensor(new long[] { 0, 3 }));
        ClipLoss.Symmetric(images, texts, 0.5, extra).backward();
        Assert.True(texts.grad!.abs().sum().item<float>() > 0);

        var outside = extra with { ExtraPositiveImageTargets = torch.tensor(new long[] { 0, 4 }) };
        Assert.Equal("ExtraPositiveImageTargets", Assert.Throws<ArgumentException>(() => ClipLoss.Symmetric(images, texts, 0.5, outside)).ParamName);
        var lonely = new CrossModalNegatives(ExtraPositiveTexts: torch.randn(2, 3));
        Assert.Equal("ExtraPositiveTextTargets", Assert.Throws<ArgumentException>(() => ClipLoss.Symmetric(images, texts, 0.5, lonely)).ParamName);
        var wrongWidth = new CrossModalNegatives(ExtraPositiveTexts: torch.randn(2, 5), ExtraPositiveTextTargets: torch.tensor(new long[] { 0, 1 }));
        Assert.Equal("ExtraPositiveTexts", Assert.Throws<ArgumentException>(() => ClipLoss.Symmetric(images, texts, 0.5, wrongWidth)).ParamName);
    }
}
