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
/// Fixed-seed problems whose cost matrices (computed by the library, +∞ where masked) are handed to POT 0.8.2's
/// <c>ot.sinkhorn(a, a, M, reg)</c> in one Python run. POT gets exactly our M, so this isolates the solvers from the
/// geometry: any disagreement is the Sinkhorn iteration's.
/// </summary>
public sealed class PotCrossCheckCases : IDisposable
{
    public sealed record Case(string Name, SphereBatch Batch, string Cost, double Epsilon)
    {
        public EntropicProblem Problem() => new(
            new PointCloudGeometry(Batch.Data, Batch.Count, Batch.Dimension, GroundCost.Parse(Cost), BatchLayout.TwoView(Batch.Count / 2)),
            Epsilon);
    }

    public static readonly IReadOnlyList<Case> All = BuildCases();

    private readonly string _directory = Directory.CreateTempSubdirectory("hardnegot-pot-").FullName;
    private readonly Dictionary<string, double[]> _couplings;

    public PotCrossCheckCases()
    {
        foreach (var c in All)
        {
            var problem = c.Problem();
            int n = problem.Count;
            var cost = new double[n * n];
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                    cost[i * n + j] = problem.Geometry.CostOrInfinity(i, j);
            NpyFile.WriteFloat64(Path.Combine(_directory, $"{c.Name}.M.npy"), cost, n, n);
        }

        (PotRuns, _couplings) = PotBatch.Run(Script, _directory, All.Select(c => new { name = c.Name, eps = c.Epsilon }).ToArray(), All.Select(c => c.Name));
    }

    /// <summary>POT's final column-marginal error (2-norm) and iteration count per case.</summary>
    public IReadOnlyDictionary<string, (double Error, int Iterations)> PotRuns { get; }

    /// <summary>POT's coupling, row-major N×N.</summary>
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
            foreach (var (kind, cost, eps) in new[]
                     {
                         (SphereKind.Random, "sqeuclid", 0.1), (SphereKind.Clustered, "exp", 0.5), (SphereKind.Random, "cosine", 0.25),
                         (SphereKind.Duplicated, "sqeuclid", 0.5),
                     })
            {
                var batch = new SphereBatch(kind, n, 16, Seed: 7 * n + (int)kind);
                cases.Add(new Case($"n{n}-{kind}-{cost}-eps{eps.ToString(CultureInfo.InvariantCulture)}", batch, cost, eps));
            }

        return cases;
    }

    // POT warnings (numerical errors, no convergence) become errors, so a bad reference fails the fixture loudly.
    private const string Script = """
import json, sys, warnings
import numpy as np
import ot

directory, cases = sys.argv[1], json.loads(sys.argv[2])
results = {}
for c in cases:
    M = np.load(f"{directory}/{c['name']}.M.npy")
    n = M.shape[0]
    a = np.full(n, 1.0 / n)
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        P, log = ot.sinkhorn(a, a, M, reg=c['eps'], numItermax=100000, stopThr=1e-12, log=True)
    np.save(f"{directory}/{c['name']}.P.npy", P)
    results[c['name']] = {'err': float(log['err'][-1]), 'niter': int(log['niter'])}
print(json.dumps(results))
""";
}

/// <summary>
/// The library's solvers against POT on the same cost matrices. Scales, stated precisely:
/// <list type="bullet">
/// <item>ReferenceSinkhorn (tolerance 1e-11): max_ij |P_ours − P_pot| · N ≤ 1e-6. Entries are ~1/N², so multiplying by N
/// measures the error relative to a row's mass 1/N — stricter than a plain 1e-6 on the entries.</item>
/// <item>CpuSinkhorn (float32, tolerance 1e-6): max_ij |W_ours − W_pot| ≤ 1e-4 on the conditional weights
/// W_ij = P*(j | i) = P_ij / Σ_k P_ik, which sum to 1 per row. The error is convergence-limited, not float32-limited
/// (measured at ε = 0.1, N = 256: 5e-4 at the default tolerance 1e-4, 7e-5 at 1e-5, 6e-6 at 1e-6), because a potential
/// error δ moves W by a factor e^{δ/ε}; 1e-6 leaves a wide margin.</item>
/// </list>
/// </summary>
public sealed class PotCrossCheckTests(PotCrossCheckCases fixture, ITestOutputHelper output) : IClassFixture<PotCrossCheckCases>
{
    private static readonly SinkhornOptions CpuOptions = new() { Tolerance = 1e-6, MaxIterations = 100_000 };

    public static TheoryData<string> CaseNames() => new(PotCrossCheckCases.All.Select(c => c.Name));

    private (PotCrossCheckCases.Case Case, double[] Pot) Load(string name)
    {
        var c = PotCrossCheckCases.All.Single(x => x.Name == name);
        var pot = fixture.PotRuns[name];
        Assert.True(pot.Error < 1e-11, $"{name}: POT stopped at marginal error {pot.Error} after {pot.Iterations} iterations");
        return (c, fixture.PotCoupling(c));
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Reference_coupling_agrees_with_POT(string name)
    {
        var (c, pot) = Load(name);
        var coupling = new ReferenceSinkhorn().Solve(c.Problem(), new SinkhornOptions { Tolerance = 1e-11, MaxIterations = 100_000 });
        Assert.True(coupling.Converged, $"{name}: reference stopped at {coupling.MarginalError} after {coupling.Iterations} iterations");
        var ours = coupling.ToMatrix();
        int n = c.Batch.Count;
        var (worst, at) = PotBatch.MaxAbsDifference(ours, pot);
        output.WriteLine($"{name}: reference max|ΔP|·N = {worst * n:E2} ({coupling.Iterations} iterations; POT {fixture.PotRuns[name].Iterations})");
        Assert.True(worst * n <= 1e-6,
            $"{name}: max|P_ours − P_pot|·N = {worst * n:E3} > 1e-6 at ({at / n}, {at % n}): ours {ours[at]:E6}, POT {pot[at]:E6}");
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Cpu_conditional_weights_agree_with_POT(string name)
    {
        var (c, pot) = Load(name);
        var coupling = new CpuSinkhorn().Solve(c.Problem(), CpuOptions);
        Assert.True(coupling.Converged, $"{name}: cpu stopped at {coupling.MarginalError} after {coupling.Iterations} iterations");
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
        output.WriteLine($"{name}: cpu max|ΔW| = {worst:E2} ({coupling.Iterations} iterations)");
        Assert.True(worst <= 1e-4,
            $"{name}: max|W_cpu − W_pot| = {worst:E3} > 1e-4 at ({at / n}, {at % n}): ours {ours[at]:E6}, POT {potConditional[at]:E6}");
    }
}
