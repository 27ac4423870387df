using System.Globalization;
using System.Text.Json;
using HardNegOT.Assignment;
using HardNegOT.Costs;
using HardNegOT.CrossModal;
using HardNegOT.IO;
using HardNegOT.Solvers;
using HardNegOT.Tests.Assignment;
using HardNegOT.Tests.Support;
using Xunit.Abstractions;

namespace HardNegOT.Tests.CrossModal;

/// <summary>Seeded paired features V, T and the cross-modal cost matrix built here, independently of the library's geometry.</summary>
internal sealed record CrossModalCase(string Name, int N, int D, int Seed, string Cost, double Epsilon)
{
    public float[] V { get; } = Features(N, D, Seed);

    /// <summary>T: a noisy copy of V in shuffled order, so that a clear matching exists.</summary>
    public float[] T { get; } = Shuffled(Features(N, D, Seed), N, D, Seed);

    public GroundCost GroundCost => HardNegOT.Costs.GroundCost.Parse(Cost);

    /// <summary>C_ij = cost(cos(v_i, t_j)) in double from plainly normalised rows.</summary>
    public double[] CostMatrix()
    {
        var v = Normalise(V, N, D);
        var t = Normalise(T, N, D);
        var cost = new double[N * N];
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++)
            {
                double s = 0;
                for (int k = 0; k < D; k++) s += v[i * D + k] * t[j * D + k];
                cost[i * N + j] = GroundCost.FromSimilarity(Math.Clamp(s, -1, 1));
            }

        return cost;
    }

    public static double[] Normalise(float[] x, int n, int d)
    {
        var result = new double[n * d];
        for (int i = 0; i < n; i++)
        {
            double norm = 0;
            for (int k = 0; k < d; k++) norm += (double)x[i * d + k] * x[i * d + k];
            norm = Math.Sqrt(norm);
            for (int k = 0; k < d; k++) result[i * d + k] = x[i * d + k] / norm;
        }

        return result;
    }

    /// <summary>The shuffle: T row π(i) is the noisy copy of V row i.</summary>
    public int[] Shuffle() => Permutation(N, Seed);

    private static float[] Features(int n, int d, int seed)
    {
        var rng = new Random(seed);
        var x = new float[n * d];
        for (int k = 0; k < x.Length; k++) x[k] = (float)(Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()));
        return x;
    }

    private static float[] Shuffled(float[] v, int n, int d, int seed)
    {
        var pi = Permutation(n, seed);
        var rng = new Random(seed + 1);
        var t = new float[n * d];
        for (int i = 0; i < n; i++)
            for (int k = 0; k < d; k++)
                t[pi[i] * d + k] = v[i * d + k] + (float)(0.05 * (rng.NextDouble() - 0.5));
        return t;
    }

    private static int[] Permutation(int n, int seed)
    {
        var pi = Enumerable.Range(0, n).ToArray();
        new Random(seed + 2).Shuffle(pi);
        return pi;
    }
}

/// <summary>POT's <c>ot.sinkhorn(method='sinkhorn_log')</c> on the cost matrices of the cases, solved once in one Python run.</summary>
public sealed class SmoothedPlanPotCases : IDisposable
{
    internal static readonly IReadOnlyList<CrossModalCase> All =
    [
        new("sqeuclid-n12", 12, 5, 1, "sqeuclid", 0.5),
        new("exp-n20", 20, 8, 2, "exp", 0.5),
        new("cosine-n30", 30, 16, 3, "cosine", 0.2),
    ];

    private readonly string _directory = Directory.CreateTempSubdirectory("hardnegot-smoothed-").FullName;

    public SmoothedPlanPotCases()
    {
        foreach (var c in All) NpyFile.WriteFloat64(Path.Combine(_directory, $"{c.Name}.M.npy"), c.CostMatrix(), c.N, c.N);
        var payload = JsonSerializer.Serialize(All.Select(c => new { name = c.Name, eps = c.Epsilon }));
        Python.Run(["-c", Script, _directory, payload], timeout: TimeSpan.FromMinutes(2));
    }

    internal double[] PotPlan(CrossModalCase c) => NpyFile.ReadMatrixAsFloat64(Path.Combine(_directory, $"{c.Name}.P.npy")).Data;

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }

    private const string Script = """
import json, sys, warnings
import numpy as np
import ot

out, cases = sys.argv[1], json.loads(sys.argv[2])
for c in cases:
    M = np.load(f"{out}/{c['name']}.M.npy")
    n = M.shape[0]
    a = np.full(n, 1.0 / n)
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        P = ot.sinkhorn(a, a, M, reg=c['eps'], method='sinkhorn_log', numItermax=100_000, stopThr=1e-12)
    np.save(f"{out}/{c['name']}.P.npy", P)
""";
}

