using HardNegOT.Torch.Multimodal;
using TorchSharp;
using static TorchSharp.torch;

namespace HardNegOT.Torch.Tests.Multimodal;

public class ClipLossTests
{
    private const double Tolerance = 2e-5;

    public ClipLossTests() => TorchRuntime.EnsureLoaded();

    private static Tensor ToTensor(double[][] rows) =>
        torch.tensor(rows.SelectMany(r => r.Select(v => (float)v)).ToArray(), new long[] { rows.Length, rows[0].Length });

    private static double Value(Tensor loss) => loss.to_type(ScalarType.Float64).item<double>();

    private static double[] Unit(double[] x)
    {
        double norm = Math.Sqrt(x.Sum(v => v * v));
        return x.Select(v => v / norm).ToArray();
    }

    private static double Dot(double[] x, double[] y) => x.Zip(y, (a, b) => a * b).Sum();

    /// <summary>
    /// The loss written from its definition with loops: each anchor's −log(e^{pos}/Σ e^{logits}), both directions,
    /// with extra candidates and off-diagonal offsets.
    /// </summary>
    private static double Reference(double[][] images, double[][] texts, double t,
        double[][]? extraTexts = null, double[][]? extraImages = null, double[,]? offsetsIt = null, double[,]? offsetsTi = null)
    {
        var u = images.Select(Unit).ToArray();
        var v = texts.Select(Unit).ToArray();
        double Direction(double[][] queries, double[][] keys, double[][]? extra, double[,]? offsets)
        {
            double total = 0;
            for (int i = 0; i < queries.Length; i++)
            {
                var logits = new List<double>();
                for (int j = 0; j < keys.Length; j++)
                    logits.Add(Dot(queries[i], keys[j]) / t + (offsets is not null && i != j ? offsets[i, j] : 0));
                foreach (var e in extra ?? []) logits.Add(Dot(queries[i], Unit(e)) / t);
                double denominator = logits.Sum(Math.Exp);
                total += -Math.Log(Math.Exp(logits[i]) / denominator);
            }
            return total / queries.Length;
        }
        return 0.5 * (Direction(u, v, extraTexts, offsetsIt) + Direction(v, u, extraImages, offsetsTi));
    }

    private static double[][] RandomRows(Random random, int n, int d) =>
        Enumerable.Range(0, n).Select(_ => Enumerable.Range(0, d).Select(_ => random.NextDouble() * 2 - 1).ToArray()).ToArray();

    [Fact]
    public void B2_d2_matches_hand_computed_value()
    {
        // Images normalise to (1, 0), (0, 1); texts to (0.6, 0.8), (0, 1). Similarities s = [[0.6, 0], [0.8, 1]], t = 0.5.
        double[][] images = [[3, 0], [0, 2]];
        double[][] texts = [[3, 4], [0, 5]];
        // Image→text rows: logits [1.2, 0] and [1.6, 2]; text→image rows (columns of s): [1.2, 1.6] and [0, 2].
        double i2t = (-Math.Log(Math.Exp(1.2) / (Math.Exp(1.2) + Math.Exp(0))) - Math.Log(Math.Exp(2) / (Math.Exp(1.6) + Math.Exp(2)))) / 2;
        double t2i = (-Math.Log(Math.Exp(1.2) / (Math.Exp(1.2) + Math.Exp(1.6))) - Math.Log(Math.Exp(2) / (Math.Exp(0) + Math.Exp(2)))) / 2;
        double expected = (i2t + t2i) / 2;
        // On paper: i2t = (ln(1 + e^−1.2) + ln(1 + e^−0.4))/2 = (0.2633 + 0.5130)/2, t2i = (ln(1 + e^0.4) + ln(1 + e^−2))/2 = (0.9130 + 0.1269)/2.
        Assert.Equal(0.4541, expected, 4);
        using var loss = ClipLoss.Symmetric(ToTensor(images), ToTensor(texts), 0.5);
        Assert.Equal(expected, Value(loss), Tolerance);
        using var scale = torch.tensor(2.0f);
        using var same = ClipLoss.Symmetric(ToTensor(images), ToTensor(texts), scale);
        Assert.Equal(expected, Value(same), Tolerance);
    }

    [Theory]
    [InlineData(4, 3, 0.1, 1)]
    [InlineData(7, 5, 0.5, 2)]
    [InlineData(16, 8, 1.0, 3)]
    public void Matches_the_loop_reference_on_random_batches(int b, int d, double t, int seed)
    {
        var random = new Random(seed);
        var images = RandomRows(random, b, d);
        var texts = RandomRows(random, b, d);
        using var loss = ClipLoss.Symmetric(ToTensor(images), ToTensor(texts), t);
        Assert.Equal(Reference(images, texts, t), Value(loss), 1e-4);
    }

