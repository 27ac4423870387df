using System.Globalization;
using System.Text.Json;
using HardNegOT.Assignment;
using HardNegOT.IO;
using HardNegOT.Tests.Support;
using Xunit.Abstractions;

namespace HardNegOT.Tests.Assignment;

/// <summary>
/// Fixed-seed cost matrices written with <see cref="NpyFile"/> and solved once by POT 0.8.2's network simplex
/// (<c>ot.emd(1, 1, M)</c>, unit masses, so the optimal value is the total assignment cost) in one Python run.
/// </summary>
public sealed class PotAssignmentCases : IDisposable
{
    public sealed record Case(string Name, CostKind Kind, int N, int Seed)
    {
        public double[] Cost() => CostMatrices.Make(Kind, N, Seed);
    }

    public static readonly IReadOnlyList<Case> All =
    [
        .. from n in new[] { 16, 128, 512 }
           from kind in new[] { CostKind.Sphere, CostKind.UniformSigned, CostKind.SmallIntegers }
           select new Case($"{kind}-n{n}", kind, n, Seed: 7 * n + (int)kind),
    ];

    private readonly string _directory = Directory.CreateTempSubdirectory("hardnegot-assign-pot-").FullName;

    public PotAssignmentCases()
    {
        foreach (var c in All) NpyFile.WriteFloat64(MatrixPath(c), c.Cost(), c.N, c.N);
        string stdout = Python.Run(["-c", Script, _directory, JsonSerializer.Serialize(All.Select(c => c.Name))], timeout: TimeSpan.FromMinutes(5));
        using var doc = JsonDocument.Parse(stdout);
        Totals = doc.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble());
    }

    /// <summary>POT's optimal total cost per case.</summary>
    public IReadOnlyDictionary<string, double> Totals { get; }

    public string MatrixPath(Case c) => Path.Combine(_directory, $"{c.Name}.npy");

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

    // POT must report an optimal solve (result_code 1) on a 0/1 plan; anything else fails the fixture loudly.
    private const string Script = """
import json, sys
import numpy as np
import ot

out, names = sys.argv[1], json.loads(sys.argv[2])
totals = {}
for name in names:
    M = np.load(f"{out}/{name}.npy")
    n = M.shape[0]
    ones = np.ones(n)
    G, log = ot.emd(ones, ones, M, numItermax=10_000_000, log=True)
    if log['result_code'] != 1:
        raise SystemExit(f"{name}: POT result_code {log['result_code']}: {log['warning']}")
    if not np.allclose(G, np.round(G)):
        raise SystemExit(f"{name}: POT plan is not 0/1")
    totals[name] = float(log['cost'])
print(json.dumps(totals))
""";
}

/// <summary>The exact solver's total cost equals POT's optimum; the approximate one is within n·δ of it.</summary>
public sealed class AssignmentPotAgreementTests(PotAssignmentCases fixture, ITestOutputHelper output) : IClassFixture<PotAssignmentCases>
{
    public static TheoryData<string> CaseNames() => new(PotAssignmentCases.All.Select(c => c.Name));

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Exact_total_equals_POT_emd(string name)
    {
        var c = PotAssignmentCases.All.Single(x => x.Name == name);
        var cost = c.Cost();
        double pot = fixture.Totals[name];
        var result = ExactAssignment.Solve(cost, c.N, c.N);
        double tolerance = CostMatrices.Tolerance(cost, c.N);
        output.WriteLine($"{name}: ours {result.TotalCost.ToString("R", CultureInfo.InvariantCulture)}, POT {pot.ToString("R", CultureInfo.InvariantCulture)}");
        Assert.True(Math.Abs(result.TotalCost - pot) <= tolerance, $"{name}: ours {result.TotalCost:R}, POT {pot:R}");
        CostMatrices.AssertPermutation(result.Permutation, c.N, name);
        CostMatrices.AssertDuals(result, cost, c.N, tight: true, tolerance, name);
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Approximate_total_is_within_n_delta_of_POT_emd(string name)
    {
        var c = PotAssignmentCases.All.Single(x => x.Name == name);
        var cost = c.Cost();
        double pot = fixture.Totals[name];
        double delta = 0.01 * (cost.Max() - cost.Min());
        var result = ApproximateAssignment.Solve(cost, c.N, c.N, delta);
        double tolerance = CostMatrices.Tolerance(cost, c.N);
        Assert.True(result.TotalCost <= pot + c.N * delta + tolerance, $"{name}: ours {result.TotalCost:R}, POT {pot:R}, n·δ = {c.N * delta:G4}");
        Assert.True(result.DualBound <= pot + tolerance, $"{name}: dual bound {result.DualBound:R} above POT's optimum {pot:R}");
    }
}
