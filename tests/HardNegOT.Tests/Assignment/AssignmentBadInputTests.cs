using HardNegOT.Assignment;

namespace HardNegOT.Tests.Assignment;

/// <summary>Both solvers refuse malformed cost matrices with an exception that names the entry or the shape.</summary>
public sealed class AssignmentBadInputTests
{
    public static TheoryData<string> Solvers() => new("exact", "approx");

    private static AssignmentResult Solve(string solver, double[] cost, int rows, int columns, double delta = 0.1) =>
        solver == "exact" ? ExactAssignment.Solve(cost, rows, columns) : ApproximateAssignment.Solve(cost, rows, columns, delta);

    [Theory]
    [MemberData(nameof(Solvers))]
    public void NaN_entry_is_named(string solver)
    {
        var cost = new double[9];
        cost[1 * 3 + 2] = double.NaN;
        var ex = Assert.Throws<ArgumentException>(() => Solve(solver, cost, 3, 3));
        Assert.Contains("cost[1, 2] = NaN", ex.Message);
    }

    [Theory]
    [MemberData(nameof(Solvers))]
    public void Infinite_entry_is_named(string solver)
    {
        var cost = new double[16];
        cost[3 * 4] = double.NegativeInfinity;
        var ex = Assert.Throws<ArgumentException>(() => Solve(solver, cost, 4, 4));
        Assert.Contains("cost[3, 0]", ex.Message);
        Assert.Contains("finite", ex.Message);
    }

    [Theory]
    [MemberData(nameof(Solvers))]
    public void Non_square_matrix(string solver)
    {
        var ex = Assert.Throws<ArgumentException>(() => Solve(solver, new double[6], 2, 3));
        Assert.Contains("2×3", ex.Message);
        Assert.Contains("square", ex.Message);
    }

    [Theory]
    [MemberData(nameof(Solvers))]
    public void Length_that_does_not_match_the_shape(string solver)
    {
        var ex = Assert.Throws<ArgumentException>(() => Solve(solver, new double[8], 3, 3));
        Assert.Contains("8 values", ex.Message);
    }

    [Theory]
    [MemberData(nameof(Solvers))]
    public void Negative_size(string solver) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Solve(solver, [], -1, -1));

    [Theory]
    [MemberData(nameof(Solvers))]
    public void Range_too_wide_for_double_potentials(string solver)
    {
        double[] cost = [-1e308, 1e308, 1e308, -1e308];
        var ex = Assert.Throws<ArgumentException>(() => Solve(solver, cost, 2, 2));
        Assert.Contains("rescale", ex.Message);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-0.1)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Delta_not_positive_and_finite(double delta)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => ApproximateAssignment.Solve(new double[4], 2, 2, delta));
        Assert.Equal("delta", ex.ParamName);
    }
}
