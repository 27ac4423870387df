using FsCheck;
using FsCheck.Xunit;
using HardNegOT.Costs;
using HardNegOT.Couplings;
using HardNegOT.Geometry;
using HardNegOT.Problems;
using HardNegOT.Solvers;
using HardNegOT.Testing;
using HardNegOT.Tests.Support;

namespace HardNegOT.Tests.Solvers;

/// <summary>Batches with N from 3 to 80 for the unbalanced properties (the solves at large ρ/ε run long).</summary>
public static class UnbalancedBatches
{
    /// <summary>The arbitrary for <see cref="SphereBatch"/> parameters of the unbalanced properties.</summary>
    public static Arbitrary<SphereBatch> Batches() => FsCheck.Fluent.Arb.From(SphereBatches.Gen(3, 80, 16));
}

/// <summary>
/// The unbalanced problem (KL-relaxed marginals) on the reference and float32 backends. The reference is checked
/// against first principles rather than against itself: the optimality conditions P1 = a·e^{−f/ρ_a},
/// Pᵀ1 = b·e^{−g/ρ_b}, strong duality, weak duality for any duals, and a mass bound derived from the objective.
/// </summary>
[Properties(Arbitrary = [typeof(UnbalancedBatches)], MaxTest = 20)]
public class UnbalancedSinkhornTests
{
    private static readonly ReferenceSinkhorn Reference = new();
    private static readonly CpuSinkhorn Cpu = new();
    private static readonly SinkhornOptions Tight = new() { Tolerance = 1e-11, MaxIterations = 50_000 };
    private static readonly double[] Rhos = [0.1, 1.0, 10.0];

    private static double RhoFor(SphereBatch batch) => Rhos[batch.Seed / 3 % Rhos.Length];

    private static EntropicProblem Unbalanced(SphereBatch batch, double rhoA, double rhoB, double? epsilon = null,
        double[]? a = null, double[]? b = null)
    {
        var problem = TestProblems.For(batch, epsilon);
        return new EntropicProblem(problem.Geometry, problem.Epsilon, a, b, new MarginalRelaxation(rhoA, rhoB));
    }

    private static double MaxAbsDifference(double[] x, double[] y)
    {
        double worst = 0;
        for (int k = 0; k < x.Length; k++) worst = Math.Max(worst, Math.Abs(x[k] - y[k]));
        return worst;
    }

    [Property]
    public void Reference_meets_the_optimality_conditions_and_strong_duality(SphereBatch batch)
    {
        double rho = RhoFor(batch);
        var problem = Unbalanced(batch, rho, rho);
        var coupling = Reference.Solve(problem, Tight);
        Assert.True(coupling.Converged, $"{batch} ρ={rho}: not converged, dual change {coupling.ConvergenceError}");
        // ∂/∂P of the objective vanishes iff f_i = −ρ_a log(P1_i / a_i) and g_j = −ρ_b log(Pᵀ1_j / b_j).
        var rows = coupling.RowSums();
        var columns = coupling.ColumnSums();
        for (int i = 0; i < batch.Count; i++)
        {
            double expectedRow = problem.A[i] * Math.Exp(-coupling.F[i] / rho);
            double expectedColumn = problem.B[i] * Math.Exp(-coupling.G[i] / rho);
            Assert.True(Math.Abs(rows[i] - expectedRow) <= 1e-8 * expectedRow, $"{batch} ρ={rho}: row {i} sums to {rows[i]}, stationarity wants {expectedRow}");
            Assert.True(Math.Abs(columns[i] - expectedColumn) <= 1e-8 * expectedColumn, $"{batch} ρ={rho}: column {i} sums to {columns[i]}, stationarity wants {expectedColumn}");
        }
        double primal = coupling.PrimalObjective(), dual = coupling.DualObjective();
        Assert.True(Math.Abs(primal - dual) <= 1e-8 * (1 + Math.Abs(primal)), $"{batch} ρ={rho}: primal {primal:R}, dual {dual:R}");
        // Not met by design, and reported as such: the reported row error is the true one of the duals.
        Assert.True(Math.Abs(coupling.MarginalError - coupling.RowMarginalError()) <= 1e-9, $"{batch}: reported {coupling.MarginalError}, recomputed {coupling.RowMarginalError()}");
        Assert.True(coupling.ConvergenceError <= Tight.Tolerance);
    }

