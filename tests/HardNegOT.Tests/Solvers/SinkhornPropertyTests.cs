using FsCheck.Xunit;
using HardNegOT.Costs;
using HardNegOT.Couplings;
using HardNegOT.Geometry;
using HardNegOT.Problems;
using HardNegOT.Solvers;
using HardNegOT.Testing;
using HardNegOT.Tests.Support;

namespace HardNegOT.Tests.Solvers;

/// <summary>Properties every balanced solver must satisfy, over random, clustered, duplicated and near-antipodal batches.</summary>
[Properties(Arbitrary = [typeof(SphereArbitraries)], MaxTest = 25)]
public class SinkhornPropertyTests
{
    private static readonly ReferenceSinkhorn Reference = new();
    private static readonly CpuSinkhorn Cpu = new();
    private static readonly SinkhornOptions Tight = new() { Tolerance = 1e-8, MaxIterations = 20_000 };

    [Property]
    public void Reference_meets_both_marginals(SphereBatch batch)
    {
        var coupling = Reference.Solve(TestProblems.For(batch), Tight);
        Assert.True(coupling.Converged, $"{batch}: not converged, error {coupling.MarginalError}");
        Assert.InRange(coupling.RowMarginalError(), 0, 1e-8);
        Assert.InRange(coupling.ColumnMarginalError(), 0, 1e-8);
    }

    [Property]
    public void At_small_epsilon_the_reported_error_is_the_true_one_and_everything_is_finite(SphereBatch batch)
    {
        var problem = TestProblems.For(batch, epsilon: TestProblems.SmallEpsilons[batch.Seed % TestProblems.SmallEpsilons.Length]);
        foreach (ISinkhornSolver solver in new ISinkhornSolver[] { Reference, Cpu })
        {
            var coupling = solver.Solve(problem, new SinkhornOptions { Tolerance = 1e-6, MaxIterations = 500 });
            double row = coupling.RowMarginalError(), column = coupling.ColumnMarginalError();
            Assert.True(double.IsFinite(row) && double.IsFinite(column), $"{batch} {solver.Name}: errors {row}, {column}");
            // The solver's own count against an independent double recount. The cpu solver's float32
            // potentials carry ~1e-7 relative error, which moves exp((f − T(g))/ε) by up to ~1e-4 at ε = 0.03.
            double allowed = solver == Cpu ? 1e-4 * (1 + row) : 1e-9 * (1 + row);
            Assert.True(Math.Abs(row - coupling.MarginalError) <= allowed,
                $"{batch} {solver.Name}: reported {coupling.MarginalError}, recomputed {row}");
            if (coupling.Converged) Assert.InRange(column, 0, solver == Cpu ? 1e-4 : 1e-6);
            Assert.All(coupling.ConditionalMatrix(), v => Assert.True(double.IsFinite(v) && v >= 0));
        }
    }

    [Property]
    public void Cpu_meets_both_marginals_within_its_tolerance(SphereBatch batch)
    {
        var options = new SinkhornOptions { Tolerance = 1e-5, MaxIterations = 20_000 };
        var coupling = Cpu.Solve(TestProblems.For(batch), options);
        Assert.True(coupling.Converged, $"{batch}: not converged, error {coupling.MarginalError}");
        // Rechecked in double from the geometry: float rounding may add a little to the solver's own count.
        Assert.InRange(coupling.RowMarginalError(), 0, 1e-4);
        Assert.InRange(coupling.ColumnMarginalError(), 0, 1e-4);
    }

    [Property]
    public void Masked_entries_are_exactly_zero_and_conditionals_sum_to_one(SphereBatch batch)
    {
        var problem = TestProblems.For(batch);
        var coupling = Reference.Solve(problem, Tight);
        int n = batch.Count;
        var conditional = coupling.ConditionalMatrix();
        for (int i = 0; i < n; i++)
        {
            double sum = 0;
            for (int j = 0; j < n; j++)
            {
                double w = conditional[i * n + j];
                sum += w;
                if (problem.Geometry.IsMasked(i, j))
                {
                    Assert.Equal(0.0, w);
                    Assert.Equal(0.0, coupling.Entry(i, j));
                }
            }
            Assert.Equal(1.0, sum, 1e-12);
        }
    }

