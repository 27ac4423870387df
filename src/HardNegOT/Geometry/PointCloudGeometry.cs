using HardNegOT.Costs;

namespace HardNegOT.Geometry;

/// <summary>
/// A batch of embeddings on the unit sphere with its ground cost and mask. Costs are evaluated
/// lazily from the normalised points; nothing N×N is stored.
/// </summary>
public sealed class PointCloudGeometry
{
    private readonly double[] _points;
    private float[]? _pointsSingle;

    /// <summary>
    /// Normalises <paramref name="embeddings"/> (row-major, <paramref name="count"/>×<paramref name="dimension"/>)
    /// and pairs them with a cost and a layout whose row count must match.
    /// </summary>
    public PointCloudGeometry(ReadOnlySpan<float> embeddings, int count, int dimension, GroundCost cost, BatchLayout layout)
    {
        ArgumentNullException.ThrowIfNull(cost);
        ArgumentNullException.ThrowIfNull(layout);
        if (layout.Count != count)
            throw new ArgumentException($"layout has {layout.Count} rows but embeddings have {count}.", nameof(layout));
        _points = Embeddings.NormalizeRows(embeddings, count, dimension, nameof(embeddings));
        Count = count;
        Dimension = dimension;
        Cost = cost;
        Layout = layout;
    }

    /// <summary>Number of points N.</summary>
    public int Count { get; }

    /// <summary>Embedding dimension d.</summary>
    public int Dimension { get; }

    /// <summary>The ground cost.</summary>
    public GroundCost Cost { get; }

    /// <summary>Positive pairs and self-exclusion.</summary>
    public BatchLayout Layout { get; }

    /// <summary>The unit-norm points, row-major N×d, double precision.</summary>
    public ReadOnlySpan<double> Points => _points;

    /// <summary>The unit-norm points rounded to float32, for single-precision solvers and kernels.</summary>
    public ReadOnlySpan<float> PointsSingle => _pointsSingle ??= Array.ConvertAll(_points, v => (float)v);

    /// <summary>Row <paramref name="i"/> of the unit-norm points.</summary>
    public ReadOnlySpan<double> Point(int i) => _points.AsSpan(i * Dimension, Dimension);

    /// <summary>Cosine similarity of points i and j, in double precision.</summary>
    public double Similarity(int i, int j)
    {
        var x = Point(i);
        var y = Point(j);
        double dot = 0;
        for (int k = 0; k < x.Length; k++) dot += x[k] * y[k];
        return Math.Clamp(dot, -1.0, 1.0);
    }

    /// <summary>Ground cost C_ij, or +∞ for masked pairs.</summary>
    public double CostOrInfinity(int i, int j) =>
        Layout.IsMasked(i, j) ? double.PositiveInfinity : Cost.FromSimilarity(Similarity(i, j));

    /// <summary>Whether (i, j) is excluded from transport.</summary>
    public bool IsMasked(int i, int j) => Layout.IsMasked(i, j);
}
