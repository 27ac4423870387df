using TorchSharp;
using static TorchSharp.torch;

namespace HardNegOT.Torch.Training;

/// <summary>
/// Evaluation of frozen features: weighted kNN (the InstDisc/SimCLR monitor) and a linear readout. Accuracies are
/// fractions in [0, 1]. Neither touches torch's global random generator, so evaluating does not change training.
/// </summary>
public static class Evaluation
{
    /// <summary>Default number of neighbours.</summary>
    public const int DefaultK = 200;

    /// <summary>Default temperature of the neighbour weights e^{s/t}.</summary>
    public const double DefaultKnnTemperature = 0.5;

    /// <summary>
    /// Runs <paramref name="extract"/> over row-major images in chunks, without gradients, and returns the N×d result.
    /// </summary>
    /// <param name="extract">Maps a chunk of images (n × pixels) to n × d features.</param>
    /// <param name="pixels">Row-major images.</param>
    /// <param name="pixelsPerImage">Values per image.</param>
    /// <param name="chunk">Images per forward pass.</param>
    public static Tensor Features(Func<Tensor, Tensor> extract, float[] pixels, int pixelsPerImage, int chunk = 512)
    {
        ArgumentNullException.ThrowIfNull(extract);
        ArgumentNullException.ThrowIfNull(pixels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pixelsPerImage);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(chunk);
        int count = pixels.Length / pixelsPerImage;
        using var noGrad = no_grad();
        var parts = new List<Tensor>();
        for (int start = 0; start < count; start += chunk)
        {
            int n = Math.Min(chunk, count - start);
            using var x = tensor(pixels.AsSpan(start * pixelsPerImage, n * pixelsPerImage).ToArray(), new long[] { n, pixelsPerImage });
            parts.Add(extract(x).detach());
        }
        var all = cat(parts, 0);
        foreach (var p in parts) p.Dispose();
        return all;
    }

    /// <summary>
    /// Weighted kNN top-1 accuracy: features are L2-normalised, each query takes its k most similar bank rows
    /// (cosine s) and votes for their labels with weight e^{s/t}; ties go to the lower class.
    /// </summary>
    /// <param name="bank">Memory-bank features, M×d (e.g. training features).</param>
    /// <param name="bankLabels">Labels of the bank rows, 0..classes−1.</param>
    /// <param name="queries">Query features, Q×d (e.g. test features).</param>
    /// <param name="queryLabels">Labels of the queries.</param>
    /// <param name="classes">Number of classes.</param>
    /// <param name="k">Neighbours (capped at M).</param>
    /// <param name="temperature">Temperature t of the weights.</param>
    public static double KnnTop1(Tensor bank, int[] bankLabels, Tensor queries, int[] queryLabels, int classes,
        int k = DefaultK, double temperature = DefaultKnnTemperature)
    {
        CheckFeatures(bank, bankLabels, nameof(bank));
        CheckFeatures(queries, queryLabels, nameof(queries));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        if (!(temperature > 0)) throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "t must be positive.");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var b = nn.functional.normalize(bank.to_type(ScalarType.Float32), dim: 1);
        var q = nn.functional.normalize(queries.to_type(ScalarType.Float32), dim: 1);
        var labels = tensor(bankLabels.Select(l => (long)l).ToArray());
        int kk = Math.Min(k, bankLabels.Length);
        long correct = 0;
        for (int start = 0; start < queryLabels.Length; start += 256)
        {
            int n = Math.Min(256, queryLabels.Length - start);
            using var inner = NewDisposeScope();
            var sim = q.narrow(0, start, n).matmul(b.t());
            var (top, index) = sim.topk(kk, dim: 1);
            var weights = (top / temperature).exp();
            var votes = zeros(n, classes).scatter_add_(1, labels[index], weights);
            var predicted = votes.argmax(1).data<long>().ToArray();
            for (int i = 0; i < n; i++) if (predicted[i] == queryLabels[start + i]) correct++;
        }
        return (double)correct / queryLabels.Length;
    }

    /// <summary>
    /// Linear readout: multinomial logistic regression on frozen, standardised features (statistics from the
    /// training rows), trained full-batch with Adam from zero weights — deterministic and RNG-free — then top-1 on the test rows.
    /// </summary>
    /// <param name="train">Training features, N×d.</param>
    /// <param name="trainLabels">Training labels.</param>
    /// <param name="test">Test features, Q×d.</param>
    /// <param name="testLabels">Test labels.</param>
    /// <param name="classes">Number of classes.</param>
    /// <param name="epochs">Full-batch Adam steps.</param>
    /// <param name="learningRate">Adam learning rate.</param>
    public static double LinearTop1(Tensor train, int[] trainLabels, Tensor test, int[] testLabels, int classes,
        int epochs = 100, double learningRate = 0.05)
    {
        CheckFeatures(train, trainLabels, nameof(train));
        CheckFeatures(test, testLabels, nameof(test));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(epochs);
        using var scope = NewDisposeScope();
        var x = train.detach().to_type(ScalarType.Float32);
        var mean = x.mean(new long[] { 0 }, keepdim: true);
        var std = x.std(0, keepdim: true) + 1e-6;
        x = (x - mean) / std;
        var xt = (test.detach().to_type(ScalarType.Float32) - mean) / std;
        var y = tensor(trainLabels.Select(l => (long)l).ToArray());
        long d = x.shape[1];
        var w = new TorchSharp.Modules.Parameter(zeros(d, classes));
        var bias = new TorchSharp.Modules.Parameter(zeros(classes));
        var optimizer = optim.Adam(new[] { w, bias }, learningRate);
        for (int e = 0; e < epochs; e++)
        {
            using var inner = NewDisposeScope();
            optimizer.zero_grad();
            var loss = nn.functional.cross_entropy(x.matmul(w) + bias, y);
            loss.backward();
            optimizer.step();
        }
        using var noGrad = no_grad();
        var predicted = (xt.matmul(w) + bias).argmax(1).data<long>().ToArray();
        long correct = 0;
        for (int i = 0; i < predicted.Length; i++) if (predicted[i] == testLabels[i]) correct++;
        return (double)correct / testLabels.Length;
    }

    private static void CheckFeatures(Tensor features, int[] labels, string name)
    {
        ArgumentNullException.ThrowIfNull(features, name);
        ArgumentNullException.ThrowIfNull(labels);
        if (features.dim() != 2 || features.shape[0] != labels.Length || labels.Length == 0)
            throw new ArgumentException($"{name} has shape [{string.Join(", ", features.shape)}]; expected {labels.Length}×d with at least one row.", name);
    }
}
