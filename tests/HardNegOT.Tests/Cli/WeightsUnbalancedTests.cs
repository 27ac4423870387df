using System.Globalization;
using System.Text.Json;
using HardNegOT.IO;
using HardNegOT.Testing;
using HardNegOT.Tests.Support;
using Xunit.Abstractions;

namespace HardNegOT.Tests.Cli;

/// <summary>
/// numpy-made batches (seeded) and POT 0.8.2's <c>ot.unbalanced.sinkhorn_unbalanced</c> on the same masked problem, built
/// by numpy from its own float64 normalisation. POT's entropy is relative to the all-ones measure, ours to a⊗b; with
/// a = b = 1/N that is the cost shift M′ = M − ε·log a_i − ε·log b_j = M + 2ε·log N (docs/solvers.md), reg = ε, reg_m = ρ.
/// </summary>
public sealed class PotUnbalancedCliCases : IDisposable
{
    public sealed record Case(string Name, int N, int D, int Seed, string Cost, double Eps, double Rho);

    public static readonly IReadOnlyList<Case> All = BuildCases();

    private readonly TempDirectory _temp = new();

    public PotUnbalancedCliCases()
    {
        var payload = JsonSerializer.Serialize(All.Select(c => new { name = c.Name, n = c.N, d = c.D, seed = c.Seed, cost = c.Cost, eps = c.Eps, rho = c.Rho }));
        string stdout = Python.Run(["-c", Script, _temp.Path, payload], timeout: TimeSpan.FromMinutes(5));
        using var doc = JsonDocument.Parse(stdout);
        PotErrors = doc.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble());
    }

    /// <summary>POT's final relative change of its scalings per case.</summary>
    public IReadOnlyDictionary<string, double> PotErrors { get; }

    public string EmbeddingsPath(Case c) => _temp.File($"{c.Name}.x.npy");

    public string PotPlanPath(Case c) => _temp.File($"{c.Name}.pot.npy");

    public string OutputPath(Case c, string solver) => _temp.File($"{c.Name}.{solver}.npy");

    public void Dispose() => _temp.Dispose();

    private static List<Case> BuildCases()
    {
        var cases = new List<Case>();
        foreach (var (n, d) in new[] { (8, 16), (64, 32) })
            foreach (var (cost, eps, rho) in new[] { ("sqeuclid", 0.1, 0.5), ("sqeuclid", 0.5, 5.0), ("exp", 0.5, 1.0) })
                cases.Add(new Case(
                    string.Create(CultureInfo.InvariantCulture, $"n{n}-{cost}-eps{eps}-rho{rho}"), n, d, 100 * n + (int)(10 * rho), cost, eps, rho));
        return cases;
    }

    private const string Script = """
import json, sys, warnings
import numpy as np
import ot

out, cases = sys.argv[1], json.loads(sys.argv[2])
errors = {}
for c in cases:
    rng = np.random.default_rng(c['seed'])
    n, d, eps = c['n'], c['d'], c['eps']
    x = (rng.standard_normal((n, d)) * 10.0 ** rng.uniform(-2, 2, size=(n, 1))).astype(np.float32)
    np.save(f"{out}/{c['name']}.x.npy", x)
    xh = x.astype(np.float64)
    xh /= np.linalg.norm(xh, axis=1, keepdims=True)
    sq = ((xh[:, None, :] - xh[None, :, :]) ** 2).sum(axis=-1)
    M = sq if c['cost'] == 'sqeuclid' else np.exp(sq - 1.0)
    i = np.arange(n)
    M[i, i] = np.inf
    M[i, (i + n // 2) % n] = np.inf
    a = np.full(n, 1.0 / n)
    M = M - eps * np.log(a)[:, None] - eps * np.log(a)[None, :]
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        P, log = ot.unbalanced.sinkhorn_unbalanced(a, a, M, eps, c['rho'], method='sinkhorn',
                                                   numItermax=200000, stopThr=1e-14, log=True)
    np.save(f"{out}/{c['name']}.pot.npy", P)
    errors[c['name']] = float(log['err'][-1])
print(json.dumps(errors))
""";
}

