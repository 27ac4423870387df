using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using HardNegOT.Assignment;

namespace HardNegOT.Tests.Assignment;

/// <summary>
/// The δ-approximate auction against the exact solver: its mean cost is within δ of the optimal mean cost
/// (total within n·δ), it returns a permutation, and its duals are feasible so their value never exceeds the optimum.
/// </summary>
public sealed class ApproximateAssignmentTests
{
    /// <summary>δ as fractions of the cost range, plus absolute values, cycled by seed.</summary>
    private static readonly double[] RelativeDeltas = [1e-4, 1e-3, 1e-2, 0.1, 1];

    private static double DeltaFor(CostCase c) => c.Range > 0 ? RelativeDeltas[c.Seed % RelativeDeltas.Length] * c.Range : 0.05;

    [Property(Arbitrary = [typeof(MediumCostArbitraries)], MaxTest = 150)]
    public void Within_n_delta_of_the_exact_optimum(CostCase c)
    {
        double delta = DeltaFor(c);
        var approx = ApproximateAssignment.Solve(c.Cost, c.N, c.N, delta);
        var exact = ExactAssignment.Solve(c.Cost, c.N, c.N);
        AssertWithinBound(c.Cost, c.N, delta, approx, exact, $"{c}, δ = {delta:G3}");
    }

    [Theory]
    [InlineData(300, 16, 0.001)]
    [InlineData(300, 16, 0.01)]
    [InlineData(300, 16, 0.1)]
    [InlineData(400, 3, 0.003)]
    [InlineData(400, 3, 0.03)]
    public void Within_n_delta_on_sphere_costs(int n, int d, double delta)
    {
        var cost = CostMatrices.SphereSquaredEuclidean(n, d, new Random(n * 31 + d));
        var approx = ApproximateAssignment.Solve(cost, n, n, delta);
        var exact = ExactAssignment.Solve(cost, n, n);
        AssertWithinBound(cost, n, delta, approx, exact, $"sphere n={n} d={d} δ={delta}");
    }

    [Fact]
    public void Delta_below_the_precision_floor_is_solved_exactly()
    {
        var c = new CostCase(CostKind.UniformSigned, 40, 11);
        var approx = ApproximateAssignment.Solve(c.Cost, 40, 40, 1e-14);
        var exact = ExactAssignment.Solve(c.Cost, 40, 40);
        Assert.Equal(exact.TotalCost, approx.TotalCost, 1e-9);
        Assert.Equal(0, approx.AdditiveBound);
    }

    [Fact]
    public void Empty_and_one_by_one()
    {
        Assert.Empty(ApproximateAssignment.Solve([], 0, 0, 0.1).Permutation);
        var one = ApproximateAssignment.Solve([2.0], 1, 1, 0.1);
        Assert.Equal([0], one.Permutation);
        Assert.Equal(2.0, one.TotalCost);
    }

    /// <summary>The vectorised best-two search against a plain sort, over rows with many ties.</summary>
    [Property(MaxTest = 200)]
    public Property Best_two_matches_a_sorted_reference() => Prop.ForAll(
        Arb.From(
            from n in Gen.Choose(1, 70)
            from seed in Gen.Choose(0, int.MaxValue - 1)
            select (n, seed)),
        t =>
        {
            var rng = new Random(t.seed);
            var row = Enumerable.Range(0, t.n).Select(_ => (double)rng.Next(-3, 4)).ToArray();
            var price = Enumerable.Range(0, t.n).Select(_ => rng.Next(0, 3) * 0.5).ToArray();
            var values = row.Zip(price, (a, b) => a + b).ToArray();
            int index = RowMinima.BestTwo(row, price, out double best, out double second, out int secondIndex);
            var sorted = values.OrderBy(x => x).ToArray();
            Assert.Equal(sorted[0], best);
            Assert.Equal(t.n > 1 ? sorted[1] : double.PositiveInfinity, second);
            Assert.Equal(best, values[index]);
            if (t.n > 1)
            {
                Assert.NotEqual(index, secondIndex);
                Assert.Equal(second, values[secondIndex]);
            }
            else
            {
                Assert.Equal(-1, secondIndex);
            }
        });

    private static void AssertWithinBound(double[] cost, int n, double delta, AssignmentResult approx, AssignmentResult exact, string context)
    {
        double tolerance = CostMatrices.Tolerance(cost, n);
        CostMatrices.AssertPermutation(approx.Permutation, n, context);
        CostMatrices.AssertDuals(approx, cost, n, tight: false, tolerance, context);
        Assert.True(approx.AdditiveBound == n * delta || approx.AdditiveBound == 0, $"{context}: bound {approx.AdditiveBound}");
        Assert.True(approx.TotalCost <= exact.TotalCost + n * delta + tolerance,
            $"{context}: total {approx.TotalCost:R} exceeds optimum {exact.TotalCost:R} + n·δ = {n * delta:G4}");
        Assert.True(approx.MeanCost <= exact.MeanCost + delta + tolerance / Math.Max(1, n), $"{context}: mean {approx.MeanCost:R} vs {exact.MeanCost:R}");
        // Weak duality: the certificate never claims more than the truth.
        Assert.True(approx.DualBound <= exact.TotalCost + tolerance, $"{context}: dual bound {approx.DualBound:R} above optimum {exact.TotalCost:R}");
        Assert.True(approx.CertifiedGap <= n * delta + tolerance, $"{context}: certified gap {approx.CertifiedGap:G4} > n·δ");
    }
}
