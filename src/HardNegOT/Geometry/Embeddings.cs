namespace HardNegOT.Geometry;

/// <summary>
/// Validation and projection of row-major N×d float32 embeddings onto the unit sphere. The method
/// (and the paper's code) works with normalised features, so every cost is a function of cosine similarity.
/// </summary>
public static class Embeddings
{
    /// <summary>
    /// Checks shape and values: <paramref name="data"/> has exactly <paramref name="count"/>·<paramref name="dimension"/>
    /// finite entries and no all-zero row. Throws an <see cref="ArgumentException"/> naming
    /// <paramref name="paramName"/>, the row, the column and the value otherwise.
    /// </summary>
    public static void Validate(ReadOnlySpan<float> data, int count, int dimension, string paramName = "embeddings")
    {
        if (count < 1)
            throw new ArgumentOutOfRangeException(nameof(count), count, $"{paramName}: the row count must be positive.");
        if (dimension < 1)
            throw new ArgumentOutOfRangeException(nameof(dimension), dimension, $"{paramName}: the dimension d must be positive.");
        if ((long)count * dimension != data.Length)
            throw new ArgumentException(
                $"{paramName} has {data.Length} values, which is not N×d = {count}×{dimension} = {(long)count * dimension}.", paramName);
        for (int i = 0; i < count; i++)
        {
            var row = data.Slice(i * dimension, dimension);
            bool allZero = true;
            for (int k = 0; k < dimension; k++)
            {
                float v = row[k];
                if (!float.IsFinite(v))
                    throw new ArgumentException($"{paramName}[{i}, {k}] = {v}: embeddings must be finite.", paramName);
                if (v != 0f) allZero = false;
            }
            if (allZero)
                throw new ArgumentException($"{paramName} row {i} is all zeros and cannot be normalised.", paramName);
        }
    }

    /// <summary>
    /// Validates and L2-normalises each row in double precision. Rows are scaled by their largest
    /// magnitude first, so neither 1e-30 nor 1e30 entries overflow or underflow the norm.
    /// </summary>
    public static double[] NormalizeRows(ReadOnlySpan<float> data, int count, int dimension, string paramName = "embeddings")
    {
        Validate(data, count, dimension, paramName);
        var result = new double[data.Length];
        for (int i = 0; i < count; i++)
        {
            var row = data.Slice(i * dimension, dimension);
            var output = result.AsSpan(i * dimension, dimension);
            double scale = 0;
            for (int k = 0; k < dimension; k++) scale = Math.Max(scale, Math.Abs((double)row[k]));
            double sumSquares = 0;
            for (int k = 0; k < dimension; k++)
            {
                double v = row[k] / scale;
                output[k] = v;
                sumSquares += v * v;
            }
            double inverseNorm = 1.0 / Math.Sqrt(sumSquares);
            for (int k = 0; k < dimension; k++) output[k] *= inverseNorm;
        }
        return result;
    }
}
