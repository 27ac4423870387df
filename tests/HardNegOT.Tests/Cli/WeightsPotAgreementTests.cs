using System.Globalization;
using System.Text.Json;
using HardNegOT.IO;
using HardNegOT.Tests.Support;
using Xunit.Abstractions;

namespace HardNegOT.Tests.Cli;

/// <summary>
/// Inputs the CLI has never seen: numpy draws random embeddings (seeded per case), saves them as float32 or float64 .npy,
/// and POT's <c>ot.sinkhorn</c> solves the same masked problem independently, from its own float64 normalisation and
/// cost matrix (M = ‖x̂_i − x̂_j‖² or e^{‖x̂_i − x̂_j‖² − κ}, +∞ on the diagonal and the i ± B positives, which POT turns
/// into K = 0). Everything Python does happens once, in <see cref="PotCliCases"/>.
/// </summary>
public sealed class PotCliCases : IDisposable
{
    /// <summary>One problem: a numpy batch and the parameters both solvers get.</summary>
    public sealed record Case(string Name, int N, int D, int Seed, string Dtype, string Cost, double Kappa, double Eps);

    public static readonly IReadOnlyList<Case> All = BuildCases();

    private readonly TempDirectory _temp = new();

    public PotCliCases()
    {
        var payload = JsonSerializer.Serialize(All.Select(c => new
        {
            name = c.Name, n = c.N, d = c.D, seed = c.Seed, dtype = c.Dtype, cost = c.Cost, kappa = c.Kappa, eps = c.Eps,
        }));
        string stdout = Python.Run(["-c", Script, _temp.Path, payload], timeout: TimeSpan.FromMinutes(5));
        using var doc = JsonDocument.Parse(stdout);
        PotRuns = doc.RootElement.EnumerateObject().ToDictionary(
            p => p.Name, p => (Error: p.Value.GetProperty("err").GetDouble(), Iterations: p.Value.GetProperty("niter").GetInt32()));
    }

    /// <summary>POT's final column-marginal error (2-norm) and iteration count per case.</summary>
    public IReadOnlyDictionary<string, (double Error, int Iterations)> PotRuns { get; }

    public string EmbeddingsPath(Case c) => _temp.File($"{c.Name}.x.npy");

    public string PotCouplingPath(Case c) => _temp.File($"{c.Name}.pot.npy");

    public string OutputPath(Case c) => _temp.File($"{c.Name}.ours.npy");

    public void Dispose() => _temp.Dispose();

    private static List<Case> BuildCases()
    {
        var cases = new List<Case>();
        foreach (var (n, d) in new[] { (8, 32), (64, 32), (256, 64) })
            foreach (var dtype in new[] { "float32", "float64" })
                foreach (var (cost, kappa) in new[] { ("sqeuclid", 0.0), ("exp", 1.0) })
                    foreach (var eps in new[] { 0.1, 0.5 })
                    {
                        int seed = 1000 * n + 100 * (dtype == "float32" ? 1 : 2) + 10 * (cost == "exp" ? 1 : 0) + (eps < 0.3 ? 1 : 2);
                        cases.Add(new Case($"n{n}-{dtype}-{cost}-eps{eps.ToString(CultureInfo.InvariantCulture)}", n, d, seed, dtype, cost, kappa, eps));
                    }

        return cases;
    }

    // Any POT warning (numerical errors, no convergence) is raised as an error so the fixture fails loudly.
    private const string Script = """
import json, sys, warnings
import numpy as np
import ot

out, cases = sys.argv[1], json.loads(sys.argv[2])
results = {}
for c in cases:
    rng = np.random.default_rng(c['seed'])
    n, d = c['n'], c['d']
    # Row magnitudes spread over four decades: only directions matter after normalisation.
    x = rng.standard_normal((n, d)) * 10.0 ** rng.uniform(-2, 2, size=(n, 1))
    x = x.astype(c['dtype'])
    np.save(f"{out}/{c['name']}.x.npy", x)
    xh = x.astype(np.float64)
    xh /= np.linalg.norm(xh, axis=1, keepdims=True)
    sq = ((xh[:, None, :] - xh[None, :, :]) ** 2).sum(axis=-1)
    M = sq if c['cost'] == 'sqeuclid' else np.exp(sq - c['kappa'])
    i = np.arange(n)
    M[i, i] = np.inf
    M[i, (i + n // 2) % n] = np.inf
    a = np.full(n, 1.0 / n)
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        P, log = ot.sinkhorn(a, a, M, reg=c['eps'], numItermax=100000, stopThr=1e-12, log=True)
    np.save(f"{out}/{c['name']}.pot.npy", P)
    results[c['name']] = {'err': float(log['err'][-1]), 'niter': int(log['niter'])}
print(json.dumps(results))
""";
}

/// <summary>
/// <c>hardnegot weights --solver reference --tolerance 1e-10</c> against POT 0.8.2 on numpy-made inputs: the couplings agree
/// to max |P_ours − P_pot|·N ≤ 1e-6. Entries are ~1/N², so scaling by N measures the error relative to a row's mass 1/N:
/// this is stricter than a plain 1e-6 on the entries.
/// </summary>
public sealed class WeightsPotAgreementTests(PotCliCases fixture, ITestOutputHelper output) : IClassFixture<PotCliCases>
{
    private const double Bound = 1e-6;

    public static TheoryData<string> CaseNames() => new(PotCliCases.All.Select(c => c.Name));

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Reference_coupling_agrees_with_POT(string name)
    {
        var c = PotCliCases.All.Single(x => x.Name == name);
        var pot = fixture.PotRuns[name];
        Assert.True(pot.Error < 1e-11, $"{name}: POT stopped at marginal error {pot.Error} after {pot.Iterations} iterations");

        var args = new List<string>
        {
            "weights", "--embeddings", fixture.EmbeddingsPath(c), "--solver", "reference", "--tolerance", "1e-10",
            "--max-iterations", "100000", "--layout", "two-view", "--cost", c.Cost, "--epsilon", c.Eps.ToString("R", CultureInfo.InvariantCulture),
            "--out", fixture.OutputPath(c),
        };
        if (c.Cost == "exp") args.AddRange(["--kappa", c.Kappa.ToString("R", CultureInfo.InvariantCulture)]);
        CliRunner.RunOk([.. args]);

        var ours = NpyFile.ReadMatrixAsFloat64(fixture.OutputPath(c));
        var reference = NpyFile.ReadMatrixAsFloat64(fixture.PotCouplingPath(c));
        Assert.Equal((c.N, c.N), (ours.Rows, ours.Columns));
        double worst = 0;
        int worstIndex = 0;
        for (int k = 0; k < ours.Data.Length; k++)
        {
            double delta = Math.Abs(ours.Data[k] - reference.Data[k]);
            if (delta > worst) (worst, worstIndex) = (delta, k);
        }

        double scaled = worst * c.N;
        output.WriteLine($"{name}: max|ΔP|·N = {scaled:E2} at ({worstIndex / c.N}, {worstIndex % c.N}); POT err {pot.Error:E1} after {pot.Iterations} iterations");
        Assert.True(scaled <= Bound,
            $"{name}: max|P_ours − P_pot|·N = {scaled:E3} > {Bound:E0} at ({worstIndex / c.N}, {worstIndex % c.N}): " +
            $"ours {ours.Data[worstIndex]:E6}, POT {reference.Data[worstIndex]:E6}");
    }
}
