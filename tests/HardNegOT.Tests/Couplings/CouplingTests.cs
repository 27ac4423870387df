using FsCheck;
using FsCheck.Xunit;
using HardNegOT.Costs;
using HardNegOT.Couplings;
using HardNegOT.Geometry;
using HardNegOT.Problems;
using HardNegOT.Solvers;
using HardNegOT.Testing;
using HardNegOT.Tests.Support;

namespace HardNegOT.Tests.Couplings;

/// <summary>Small batches: every property here solves with the double reference and builds N×N matrices.</summary>
public static class SmallSphereArbitraries
{
    public static Arbitrary<SphereBatch> Batches() => FsCheck.Fluent.Arb.From(SphereBatches.Gen(3, 40, 8));
}

[Properties(Arbitrary = [typeof(SmallSphereArbitraries)], MaxTest = 30)]
public class CouplingTests
{
    private static readonly ReferenceSinkhorn Reference = new();
    private static readonly SinkhornOptions Tight = new() { Tolerance = 1e-10, MaxIterations = 20_000 };

    /// <summary>A problem with a ≠ b (strictly positive, equal mass), so that rows and columns cannot be confused.</summary>
    private static EntropicProblem Asymmetric(SphereBatch batch)
    {
        var plain = TestProblems.For(batch);
        var rng = new Random(batch.Seed);
        double[] Marginal()
        {
            var m = new double[batch.Count];
            for (int i = 0; i < m.Length; i++) m[i] = 0.2 + rng.NextDouble();
            double total = m.Sum();
            for (int i = 0; i < m.Length; i++) m[i] /= total;
            return m;
        }
        var a = Marginal();
        var b = Marginal();
        b[^1] += a.Sum() - b.Sum(); // equal mass to the last bit the validation could notice
        return new EntropicProblem(plain.Geometry, plain.Epsilon, a, b);
    }

    [Property]
    public void Entry_to_matrix_and_conditional_rows_agree(SphereBatch batch)
    {
        // The identities hold for any duals, converged or not: a capped alternating solve of an a ≠ b problem will do.
        var problem = Asymmetric(batch);
        var coupling = Reference.Solve(problem, new SinkhornOptions { Tolerance = 1e-10, MaxIterations = 300 });
        int n = batch.Count;
        var p = coupling.ToMatrix();
        var conditional = coupling.ConditionalMatrix();
        var row = new double[n];
        for (int i = 0; i < n; i++)
        {
            coupling.ConditionalRow(i, row);
            double sum = 0;
            for (int j = 0; j < n; j++) sum += p[i * n + j];
            for (int j = 0; j < n; j++)
            {
                Assert.Equal(coupling.Entry(i, j), p[i * n + j]);
                Assert.Equal(row[j], conditional[i * n + j]);
                double expected = p[i * n + j] / sum;
                if (!(Math.Abs(row[j] - expected) <= 1e-12 + 1e-9 * expected))
                    Assert.Fail($"{batch}: conditional[{i}, {j}] = {row[j]:R}, P row / sum = {expected:R}");
            }
        }
    }

    [Property]
    public void Marginal_errors_are_tiny_after_a_converged_solve_and_match_the_matrix(SphereBatch batch)
    {
        // Exact duplicates make a mode (each twin prefers the other) that plain updates crawl on;
        // Anderson acceleration covers them. Here the point is the error bookkeeping, so use other kinds.
        if (batch.Kind == SphereKind.Duplicated) batch = new SphereBatch(SphereKind.Random, batch.Count, batch.Dimension, batch.Seed);
        var coupling = Reference.Solve(TestProblems.For(batch), Tight);
        Assert.True(coupling.Converged, $"{batch}: not converged, error {coupling.MarginalError}");
        Assert.InRange(coupling.RowMarginalError(), 0, 1e-9);
        Assert.InRange(coupling.ColumnMarginalError(), 0, 1e-9);

        // After one iteration the errors are real; they must be the L1 distances of the matrix's sums to a and b.
        var problem = Asymmetric(batch);
        var rough = Reference.Solve(problem, new SinkhornOptions { MaxIterations = 1, Tolerance = 1e-15 });
        var (rows, columns) = MatrixMarginalErrors(rough.ToMatrix(), problem);
        Assert.Equal(rows, rough.RowMarginalError(), 1e-14);
        Assert.Equal(columns, rough.ColumnMarginalError(), 1e-14);
        Assert.Equal(rough.MarginalError, rough.RowMarginalError(), 1e-12);
    }

    [Fact]
    public void Marginal_errors_are_not_swapped()
    {
        // After an alternating iteration the columns are exact (g was fitted last) and the rows are not.
        var problem = Asymmetric(new SphereBatch(SphereKind.Clustered, 12, 3, Seed: 5));
        var rough = Reference.Solve(problem, new SinkhornOptions { MaxIterations = 1, Tolerance = 1e-15, Update = SinkhornUpdate.Alternating });
        Assert.InRange(rough.ColumnMarginalError(), 0, 1e-14);
        Assert.True(rough.RowMarginalError() > 1e-6, $"row error {rough.RowMarginalError()}");
    }

    [Property]
    public void Row_constrained_plan_meets_its_rows_and_reports_its_column_error(SphereBatch batch)
    {
        foreach (var epsilon in new[] { 1e-3, TestProblems.EpsilonFor(batch), 1e4 })
        {
            var problem = TestProblems.For(batch, epsilon);
            var coupling = Coupling.RowConstrainedOnly(problem);
            Assert.Equal(0, coupling.Iterations);
            Assert.True(coupling.Converged);
            Assert.Equal("row-constrained", coupling.Solver);
            Assert.All(coupling.G.ToArray(), g => Assert.Equal(0.0, g));
            double error = coupling.MarginalError;
            Assert.False(double.IsNaN(error), $"{batch}, ε = {epsilon}: NaN column error");
            Assert.True(double.IsFinite(error) && error >= 0, $"{batch}, ε = {epsilon}: column error {error}");
            Assert.Equal(coupling.ColumnMarginalError(), error);
            Assert.InRange(coupling.RowMarginalError(), 0, 1e-10);
        }
    }