/// <summary>The cross-modal plan against POT and against the exact assignment, its projections, and bad input.</summary>
public sealed class SmoothedPlanTests(SmoothedPlanPotCases fixture, ITestOutputHelper output) : IClassFixture<SmoothedPlanPotCases>
{
    private static readonly SinkhornOptions Tight = new() { Tolerance = 1e-11, MaxIterations = 200_000 };

    public static TheoryData<string> CaseNames() => new(SmoothedPlanPotCases.All.Select(c => c.Name));

    private static CrossModalCase Case(string name) => SmoothedPlanPotCases.All.Single(c => c.Name == name);

    private static SmoothedPlan Compute(CrossModalCase c, ISinkhornSolver? solver = null, SinkhornOptions? options = null, double? delta = null) =>
        SmoothedPlan.Compute(c.V, c.T, c.N, c.D, c.GroundCost, c.Epsilon, solver, options ?? Tight, delta);

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Plan_agrees_with_POT_sinkhorn(string name)
    {
        var c = Case(name);
        var plan = Compute(c);
        Assert.True(plan.Converged, $"{name}: error {plan.MarginalError}");
        var pot = fixture.PotPlan(c);
        double worst = 0;
        for (int k = 0; k < pot.Length; k++) worst = Math.Max(worst, Math.Abs(plan.Plan[k] - pot[k]) * c.N);
        output.WriteLine($"{name}: max|ΔP|·n = {worst:E2}");
        Assert.True(worst <= 1e-7, $"{name}: max|P − P_pot|·n = {worst:E3}");
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Marginals_are_uniform_for_reference_and_cpu_solvers(string name)
    {
        var c = Case(name);
        foreach (var (solver, options, tolerance) in new (ISinkhornSolver, SinkhornOptions, double)[]
                 {
                     (new ReferenceSinkhorn(), Tight, 1e-9),
                     (new CpuSinkhorn(), new SinkhornOptions { Tolerance = 1e-5, MaxIterations = 100_000 }, 1e-4),
                 })
        {
            var plan = Compute(c, solver, options);
            Assert.True(plan.Converged, $"{name} {solver.Name}: error {plan.MarginalError}");
            for (int i = 0; i < c.N; i++)
            {
                double row = 0, column = 0;
                for (int j = 0; j < c.N; j++)
                {
                    Assert.True(plan.Plan[i * c.N + j] >= 0);
                    row += plan.Plan[i * c.N + j];
                    column += plan.Plan[j * c.N + i];
                }

                Assert.True(Math.Abs(row * c.N - 1) <= tolerance * c.N, $"{name} {solver.Name}: row {i} sums to {row:R}");
                Assert.True(Math.Abs(column * c.N - 1) <= tolerance * c.N, $"{name} {solver.Name}: column {i} sums to {column:R}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Assignment_is_the_exact_optimum_of_the_same_costs_and_below_the_plan_cost(string name)
    {
        var c = Case(name);
        var plan = Compute(c);
        var cost = c.CostMatrix();
        var exact = ExactAssignment.Solve(cost, c.N, c.N);
        Assert.Equal(exact.TotalCost, CostMatrices.Total(cost, c.N, plan.Assignment!.Permutation), 1e-9);
        Assert.Equal(0, plan.Assignment!.AdditiveBound);
        double planCost = 0;
        for (int k = 0; k < cost.Length; k++) planCost += cost[k] * plan.Plan[k];
        Assert.Equal(planCost, plan.PlanCost, 1e-9);
        // The assignment is the LP optimum over all couplings with these marginals, the entropic plan among them.
        Assert.True(exact.MeanCost <= plan.PlanCost + 1e-9, $"{name}: assignment {exact.MeanCost:R} above plan {plan.PlanCost:R}");
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Projections_are_n_P_T_and_n_P_transpose_V(string name)
    {
        var c = Case(name);
        var plan = Compute(c);
        var v = CrossModalCase.Normalise(c.V, c.N, c.D);
        var t = CrossModalCase.Normalise(c.T, c.N, c.D);
        for (int i = 0; i < c.N; i++)
            for (int k = 0; k < c.D; k++)
            {
                double pv = 0, pt = 0;
                for (int j = 0; j < c.N; j++)
                {
                    pv += c.N * plan.Plan[i * c.N + j] * t[j * c.D + k];
                    pt += c.N * plan.Plan[j * c.N + i] * v[j * c.D + k];
                }

                Assert.Equal(pv, plan.ProjectedV[i * c.D + k], 1e-12);
                Assert.Equal(pt, plan.ProjectedT[i * c.D + k], 1e-12);
            }
    }

    [Fact]
    public void Small_epsilon_concentrates_the_plan_on_the_hidden_matching()
    {
        var c = new CrossModalCase("sharp", 24, 16, 9, "sqeuclid", 0.01);
        var plan = Compute(c);
        var pi = c.Shuffle();
        Assert.Equal(pi, plan.Assignment!.Permutation);
        var t = CrossModalCase.Normalise(c.T, c.N, c.D);
        for (int i = 0; i < c.N; i++)
        {
            Assert.True(c.N * plan.Plan[i * c.N + pi[i]] > 0.99, $"row {i}: n·P[i, π(i)] = {c.N * plan.Plan[i * c.N + pi[i]]:G4}");
            for (int k = 0; k < c.D; k++)
                Assert.True(Math.Abs(plan.ProjectedV[i * c.D + k] - t[pi[i] * c.D + k]) < 0.02, $"v′[{i}] is not t̂[π(i)]");
        }
    }

    [Fact]
    public void Approximate_assignment_when_delta_is_given()
    {
        var c = Case("cosine-n30");
        var plan = Compute(c, delta: 0.01);
        var exact = ExactAssignment.Solve(c.CostMatrix(), c.N, c.N);
        Assert.Equal(c.N * 0.01, plan.Assignment!.AdditiveBound, 1e-12);
        Assert.True(plan.Assignment!.MeanCost <= exact.MeanCost + 0.01 + 1e-12);
    }

    [Fact]
    public void Without_the_assignment_the_entropic_plan_and_projections_are_unchanged()
    {
        var c = Case("cosine-n30");
        var full = Compute(c);
        var entropic = SmoothedPlan.Compute(c.V, c.T, c.N, c.D, c.GroundCost, c.Epsilon, null, Tight, withAssignment: false);
        Assert.Null(entropic.Assignment);
        Assert.Equal(full.Plan, entropic.Plan);
        Assert.Equal(full.ProjectedV, entropic.ProjectedV);
        Assert.Equal(full.ProjectedT, entropic.ProjectedT);
        Assert.Equal(full.SizeInBytes - 8L * 2 * c.N - 4L * c.N, entropic.SizeInBytes);
        var ex = Assert.Throws<ArgumentException>(() =>
            SmoothedPlan.Compute(c.V, c.T, c.N, c.D, c.GroundCost, c.Epsilon, assignmentDelta: 0.1, withAssignment: false));
        Assert.Equal("assignmentDelta", ex.ParamName);
    }

    [Fact]
    public void Size_in_bytes_counts_every_array()
    {
        var c = Case("sqeuclid-n12");
        var plan = Compute(c);
        long expected = 8L * (12 * 12 + 2 * 12 * 5 + 2 * 12) + 4L * 12;
        Assert.Equal(expected, plan.SizeInBytes);
    }

    [Fact]
    public void Bad_input_is_named()
    {
        var c = Case("sqeuclid-n12");
        var cost = c.GroundCost;
        var ex = Assert.Throws<ArgumentException>(() => SmoothedPlan.Compute(c.V.AsSpan(1), c.T, c.N, c.D, cost, 0.1));
        Assert.Equal("v", ex.ParamName);

        var t = (float[])c.T.Clone();
        t[3 * c.D + 2] = float.NaN;
        ex = Assert.Throws<ArgumentException>(() => SmoothedPlan.Compute(c.V, t, c.N, c.D, cost, 0.1));
        Assert.Contains("t[3, 2] = NaN", ex.Message);

        Assert.Throws<ArgumentOutOfRangeException>(() => SmoothedPlan.Compute(c.V.AsSpan(0, c.D), c.T.AsSpan(0, c.D), 1, c.D, cost, 0.1));
        Assert.Throws<ArgumentOutOfRangeException>(() => SmoothedPlan.Compute(c.V, c.T, c.N, c.D, cost, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => SmoothedPlan.Compute(c.V, c.T, c.N, c.D, cost, double.NaN));
    }
}