    [Property]
    public void Any_duals_bound_the_optimum_from_below(SphereBatch batch)
    {
        // Weak duality holds for every (f, g), so an early stop must not beat the optimum's primal value.
        double rho = RhoFor(batch);
        var problem = Unbalanced(batch, rho, 2 * rho);
        var early = Reference.Solve(problem, new SinkhornOptions { Tolerance = 1e-12, MaxIterations = 2 });
        var optimum = Reference.Solve(problem, Tight);
        Assert.True(optimum.Converged, $"{batch}: not converged");
        double best = optimum.PrimalObjective();
        Assert.True(early.DualObjective() <= best + 1e-10, $"{batch}: early dual {early.DualObjective():R} > optimum {best:R}");
        Assert.True(early.PrimalObjective() >= best - 1e-10, $"{batch}: early primal {early.PrimalObjective():R} < optimum {best:R}");
    }

    [Property]
    public void Mass_stays_below_the_bound_the_objective_implies_and_grows_towards_balanced_with_rho(SphereBatch batch)
    {
        // Scaling P by s is a feasible direction, so at the optimum d/ds J(sP) = 0; with the log-sum inequality this gives
        // (ε + ρ_a + ρ_b)·log m ≤ ε·log M − C_min for the mass m = ΣP, M = Σ_unmasked a_i b_j and C_min the least unmasked cost.
        var balanced = TestProblems.For(batch);
        int n = batch.Count;
        double eps = balanced.Epsilon, reference = 0, minimumCost = double.PositiveInfinity;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                if (!balanced.Geometry.IsMasked(i, j))
                {
                    reference += balanced.A[i] * balanced.B[j];
                    minimumCost = Math.Min(minimumCost, balanced.Geometry.CostOrInfinity(i, j));
                }
        double previous = 0;
        foreach (double rho in new[] { 0.05, 0.5, 5.0, 50.0 })
        {
            var coupling = Reference.Solve(Unbalanced(batch, rho, rho), Tight);
            Assert.True(coupling.Converged, $"{batch} ρ={rho}: not converged");
            double mass = coupling.RowSums().Sum();
            double bound = Math.Exp((eps * Math.Log(reference) - minimumCost) / (eps + 2 * rho));
            Assert.True(mass <= bound * (1 + 1e-9), $"{batch} ρ={rho}: mass {mass:R} above the bound {bound:R}");
            Assert.True(mass > previous, $"{batch} ρ={rho}: mass {mass:R} did not grow from {previous:R}");
            previous = mass;
        }
        Assert.True(previous <= 1 + 1e-12, $"{batch}: mass {previous} exceeds the balanced mass 1");
    }

    [Property(MaxTest = 15)]
    public void Large_rho_recovers_the_balanced_plan(SphereBatch batch)
    {
        var balancedProblem = TestProblems.For(batch);
        var balanced = Reference.Solve(balancedProblem, Tight).ToMatrix();
        int n = batch.Count;
        double previous = double.PositiveInfinity;
        foreach (double rho in new[] { 1.0, 100.0, 1e4, 1e6 })
        {
            var plan = Reference.Solve(Unbalanced(batch, rho, rho), Tight).ToMatrix();
            double gap = MaxAbsDifference(plan, balanced) * n;
            Assert.True(gap < previous, $"{batch} ρ={rho}: gap to balanced {gap:E3} did not shrink from {previous:E3}");
            previous = gap;
        }
        Assert.True(previous <= 1e-5, $"{batch}: at ρ = 1e6 the plan is still {previous:E3} from balanced (max|ΔP|·N)");
    }

    [Property(MaxTest = 10)]
    public void Infinite_rho_is_exactly_the_balanced_problem(SphereBatch batch)
    {
        var balanced = Reference.Solve(TestProblems.For(batch), SinkhornOptions.Reference);
        var relaxed = Reference.Solve(Unbalanced(batch, double.PositiveInfinity, double.PositiveInfinity), SinkhornOptions.Reference);
        Assert.Equal(balanced.F.ToArray(), relaxed.F.ToArray());
        Assert.Equal(balanced.Iterations, relaxed.Iterations);
        Assert.Equal(relaxed.MarginalError, relaxed.ConvergenceError);
    }

    [Property]
    public void Every_update_scheme_reaches_the_same_plan(SphereBatch batch)
    {
        double rho = RhoFor(batch);
        var problem = Unbalanced(batch, rho, rho);
        var alternating = Reference.Solve(problem, Tight with { Update = SinkhornUpdate.Alternating });
        Assert.True(alternating.Converged, $"{batch}: alternating not converged");
        // a = b and ρ_a = ρ_b: the alternating solve finds f = g by itself, which is what the symmetric shortcut assumes.
        Assert.True(MaxAbsDifference(alternating.F.ToArray(), alternating.G.ToArray()) <= 1e-8, $"{batch}: f ≠ g");
        var plan = alternating.ToMatrix();
        int n = batch.Count;
        foreach (var update in new[] { SinkhornUpdate.Symmetric, SinkhornUpdate.Anderson, SinkhornUpdate.OverRelaxed, SinkhornUpdate.OverRelaxedAdaptive })
        {
            var other = Reference.Solve(problem, Tight with { Update = update });
            Assert.True(other.Converged, $"{batch} {update}: not converged, dual change {other.ConvergenceError}");
            double gap = MaxAbsDifference(other.ToMatrix(), plan) * n;
            Assert.True(gap <= 1e-8, $"{batch} {update}: max|ΔP|·N = {gap:E3}");
        }
        // Auto resolves to Anderson for a = b, ρ_a = ρ_b.
        Assert.Equal(SinkhornUpdate.Anderson, Tight.ResolveUpdate(problem));
    }

