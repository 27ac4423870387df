using FsCheck.Xunit;
using HardNegOT.Numerics;

namespace HardNegOT.Tests.Numerics;

public class GramMatrixTests
{
    [Property(MaxTest = 60)]
    public void Matches_a_naive_double_product_and_is_exactly_symmetric(int seed)
    {
        var rng = new Random(seed);
        int n = rng.Next(1, 70), d = rng.Next(1, 40);   // N not a multiple of 4, d below and above the vector width
        var x = new float[n * d];
        for (int k = 0; k < x.Length; k++) x[k] = (float)(rng.NextDouble() * 2 - 1);
        var s = new float[n * n];
        GramMatrix.Compute(x, n, d, s);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double expected = 0;
                for (int k = 0; k < d; k++) expected += (double)x[i * d + k] * x[j * d + k];
                Assert.True(Math.Abs(s[i * n + j] - expected) <= 1e-5 * (1 + Math.Abs(expected)),
                    $"seed {seed}, N={n}, d={d}: S[{i},{j}] = {s[i * n + j]}, expected {expected}");
                Assert.Equal(s[i * n + j], s[j * n + i]);
            }
    }

    [Fact]
    public void Refuses_a_destination_smaller_than_n_squared()
    {
        var ex = Assert.Throws<ArgumentException>(() => GramMatrix.Compute(new float[6], 3, 2, new float[8]));
        Assert.Equal("destination", ex.ParamName);
    }
}
