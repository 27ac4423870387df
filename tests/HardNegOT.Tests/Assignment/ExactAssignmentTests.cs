using FsCheck.Xunit;
using HardNegOT.Assignment;

namespace HardNegOT.Tests.Assignment;

/// <summary>The exact solver against brute force over all permutations, and its duals against LP optimality.</summary>
public sealed class ExactAssignmentTests
{
    [Property(Arbitrary = [typeof(SmallCostArbitraries)], MaxTest = 300)]
    public void Matches_brute_force_over_all_permutations(CostCase c)
    {
        var result = ExactAssignment.Solve(c.Cost, c.N, c.N);
        CostMatrices.AssertPermutation(result.Permutation, c.N, c.ToString());
        double optimum = CostMatrices.BruteForceOptimum(c.Cost, c.N);
        double total = CostMatrices.Total(c.Cost, c.N, result.Permutation);
        Assert.True(Math.Abs(total - optimum) <= CostMatrices.Tolerance(c.Cost, c.N), $"{c}: total {total:R}, brute force {optimum:R}");
        Assert.Equal(0, result.AdditiveBound);
    }

    [Property(Arbitrary = [typeof(SmallCostArbitraries)], MaxTest = 300)]
    public void Duals_are_feasible_and_tight_on_the_matching_for_small_n(CostCase c) =>
        CostMatrices.AssertDuals(ExactAssignment.Solve(c.Cost, c.N, c.N), c.Cost, c.N, tight: true, CostMatrices.Tolerance(c.Cost, c.N), c.ToString());

    [Property(Arbitrary = [typeof(MediumCostArbitraries)], MaxTest = 100)]
    public void Duals_are_feasible_and_tight_on_the_matching(CostCase c)
    {
        var result = ExactAssignment.Solve(c.Cost, c.N, c.N);
        CostMatrices.AssertPermutation(result.Permutation, c.N, c.ToString());
        double tolerance = CostMatrices.Tolerance(c.Cost, c.N);
        CostMatrices.AssertDuals(result, c.Cost, c.N, tight: true, tolerance, c.ToString());
        // Strong duality: primal and dual values meet, which certifies optimality beyond the brute-force sizes.
        Assert.True(Math.Abs(result.CertifiedGap) <= tolerance, $"{c}: gap {result.CertifiedGap:E3}");
    }

    [Fact]
    public void Ties_in_every_row_and_column_still_give_a_permutation()
    {
        const int n = 50;
        var cost = new double[n * n];
        Array.Fill(cost, 1.0);
        var result = ExactAssignment.Solve(cost, n, n);
        CostMatrices.AssertPermutation(result.Permutation, n, "all ones");
        Assert.Equal(n, result.TotalCost);
    }

    [Fact]
    public void Finds_the_hidden_anti_diagonal()
    {
        // Cost 0 on the anti-diagonal, 1 elsewhere: the only optimum reverses the order.
        const int n = 7;
        var cost = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                cost[i * n + j] = i + j == n - 1 ? 0 : 1;
        var result = ExactAssignment.Solve(cost, n, n);
        Assert.Equal(Enumerable.Range(0, n).Reverse().ToArray(), result.Permutation);
        Assert.Equal(0, result.TotalCost);
    }

    [Fact]
    public void Empty_and_one_by_one()
    {
        var empty = ExactAssignment.Solve([], 0, 0);
        Assert.Empty(empty.Permutation);
        Assert.Equal(0, empty.TotalCost);
        Assert.Equal(0, empty.MeanCost);

        var one = ExactAssignment.Solve([-3.5], 1, 1);
        Assert.Equal([0], one.Permutation);
        Assert.Equal(-3.5, one.TotalCost);
        Assert.Equal(-3.5, one.RowPotentials[0] + one.ColumnPotentials[0]);
    }

    [Fact]
    public void Permutation_as_int64_is_the_same_matching()
    {
        var c = new CostCase(CostKind.UniformSigned, 6, 4);
        var result = ExactAssignment.Solve(c.Cost, 6, 6);
        Assert.Equal(result.Permutation.Select(j => (long)j), result.PermutationAsInt64());
    }
}
