using HardNegOT.Data;

namespace HardNegOT.Torch.Training;

/// <summary>One two-view batch: both views as B images of C×H×W values (CHW) and the dataset indices of the B samples.</summary>
/// <param name="Epoch">Zero-based epoch the batch belongs to.</param>
/// <param name="Step">Zero-based position of the batch within its epoch.</param>
/// <param name="Indices">Dataset indices of the samples, in batch order.</param>
/// <param name="View1">First augmented view, B × values-per-image.</param>
/// <param name="View2">Second augmented view, B × values-per-image.</param>
public sealed record TwoViewBatch(int Epoch, int Step, int[] Indices, float[] View1, float[] View2);

/// <summary>
/// Deterministic two-view batches over a set of images: each epoch visits the images in a permutation drawn from
/// (seed, epoch) and each view is augmented with a seed drawn from (seed, epoch, dataset index, view), so any batch
/// can be regenerated from its (epoch, step) alone; resuming needs no loader state beyond that position.
/// Incomplete last batches are dropped so every step has the same B (BatchNorm and the OT warm start want that).
/// </summary>
public sealed class TwoViewBatchLoader
{
    private readonly float[] _pixels;
    private readonly ImageAugmentation _augmentation;

    /// <summary>Creates the loader.</summary>
    /// <param name="pixels">Images as floats, count × <see cref="ImageAugmentation.ValuesPerImage"/> (CHW per image).</param>
    /// <param name="batchSize">Samples per batch B ≥ 2 (a two-view batch needs a negative).</param>
    /// <param name="seed">Seed of the shuffles and augmentations.</param>
    /// <param name="augmentation">The augmentation; default shift ±2 px and flip with probability ½ on 28×28.</param>
    public TwoViewBatchLoader(float[] pixels, int batchSize, int seed, ImageAugmentation? augmentation = null)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        _augmentation = augmentation ?? new ImageAugmentation();
        int ppi = _augmentation.ValuesPerImage;
        if (pixels.Length == 0 || pixels.Length % ppi != 0)
            throw new ArgumentException($"pixels hold {pixels.Length} values, not a positive multiple of {ppi}.", nameof(pixels));
        if (batchSize < 2)
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "The batch size must be at least 2.");
        _pixels = pixels;
        Count = pixels.Length / ppi;
        if (batchSize > Count)
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, $"The batch size exceeds the {Count} images.");
        BatchSize = batchSize;
        Seed = seed;
    }

    /// <summary>Number of images.</summary>
    public int Count { get; }

    /// <summary>Samples per batch.</summary>
    public int BatchSize { get; }

    /// <summary>Seed of the shuffles and augmentations.</summary>
    public int Seed { get; }

    /// <summary>Full batches per epoch (the incomplete tail is dropped).</summary>
    public int BatchesPerEpoch => Count / BatchSize;

    /// <summary>The visiting order of epoch <paramref name="epoch"/>: a Fisher–Yates permutation seeded by (seed, epoch).</summary>
    /// <param name="epoch">Zero-based epoch.</param>
    public int[] Permutation(int epoch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        var order = new int[Count];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        // Seeded System.Random uses a fixed legacy algorithm, so the order is stable across runs and platforms.
        var random = new Random(ImageAugmentation.SeedFor(Seed, epoch, 1_000_003));
        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }

    /// <summary>The batch at (<paramref name="epoch"/>, <paramref name="step"/>).</summary>
    /// <param name="epoch">Zero-based epoch.</param>
    /// <param name="step">Zero-based batch index within the epoch, below <see cref="BatchesPerEpoch"/>.</param>
    public TwoViewBatch Batch(int epoch, int step) => Batch(epoch, step, Permutation(epoch));

    /// <summary>The first <paramref name="maxSteps"/> batches of an epoch (all when null), from <paramref name="startStep"/> on.</summary>
    /// <param name="epoch">Zero-based epoch.</param>
    /// <param name="maxSteps">Cap on the batches of the epoch, or null for <see cref="BatchesPerEpoch"/>.</param>
    /// <param name="startStep">First batch to produce (to resume within an epoch).</param>
    public IEnumerable<TwoViewBatch> Epoch(int epoch, int? maxSteps = null, int startStep = 0)
    {
        var order = Permutation(epoch);
        int steps = StepsPerEpoch(maxSteps);
        for (int step = startStep; step < steps; step++) yield return Batch(epoch, step, order);
    }

    /// <summary>Batches one epoch yields under the cap <paramref name="maxSteps"/>.</summary>
    /// <param name="maxSteps">Cap, or null for none.</param>
    public int StepsPerEpoch(int? maxSteps) => maxSteps is { } m ? Math.Min(m, BatchesPerEpoch) : BatchesPerEpoch;

    private TwoViewBatch Batch(int epoch, int step, int[] order)
    {
        if (step < 0 || step >= BatchesPerEpoch)
            throw new ArgumentOutOfRangeException(nameof(step), step, $"An epoch has {BatchesPerEpoch} batches.");
        int ppi = _augmentation.ValuesPerImage;
        var indices = order.AsSpan(step * BatchSize, BatchSize).ToArray();
        var view1 = new float[BatchSize * ppi];
        var view2 = new float[BatchSize * ppi];
        int epochSeed = ImageAugmentation.SeedFor(Seed, epoch, 2);
        for (int b = 0; b < BatchSize; b++)
        {
            var image = _pixels.AsSpan(indices[b] * ppi, ppi);
            _augmentation.Apply(image, view1.AsSpan(b * ppi, ppi), new Random(ImageAugmentation.SeedFor(epochSeed, indices[b], 0)));
            _augmentation.Apply(image, view2.AsSpan(b * ppi, ppi), new Random(ImageAugmentation.SeedFor(epochSeed, indices[b], 1)));
        }
        return new TwoViewBatch(epoch, step, indices, view1, view2);
    }
}
