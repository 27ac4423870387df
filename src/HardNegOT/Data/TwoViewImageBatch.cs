using System.Numerics.Tensors;

namespace HardNegOT.Data;

/// <summary>
/// A seeded two-view batch of images (grey Fashion-MNIST or RGB CIFAR-10 / STL-10): B distinct images, two augmented
/// and mean-centred views of each, laid out [view 1 of every sample; view 2 of every sample] (the positive of row i is
/// i ± B).
/// </summary>
public sealed class TwoViewImageBatch
{
    private TwoViewImageBatch(int[] indices, float[] views, long[] labels)
    {
        Indices = indices;
        Views = views;
        Labels = labels;
    }

    /// <summary>The B image indices drawn from the set.</summary>
    public int[] Indices { get; }

    /// <summary>2B centred views of channels × rows × columns values each (CHW), view after view.</summary>
    public float[] Views { get; }

    /// <summary>2B labels: labels[i] = labels[i + B] = the class of sample i.</summary>
    public long[] Labels { get; }

    /// <summary>Number of samples B (the batch has 2B rows).</summary>
    public int BatchSize => Indices.Length;

    /// <summary>Draws <paramref name="batchSize"/> distinct images (seeded) and makes their two views.</summary>
    public static TwoViewImageBatch Create(FashionMnistSet set, int batchSize, int seed)
    {
        ArgumentNullException.ThrowIfNull(set);
        return Create(ImageDataset.FromFashionMnist(set), batchSize, seed);
    }

    /// <summary>Draws <paramref name="batchSize"/> distinct images of a labelled set (seeded) and makes their two views.</summary>
    /// <param name="set">The images, grey or RGB.</param>
    /// <param name="batchSize">Samples B.</param>
    /// <param name="seed">Seed of the choice of images and of the augmentations.</param>
    /// <param name="augmentation">The augmentation; null for <see cref="ImageAugmentation.Default"/> of the set's shape.</param>
    public static TwoViewImageBatch Create(ImageDataset set, int batchSize, int seed, ImageAugmentation? augmentation = null)
    {
        ArgumentNullException.ThrowIfNull(set);
        if (set.Labels is not { } setLabels)
            throw new ArgumentException($"{set.Name} has no labels; a two-view batch carries the class of every sample.", nameof(set));
        augmentation ??= ImageAugmentation.Default(set.Channels, set.Height, set.Width);
        if (augmentation.ValuesPerImage != set.ValuesPerImage || augmentation.Channels != set.Channels)
        {
            throw new ArgumentException(
                $"The augmentation is for {augmentation.Channels}×{augmentation.Rows}×{augmentation.Columns} images but {set.Name} holds {set.Channels}×{set.Height}×{set.Width}.",
                nameof(augmentation));
        }
        if (batchSize < 1 || batchSize > set.Count)
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, $"The batch size must lie in [1, {set.Count}] for this split.");
        var indices = ChooseDistinct(set.Count, batchSize, new Random(seed));
        var labels = new long[2 * batchSize];
        for (int i = 0; i < batchSize; i++)
            labels[i] = labels[i + batchSize] = setLabels[indices[i]];
        return new TwoViewImageBatch(indices, MakeViews(set, indices, seed, augmentation), labels);
    }

    /// <summary>The first <paramref name="count"/> entries of a seeded Fisher–Yates shuffle of 0..population−1.</summary>
    private static int[] ChooseDistinct(int population, int count, Random random)
    {
        var all = new int[population];
        for (int i = 0; i < population; i++) all[i] = i;
        for (int i = 0; i < count; i++)
        {
            int j = random.Next(i, population);
            (all[i], all[j]) = (all[j], all[i]);
        }
        return all[..count];
    }

    private static float[] MakeViews(ImageDataset set, int[] indices, int seed, ImageAugmentation augmentation)
    {
        int b = indices.Length, pixels = set.ValuesPerImage;
        var views = new float[2L * b * pixels];
        var image = new float[pixels];
        for (int s = 0; s < b; s++)
        {
            var bytes = set.Image(indices[s]);
            for (int k = 0; k < pixels; k++) image[k] = bytes[k] / 255f;
            for (int v = 0; v < 2; v++)
            {
                var view = views.AsSpan((v * b + s) * pixels, pixels);
                // Each view's randomness depends only on (seed, sample, view): reproducible whatever the batch order.
                augmentation.Apply(image, view, new Random(ImageAugmentation.SeedFor(seed, s, v)));
                // Raw pixels are all ≥ 0, so every cosine similarity would be positive; centring spreads them out.
                TensorPrimitives.Subtract(view, TensorPrimitives.Average(view), view);
            }
        }
        return views;
    }
}