    [Property]
    public void Permuting_the_batch_permutes_the_coupling(SphereBatch batch)
    {
        int n = batch.Count, d = batch.Dimension;
        var problem = TestProblems.For(batch);
        var permutation = Enumerable.Range(0, n).OrderBy(_ => new Random(batch.Seed).Next()).ToArray();
        var shuffle = new Random(batch.Seed);
        shuffle.Shuffle(permutation);
        var permuted = new float[n * d];
        for (int k = 0; k < n; k++) batch.Data.AsSpan(permutation[k] * d, d).CopyTo(permuted.AsSpan(k * d, d));
        var permutedProblem = new EntropicProblem(
            new PointCloudGeometry(permuted, n, d, problem.Geometry.Cost, problem.Geometry.Layout.Permute(permutation)),
            problem.Epsilon);

        var p = Reference.Solve(problem, Tight).ToMatrix();
        var q = Reference.Solve(permutedProblem, Tight).ToMatrix();
        for (int k = 0; k < n; k++)
            for (int l = 0; l < n; l++)
                Assert.Equal(p[permutation[k] * n + permutation[l]] * n, q[k * n + l] * n, 1e-7);
    }

    [Property(MaxTest = 15)]
    public void Symmetric_problem_gives_a_symmetric_coupling(SphereBatch batch)
    {
        var coupling = Reference.Solve(TestProblems.For(batch), Tight);
        var p = coupling.ToMatrix();
        int n = batch.Count;
        double asymmetry = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < i; j++)
                asymmetry += Math.Abs(p[i * n + j] - p[j * n + i]);
        Assert.InRange(asymmetry, 0, 1e-7);
    }

    [Property]
    public void Huge_epsilon_gives_uniform_weights_over_unmasked_negatives(SphereBatch batch)
    {
        var problem = TestProblems.For(batch, epsilon: 1e7);
        var coupling = Reference.Solve(problem, Tight);
        int n = batch.Count;
        var conditional = coupling.ConditionalMatrix();
        for (int i = 0; i < n; i++)
        {
            double uniform = 1.0 / problem.Geometry.Layout.NegativeCount(i);
            for (int j = 0; j < n; j++)
                if (!problem.Geometry.IsMasked(i, j))
                    Assert.Equal(uniform, conditional[i * n + j], 1e-6);
        }
    }

    [Property(MaxTest = 15)]
    public void Expected_negative_similarity_falls_as_epsilon_grows(SphereBatch batch)
    {
        // ⟨P_ε, C⟩ is non-decreasing in ε; for costs affine and decreasing in s that makes E_P[s] non-increasing.
        var cost = batch.Seed % 2 == 0 ? (GroundCost)new SquaredEuclideanCost() : new CosineCost();
        double previous = double.PositiveInfinity;
        foreach (var epsilon in new[] { 0.1, 0.3, 1.0, 5.0 })
        {
            var hardness = Reference.Solve(TestProblems.For(batch, epsilon, cost), Tight).Hardness();
            Assert.True(hardness.ExpectedSimilarityUnderPlan <= previous + 1e-7,
                $"{batch}: E[s] rose to {hardness.ExpectedSimilarityUnderPlan} at ε = {epsilon} from {previous}");
            previous = hardness.ExpectedSimilarityUnderPlan;
        }
    }

    [Property]
    public void Cpu_weights_agree_with_the_reference(SphereBatch batch)
    {
        var problem = TestProblems.For(batch);
        var reference = Reference.Solve(problem, Tight).ConditionalMatrix();
        var fast = Cpu.Solve(problem, new SinkhornOptions { Tolerance = 1e-6, MaxIterations = 20_000 }).ConditionalMatrix();
        for (int k = 0; k < reference.Length; k++)
            Assert.True(Math.Abs(reference[k] - fast[k]) <= 1e-4,
                $"{batch}: weight {k / batch.Count},{k % batch.Count}: reference {reference[k]}, cpu {fast[k]}");
    }

    [Property]
    public void Alternating_and_symmetric_updates_reach_the_same_plan(SphereBatch batch)
    {
        // Alternating updates crawl on clustered and duplicated batches (the reason the symmetric
        // update is the default); compare on the kinds where both finish within the budget.
        batch = new SphereBatch(batch.Seed % 2 == 0 ? SphereKind.Random : SphereKind.NearAntipodal, batch.Count, batch.Dimension, batch.Seed);
        var problem = TestProblems.For(batch);
        var alternating = Reference.Solve(problem, Tight with { Update = SinkhornUpdate.Alternating });
        var symmetric = Reference.Solve(problem, Tight with { Update = SinkhornUpdate.Symmetric });
        Assert.True(alternating.Converged && symmetric.Converged, $"{batch}: {alternating.MarginalError}, {symmetric.MarginalError}");
        var p = alternating.ConditionalMatrix();
        var q = symmetric.ConditionalMatrix();
        // Weights move by about w·δ/ε for a marginal error δ: 1e-8 at ε = 0.1 allows ~1e-7.
        for (int k = 0; k < p.Length; k++) Assert.Equal(p[k], q[k], 1e-6);
    }

    [Property]
    public void Row_constrained_solution_is_hcl_with_beta_two_over_epsilon(SphereBatch batch)
    {
        var problem = TestProblems.For(batch, cost: new SquaredEuclideanCost());
        var unconstrained = Coupling.RowConstrainedOnly(problem).ConditionalMatrix();
        var hcl = HclWeights.ConditionalMatrix(problem.Geometry, beta: 2.0 / problem.Epsilon);
        for (int k = 0; k < hcl.Length; k++)
            Assert.Equal(hcl[k], unconstrained[k], 1e-12);
    }

    [Property(MaxTest = 10)]
    public void Warm_start_from_the_solution_converges_at_once_to_the_same_plan(SphereBatch batch)
    {
        var problem = TestProblems.For(batch);
        foreach (ISinkhornSolver solver in new ISinkhornSolver[] { Reference, Cpu })
        {
            var options = new SinkhornOptions { Tolerance = 1e-6, MaxIterations = 20_000 };
            var cold = solver.Solve(problem, options);
            var warm = solver.Solve(problem, options with { WarmStart = cold.F.ToArray() });
            Assert.True(warm.Converged);
            Assert.InRange(warm.Iterations, 1, 2);
            var a = cold.ConditionalMatrix();
            var b = warm.ConditionalMatrix();
            // A float32 recount can put the restart's first error a hair above the tolerance, and one
            // genuine step then moves the plan by about the remaining error: allow ten times it.
            for (int k = 0; k < a.Length; k++) Assert.Equal(a[k], b[k], 10 * options.Tolerance);
        }
    }

    [Property(MaxTest = 10)]
    public void Hitting_the_iteration_cap_reports_not_converged_without_nan(SphereBatch batch)
    {
        var problem = TestProblems.For(batch, epsilon: 0.01);
        foreach (ISinkhornSolver solver in new ISinkhornSolver[] { Reference, Cpu })
        {
            var coupling = solver.Solve(problem, new SinkhornOptions { Tolerance = 1e-15, MaxIterations = 2 });
            Assert.False(coupling.Converged);
            Assert.Equal(2, coupling.Iterations);
            Assert.True(double.IsFinite(coupling.MarginalError) && coupling.MarginalError > 1e-15);
            Assert.All(coupling.F.ToArray(), v => Assert.True(double.IsFinite(v)));
            Assert.All(coupling.G.ToArray(), v => Assert.True(double.IsFinite(v)));
            Assert.All(coupling.ConditionalMatrix(), v => Assert.True(double.IsFinite(v)));
        }
    }

    [Theory]
    [InlineData(0.01)]
    [InlineData(0.03)]
    [InlineData(10.0)]
    public void Extreme_epsilon_stays_finite_on_clustered_data(double epsilon)
    {
        var batch = new SphereBatch(SphereKind.Clustered, 64, 16, 7);
        foreach (ISinkhornSolver solver in new ISinkhornSolver[] { Reference, Cpu })
        {
            var coupling = solver.Solve(TestProblems.For(batch, epsilon, new ExponentialCost()), new SinkhornOptions { Tolerance = 1e-6, MaxIterations = 5000 });
            Assert.True(double.IsFinite(coupling.MarginalError));
            Assert.All(coupling.ConditionalMatrix(), v => Assert.True(double.IsFinite(v) && v >= 0));
            var hardness = coupling.Hardness();
            Assert.True(double.IsFinite(hardness.ExpectedSimilarityUnderPlan));
        }
    }
}
