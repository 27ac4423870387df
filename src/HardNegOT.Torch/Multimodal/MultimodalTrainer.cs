using System.Diagnostics;
using HardNegOT.Data;
using HardNegOT.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace HardNegOT.Torch.Multimodal;

/// <summary>One epoch's summary (epoch 0: the untrained model).</summary>
/// <param name="Epoch">Epochs completed.</param>
/// <param name="Step">Optimiser steps completed.</param>
/// <param name="Loss">Mean training loss of the epoch; null for epoch 0.</param>
/// <param name="Temperature">The model's temperature at the end of the epoch.</param>
/// <param name="Recall">Held-out retrieval, or null when the epoch was not evaluated.</param>
/// <param name="Seconds">Training seconds of the epoch (evaluation excluded).</param>
public sealed record MultimodalEpoch(int Epoch, long Step, double? Loss, double Temperature, RetrievalResult? Recall, double Seconds);

/// <summary>What the trainer reports after each step.</summary>
/// <param name="Epoch">Zero-based epoch.</param>
/// <param name="StepInEpoch">One-based step within the epoch.</param>
/// <param name="StepsPerEpoch">Steps of one epoch.</param>
/// <param name="GlobalStep">Steps completed in total.</param>
/// <param name="Loss">This step's loss.</param>
public sealed record MultimodalProgress(int Epoch, int StepInEpoch, int StepsPerEpoch, long GlobalStep, double Loss);

/// <summary>The outcome of <see cref="MultimodalTrainer.Run"/>; the caller owns (and disposes) <see cref="Model"/>.</summary>
/// <param name="Model">The trained model, in evaluation mode.</param>
/// <param name="Epochs">Per-epoch summaries, starting with the untrained model.</param>
/// <param name="StepLosses">Every step's loss, in order.</param>
/// <param name="Untrained">Held-out retrieval before training.</param>
/// <param name="Final">Held-out retrieval after the last epoch.</param>
public sealed record MultimodalTrainingResult(
    TwoTowerModel Model, IReadOnlyList<MultimodalEpoch> Epochs, IReadOnlyList<double> StepLosses, RetrievalResult Untrained, RetrievalResult Final);

/// <summary>
/// Trains a <see cref="TwoTowerModel"/> on image–caption pairs with the symmetric CLIP loss (plus whatever a
/// <see cref="ICrossModalNegativeSource"/> adds per batch) and reports recall@k on held-out pairs, using the set's
/// match groups when it has them. Runs are a function of the seed: weights come from
/// <see cref="TwoTowerModel.ResetParameters"/>, batches from a permutation seeded by (seed, epoch), and nothing draws
/// from torch's global generator.
/// </summary>
public sealed class MultimodalTrainer
{
    private readonly ImageCaptionSet _train;
    private readonly ImageCaptionSet _heldOut;
    private readonly TextTokenizer _tokenizer;
    private readonly ICrossModalNegativeSource? _negatives;

    /// <summary>Creates a trainer; options and data are validated here.</summary>
    /// <param name="options">The run's settings.</param>
    /// <param name="train">Training pairs (28×28 images for the <see cref="Encoders.SmallCnn"/> tower).</param>
    /// <param name="heldOut">Held-out pairs for retrieval, at least 2.</param>
    /// <param name="tokenizer">Turns captions into ids.</param>
    /// <param name="negatives">Per-batch extra negatives or offsets, or null for plain CLIP.</param>
    public MultimodalTrainer(MultimodalTrainerOptions options, ImageCaptionSet train, ImageCaptionSet heldOut, TextTokenizer tokenizer,
        ICrossModalNegativeSource? negatives = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(heldOut);
        ArgumentNullException.ThrowIfNull(tokenizer);
        options.Validate();
        foreach (var (set, name) in new[] { (train, nameof(train)), (heldOut, nameof(heldOut)) })
        {
            if (set.Height != 28 || set.Width != 28)
                throw new ArgumentException($"{name} images are {set.Height}×{set.Width}; the image tower takes 28×28.", name);
        }
        if (train.Count < options.BatchSize)
            throw new ArgumentException($"train has {train.Count} pairs, fewer than one batch of {options.BatchSize}.", nameof(train));
        if (heldOut.Count < 2) throw new ArgumentException("heldOut needs at least 2 pairs to rank.", nameof(heldOut));
        Options = options with
        {
            Model = options.Model with
            {
                Text = options.Model.Text with { VocabularySize = tokenizer.Vocabulary.Count, MaxLength = tokenizer.MaxLength },
            },
        };
        Options.Model.Validate();
        _train = train;
        _heldOut = heldOut;
        _tokenizer = tokenizer;
        _negatives = negatives;
    }

    /// <summary>The settings, with the model's text shape taken from the tokenizer.</summary>
    public MultimodalTrainerOptions Options { get; }

    /// <summary>Full batches per epoch under the step cap.</summary>
    public int StepsPerEpoch => Math.Min(_train.Count / Options.BatchSize, Options.StepsPerEpoch ?? int.MaxValue);

