using HardNegOT.Data;

namespace HardNegOT.Tests.Data;

/// <summary>The seeded Gaussian projection: reproducible, correctly scaled, and linear.</summary>
public sealed class RandomProjectionTests
{
    [Fact]
    public void The_same_seed_gives_the_same_matrix_and_another_seed_a_different_one()
    {
        var a = new RandomProjection(784, 128, seed: 9);
        var b = new RandomProjection(784, 128, seed: 9);
        var c = new RandomProjection(784, 128, seed: 10);
        Assert.True(a.Matrix.SequenceEqual(b.Matrix));
        Assert.False(a.Matrix.SequenceEqual(c.Matrix));
    }

    [Fact]
    public void Entries_have_mean_0_and_variance_1_over_the_output_dimension()
    {
        var projection = new RandomProjection(784, 64, seed: 1);
        var m = projection.Matrix.ToArray();
        double mean = m.Average(v => (double)v);
        double variance = m.Average(v => (v - mean) * (v - mean));
        // 50,176 draws: the sample mean's standard error is ~5e-4 of the entry's σ = 0.125.
        Assert.InRange(mean, -0.005, 0.005);
        Assert.InRange(variance * 64, 0.97, 1.03);
    }

    [Fact]
    public void Squared_norms_are_preserved_on_average()
    {
        var projection = new RandomProjection(784, 256, seed: 2);
        var random = new Random(5);
        var x = new float[784];
        var y = new float[256];
        double ratio = 0;
        const int trials = 50;
        for (int t = 0; t < trials; t++)
        {
            for (int k = 0; k < x.Length; k++) x[k] = (float)(random.NextDouble() - 0.5);
            projection.Project(x, y);
            ratio += y.Sum(v => (double)v * v) / x.Sum(v => (double)v * v);
        }

        // E‖Rx‖² = ‖x‖²; each ratio has σ ≈ √(2/256) ≈ 0.09, so the mean of 50 is within ±0.05 comfortably.
        Assert.InRange(ratio / trials, 0.95, 1.05);
    }

    [Fact]
    public void Project_is_the_matrix_vector_product_and_rows_are_projected_independently()
    {
        var projection = new RandomProjection(5, 3, seed: 4);
        float[] x = [1, -2, 0.5f, 3, 0];
        var y = new float[3];
        projection.Project(x, y);
        var m = projection.Matrix;
        for (int k = 0; k < 3; k++)
        {
            double expected = 0;
            for (int j = 0; j < 5; j++) expected += m[k * 5 + j] * x[j];
            Assert.Equal(expected, y[k], 5);
        }

        float[] rows = [.. x, .. x.Select(v => 2 * v)];
        var projected = projection.ProjectRows(rows, 2);
        Assert.Equal(y, projected[..3]);
        Assert.Equal(y.Select(v => 2 * v), projected[3..]);
    }

    [Fact]
    public void Wrong_sizes_are_rejected()
    {
        var projection = new RandomProjection(5, 3, seed: 0);
        Assert.Throws<ArgumentException>(() => projection.Project(new float[4], new float[3]));
        Assert.Throws<ArgumentException>(() => projection.Project(new float[5], new float[2]));
        Assert.Throws<ArgumentException>(() => projection.ProjectRows(new float[9], 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RandomProjection(0, 3, seed: 0));
    }
}