    [Property]
    public void A_hard_side_is_met_and_the_soft_side_follows_its_penalty(SphereBatch batch)
    {
        double rho = RhoFor(batch);
        var coupling = Reference.Solve(Unbalanced(batch, rho, double.PositiveInfinity), Tight);
        Assert.True(coupling.Converged, $"{batch}: not converged");
        Assert.Equal(SinkhornUpdate.Alternating, Tight.ResolveUpdate(coupling.Problem));
        Assert.InRange(coupling.ColumnMarginalError(), 0, 1e-9);
        Assert.Equal(1.0, coupling.ColumnSums().Sum(), 1e-9);
        // The relaxed rows sit where their penalty puts them, P1 = a·e^{−f/ρ_a}; that is a only when f = 0 (a fully
        // symmetric batch, e.g. three identical points), so the row error is whatever the optimum makes it.
        var rows = coupling.RowSums();
        for (int i = 0; i < batch.Count; i++)
        {
            double expected = coupling.Problem.A[i] * Math.Exp(-coupling.F[i] / rho);
            Assert.True(Math.Abs(rows[i] - expected) <= 1e-8 * expected, $"{batch}: row {i} sums to {rows[i]}, stationarity wants {expected}");
        }
        Assert.Equal(coupling.RowMarginalError(), coupling.MarginalError, 1e-9);
    }

    [Property]
    public void Unequal_masses_and_marginals_solve_on_both_backends(SphereBatch batch)
    {
        int n = batch.Count;
        var rng = new Random(batch.Seed);
        var a = Enumerable.Range(0, n).Select(_ => 0.2 + rng.NextDouble()).ToArray();
        var b = Enumerable.Range(0, n).Select(_ => 0.1 + 2 * rng.NextDouble()).ToArray();
        double rho = RhoFor(batch);
        var problem = Unbalanced(batch, rho, 3 * rho, a: a, b: b);
        Assert.False(problem.IsSymmetric);
        var reference = Reference.Solve(problem, Tight);
        Assert.True(reference.Converged, $"{batch}: not converged");
        double primal = reference.PrimalObjective(), dual = reference.DualObjective();
        Assert.True(Math.Abs(primal - dual) <= 1e-8 * (1 + Math.Abs(primal)), $"{batch}: primal {primal:R}, dual {dual:R}");
        var fast = Cpu.Solve(problem, new SinkhornOptions { Tolerance = 1e-6, MaxIterations = 50_000 });
        Assert.True(fast.Converged, $"{batch}: cpu not converged");
        var p = reference.ToMatrix();
        double scale = p.Max();
        double gap = MaxAbsDifference(fast.ToMatrix(), p) / scale;
        Assert.True(gap <= 1e-3, $"{batch}: cpu plan off by {gap:E3} of the largest entry");
    }

    [Property]
    public void Cpu_matches_the_reference(SphereBatch batch)
    {
        double rho = RhoFor(batch);
        var problem = Unbalanced(batch, rho, rho);
        var reference = Reference.Solve(problem, Tight);
        var fast = Cpu.Solve(problem, new SinkhornOptions { Tolerance = 1e-6, MaxIterations = 50_000 });
        Assert.True(fast.Converged, $"{batch}: cpu not converged, dual change {fast.ConvergenceError}");
        var p = reference.ConditionalMatrix();
        var q = fast.ConditionalMatrix();
        Assert.True(MaxAbsDifference(p, q) <= 1e-4, $"{batch}: conditional weights off by {MaxAbsDifference(p, q):E3}");
        // The float32 solve reports the true row error of its duals, like the reference.
        Assert.True(Math.Abs(fast.MarginalError - fast.RowMarginalError()) <= 1e-4 * (1 + fast.MarginalError),
            $"{batch}: reported {fast.MarginalError}, recomputed {fast.RowMarginalError()}");
        double massGap = Math.Abs(fast.RowSums().Sum() - reference.RowSums().Sum());
        Assert.True(massGap <= 1e-4, $"{batch}: mass off by {massGap:E3}");
    }