    /// <summary>Trains a freshly seeded model.</summary>
    /// <param name="progress">Called after every step.</param>
    /// <param name="cancellationToken">Stops before the next step.</param>
    public MultimodalTrainingResult Run(Action<MultimodalProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        TorchRuntime.EnsureLoaded();
        var o = Options;
        var model = new TwoTowerModel(o.Model);
        try
        {
            model.ResetParameters(o.Seed);
            return Train(model, progress, cancellationToken);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Held-out style retrieval of <paramref name="model"/> on <paramref name="set"/> (model left in evaluation mode).</summary>
    /// <param name="model">The model.</param>
    /// <param name="set">Pairs to rank; its groups are used when present.</param>
    /// <param name="tokenizer">The model's tokenizer.</param>
    /// <param name="ks">The k to report; default 1, 5, 10.</param>
    /// <param name="chunk">Pairs per forward pass.</param>
    public static RetrievalResult Evaluate(TwoTowerModel model, ImageCaptionSet set, TextTokenizer tokenizer, IReadOnlyList<int>? ks = null, int chunk = 512)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(set);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(chunk);
        model.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var tokens = tokenizer.EncodeBatch(set.Captions);
        var images = new List<Tensor>();
        var texts = new List<Tensor>();
        for (int start = 0; start < set.Count; start += chunk)
        {
            int n = Math.Min(chunk, set.Count - start);
            var (image, text) = Encode(model, set, tokens, Enumerable.Range(start, n).ToArray());
            images.Add(image);
            texts.Add(text);
        }
        return RetrievalMetrics.Evaluate(cat(images, 0), cat(texts, 0), set.Groups, ks);
    }

    private MultimodalTrainingResult Train(TwoTowerModel model, Action<MultimodalProgress>? progress, CancellationToken cancellationToken)
    {
        var o = Options;
        var tokens = _tokenizer.EncodeBatch(_train.Captions);
        using var optimizer = optim.Adam(model.parameters().Where(p => p.requires_grad), o.LearningRate);
        int steps = StepsPerEpoch;
        var epochs = new List<MultimodalEpoch>();
        var losses = new List<double>();
        var untrained = Evaluate(model, _heldOut, _tokenizer, o.RecallKs);
        epochs.Add(new MultimodalEpoch(0, 0, null, model.Temperature, untrained, 0));
        RetrievalResult last = untrained;
        long globalStep = 0;
        for (int epoch = 0; epoch < o.Epochs; epoch++)
        {
            model.train();
            var order = Permutation(_train.Count, o.Seed, epoch);
            double sum = 0;
            var clock = Stopwatch.StartNew();
            for (int step = 0; step < steps; step++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var indices = order.AsSpan(step * o.BatchSize, o.BatchSize).ToArray();
                double loss;
                using (var scope = NewDisposeScope())
                {
                    var (images, texts) = Encode(model, _train, tokens, indices);
                    var scale = model.InverseTemperature();
                    var extra = _negatives?.Negatives(new CrossModalBatch(epoch, step, indices, images, texts, scale, _train));
                    var lossTensor = ClipLoss.Symmetric(images, texts, scale, extra);
                    optimizer.zero_grad();
                    lossTensor.backward();
                    optimizer.step();
                    loss = lossTensor.to_type(ScalarType.Float64).item<double>();
                }
                if (!double.IsFinite(loss))
                    throw new InvalidOperationException($"The loss became {loss} at epoch {epoch}, step {step}; lower the learning rate or check the extra negatives.");
                losses.Add(loss);
                sum += loss;
                globalStep++;
                progress?.Invoke(new MultimodalProgress(epoch, step + 1, steps, globalStep, loss));
            }
            double seconds = clock.Elapsed.TotalSeconds;
            RetrievalResult? recall = null;
            if ((epoch + 1) % o.EvalEvery == 0 || epoch + 1 == o.Epochs)
                last = recall = Evaluate(model, _heldOut, _tokenizer, o.RecallKs);
            epochs.Add(new MultimodalEpoch(epoch + 1, globalStep, sum / steps, model.Temperature, recall, seconds));
        }
        model.eval();
        return new MultimodalTrainingResult(model, epochs, losses, untrained, last);
    }

    // Unit embeddings of the pairs at indices (in the caller's dispose scope).
    private static (Tensor Images, Tensor Texts) Encode(TwoTowerModel model, ImageCaptionSet set, TokenizedBatch tokens, int[] indices)
    {
        int ppi = set.PixelsPerImage, length = tokens.MaxLength;
        var pixels = new float[indices.Length * ppi];
        var ids = new long[indices.Length * length];
        var mask = new long[indices.Length * length];
        for (int k = 0; k < indices.Length; k++)
        {
            set.Image(indices[k]).CopyTo(pixels.AsSpan(k * ppi, ppi));
            tokens.IdsOf(indices[k]).CopyTo(ids.AsSpan(k * length, length));
            tokens.MaskOf(indices[k]).CopyTo(mask.AsSpan(k * length, length));
        }
        return model.forward(
            tensor(pixels, new long[] { indices.Length, ppi }),
            tensor(ids, new long[] { indices.Length, length }),
            tensor(mask, new long[] { indices.Length, length }));
    }

    // Fisher–Yates with a seeded System.Random (a fixed algorithm, so orders are stable across runs).
    private static int[] Permutation(int count, int seed, int epoch)
    {
        var order = Enumerable.Range(0, count).ToArray();
        var random = new Random(ImageAugmentation.SeedFor(seed, epoch, 0x3a11));
        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }
}
