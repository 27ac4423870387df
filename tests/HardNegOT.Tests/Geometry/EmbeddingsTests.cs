using FsCheck.Xunit;
using HardNegOT.Costs;
using HardNegOT.Geometry;
using HardNegOT.Testing;

namespace HardNegOT.Tests.Geometry;

[Properties(Arbitrary = [typeof(SphereArbitraries)], MaxTest = 50)]
public class EmbeddingsTests
{
    /// <summary>Row norms of NormalizeRows' output, summed in double.</summary>
    private static double Norm(ReadOnlySpan<double> row)
    {
        double s = 0;
        foreach (var v in row) s += v * v;
        return Math.Sqrt(s);
    }

    [Property]
    public void Normalized_rows_have_unit_norm(SphereBatch batch)
    {
        var x = Embeddings.NormalizeRows(batch.Data, batch.Count, batch.Dimension);
        Assert.Equal(batch.Data.Length, x.Length);
        for (int i = 0; i < batch.Count; i++)
        {
            double norm = Norm(x.AsSpan(i * batch.Dimension, batch.Dimension));
            if (!(Math.Abs(norm - 1) <= 1e-14)) Assert.Fail($"{batch}: row {i} has norm {norm:R}");
        }
    }

    [Property]
    public void Normalization_matches_a_naive_double_computation(SphereBatch batch)
    {
        // Squares of float32 values never overflow or underflow a double, so the textbook formula is exact enough here.
        int d = batch.Dimension;
        var x = Embeddings.NormalizeRows(batch.Data, batch.Count, d);
        for (int i = 0; i < batch.Count; i++)
        {
            double sumSquares = 0;
            for (int k = 0; k < d; k++) sumSquares += (double)batch.Data[i * d + k] * batch.Data[i * d + k];
            double norm = Math.Sqrt(sumSquares);
            for (int k = 0; k < d; k++)
            {
                double expected = batch.Data[i * d + k] / norm;
                if (!(Math.Abs(x[i * d + k] - expected) <= 1e-15))
                    Assert.Fail($"{batch}: [{i}, {k}] = {x[i * d + k]:R}, naive {expected:R}");
            }
        }
    }

    [Property]
    public void Normalization_is_invariant_to_a_per_row_power_of_two_scale(SphereBatch batch)
    {
        // Multiplying by ±2^k is exact in float32 and the row scale absorbs it exactly: the results are bit-identical
        // (up to the sign, which flips the row).
        int d = batch.Dimension;
        var rng = new Random(batch.Seed);
        var scaled = (float[])batch.Data.Clone();
        var signs = new double[batch.Count];
        for (int i = 0; i < batch.Count; i++)
        {
            signs[i] = rng.Next(2) == 0 ? 1 : -1;
            float factor = MathF.ScaleB(1f, rng.Next(-40, 41)) * (float)signs[i];
            for (int k = 0; k < d; k++) scaled[i * d + k] *= factor;
        }
        var x = Embeddings.NormalizeRows(batch.Data, batch.Count, d);
        var y = Embeddings.NormalizeRows(scaled, batch.Count, d);
        for (int i = 0; i < batch.Count; i++)
            for (int k = 0; k < d; k++)
                Assert.Equal(x[i * d + k], signs[i] * y[i * d + k]);
    }

    [Property]
    public void Normalization_is_invariant_to_any_positive_per_row_scale(SphereBatch batch)
    {
        int d = batch.Dimension;
        var rng = new Random(batch.Seed);
        var scaled = (float[])batch.Data.Clone();
        for (int i = 0; i < batch.Count; i++)
        {
            float factor = (float)Math.Pow(10, rng.NextDouble() * 40 - 20);
            for (int k = 0; k < d; k++) scaled[i * d + k] *= factor;
        }
        var x = Embeddings.NormalizeRows(batch.Data, batch.Count, d);
        var y = Embeddings.NormalizeRows(scaled, batch.Count, d);
        // Only the float32 rounding of the scaled inputs (2^-24 relative) separates the two.
        for (int k = 0; k < x.Length; k++)
            if (!(Math.Abs(x[k] - y[k]) <= 2e-7)) Assert.Fail($"{batch}: entry {k}: {x[k]:R} vs {y[k]:R}");
    }

