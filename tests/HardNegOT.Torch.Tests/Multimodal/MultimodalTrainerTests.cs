using HardNegOT.Data;
using HardNegOT.Text;
using HardNegOT.Torch.Multimodal;
using TorchSharp;

namespace HardNegOT.Torch.Tests.Multimodal;

public class MultimodalTrainerTests
{
    public MultimodalTrainerTests() => TorchRuntime.EnsureLoaded();

    /// <summary>n captioned 28×28 block images of random class, brightness and extent.</summary>
    internal static ImageCaptionSet Blocks(int n, int seed)
    {
        var random = new Random(seed);
        var pixels = new float[n * 784];
        var labels = new int[n];
        for (int i = 0; i < n; i++)
        {
            labels[i] = random.Next(10);
            float value = (float)(0.2 + 0.8 * random.NextDouble());
            int r0 = random.Next(0, 10), r1 = random.Next(14, 28), c0 = random.Next(0, 10), c1 = random.Next(12, 28);
            for (int r = r0; r < r1; r++)
                for (int c = c0; c < c1; c++)
                    pixels[i * 784 + r * 28 + c] = value;
        }
        return FashionMnistCaptions.Build(pixels, labels, seed);
    }

    private static MultimodalTrainerOptions TinyOptions(int batchSize, int epochs) => new()
    {
        Model = TwoTowerModelTests.Tiny(),
        BatchSize = batchSize,
        Epochs = epochs,
        LearningRate = 3e-3,
        Seed = 4,
        RecallKs = [1, 5],
        EvalEvery = 100,
    };

    private static TextTokenizer TokenizerFor(ImageCaptionSet set) => new(Vocabulary.Build(set.Captions), 16);

    [Fact]
    public void Steps_on_one_repeated_batch_reduce_the_loss()
    {
        // The training set is exactly one batch, so every step sees the same pairs (in another order, which the loss ignores).
        var train = Blocks(16, 1);
        var heldOut = Blocks(8, 2);
        var trainer = new MultimodalTrainer(TinyOptions(16, 8), train, heldOut, TokenizerFor(train));
        var result = trainer.Run();
        using var model = result.Model;
        Assert.Equal(8, result.StepLosses.Count);
        Assert.True(result.StepLosses[^1] < 0.8 * result.StepLosses[0], $"losses {string.Join(", ", result.StepLosses)}");
        Assert.Equal(9, result.Epochs.Count);
        Assert.NotNull(result.Epochs[^1].Recall);
        Assert.Null(result.Epochs[1].Recall); // EvalEvery 100: only the last epoch is evaluated
        Assert.Equal(8, result.Final.Count);
        Assert.False(model.training);
    }

    [Fact]
    public void Runs_are_a_function_of_the_seed()
    {
        var train = Blocks(24, 3);
        var heldOut = Blocks(8, 4);
        var tokenizer = TokenizerFor(train);
        var a = new MultimodalTrainer(TinyOptions(8, 1), train, heldOut, tokenizer).Run();
        using (torch.rand(10)) { } // global generator draws in between must not matter
        var b = new MultimodalTrainer(TinyOptions(8, 1), train, heldOut, tokenizer).Run();
        var c = new MultimodalTrainer(TinyOptions(8, 1) with { Seed = 5 }, train, heldOut, tokenizer).Run();
        Assert.Equal(3, a.StepLosses.Count);
        Assert.Equal(a.StepLosses, b.StepLosses);
        Assert.NotEqual(a.StepLosses, c.StepLosses);
        foreach (var r in new[] { a, b, c }) r.Model.Dispose();
    }

    [Fact]
    public void Negative_source_is_called_every_step_and_its_negatives_enter_the_loss()
    {
        var train = Blocks(24, 5);
        var heldOut = Blocks(8, 6);
        var tokenizer = TokenizerFor(train);
        var calls = new List<(int Epoch, int Step, int[] Indices)>();
        var source = new DelegateNegativeSource(batch =>
        {
            Assert.Equal(new long[] { 8, 12 }, batch.Images.shape);
            Assert.Equal(new long[] { 8, 12 }, batch.Texts.shape);
            Assert.True(batch.Images.requires_grad);
            Assert.Same(train, batch.Data);
            calls.Add((batch.Epoch, batch.Step, batch.Indices));
            // Every other text of the training batch once more, detached: a crude "hard negative" bank.
            return new CrossModalNegatives(ExtraTexts: batch.Texts.detach().roll(1, 0));
        });
        var plain = new MultimodalTrainer(TinyOptions(8, 2), train, heldOut, tokenizer).Run();
        var extra = new MultimodalTrainer(TinyOptions(8, 2), train, heldOut, tokenizer, source).Run();
        Assert.Equal([(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)], calls.Select(c => (c.Epoch, c.Step)));
        // An epoch visits each pair at most once.
        Assert.Equal(24, calls.Where(c => c.Epoch == 0).SelectMany(c => c.Indices).Distinct().Count());
        // Same seed, same first batch and weights: the extra negatives can only raise the first loss.
        Assert.True(extra.StepLosses[0] > plain.StepLosses[0], $"{extra.StepLosses[0]} vs {plain.StepLosses[0]}");
        plain.Model.Dispose();
        extra.Model.Dispose();
    }

    [Fact]
    public void Bad_data_and_options_are_refused()
    {
        var train = Blocks(8, 7);
        var tokenizer = TokenizerFor(train);
        Assert.Equal("train", Assert.Throws<ArgumentException>(() => new MultimodalTrainer(TinyOptions(16, 1), train, train, tokenizer)).ParamName);
        var small = new ImageCaptionSet(new float[2 * 16], 4, 4, ["a", "b"]);
        Assert.Contains("28×28", Assert.Throws<ArgumentException>(() => new MultimodalTrainer(TinyOptions(2, 1), train, small, tokenizer)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new MultimodalTrainer(TinyOptions(1, 1), train, train, tokenizer));
        Assert.Throws<ArgumentException>(() => new MultimodalTrainer(TinyOptions(2, 1) with { RecallKs = [] }, train, train, tokenizer));
    }
}
