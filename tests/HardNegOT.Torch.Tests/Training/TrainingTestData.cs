using HardNegOT.Data;
using HardNegOT.Torch.Training;

namespace HardNegOT.Torch.Tests.Training;

/// <summary>Tiny synthetic image sets, so the training tests need neither the dataset nor much time.</summary>
internal static class TrainingTestData
{
    /// <summary>
    /// n 28×28 images in two classes: class 0 a bright block top-left, class 1 bottom-right, with seeded noise.
    /// </summary>
    public static (float[] Pixels, int[] Labels) Blocks(int n, int seed)
    {
        var random = new Random(seed);
        var pixels = new float[n * FashionMnist.PixelsPerImage];
        var labels = new int[n];
        for (int i = 0; i < n; i++)
        {
            labels[i] = i % 2;
            int offset = labels[i] == 0 ? 4 : 16;
            var image = pixels.AsSpan(i * FashionMnist.PixelsPerImage, FashionMnist.PixelsPerImage);
            for (int p = 0; p < image.Length; p++) image[p] = (float)(0.1 * random.NextDouble());
            for (int r = offset; r < offset + 8; r++)
                for (int c = offset; c < offset + 8; c++)
                    image[r * 28 + c] = (float)(0.7 + 0.3 * random.NextDouble());
        }
        return (pixels, labels);
    }

    public static TrainingData Tiny(int trainImages = 48, int evalImages = 24)
    {
        var (train, _) = Blocks(trainImages, 11);
        var (bank, bankLabels) = Blocks(evalImages, 12);
        var (queries, queryLabels) = Blocks(evalImages, 13);
        return new TrainingData(train, bank, bankLabels, queries, queryLabels, 2);
    }

    /// <summary>Options of a run that takes a second or two.</summary>
    public static ContrastiveTrainerOptions TinyOptions(NegativeSampling negatives = NegativeSampling.Ot) => new()
    {
        Negatives = negatives,
        BatchSize = 8,
        Epochs = 2,
        StepsPerEpoch = 3,
        TrainSubset = null,
        EvalTrainSubset = 24,
        EvalTestSubset = 24,
        KnnK = 5,
        LinearEpochs = 5,
        Seed = 7,
    };
}

/// <summary>A fresh temporary directory, deleted on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir() => Path = Directory.CreateTempSubdirectory("hardnegot-train-").FullName;

    public string Path { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover temp directory must not fail a test.
        }
    }
}
