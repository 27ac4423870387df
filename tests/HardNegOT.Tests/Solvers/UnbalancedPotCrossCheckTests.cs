using System.Globalization;
using System.Text.Json;
using HardNegOT.Costs;
using HardNegOT.Geometry;
using HardNegOT.IO;
using HardNegOT.Problems;
using HardNegOT.Solvers;
using HardNegOT.Testing;
using HardNegOT.Tests.Support;
using Xunit.Abstractions;

namespace HardNegOT.Tests.Solvers;

/// <summary>
/// Fixed-seed unbalanced problems handed to POT 0.8.2's <c>ot.unbalanced.sinkhorn_unbalanced(a, b, M′, reg, reg_m,
/// method='sinkhorn')</c> in one Python run.
/// </summary>
/// <remarks>
/// <para>
/// The objectives differ in the entropy's reference measure. POT's iteration u = (a / Kv)^{reg_m/(reg_m + reg)},
/// K = e^{−M/reg}, P = diag(u)·K·diag(v) is the fixed point of min ⟨P, M⟩ + reg·KL(P ‖ 1) + reg_m·KL(P1 ‖ a) +
/// reg_m·KL(Pᵀ1 ‖ b) with the generalised KL(P ‖ 1) = Σ P log P − P + 1 (its docstring writes Σ P log P, which would
/// shift the cost by reg). Ours uses ε·KL(P ‖ a⊗b) = ε·KL(P ‖ 1) − ε⟨P, log a ⊕ log b⟩ + const, so the two problems
/// coincide when POT gets M′_ij = C_ij − ε·log a_i − ε·log b_j, reg = ε and reg_m = ρ (ρ_a = ρ_b: POT 0.8.2 takes one
/// reg_m). Handing POT the raw C solves a different problem (its plan's mass differs by tens of percent).
/// </para>
/// <para>Masked pairs are +∞ in M′, so K is exactly 0 there.</para>
/// </remarks>
public sealed class UnbalancedPotCases : IDisposable
{
    public sealed record Case(string Name, SphereBatch Batch, string Cost, double Epsilon, double Rho, bool Weighted)
    {
        public EntropicProblem Problem()
        {
            var geometry = new PointCloudGeometry(Batch.Data, Batch.Count, Batch.Dimension, GroundCost.Parse(Cost), BatchLayout.TwoView(Batch.Count / 2));
            if (!Weighted) return EntropicProblem.Unbalanced(geometry, Epsilon, Rho, Rho);
            // Unequal, non-uniform marginals of different total mass: only the relaxed problem accepts them.
            var rng = new Random(Batch.Seed);
            var a = Enumerable.Range(0, Batch.Count).Select(_ => (0.5 + rng.NextDouble()) / Batch.Count).ToArray();
            var b = Enumerable.Range(0, Batch.Count).Select(_ => (0.2 + 2 * rng.NextDouble()) / Batch.Count).ToArray();
            return EntropicProblem.Unbalanced(geometry, Epsilon, Rho, Rho, a, b);
        }
    }

    public static readonly IReadOnlyList<Case> All = BuildCases();

    private readonly string _directory = Directory.CreateTempSubdirectory("hardnegot-pot-unbalanced-").FullName;
    private readonly Dictionary<string, double[]> _couplings;

    public UnbalancedPotCases()
    {
        foreach (var c in All)
        {
            var problem = c.Problem();
            int n = problem.Count;
            var cost = new double[n * n];
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                    cost[i * n + j] = problem.Geometry.CostOrInfinity(i, j);
            NpyFile.WriteFloat64(Path.Combine(_directory, $"{c.Name}.C.npy"), cost, n, n);
            NpyFile.WriteFloat64(Path.Combine(_directory, $"{c.Name}.a.npy"), problem.A.ToArray(), n, 1);
            NpyFile.WriteFloat64(Path.Combine(_directory, $"{c.Name}.b.npy"), problem.B.ToArray(), n, 1);
        }

        (PotRuns, _couplings) = PotBatch.Run(Script, _directory, All.Select(c => new { name = c.Name, eps = c.Epsilon, rho = c.Rho }).ToArray(), All.Select(c => c.Name));
    }