    public static TheoryData<float> Magnitudes => new() { 1e-30f, 1e30f, 1e-38f, 1e-44f, 5e37f, 1f };

    [Theory]
    [MemberData(nameof(Magnitudes))]
    public void Tiny_and_huge_magnitudes_neither_underflow_nor_overflow(float magnitude)
    {
        // A 3-4-5 row and a row whose squares would overflow or underflow float32 (and, at 1e-44, lose digits in the subnormals).
        float[] data = [3 * magnitude, -4 * magnitude, 0f, magnitude, magnitude, magnitude];
        var x = Embeddings.NormalizeRows(data, 2, 3);
        var third = 1 / Math.Sqrt(3);
        double a = data[0], b = data[1];
        double hyp = Math.Sqrt(a * a + b * b);
        Assert.Equal(a / hyp, x[0], 1e-15);
        Assert.Equal(b / hyp, x[1], 1e-15);
        Assert.Equal(0.0, x[2]);
        Assert.Equal(third, x[3], 1e-15);
        Assert.Equal(third, x[4], 1e-15);
        Assert.Equal(third, x[5], 1e-15);
        Assert.All(x, v => Assert.True(double.IsFinite(v)));
        if (magnitude is >= 1e-30f and <= 1e30f)
        {
            Assert.Equal(0.6, x[0], 1e-7);
            Assert.Equal(-0.8, x[1], 1e-7);
        }
    }

    [Fact]
    public void Extreme_float_values_normalise()
    {
        float[] data = [float.MaxValue, float.MaxValue, float.Epsilon, 0f, -float.MaxValue, float.Epsilon];
        var x = Embeddings.NormalizeRows(data, 2, 3);
        double h = Math.Sqrt(0.5);
        Assert.Equal(h, x[0], 1e-15);
        Assert.Equal(h, x[1], 1e-15);
        Assert.Equal(0.0, x[2], 1e-15);
        Assert.Equal(0.0, x[3]);
        Assert.Equal(-1.0, x[4], 1e-15);
        Assert.Equal(0.0, x[5], 1e-15);
    }

    [Fact]
    public void Geometry_points_are_the_normalised_rows_and_similarity_is_their_dot_product()
    {
        float[] data = [3f, 4f, 0f, 0f, 2f, 0f, -1f, 0f, 0f];
        var geometry = new PointCloudGeometry(data, 3, 3, new CosineCost(), BatchLayout.Unpaired(3));
        double[] expected = [0.6, 0.8, 0, 0, 1, 0, -1, 0, 0];
        for (int k = 0; k < expected.Length; k++)
        {
            Assert.Equal(expected[k], geometry.Points[k], 1e-15);
            Assert.Equal((float)expected[k], geometry.PointsSingle[k], 1e-7f);
        }
        Assert.Equal(expected[3..6], geometry.Point(1).ToArray());
        Assert.Equal(0.8, geometry.Similarity(0, 1), 1e-15);
        Assert.Equal(-0.6, geometry.Similarity(0, 2), 1e-15);
        Assert.Equal(1.0, geometry.Similarity(2, 2), 1e-15);
        Assert.Equal(double.PositiveInfinity, geometry.CostOrInfinity(1, 1));
        Assert.Equal(1.0, geometry.CostOrInfinity(2, 1), 1e-15);
        Assert.Equal(0.2, geometry.CostOrInfinity(0, 1), 1e-15);
        Assert.Equal(1.6, geometry.CostOrInfinity(0, 2), 1e-15);
    }
}