    [Fact]
    public void Extra_negatives_and_offsets_enter_as_their_definition_says()
    {
        var random = new Random(5);
        const int b = 5, d = 4;
        const double t = 0.3;
        var images = RandomRows(random, b, d);
        var texts = RandomRows(random, b, d);
        var extraTexts = RandomRows(random, 3, d);
        var extraImages = RandomRows(random, 2, d);
        var offsetsIt = new double[b, b];
        var offsetsTi = new double[b, b];
        for (int i = 0; i < b; i++)
            for (int j = 0; j < b; j++)
            {
                offsetsIt[i, j] = Math.Log(0.1 + random.NextDouble());
                offsetsTi[i, j] = random.NextDouble() - 0.5;
            }
        offsetsIt[0, 1] = double.NegativeInfinity; // a removed negative
        static Tensor Matrix(double[,] m) => torch.tensor(m.Cast<double>().Select(v => (float)v).ToArray(), new long[] { m.GetLength(0), m.GetLength(1) });

        var extra = new CrossModalNegatives(ToTensor(extraTexts), ToTensor(extraImages), Matrix(offsetsIt), Matrix(offsetsTi));
        using var loss = ClipLoss.Symmetric(ToTensor(images), ToTensor(texts), t, extra);
        Assert.Equal(Reference(images, texts, t, extraTexts, extraImages, offsetsIt, offsetsTi), Value(loss), 1e-4);
        using var plain = ClipLoss.Symmetric(ToTensor(images), ToTensor(texts), t);
        Assert.NotEqual(Value(plain), Value(loss), 3);
        // Extra negatives only raise the loss.
        using var onlyExtra = ClipLoss.Symmetric(ToTensor(images), ToTensor(texts), t, new CrossModalNegatives(ExtraTexts: ToTensor(extraTexts)));
        Assert.True(Value(onlyExtra) > Value(plain));
    }

    [Fact]
    public void Gradients_reach_both_towers_and_the_temperature()
    {
        var random = new Random(9);
        using var images = ToTensor(RandomRows(random, 6, 4)).requires_grad_(true);
        using var texts = ToTensor(RandomRows(random, 6, 4)).requires_grad_(true);
        using var logScale = torch.tensor(Math.Log(1 / 0.2)).to_type(ScalarType.Float32).requires_grad_(true);
        using var loss = ClipLoss.Symmetric(images, texts, logScale.exp());
        loss.backward();
        Assert.True(images.grad!.abs().sum().item<float>() > 0);
        Assert.True(texts.grad!.abs().sum().item<float>() > 0);
        Assert.NotEqual(0f, logScale.grad!.item<float>());
    }

    [Fact]
    public void Bad_inputs_are_refused_by_name()
    {
        using var a = torch.rand(4, 3);
        using var b = torch.rand(4, 3);
        Assert.Contains("B ≥ 2", Assert.Throws<ArgumentException>(() => ClipLoss.Symmetric(torch.rand(1, 3), torch.rand(1, 3), 0.1)).Message);
        Assert.Equal("texts", Assert.Throws<ArgumentException>(() => ClipLoss.Symmetric(a, torch.rand(4, 2), 0.1)).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => ClipLoss.Symmetric(a, b, 0.0));
        Assert.Throws<ArgumentOutOfRangeException>(() => ClipLoss.Symmetric(a, b, double.NaN));
        Assert.Equal("inverseTemperature", Assert.Throws<ArgumentException>(() => ClipLoss.Symmetric(a, b, torch.ones(2))).ParamName);
        var nanOffsets = torch.zeros(4, 4);
        nanOffsets[0, 1] = torch.tensor(float.NaN);
        Assert.Contains("NaN", Assert.Throws<ArgumentException>(() => ClipLoss.Symmetric(a, b, 0.1, new CrossModalNegatives(ImageToTextOffsets: nanOffsets))).Message);
        Assert.Contains("ExtraTexts", Assert.Throws<ArgumentException>(() => ClipLoss.Symmetric(a, b, 0.1, new CrossModalNegatives(ExtraTexts: torch.rand(2, 5)))).Message);
        Assert.Contains("TextToImageOffsets", Assert.Throws<ArgumentException>(() => ClipLoss.Symmetric(a, b, 0.1, new CrossModalNegatives(TextToImageOffsets: torch.zeros(3, 3)))).Message);
    }
}