    /// <summary>POT's final relative change of (u, v) and iteration count per case.</summary>
    public IReadOnlyDictionary<string, (double Error, int Iterations)> PotRuns { get; }

    /// <summary>POT's plan, row-major N×N.</summary>
    public double[] PotCoupling(Case c) => _couplings[c.Name];

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

    private static List<Case> BuildCases()
    {
        var cases = new List<Case>();
        foreach (var n in new[] { 8, 64, 256 })
            foreach (var (kind, cost, eps, rho, weighted) in new[]
                     {
                         (SphereKind.Random, "sqeuclid", 0.1, 1.0, false), (SphereKind.Clustered, "exp", 0.5, 0.1, false),
                         (SphereKind.Random, "cosine", 0.25, 10.0, false), (SphereKind.Duplicated, "sqeuclid", 0.5, 1.0, false),
                         (SphereKind.NearAntipodal, "sqeuclid", 0.2, 2.0, true),
                     })
            {
                var batch = new SphereBatch(kind, n, 16, Seed: 11 * n + (int)kind);
                string name = string.Create(CultureInfo.InvariantCulture, $"n{n}-{kind}-{cost}-eps{eps}-rho{rho}{(weighted ? "-weighted" : "")}");
                cases.Add(new Case(name, batch, cost, eps, rho, weighted));
            }

        return cases;
    }

    // The cost conversion is the point of this fixture; warnings (numerical errors) fail it loudly.
    private const string Script = """
import json, sys, warnings
import numpy as np
import ot

directory, cases = sys.argv[1], json.loads(sys.argv[2])
results = {}
for c in cases:
    C = np.load(f"{directory}/{c['name']}.C.npy")
    a = np.load(f"{directory}/{c['name']}.a.npy").ravel()
    b = np.load(f"{directory}/{c['name']}.b.npy").ravel()
    eps = c['eps']
    M = C - eps * np.log(a)[:, None] - eps * np.log(b)[None, :]
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        P, log = ot.unbalanced.sinkhorn_unbalanced(a, b, M, eps, c['rho'], method='sinkhorn',
                                                   numItermax=200000, stopThr=1e-14, log=True)
    np.save(f"{directory}/{c['name']}.P.npy", P)
    results[c['name']] = {'err': float(log['err'][-1]), 'niter': len(log['err'])}
print(json.dumps(results))
""";
}

/// <summary>
/// The unbalanced solvers against POT on the same problems. Scales:
/// <list type="bullet">
/// <item>ReferenceSinkhorn (dual change 1e-12): max_ij |P_ours − P_pot|·N ≤ 1e-9 (entries are ~mass/N²).</item>
/// <item>CpuSinkhorn (float32, dual change 1e-6): max_ij |W_ours − W_pot| ≤ 1e-4 on the conditional weights, and the
/// plan's total mass within 1e-4 relative of POT's.</item>
/// </list>
/// </summary>
public sealed class UnbalancedPotCrossCheckTests(UnbalancedPotCases fixture, ITestOutputHelper output) : IClassFixture<UnbalancedPotCases>
{
    public static TheoryData<string> CaseNames() => new(UnbalancedPotCases.All.Select(c => c.Name));

