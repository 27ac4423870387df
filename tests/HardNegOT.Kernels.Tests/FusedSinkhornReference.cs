using HardNegOT.Costs;
using HardNegOT.Geometry;
using HardNegOT.Problems;
using HardNegOT.Testing;

namespace HardNegOT.Kernels.Tests;

/// <summary>
/// The double-precision twin of one fused half-step, written as plainly as possible: the cost comes from
/// <see cref="PointCloudGeometry.CostOrInfinity"/> (+∞ on masked pairs), the LSE from two loops.
/// </summary>
internal static class FusedSinkhornReference
{
    /// <summary>output_r = −ε·LSE_k[(potential_k − C_rk)/ε + logMarginal_k]; +∞ when every term is −∞.</summary>
    public static double[] HalfStep(PointCloudGeometry geometry, double epsilon, ReadOnlySpan<double> potential, ReadOnlySpan<double> logMarginal)
    {
        int n = geometry.Count;
        var output = new double[n];
        var terms = new double[n];
        for (int r = 0; r < n; r++)
        {
            double max = double.NegativeInfinity;
            for (int k = 0; k < n; k++)
            {
                terms[k] = (potential[k] - geometry.CostOrInfinity(r, k)) / epsilon + logMarginal[k];
                if (terms[k] > max) max = terms[k];
            }
            if (double.IsNegativeInfinity(max))
            {
                output[r] = double.PositiveInfinity;
                continue;
            }
            double sum = 0;
            for (int k = 0; k < n; k++) sum += Math.Exp(terms[k] - max);
            output[r] = -epsilon * (max + Math.Log(sum));
        }
        return output;
    }

    /// <summary>The costs every property runs over.</summary>
    public static GroundCost[] Costs { get; } =
    [
        new SquaredEuclideanCost(),
        new SquaredEuclideanCost(0.5),
        new ExponentialCost(),
        new ExponentialCost(0.25),
        new CosineCost(),
    ];

    /// <summary>The ε grid the properties run over.</summary>
    public static double[] Epsilons { get; } = [0.01, 0.1, 1, 10];

    /// <summary>
    /// A layout for <paramref name="batch"/> chosen by its seed: unpaired, two-view (even N), a one-way cycle
    /// i → i + 1 (N ≥ 4; the map is not symmetric, so "positiveOf[k] = r" masks pairs that "positiveOf[r] = k"
    /// does not), or neighbouring rows paired (an odd N leaves the last row unpaired).
    /// </summary>
    public static BatchLayout LayoutFor(SphereBatch batch)
    {
        int n = batch.Count;
        switch (batch.Seed % 4)
        {
            case 0:
                return BatchLayout.Unpaired(n);
            case 1 when n % 2 == 0:
                return BatchLayout.TwoView(n / 2);
            case 2 when n >= 4:
                var cycle = new int[n];
                for (int i = 0; i < n; i++) cycle[i] = (i + 1) % n;
                return BatchLayout.FromPositives(cycle);
            default:
                var positives = new int[n];
                for (int i = 0; i < n; i++) positives[i] = (i ^ 1) < n ? i ^ 1 : -1;
                return BatchLayout.FromPositives(positives);
        }
    }

    /// <summary>The geometry of <paramref name="batch"/> with <paramref name="cost"/> and its seed's layout.</summary>
    public static PointCloudGeometry GeometryFor(SphereBatch batch, GroundCost cost) =>
        new(batch.Data, batch.Count, batch.Dimension, cost, LayoutFor(batch));

    /// <summary>A problem on <paramref name="batch"/> with uniform marginals.</summary>
    public static EntropicProblem ProblemFor(SphereBatch batch, GroundCost cost, double epsilon) =>
        new(GeometryFor(batch, cost), epsilon);

    /// <summary>log of every entry.</summary>
    public static double[] Log(ReadOnlySpan<double> values)
    {
        var result = new double[values.Length];
        for (int i = 0; i < values.Length; i++) result[i] = Math.Log(values[i]);
        return result;
    }

    /// <summary>Asserts |actual − expected| ≤ tolerance·max(1, |expected|) entrywise, finite everywhere.</summary>
    public static void AssertClose(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual, double tolerance, string context)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(double.IsFinite(actual[i]), $"{context}: entry {i} is {actual[i]} (expected {expected[i]:R}).");
            double allowed = tolerance * Math.Max(1.0, Math.Abs(expected[i]));
            Assert.True(Math.Abs(actual[i] - expected[i]) <= allowed,
                $"{context}: entry {i} is {actual[i]:R}, expected {expected[i]:R} (|Δ| = {Math.Abs(actual[i] - expected[i]):E3} > {allowed:E3}).");
        }
    }
}
