using System.Globalization;
using System.Text.Json;
using HardNegOT.IO;
using HardNegOT.Tests.Support;

namespace HardNegOT.Tests.Cli;

/// <summary>
/// Cost matrices numpy wrote (float32 and float64, seeded) and POT's <c>ot.emd</c> optimum for each, computed once in one
/// Python run; the CLI never saw these files before.
/// </summary>
public sealed class AssignCliCases : IDisposable
{
    public sealed record Case(string Name, int N, string Dtype, int Seed);

    public static readonly IReadOnlyList<Case> All =
    [
        new("sphere-n64-float32", 64, "float32", 1),
        new("sphere-n200-float64", 200, "float64", 2),
        new("signed-n150-float64", 150, "float64", 3),
    ];

    private readonly TempDirectory _temp = new();

    public AssignCliCases()
    {
        var payload = JsonSerializer.Serialize(All.Select(c => new { name = c.Name, n = c.N, dtype = c.Dtype, seed = c.Seed }));
        string stdout = Python.Run(["-c", Script, _temp.Path, payload], timeout: TimeSpan.FromMinutes(5));
        using var doc = JsonDocument.Parse(stdout);
        PotTotals = doc.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble());
    }

    /// <summary>POT's optimal total cost (unit masses) of the matrix as stored in the file.</summary>
    public IReadOnlyDictionary<string, double> PotTotals { get; }

    public string CostPath(Case c) => _temp.File($"{c.Name}.npy");

    public string OutputPath(Case c, string solver) => _temp.File($"{c.Name}.{solver}.perm.npy");

    public void Dispose() => _temp.Dispose();

    // Sphere cases: squared distances between two clouds on the unit sphere in R^8; signed: uniform in [-3, 3].
    private const string Script = """
import json, sys
import numpy as np
import ot

out, cases = sys.argv[1], json.loads(sys.argv[2])
totals = {}
for c in cases:
    rng = np.random.default_rng(c['seed'])
    n = c['n']
    if c['name'].startswith('sphere'):
        x = rng.standard_normal((n, 8)); x /= np.linalg.norm(x, axis=1, keepdims=True)
        y = rng.standard_normal((n, 8)); y /= np.linalg.norm(y, axis=1, keepdims=True)
        M = ((x[:, None, :] - y[None, :, :]) ** 2).sum(-1)
    else:
        M = rng.uniform(-3, 3, size=(n, n))
    M = M.astype(c['dtype'])
    np.save(f"{out}/{c['name']}.npy", M)
    ones = np.ones(n)
    G, log = ot.emd(ones, ones, M.astype(np.float64), numItermax=10_000_000, log=True)
    if log['result_code'] != 1:
        raise SystemExit(f"{c['name']}: POT result_code {log['result_code']}")
    totals[c['name']] = float(log['cost'])
print(json.dumps(totals))
""";
}

/// <summary><c>hardnegot assign</c> on numpy-written matrices agrees with POT; numpy reads its output back.</summary>
public sealed class AssignCommandTests(AssignCliCases fixture) : IClassFixture<AssignCliCases>
{
    public static TheoryData<string> CaseNames() => new(AssignCliCases.All.Select(c => c.Name));

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Exact_matches_POT_emd(string name)
    {
        var c = AssignCliCases.All.Single(x => x.Name == name);
        string output = fixture.OutputPath(c, "exact");
        var result = CliRunner.RunOk("assign", "--cost", fixture.CostPath(c), "--out", output);

        double pot = fixture.PotTotals[name];
        double total = TotalOf(fixture.CostPath(c), output, c.N);
        double tolerance = 1e-9 * Math.Max(1, Math.Abs(pot));
        Assert.True(Math.Abs(total - pot) <= tolerance, $"{name}: permutation total {total:R}, POT {pot:R}\n{result}");
        Assert.True(Math.Abs(PrintedTotal(result) - pot) <= tolerance, $"{name}: printed total vs POT {pot:R}\n{result}");
        Assert.Contains("solver", result.Stdout);
        Assert.DoesNotContain("optimum +", result.Stdout);
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Approx_is_within_n_delta_of_POT_and_prints_the_bound(string name)
    {
        var c = AssignCliCases.All.Single(x => x.Name == name);
        string output = fixture.OutputPath(c, "approx");
        const double delta = 0.02;
        var result = CliRunner.RunOk("assign", "--cost", fixture.CostPath(c), "--solver", "approx", "--delta", "0.02", "--out", output);

        double pot = fixture.PotTotals[name];
        double total = TotalOf(fixture.CostPath(c), output, c.N);
        Assert.True(total <= pot + c.N * delta + 1e-9, $"{name}: total {total:R} > POT {pot:R} + n·δ\n{result}");
        Assert.True(Math.Abs(PrintedTotal(result) - total) <= 1e-9 * Math.Max(1, Math.Abs(total)), result.ToString());
        string bound = (c.N * delta).ToString("R", CultureInfo.InvariantCulture);
        Assert.Contains($"total cost <= optimum + {bound}", result.Stdout);
    }

    [Fact]
    public void Numpy_reads_the_permutation_as_int64()
    {
        var c = AssignCliCases.All[0];
        string output = fixture.OutputPath(c, "numpy");
        CliRunner.RunOk("assign", "--cost", fixture.CostPath(c), "--out", output);
        string report = Python.RunScript(
            "import sys, numpy as np; p = np.load(sys.argv[1]); print(p.dtype, p.shape, sorted(p.tolist()) == list(range(len(p))))", output);
        Assert.Equal($"int64 ({c.N},) True", report.Trim());
    }

    /// <summary>Σ_i C[i, perm[i]] from the files, in double (float32 entries widen exactly, as numpy's astype does).</summary>
    private static double TotalOf(string costPath, string permutationPath, int n)
    {
        var cost = NpyFile.ReadMatrixAsFloat64(costPath);
        var perm = NpyVectors.ReadInt64(permutationPath);
        Assert.Equal(n, perm.Length);
        Assert.Equal(Enumerable.Range(0, n).Select(i => (long)i), perm.Order());
        double total = 0;
        for (int i = 0; i < n; i++) total += cost[i, (int)perm[i]];
        return total;
    }

    private static double PrintedTotal(CliResult result)
    {
        var line = result.Stdout.Split('\n').Single(l => l.StartsWith("total cost", StringComparison.Ordinal));
        return double.Parse(line["total cost".Length..].Trim(), CultureInfo.InvariantCulture);
    }
}

/// <summary>
/// Every bad input to <c>hardnegot assign</c> exits 2 with one "error: " line naming the input, nothing on stdout, no
/// stack trace and no output file.
/// </summary>
public sealed class AssignBadInputTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public AssignBadInputTests()
    {
        Good = _temp.File("good.npy");
        NpyFile.WriteFloat64(Good, Enumerable.Range(0, 16).Select(k => (double)(k * 7 % 5)).ToArray(), 4, 4);
        Out = _temp.File("perm.npy");
    }

