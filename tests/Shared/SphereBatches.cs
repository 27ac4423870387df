using FsCheck;
using FsCheck.Fluent;

namespace HardNegOT.Testing;

/// <summary>The shapes of point clouds the properties run over.</summary>
public enum SphereKind
{
    /// <summary>Isotropic Gaussian directions.</summary>
    Random,
    /// <summary>A few tight clusters: the hard case for alternating Sinkhorn.</summary>
    Clustered,
    /// <summary>Several exactly repeated rows (ties in every row of the cost).</summary>
    Duplicated,
    /// <summary>Pairs of nearly opposite points (s ≈ −1, the cost's extremes).</summary>
    NearAntipodal,
}

/// <summary>
/// A reproducible batch of embeddings: the data follow from (Kind, Count, Dimension, Seed), and
/// <see cref="ToString"/> prints exactly those, so a failing property names its input.
/// </summary>
public sealed record SphereBatch(SphereKind Kind, int Count, int Dimension, int Seed)
{
    /// <summary>Row-major Count×Dimension embeddings (not normalised: magnitudes vary on purpose).</summary>
    public float[] Data { get; } = Make(Kind, Count, Dimension, Seed);

    /// <summary>Rows for the two-view layout need an even count.</summary>
    public int BatchSize => Count / 2;

    /// <inheritdoc />
    public override string ToString() => $"SphereBatch({Kind}, N={Count}, d={Dimension}, seed={Seed})";

    private static float[] Make(SphereKind kind, int n, int d, int seed)
    {
        var rng = new Random(seed);
        var data = new float[n * d];
        double Normal() => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
        switch (kind)
        {
            case SphereKind.Random:
                for (int k = 0; k < data.Length; k++) data[k] = (float)Normal();
                break;
            case SphereKind.Clustered:
                int clusters = 1 + rng.Next(Math.Min(8, n));
                var centres = new double[clusters * d];
                for (int k = 0; k < centres.Length; k++) centres[k] = Normal();
                for (int i = 0; i < n; i++)
                {
                    int c = rng.Next(clusters);
                    for (int k = 0; k < d; k++) data[i * d + k] = (float)(centres[c * d + k] + 0.1 * Normal());
                }
                break;
            case SphereKind.Duplicated:
                int distinct = Math.Max(1, n / 3);
                var source = new double[distinct * d];
                for (int k = 0; k < source.Length; k++) source[k] = Normal();
                for (int i = 0; i < n; i++)
                {
                    int r = i < distinct ? i : rng.Next(distinct);
                    for (int k = 0; k < d; k++) data[i * d + k] = (float)source[r * d + k];
                }
                break;
            case SphereKind.NearAntipodal:
                for (int i = 0; i < n; i += 2)
                    for (int k = 0; k < d; k++)
                    {
                        double v = Normal();
                        data[i * d + k] = (float)v;
                        if (i + 1 < n) data[(i + 1) * d + k] = (float)(-v + 1e-3 * Normal());
                    }
                break;
        }
        // Vary magnitudes: normalisation must not care.
        for (int i = 0; i < n; i++)
        {
            float scale = (float)Math.Pow(10, rng.Next(-3, 4));
            for (int k = 0; k < d; k++) data[i * d + k] *= scale;
        }
        return data;
    }
}

/// <summary>FsCheck generators of <see cref="SphereBatch"/> values.</summary>
public static class SphereBatches
{
    /// <summary>Batches with N in [<paramref name="minCount"/>, <paramref name="maxCount"/>] and d in [1, <paramref name="maxDimension"/>].</summary>
    public static Gen<SphereBatch> Gen(int minCount, int maxCount, int maxDimension, bool evenCount = false) =>
        from kind in FsCheck.Fluent.Gen.Elements(Enum.GetValues<SphereKind>())
        from count in FsCheck.Fluent.Gen.Choose(minCount, maxCount)
        from dimension in FsCheck.Fluent.Gen.Choose(1, maxDimension)
        from seed in FsCheck.Fluent.Gen.Choose(0, int.MaxValue - 1)
        select new SphereBatch(kind, evenCount ? count & ~1 : count, dimension, seed);
}

/// <summary>Default arbitrary for properties: N from 3 to 300, d up to 32.</summary>
public static class SphereArbitraries
{
    /// <summary>The arbitrary FsCheck uses for <see cref="SphereBatch"/> parameters.</summary>
    public static Arbitrary<SphereBatch> Batches() => Arb.From(SphereBatches.Gen(3, 300, 32));
}