    [Property(MaxTest = 10)]
    public void Nothing_is_NaN_from_tiny_to_huge_epsilon(SphereBatch batch)
    {
        foreach (double eps in new[] { 0.01, 0.03, 0.1, 1.0, 10.0 })
            foreach (double rho in new[] { 0.01, 1.0, 100.0 })
            {
                var geometry = TestProblems.For(batch).Geometry;
                var problem = EntropicProblem.Unbalanced(
                    new PointCloudGeometry(batch.Data, batch.Count, batch.Dimension, new SquaredEuclideanCost(), geometry.Layout), eps, rho, rho);
                foreach (ISinkhornSolver solver in new ISinkhornSolver[] { Reference, Cpu })
                {
                    var coupling = solver.Solve(problem, new SinkhornOptions { Tolerance = 1e-6, MaxIterations = 300 });
                    Assert.True(double.IsFinite(coupling.MarginalError) && double.IsFinite(coupling.ConvergenceError),
                        $"{batch} {solver.Name} ε={eps} ρ={rho}: errors {coupling.MarginalError}, {coupling.ConvergenceError}");
                    Assert.All(coupling.ToMatrix(), v => Assert.True(double.IsFinite(v) && v >= 0, $"{batch} {solver.Name} ε={eps} ρ={rho}: entry {v}"));
                    Assert.True(double.IsFinite(coupling.DualObjective()), $"{batch} {solver.Name} ε={eps} ρ={rho}: dual objective");
                }
            }
    }

    [Property(MaxTest = 10)]
    public void Epsilon_scaling_keeps_the_relaxation(SphereBatch batch)
    {
        double rho = RhoFor(batch);
        var problem = Unbalanced(batch, rho, rho);
        var direct = Reference.Solve(problem, Tight);
        var scaled = new EpsilonScalingSinkhorn(Reference).Solve(problem, Tight);
        Assert.True(scaled.Converged, $"{batch}: ε-scaling not converged");
        double gap = MaxAbsDifference(scaled.ToMatrix(), direct.ToMatrix()) * batch.Count;
        Assert.True(gap <= 1e-8, $"{batch}: ε-scaling plan off by max|ΔP|·N = {gap:E3}");
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    [InlineData(double.NegativeInfinity)]
    public void Bad_strengths_are_rejected_naming_the_input(double rho)
    {
        var a = Assert.Throws<ArgumentOutOfRangeException>(() => new MarginalRelaxation(rho, 1.0));
        Assert.Equal("rhoA", a.ParamName);
        Assert.Contains("ρ_a", a.Message, StringComparison.Ordinal);
        var b = Assert.Throws<ArgumentOutOfRangeException>(() => new MarginalRelaxation(1.0, rho));
        Assert.Equal("rhoB", b.ParamName);
        Assert.Contains("ρ_b", b.Message, StringComparison.Ordinal);
        var both = Assert.Throws<ArgumentOutOfRangeException>(() => MarginalRelaxation.Both(rho));
        Assert.Equal("rho", both.ParamName);
        var batch = new SphereBatch(SphereKind.Random, 6, 3, 1);
        var viaProblem = Assert.Throws<ArgumentOutOfRangeException>(() => EntropicProblem.Unbalanced(TestProblems.For(batch).Geometry, 0.5, 1.0, rho));
        Assert.Equal("rhoB", viaProblem.ParamName);
    }

    [Fact]
    public void Unequal_masses_need_a_relaxed_side()
    {
        var geometry = TestProblems.For(new SphereBatch(SphereKind.Random, 5, 3, 2)).Geometry;
        double[] a = [0.2, 0.2, 0.2, 0.2, 0.2], b = [1, 1, 1, 1, 1];
        Assert.Throws<ArgumentException>(() => new EntropicProblem(geometry, 0.5, a, b));
        var relaxed = EntropicProblem.Unbalanced(geometry, 0.5, 1.0, double.PositiveInfinity, a, b);
        Assert.False(relaxed.IsBalanced);
        Assert.Equal(1.0 / 1.5, relaxed.TauA, 15);
        Assert.Equal(1.0, relaxed.TauB);
    }

    [Fact]
    public void Solvers_without_a_relaxed_update_refuse_unbalanced_problems()
    {
        var problem = EntropicProblem.Unbalanced(TestProblems.For(new SphereBatch(SphereKind.Random, 8, 3, 2)).Geometry, 0.5, 1.0, 1.0);
        foreach (ISinkhornSolver solver in new ISinkhornSolver[] { new KernelSpaceSinkhorn(), new Greenkhorn() })
        {
            var ex = Assert.Throws<ArgumentException>(() => solver.Solve(problem));
            Assert.Equal("problem", ex.ParamName);
            Assert.Contains("balanced problems only", ex.Message, StringComparison.Ordinal);
        }
    }
}
