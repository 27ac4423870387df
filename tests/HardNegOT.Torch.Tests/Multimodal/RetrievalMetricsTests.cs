using HardNegOT.Torch.Multimodal;
using TorchSharp;
using static TorchSharp.torch;

namespace HardNegOT.Torch.Tests.Multimodal;

public class RetrievalMetricsTests
{
    public RetrievalMetricsTests() => TorchRuntime.EnsureLoaded();

    [Fact]
    public void Identity_embeddings_retrieve_every_pair_first()
    {
        using var eye = torch.eye(20) * 3.0; // scale must not matter
        var result = RetrievalMetrics.Evaluate(eye, torch.eye(20));
        Assert.Equal(20, result.Count);
        foreach (int k in new[] { 1, 5, 10 })
        {
            Assert.Equal(1.0, result.ImageToText[k]);
            Assert.Equal(1.0, result.TextToImage[k]);
        }
    }

    [Fact]
    public void Random_embeddings_recall_about_k_over_n()
    {
        const int n = 400, seeds = 5;
        var sums = new Dictionary<int, double> { [1] = 0, [5] = 0, [10] = 0, [40] = 0 };
        for (int seed = 0; seed < seeds; seed++)
        {
            var generator = new torch.Generator((ulong)seed + 1);
            using var images = torch.randn(n, 32, generator: generator);
            using var texts = torch.randn(n, 32, generator: generator);
            var result = RetrievalMetrics.Evaluate(images, texts, ks: [1, 5, 10, 40]);
            foreach (int k in sums.Keys) sums[k] += result.MeanRecall(k) / seeds;
        }
        // Each recall@k is a mean of 2·n·seeds Bernoulli(k/n) indicators: standard error ≤ 0.0045 at k = 40.
        foreach (var (k, mean) in sums)
            Assert.True(Math.Abs(mean - (double)k / n) < 0.02, $"recall@{k} = {mean}, expected about {(double)k / n}");
    }

    [Fact]
    public void Ranks_of_a_constructed_case_give_the_expected_recalls()
    {
        // Unit vectors at angles: image i at 0°, 10°, 20°, 30°; texts at 0°, 35°, 20°, 12°.
        // Image 0's nearest texts: 0 (0°), 3 (12°), 2, 1 → rank 0. Image 1 (10°): 3 (2°), 0 (10°), 2 (10°), 1 (25°) → rank 3.
        // Image 2 (20°): 2 → rank 0. Image 3 (30°): 1 (5°), 2 (10°), 3 (18°) → rank 2.
        double[] imageAngles = [0, 10, 20, 30], textAngles = [0, 35, 20, 12];
        static Tensor Circle(double[] degrees) => torch.tensor(degrees.SelectMany(a => new[] { (float)Math.Cos(a * Math.PI / 180), (float)Math.Sin(a * Math.PI / 180) }).ToArray(), new long[] { degrees.Length, 2 });
        var result = RetrievalMetrics.Evaluate(Circle(imageAngles), Circle(textAngles), ks: [1, 2, 3, 4]);
        Assert.Equal(0.5, result.ImageToText[1]);
        Assert.Equal(0.5, result.ImageToText[2]);
        Assert.Equal(0.75, result.ImageToText[3]);
        Assert.Equal(1.0, result.ImageToText[4]);
        // Text 1 (35°): images 3 (5°), 2 (15°) beat image 1 (25°) → rank 2; text 3 (12°): images 1 (2°), 2 (8°), 0 (12°)
        // beat image 3 (18°) → rank 3; texts 0, 2 → rank 0.
        Assert.Equal(0.5, result.TextToImage[1]);
        Assert.Equal(0.5, result.TextToImage[2]);
        Assert.Equal(0.75, result.TextToImage[3]);
        Assert.Equal(1.0, result.TextToImage[4]);
    }

    [Fact]
    public void Groups_make_identical_captions_interchangeable_and_ties_count_against_the_query()
    {
        // Four images, two distinct captions (pairs 0, 1 share caption A; 2, 3 share B); images sit on their caption.
        using var images = torch.tensor(new float[] { 1, 0, 1, 0.01f, 0, 1, 0.01f, 1 }, new long[] { 4, 2 });
        using var texts = torch.tensor(new float[] { 1, 0, 1, 0, 0, 1, 0, 1 }, new long[] { 4, 2 });
        var strict = RetrievalMetrics.Evaluate(images, texts, ks: [1, 2]);
        // Without groups each image ties with the other copy of its caption: rank 1, never first.
        Assert.Equal(0.0, strict.ImageToText[1]);
        Assert.Equal(1.0, strict.ImageToText[2]);
        var grouped = RetrievalMetrics.Evaluate(images, texts, groups: [0, 0, 1, 1], ks: [1]);
        Assert.Equal(1.0, grouped.ImageToText[1]);
        Assert.Equal(1.0, grouped.TextToImage[1]);
        // Constant embeddings tie everywhere and recall nothing at k = 1.
        Assert.Equal(0.0, RetrievalMetrics.Evaluate(torch.ones(5, 3), torch.ones(5, 3), ks: [1]).MeanRecall(1));
    }

    [Fact]
    public void Chunking_does_not_change_the_result()
    {
        var generator = new torch.Generator(42);
        using var images = torch.randn(50, 8, generator: generator);
        using var texts = images + 0.8 * torch.randn(50, 8, generator: generator);
        var whole = RetrievalMetrics.Evaluate(images, texts);
        var chunked = RetrievalMetrics.Evaluate(images, texts, chunk: 7);
        Assert.Equal(whole.ImageToText, chunked.ImageToText);
        Assert.Equal(whole.TextToImage, chunked.TextToImage);
        Assert.True(whole.ImageToText[1] > 0.2); // correlated pairs retrieve far above chance (1/50)
    }

    [Fact]
    public void Bad_inputs_are_refused()
    {
        using var a = torch.rand(4, 3);
        Assert.Equal("texts", Assert.Throws<ArgumentException>(() => RetrievalMetrics.Evaluate(a, torch.rand(3, 3))).ParamName);
        Assert.Equal("groups", Assert.Throws<ArgumentException>(() => RetrievalMetrics.Evaluate(a, a, groups: [0, 1])).ParamName);
        Assert.Equal("ks", Assert.Throws<ArgumentException>(() => RetrievalMetrics.Evaluate(a, a, ks: [0])).ParamName);
        var zero = a.clone();
        zero[2] = torch.zeros(3);
        Assert.Contains("row 2", Assert.Throws<ArgumentException>(() => RetrievalMetrics.Evaluate(zero, a)).Message);
        var nan = a.clone();
        nan[1, 1] = torch.tensor(float.NaN);
        Assert.Contains("NaN", Assert.Throws<ArgumentException>(() => RetrievalMetrics.Evaluate(a, nan)).Message);
    }
}