/// <summary>
/// <c>hardnegot weights --rho</c>: the unbalanced plan agrees with POT (reference solver: max|ΔP|·N ≤ 1e-9; cpu
/// conditional weights within 1e-4), the diagnostics report the relaxation honestly, the one-sided options keep the
/// other side hard, and bad strengths are bad input.
/// </summary>
public sealed class WeightsUnbalancedTests(PotUnbalancedCliCases fixture, ITestOutputHelper output) : IClassFixture<PotUnbalancedCliCases>, IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    public static TheoryData<string> CaseNames() => new(PotUnbalancedCliCases.All.Select(c => c.Name));

    private static string Invariant(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private string[] Args(PotUnbalancedCliCases.Case c, string solver, params string[] extra) =>
    [
        "weights", "--embeddings", fixture.EmbeddingsPath(c), "--layout", "two-view", "--cost", c.Cost, "--epsilon", Invariant(c.Eps),
        "--rho", Invariant(c.Rho), "--solver", solver, "--max-iterations", "200000", "--out", fixture.OutputPath(c, solver), .. extra,
    ];

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Reference_plan_agrees_with_POT(string name)
    {
        var c = PotUnbalancedCliCases.All.Single(x => x.Name == name);
        Assert.True(fixture.PotErrors[name] < 1e-12, $"{name}: POT stopped at {fixture.PotErrors[name]}");
        string json = _temp.File("d.json");
        var result = CliRunner.RunOk(Args(c, "reference", "--tolerance", "1e-12", "--json", json));

        var ours = NpyFile.ReadMatrixAsFloat64(fixture.OutputPath(c, "reference"));
        var pot = NpyFile.ReadMatrixAsFloat64(fixture.PotPlanPath(c));
        Assert.Equal((c.N, c.N), (ours.Rows, ours.Columns));
        double worst = 0;
        for (int k = 0; k < ours.Data.Length; k++) worst = Math.Max(worst, Math.Abs(ours.Data[k] - pot.Data[k]));
        output.WriteLine($"{name}: max|ΔP|·N = {worst * c.N:E2}, mass {ours.Data.Sum():F6} vs POT {pot.Data.Sum():F6}");
        Assert.True(worst * c.N <= 1e-9, $"{name}: max|P_ours − P_pot|·N = {worst * c.N:E3}");

        // The diagnostics describe a relaxed plan: mass below 1, marginal errors that are not 0, a small dual change.
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var root = doc.RootElement;
        Assert.Equal(c.Rho, root.GetProperty("rhoA").GetDouble());
        Assert.Equal(c.Rho, root.GetProperty("rhoB").GetDouble());
        Assert.Equal(pot.Data.Sum(), root.GetProperty("planMass").GetDouble(), 1e-9);
        Assert.True(root.GetProperty("dualChange").GetDouble() <= 1e-12);
        Assert.True(root.GetProperty("marginalError").GetDouble() > 1e-3);
        Assert.True(root.GetProperty("columnMarginalError").GetDouble() > 1e-3);
        Assert.Matches(@"(?m)^dual change\s+", result.Stdout);
        Assert.Contains("(unbalanced)", result.Stdout);
    }

    [Theory]
    [InlineData("n64-sqeuclid-eps0.1-rho0.5")]
    [InlineData("n64-exp-eps0.5-rho1")]
    public void Cpu_conditional_weights_agree_with_POT(string name)
    {
        var c = PotUnbalancedCliCases.All.Single(x => x.Name == name);
        CliRunner.RunOk(Args(c, "cpu", "--tolerance", "1e-6", "--conditional"));
        var ours = NpyFile.ReadMatrixAsFloat64(fixture.OutputPath(c, "cpu")).Data;
        var pot = NpyFile.ReadMatrixAsFloat64(fixture.PotPlanPath(c)).Data;
        int n = c.N;
        for (int i = 0; i < n; i++)
        {
            double row = 0;
            for (int j = 0; j < n; j++) row += pot[i * n + j];
            for (int j = 0; j < n; j++)
                Assert.True(Math.Abs(ours[i * n + j] - pot[i * n + j] / row) <= 1e-4,
                    $"{name}: weight ({i}, {j}) = {ours[i * n + j]:R}, POT {pot[i * n + j] / row:R}");
        }
    }

    [Fact]
    public void Rho_equals_both_one_sided_options_and_a_hard_side_stays_hard()
    {
        var batch = new SphereBatch(SphereKind.Clustered, 12, 4, Seed: 3);
        string x = _temp.File("x.npy");
        NpyFile.WriteFloat32(x, batch.Data, 12, 4);
        string[] common = ["weights", "--embeddings", x, "--layout", "two-view", "--cost", "sqeuclid", "--epsilon", "0.3", "--solver", "reference", "--tolerance", "1e-12"];
        CliRunner.RunOk([.. common, "--rho", "2", "--out", _temp.File("both.npy")]);
        CliRunner.RunOk([.. common, "--rho-a", "2", "--rho-b", "2", "--out", _temp.File("sides.npy")]);
        Assert.Equal(File.ReadAllBytes(_temp.File("both.npy")), File.ReadAllBytes(_temp.File("sides.npy")));

        CliRunner.RunOk([.. common, "--rho-a", "2", "--out", _temp.File("rows.npy")]);
        var plan = NpyFile.ReadMatrixAsFloat64(_temp.File("rows.npy")).Data;
        double rowError = 0;
        for (int j = 0; j < 12; j++)
        {
            double column = 0, row = 0;
            for (int i = 0; i < 12; i++)
            {
                column += plan[i * 12 + j];
                row += plan[j * 12 + i];
            }
            Assert.Equal(1.0 / 12, column, 1e-11);
            rowError += Math.Abs(row - 1.0 / 12);
        }
        Assert.True(rowError > 1e-4, $"the relaxed rows met a exactly ({rowError})");

        // ρ = Infinity on both sides is the balanced problem, to the bit.
        CliRunner.RunOk([.. common, "--rho", "Infinity", "--out", _temp.File("inf.npy")]);
        CliRunner.RunOk([.. common, "--out", _temp.File("balanced.npy")]);
        Assert.Equal(File.ReadAllBytes(_temp.File("balanced.npy")), File.ReadAllBytes(_temp.File("inf.npy")));
    }

    [Fact]
    public void Kernel_solver_on_the_cpu_accelerator_matches_the_reference()
    {
        var batch = new SphereBatch(SphereKind.Random, 12, 5, Seed: 4);
        string x = _temp.File("x.npy");
        NpyFile.WriteFloat32(x, batch.Data, 12, 5);
        string[] common = ["weights", "--embeddings", x, "--layout", "two-view", "--cost", "sqeuclid", "--epsilon", "0.5", "--rho", "1", "--conditional"];
        CliRunner.RunOk([.. common, "--solver", "reference", "--out", _temp.File("ref.npy")]);
        CliRunner.RunOk([.. common, "--solver", "kernel", "--device", "cpu", "--tolerance", "1e-6", "--out", _temp.File("kernel.npy")]);
        var expected = NpyFile.ReadMatrixAsFloat64(_temp.File("ref.npy")).Data;
        var actual = NpyFile.ReadMatrixAsFloat64(_temp.File("kernel.npy")).Data;
        for (int k = 0; k < expected.Length; k++)
            Assert.True(Math.Abs(expected[k] - actual[k]) <= 1e-4, $"entry {k}: kernel {actual[k]:R}, reference {expected[k]:R}");
    }

    [Theory]
    [InlineData("--rho", "0", "positive")]
    [InlineData("--rho", "-1", "positive")]
    [InlineData("--rho", "NaN", "positive")]
    [InlineData("--rho-a", "0", "positive")]
    [InlineData("--rho-b", "-2.5", "positive")]
    [InlineData("--rho", "abc", "abc")]
    public void Bad_strengths_are_bad_input(string option, string value, string mention)
    {
        var batch = new SphereBatch(SphereKind.Random, 8, 3, Seed: 1);
        string x = _temp.File("x.npy"), outPath = _temp.File("out.npy");
        NpyFile.WriteFloat32(x, batch.Data, 8, 3);
        var result = CliRunner.Run("weights", "--embeddings", x, "--layout", "two-view", "--cost", "sqeuclid", "--epsilon", "0.5",
            option, value, "--out", outPath);
        AssertBadInput(result, outPath, option, mention);
    }

    [Fact]
    public void Rho_with_a_one_sided_option_is_bad_input()
    {
        var batch = new SphereBatch(SphereKind.Random, 8, 3, Seed: 1);
        string x = _temp.File("x.npy"), outPath = _temp.File("out.npy");
        NpyFile.WriteFloat32(x, batch.Data, 8, 3);
        var result = CliRunner.Run("weights", "--embeddings", x, "--layout", "two-view", "--cost", "sqeuclid", "--epsilon", "0.5",
            "--rho", "1", "--rho-b", "2", "--out", outPath);
        AssertBadInput(result, outPath, "--rho", "--rho-a/--rho-b");
    }

    private static void AssertBadInput(CliResult result, string outPath, params string[] mentions)
    {
        Assert.True(result.ExitCode == 2, result.ToString());
        var line = Assert.Single(result.ErrorLines);
        Assert.StartsWith("error: ", line);
        foreach (var mention in mentions)
            Assert.True(line.Contains(mention, StringComparison.Ordinal), $"the error should name '{mention}':\n{result}");
        Assert.Equal(string.Empty, result.Stdout);
        Assert.False(File.Exists(outPath));
    }
}
