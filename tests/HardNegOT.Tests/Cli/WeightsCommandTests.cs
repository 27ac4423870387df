using System.Text.Json;
using HardNegOT.Costs;
using HardNegOT.Geometry;
using HardNegOT.IO;
using HardNegOT.Problems;
using HardNegOT.Solvers;
using HardNegOT.Testing;

namespace HardNegOT.Tests.Cli;

/// <summary><c>hardnegot weights</c> on small random batches: files, shapes, agreement with the library, JSON, exit codes.</summary>
public sealed class WeightsCommandTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private string WriteBatch(SphereBatch batch, string name = "x.npy")
    {
        string path = _temp.File(name);
        NpyFile.WriteFloat32(path, batch.Data, batch.Count, batch.Dimension);
        return path;
    }

    [Theory]
    [InlineData("reference", "sqeuclid", 0.5)]
    [InlineData("cpu", "exp", 0.25)]
    [InlineData("cpu", "cosine", 0.1)]
    public void Writes_the_NxN_float64_coupling_the_library_computes(string solver, string cost, double epsilon)
    {
        var batch = new SphereBatch(SphereKind.Random, 12, 5, Seed: 3);
        string x = WriteBatch(batch), output = _temp.File("p.npy");
        var eps = epsilon.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        var result = CliRunner.RunOk("weights", "--embeddings", x, "--layout", "two-view", "--cost", cost, "--epsilon", eps,
            "--solver", solver, "--out", output);

        var header = NpyFile.ReadHeader(output);
        Assert.Equal("<f8", header.Descr);
        Assert.Equal([12L, 12L], header.Shape);

        var problem = new EntropicProblem(
            new PointCloudGeometry(batch.Data, 12, 5, GroundCost.Parse(cost), BatchLayout.TwoView(6)), epsilon);
        ISinkhornSolver library = solver == "reference" ? new ReferenceSinkhorn() : new CpuSinkhorn();
        var options = solver == "reference" ? SinkhornOptions.Reference : SinkhornOptions.Fast;
        var expected = library.Solve(problem, options).ToMatrix();
        var actual = NpyFile.ReadMatrixAsFloat64(output).Data;
        // Same input, same solver, same options: the file holds the library's coupling bit for bit.
        Assert.Equal(expected, actual);
        Assert.Contains($"solver", result.Stdout);
        Assert.Empty(result.Stderr);
    }

    [Fact]
    public void Conditional_rows_sum_to_one_and_masked_entries_are_zero()
    {
        var batch = new SphereBatch(SphereKind.Clustered, 16, 4, Seed: 11);
        string x = WriteBatch(batch), output = _temp.File("w.npy");
        CliRunner.RunOk("weights", "--embeddings", x, "--layout", "two-view", "--cost", "sqeuclid", "--epsilon", "0.2",
            "--out", output, "--conditional");
        var w = NpyFile.ReadMatrixAsFloat64(output);
        Assert.Equal((16, 16), (w.Rows, w.Columns));
        for (int i = 0; i < 16; i++)
        {
            Assert.Equal(1.0, w.Row(i).ToArray().Sum(), 1e-12);
            Assert.Equal(0.0, w[i, i]);
            Assert.Equal(0.0, w[i, (i + 8) % 16]);
        }
    }

    [Fact]
    public void Layout_none_masks_only_the_diagonal()
    {
        var batch = new SphereBatch(SphereKind.Random, 7, 3, Seed: 5);
        string x = WriteBatch(batch), output = _temp.File("w.npy");
        CliRunner.RunOk("weights", "--embeddings", x, "--layout", "none", "--cost", "cosine", "--epsilon", "0.5",
            "--out", output, "--conditional");
        var w = NpyFile.ReadMatrixAsFloat64(output);
        for (int i = 0; i < 7; i++)
            for (int j = 0; j < 7; j++)
                Assert.True(i == j ? w[i, j] == 0 : w[i, j] > 0, $"w[{i},{j}] = {w[i, j]}");
    }

    [Fact]
    public void Json_holds_every_diagnostic_in_camel_case_and_matches_the_library()
    {
        var batch = new SphereBatch(SphereKind.Random, 20, 6, Seed: 8);
        string x = WriteBatch(batch), json = _temp.File("d.json");
        var result = CliRunner.RunOk("weights", "--embeddings", x, "--layout", "two-view", "--cost", "exp", "--kappa", "0.5",
            "--epsilon", "0.3", "--solver", "reference", "--out", _temp.File("p.npy"), "--json", json);

        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var root = doc.RootElement;
        string[] fields =
        [
            "solver", "n", "d", "epsilon", "cost", "kappa", "layout", "tolerance", "maxIterations", "iterations", "marginalError",
            "converged", "expectedSimilarityPlan", "expectedSimilarityUniform", "gain", "effectiveNegatives", "negativesPerAnchor",
        ];
        foreach (var field in fields)
            Assert.True(root.TryGetProperty(field, out _), $"JSON lacks '{field}':\n{root}");
        Assert.False(root.TryGetProperty("sameLabelMassPlan", out _), "no --labels, so no same-label mass");

        var problem = new EntropicProblem(
            new PointCloudGeometry(batch.Data, 20, 6, new ExponentialCost(0.5), BatchLayout.TwoView(10)), 0.3);
        var coupling = new ReferenceSinkhorn().Solve(problem, SinkhornOptions.Reference);
        var hardness = coupling.Hardness();
        Assert.Equal("reference", root.GetProperty("solver").GetString());
        Assert.Equal(20, root.GetProperty("n").GetInt32());
        Assert.Equal(6, root.GetProperty("d").GetInt32());
        Assert.Equal(0.3, root.GetProperty("epsilon").GetDouble());
        Assert.Equal("exp", root.GetProperty("cost").GetString());
        Assert.Equal(0.5, root.GetProperty("kappa").GetDouble());
        Assert.Equal(SinkhornOptions.ReferenceTolerance, root.GetProperty("tolerance").GetDouble());
        Assert.Equal(coupling.Iterations, root.GetProperty("iterations").GetInt32());
        Assert.Equal(coupling.MarginalError, root.GetProperty("marginalError").GetDouble());
        Assert.True(root.GetProperty("converged").GetBoolean());
        Assert.Equal(hardness.ExpectedSimilarityUnderPlan, root.GetProperty("expectedSimilarityPlan").GetDouble());
        Assert.Equal(hardness.ExpectedSimilarityUniform, root.GetProperty("expectedSimilarityUniform").GetDouble());
        Assert.Equal(hardness.Gain, root.GetProperty("gain").GetDouble());
        Assert.Equal(hardness.EffectiveNegatives, root.GetProperty("effectiveNegatives").GetDouble());
        Assert.Equal(18.0, root.GetProperty("negativesPerAnchor").GetDouble(), 1e-12);

        // The text report carries the same numbers, one aligned "label  value" line each.
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, l => l.StartsWith("E_P*[s]", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("effective negatives", StringComparison.Ordinal));
        Assert.Single(lines.Select(l => l.Length - l[l.IndexOf("  ", StringComparison.Ordinal)..].TrimStart().Length).Distinct());
    }

    [Fact]
    public void Labels_report_the_same_label_mass_against_its_uniform_fraction()
    {
        // Two well-separated classes: the hard negatives of each anchor are its own class's other samples.
        var rng = new Random(4);
        int b = 10, n = 2 * b, d = 8;
        var data = new float[n * d];
        var labels = new long[n];
        for (int s = 0; s < b; s++)
        {
            int label = s % 2;
            for (int v = 0; v < 2; v++)
            {
                int row = v * b + s;
                labels[row] = label;
                for (int k = 0; k < d; k++) data[row * d + k] = (k == label ? 5f : 0f) + (float)(rng.NextDouble() - 0.5);
            }
        }

        string x = _temp.File("x.npy"), l = _temp.File("l.npy"), json = _temp.File("d.json");
        NpyFile.WriteFloat32(x, data, n, d);
        NpyFile.WriteInt64(l, labels, n);
        var result = CliRunner.RunOk("weights", "--embeddings", x, "--layout", "two-view", "--cost", "sqeuclid", "--epsilon", "0.1",
            "--out", _temp.File("p.npy"), "--labels", l, "--json", json);

        Assert.Contains("same-label mass", result.Stdout);
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        double plan = doc.RootElement.GetProperty("sameLabelMassPlan").GetDouble();
        double uniform = doc.RootElement.GetProperty("sameLabelMassUniform").GetDouble();
        // Each anchor has 18 negatives, 8 of its own class (its positive is masked).
        Assert.Equal(8.0 / 18.0, uniform, 1e-12);
        Assert.True(plan > 0.99, $"same-label mass {plan}: separated classes should keep the negative weight inside the class");
    }

    [Fact]
    public void A_solve_that_hits_the_cap_exits_3_with_one_line_and_still_writes_its_outputs()
    {
        var batch = new SphereBatch(SphereKind.Clustered, 24, 4, Seed: 2);
        string x = WriteBatch(batch), output = _temp.File("p.npy"), json = _temp.File("d.json");
        var result = CliRunner.Run("weights", "--embeddings", x, "--layout", "two-view", "--cost", "sqeuclid", "--epsilon", "0.05",
            "--solver", "reference", "--tolerance", "1e-14", "--max-iterations", "2", "--out", output, "--json", json);

        Assert.True(result.ExitCode == 3, result.ToString());
        var line = Assert.Single(result.ErrorLines);
        Assert.Matches(@"^did not converge: error \S+ after 2 iterations \(raise --max-iterations or --epsilon\)$", line);
        Assert.True(File.Exists(output));
        Assert.Equal([24L, 24L], NpyFile.ReadHeader(output).Shape);
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        Assert.False(doc.RootElement.GetProperty("converged").GetBoolean());
        Assert.Matches(@"(?m)^converged +NO$", result.Stdout);
    }

    [Fact]
    public void Float64_input_is_accepted_and_gives_the_float32_rounded_coupling()
    {
        var batch = new SphereBatch(SphereKind.Random, 10, 4, Seed: 21);
        string x64 = _temp.File("x64.npy"), x32 = WriteBatch(batch, "x32.npy");
        NpyFile.WriteFloat64(x64, Array.ConvertAll(batch.Data, v => (double)v), 10, 4);
        string[] common = ["--layout", "two-view", "--cost", "sqeuclid", "--epsilon", "0.5", "--solver", "reference"];
        CliRunner.RunOk(["weights", "--embeddings", x64, "--out", _temp.File("p64.npy"), .. common]);
        CliRunner.RunOk(["weights", "--embeddings", x32, "--out", _temp.File("p32.npy"), .. common]);
        Assert.Equal(NpyFile.ReadMatrixAsFloat64(_temp.File("p32.npy")).Data, NpyFile.ReadMatrixAsFloat64(_temp.File("p64.npy")).Data);
    }

    [Fact]
    public void Help_exits_zero_and_lists_every_option()
    {
        var result = CliRunner.RunOk("weights", "--help");
        foreach (var option in new[] { "--embeddings", "--layout", "--cost", "--kappa", "--epsilon", "--tolerance", "--max-iterations",
                     "--solver", "--out", "--conditional", "--json", "--labels" })
            Assert.Contains(option, result.Stdout);
        Assert.Contains("hardnegot weights", result.Stdout);
    }
}