    private string Good { get; }

    private string Out { get; }

    public void Dispose() => _temp.Dispose();

    private void AssertBadInput(string[] args, params string[] mentions)
    {
        var result = CliRunner.Run(["assign", .. args]);
        string context = $"hardnegot assign {string.Join(' ', args)}\n{result}";
        Assert.True(result.ExitCode == 2, context);
        var line = Assert.Single(result.ErrorLines);
        Assert.StartsWith("error: ", line);
        foreach (var mention in mentions)
            Assert.True(line.Contains(mention, StringComparison.Ordinal), $"the error should name '{mention}':\n{context}");
        Assert.DoesNotContain(" at HardNegOT", result.Stderr);
        Assert.Equal(string.Empty, result.Stdout);
        Assert.False(File.Exists(Out), $"no output should be written:\n{context}");
    }

    [Fact]
    public void Missing_cost_file()
    {
        string missing = _temp.File("nope.npy");
        AssertBadInput(["--cost", missing, "--out", Out], "--cost", missing, "does not exist");
    }

    [Fact]
    public void Non_square_matrix()
    {
        string path = _temp.File("wide.npy");
        NpyFile.WriteFloat32(path, new float[12], 3, 4);
        AssertBadInput(["--cost", path, "--out", Out], "--cost", path, "3×4", "square");
    }

    [Theory]
    [InlineData("exact")]
    [InlineData("approx")]
    public void NaN_entry(string solver)
    {
        var data = new float[9];
        data[1 * 3 + 2] = float.NaN;
        string path = _temp.File("nan.npy");
        NpyFile.WriteFloat32(path, data, 3, 3);
        string[] extra = solver == "approx" ? ["--delta", "0.1"] : [];
        AssertBadInput(["--cost", path, "--solver", solver, .. extra, "--out", Out], "--cost", path, "[1, 2] = NaN");
    }

    [Fact]
    public void Infinite_entry()
    {
        var data = new double[4];
        data[2] = double.PositiveInfinity;
        string path = _temp.File("inf.npy");
        NpyFile.WriteFloat64(path, data, 2, 2);
        AssertBadInput(["--cost", path, "--out", Out], "--cost", "[1, 0]", "finite");
    }

    [Fact]
    public void One_dimensional_file()
    {
        string path = _temp.File("vector.npy");
        NpyFile.WriteFloat64(path, new double[4], 4);
        AssertBadInput(["--cost", path, "--out", Out], "--cost", path, "2-D");
    }

    [Fact]
    public void Approx_without_delta() => AssertBadInput(["--cost", Good, "--solver", "approx", "--out", Out], "--delta");

    [Fact]
    public void Delta_with_the_exact_solver() => AssertBadInput(["--cost", Good, "--delta", "0.1", "--out", Out], "--delta", "exact");

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("NaN")]
    public void Delta_not_positive(string delta) =>
        AssertBadInput(["--cost", Good, "--solver", "approx", "--delta", delta, "--out", Out], "--delta", $"got {delta}");

    [Fact]
    public void Unknown_solver() => AssertBadInput(["--cost", Good, "--solver", "hungarian", "--out", Out], "--solver", "hungarian");

    [Fact]
    public void Missing_out() => AssertBadInput(["--cost", Good], "--out");

    [Fact]
    public void Output_directory_that_does_not_exist()
    {
        string output = Path.Combine(_temp.Path, "no-such-dir", "perm.npy");
        var result = CliRunner.Run("assign", "--cost", Good, "--out", output);
        Assert.True(result.ExitCode == 2, result.ToString());
        var line = Assert.Single(result.ErrorLines);
        Assert.StartsWith("error: --out: cannot write", line);
        Assert.Contains(output, line);
    }
}