    private (UnbalancedPotCases.Case Case, double[] Pot) Load(string name)
    {
        var c = UnbalancedPotCases.All.Single(x => x.Name == name);
        var pot = fixture.PotRuns[name];
        Assert.True(pot.Error < 1e-12, $"{name}: POT stopped at relative change {pot.Error} after {pot.Iterations} iterations");
        return (c, fixture.PotCoupling(c));
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Reference_plan_agrees_with_POT(string name)
    {
        var (c, pot) = Load(name);
        var coupling = new ReferenceSinkhorn().Solve(c.Problem(), new SinkhornOptions { Tolerance = 1e-12, MaxIterations = 200_000 });
        Assert.True(coupling.Converged, $"{name}: reference stopped at dual change {coupling.ConvergenceError} after {coupling.Iterations} iterations");
        var ours = coupling.ToMatrix();
        int n = c.Batch.Count;
        var (worst, at) = PotBatch.MaxAbsDifference(ours, pot);
        output.WriteLine($"{name}: reference max|ΔP|·N = {worst * n:E2}, mass {ours.Sum():F6} vs POT {pot.Sum():F6} ({coupling.Iterations} iterations; POT {fixture.PotRuns[name].Iterations})");
        Assert.True(worst * n <= 1e-9,
            $"{name}: max|P_ours − P_pot|·N = {worst * n:E3} > 1e-9 at ({at / n}, {at % n}): ours {ours[at]:E6}, POT {pot[at]:E6}");
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Cpu_weights_and_mass_agree_with_POT(string name)
    {
        var (c, pot) = Load(name);
        var coupling = new CpuSinkhorn().Solve(c.Problem(), new SinkhornOptions { Tolerance = 1e-6, MaxIterations = 200_000 });
        Assert.True(coupling.Converged, $"{name}: cpu stopped at dual change {coupling.ConvergenceError} after {coupling.Iterations} iterations");
        int n = c.Batch.Count;
        var ours = coupling.ConditionalMatrix();
        var potConditional = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            double row = 0;
            for (int j = 0; j < n; j++) row += pot[i * n + j];
            for (int j = 0; j < n; j++) potConditional[i * n + j] = pot[i * n + j] / row;
        }

        var (worst, at) = PotBatch.MaxAbsDifference(ours, potConditional);
        double mass = coupling.RowSums().Sum(), potMass = pot.Sum();
        output.WriteLine($"{name}: cpu max|ΔW| = {worst:E2}, mass {mass:F6} vs POT {potMass:F6} ({coupling.Iterations} iterations)");
        Assert.True(worst <= 1e-4,
            $"{name}: max|W_cpu − W_pot| = {worst:E3} > 1e-4 at ({at / n}, {at % n}): ours {ours[at]:E6}, POT {potConditional[at]:E6}");
        Assert.True(Math.Abs(mass - potMass) <= 1e-4 * potMass, $"{name}: mass {mass:R} vs POT {potMass:R}");
    }

    [Fact]
    public void POT_on_the_raw_cost_solves_a_different_problem()
    {
        // Guards the conversion above: without the −ε log a − ε log b shift POT's plan has another mass.
        var c = UnbalancedPotCases.All.First(x => x.Batch.Count == 8 && !x.Weighted);
        var problem = c.Problem();
        var ours = new ReferenceSinkhorn().Solve(problem, new SinkhornOptions { Tolerance = 1e-12, MaxIterations = 200_000 });
        int n = problem.Count;
        var cost = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                cost[i * n + j] = problem.Geometry.CostOrInfinity(i, j);
        string json = JsonSerializer.Serialize(new { C = cost.Select(v => double.IsPositiveInfinity(v) ? 1e300 : v), n, eps = c.Epsilon, rho = c.Rho });
        string stdout = Python.Run(["-c", """
import json, sys
import numpy as np
import ot
d = json.loads(sys.stdin.read())
n = d['n']
C = np.array(d['C']).reshape(n, n)
a = np.full(n, 1.0 / n)
P = ot.unbalanced.sinkhorn_unbalanced(a, a, C, d['eps'], d['rho'], method='sinkhorn', numItermax=200000, stopThr=1e-14)
print(repr(float(P.sum())))
"""], stdin: json);
        double rawMass = double.Parse(stdout.Trim(), CultureInfo.InvariantCulture);
        double mass = ours.RowSums().Sum();
        output.WriteLine($"{c.Name}: mass {mass:R}; POT on the raw cost {rawMass:R}");
        Assert.True(Math.Abs(rawMass - mass) > 0.05 * mass, $"raw-cost POT mass {rawMass} is close to ours {mass}");
    }
}