    // ------------------------------------------------------------------ hardness on a hand-built case

    /// <summary>
    /// N = 4 unpaired on the 3-sphere: x0 and x1 nearly identical (s ≈ 0.99995), x2 and x3 orthogonal to each other and to x0.
    /// </summary>
    private static EntropicProblem TwinProblem(double epsilon, GroundCost? cost = null) =>
        new(new PointCloudGeometry([1f, 0f, 0f, 1f, 0.01f, 0f, 0f, 1f, 0f, 0f, 0f, 1f], 4, 3,
            cost ?? new SquaredEuclideanCost(), BatchLayout.Unpaired(4)), epsilon);

    [Fact]
    public void Small_epsilon_pairs_the_twins_and_gains_hardness()
    {
        var h = Reference.Solve(TwinProblem(0.05), Tight).Hardness();
        // The plan puts x0 ↔ x1 and x2 ↔ x3: E_P[s] ≈ (1 + 1 + 0 + 0)/4; uniform ≈ (1/3 + 1.01/3 + 0.01/3 + 0)/4.
        Assert.Equal(0.5, h.ExpectedSimilarityUnderPlan, 1e-3);
        Assert.Equal((0.99995 + 1.00995 + 0.01) / 12, h.ExpectedSimilarityUniform, 1e-4);
        Assert.True(h.Gain > 0.3, $"gain {h.Gain}");
        Assert.Equal(3.0, h.NegativesPerAnchor);
        Assert.InRange(h.EffectiveNegatives, 1.0, 1.2);
    }

    [Fact]
    public void Huge_epsilon_samples_uniformly_and_gains_nothing()
    {
        var h = Reference.Solve(TwinProblem(1e6), Tight).Hardness();
        Assert.True(Math.Abs(h.Gain) < 1e-5, $"gain {h.Gain}");
        Assert.Equal(h.ExpectedSimilarityUniform, h.ExpectedSimilarityUnderPlan, 1e-5);
        Assert.Equal(3.0, h.NegativesPerAnchor);
        Assert.Equal(3.0, h.EffectiveNegatives, 1e-5);
    }

    [Fact]
    public void Gain_shrinks_as_epsilon_grows_on_the_twin_case()
    {
        var gains = new[] { 0.05, 0.5, 5, 50 }.Select(e => Reference.Solve(TwinProblem(e), Tight).Hardness().Gain).ToArray();
        for (int k = 1; k < gains.Length; k++)
            if (!(gains[k] < gains[k - 1])) Assert.Fail($"gains {string.Join(", ", gains)}");
    }

    [Property]
    public void Effective_negatives_lie_between_one_and_the_negatives_per_anchor(SphereBatch batch)
    {
        foreach (var epsilon in new[] { 0.05, TestProblems.EpsilonFor(batch), 1e6 })
        {
            var problem = TestProblems.For(batch, epsilon);
            // The bounds hold for any conditional, so the solve need not converge.
            var h = Reference.Solve(problem, new SinkhornOptions { Tolerance = 1e-8, MaxIterations = 3_000 }).Hardness();
            double expectedPerAnchor = Enumerable.Range(0, batch.Count).Average(i => (double)problem.Geometry.Layout.NegativeCount(i));
            Assert.Equal(expectedPerAnchor, h.NegativesPerAnchor, 1e-12);
            Assert.True(h.EffectiveNegatives <= h.NegativesPerAnchor * (1 + 1e-9),
                $"{batch}, ε = {epsilon}: effective {h.EffectiveNegatives:R} > per anchor {h.NegativesPerAnchor:R}");
            Assert.True(h.EffectiveNegatives >= 1 - 1e-12, $"{batch}, ε = {epsilon}: effective {h.EffectiveNegatives:R} < 1");
            Assert.InRange(h.ExpectedSimilarityUnderPlan, -1 - 1e-12, 1 + 1e-12);
            Assert.InRange(h.ExpectedSimilarityUniform, -1 - 1e-12, 1 + 1e-12);
        }
    }

    [Fact]
    public void Row_constrained_plan_on_the_twin_case_misses_the_columns()
    {
        // Rows 0 and 1 pick each other, row 2 leans to x1 (s = 0.01) and row 3 is indifferent: column 1 is over-full.
        var coupling = Coupling.RowConstrainedOnly(TwinProblem(0.05));
        Assert.True(coupling.MarginalError > 0.1, $"column error {coupling.MarginalError}");
        Assert.Equal(coupling.ColumnMarginalError(), coupling.MarginalError);
        // The balanced plan at the same ε meets the columns.
        Assert.InRange(Reference.Solve(TwinProblem(0.05), Tight).ColumnMarginalError(), 0, 1e-9);
    }

    private static (double Rows, double Columns) MatrixMarginalErrors(double[] p, EntropicProblem problem)
    {
        int n = problem.Count;
        double rows = 0, columns = 0;
        for (int i = 0; i < n; i++)
        {
            double r = 0, c = 0;
            for (int j = 0; j < n; j++) { r += p[i * n + j]; c += p[j * n + i]; }
            rows += Math.Abs(r - problem.A[i]);
            columns += Math.Abs(c - problem.B[i]);
        }
        return (rows, columns);
    }
}
