using HardNegOT.IO;
using HardNegOT.Testing;

namespace HardNegOT.Tests.Cli;

/// <summary>
/// Every bad input to <c>hardnegot weights</c> exits 2 with exactly one stderr line that starts with "error: " and names the
/// input, writes nothing to stdout, shows no stack trace and leaves no output file.
/// </summary>
public sealed class WeightsBadInputTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public WeightsBadInputTests()
    {
        Good = _temp.File("good.npy");
        var batch = new SphereBatch(SphereKind.Random, 8, 3, Seed: 1);
        NpyFile.WriteFloat32(Good, batch.Data, 8, 3);
        Out = _temp.File("out.npy");
    }

    private string Good { get; }

    private string Out { get; }

    public void Dispose() => _temp.Dispose();

    private string[] Args(string embeddings, params string[] overrides)
    {
        var options = new Dictionary<string, string?>
        {
            ["--embeddings"] = embeddings, ["--layout"] = "two-view", ["--cost"] = "sqeuclid", ["--epsilon"] = "0.5", ["--out"] = Out,
        };
        for (int k = 0; k < overrides.Length; k += 2) options[overrides[k]] = overrides[k + 1];
        var args = new List<string> { "weights" };
        foreach (var (name, value) in options)
        {
            if (value is null) continue;
            args.Add(name);
            if (value.Length > 0) args.Add(value);
        }

        return [.. args];
    }

    private void AssertBadInput(string[] args, params string[] mentions)
    {
        var result = CliRunner.Run(args);
        string context = $"hardnegot {string.Join(' ', args)}\n{result}";
        Assert.True(result.ExitCode == 2, context);
        var line = Assert.Single(result.ErrorLines);
        Assert.StartsWith("error: ", line);
        foreach (var mention in mentions)
            Assert.True(line.Contains(mention, StringComparison.Ordinal), $"the error should name '{mention}':\n{context}");
        Assert.DoesNotContain(" at HardNegOT", result.Stderr);
        Assert.Equal(string.Empty, result.Stdout);
        Assert.False(File.Exists(Out), $"no output should be written:\n{context}");
    }

    private string WriteMatrix(string name, float[] data, int rows, int columns)
    {
        string path = _temp.File(name);
        NpyFile.WriteFloat32(path, data, rows, columns);
        return path;
    }

    [Fact]
    public void Missing_embeddings_file()
    {
        string missing = _temp.File("nope.npy");
        AssertBadInput(Args(missing), "--embeddings", missing, "does not exist");
    }

    [Fact]
    public void Malformed_npy_file()
    {
        string path = _temp.File("garbage.npy");
        File.WriteAllText(path, "this is not numpy");
        AssertBadInput(Args(path), "--embeddings", path, "magic");
    }

    [Fact]
    public void One_dimensional_npy_file()
    {
        string path = _temp.File("vector.npy");
        NpyFile.WriteFloat32(path, new float[8], 8);
        AssertBadInput(Args(path), "--embeddings", path, "2-D");
    }

    [Fact]
    public void NaN_entry()
    {
        var data = new SphereBatch(SphereKind.Random, 8, 3, Seed: 2).Data;
        data[2 * 3 + 1] = float.NaN;
        string path = WriteMatrix("nan.npy", data, 8, 3);
        AssertBadInput(Args(path), "--embeddings", path, "[2, 1] = NaN");
    }

    [Fact]
    public void Infinite_entry()
    {
        var data = new SphereBatch(SphereKind.Random, 8, 3, Seed: 2).Data;
        data[5 * 3] = float.PositiveInfinity;
        string path = WriteMatrix("inf.npy", data, 8, 3);
        AssertBadInput(Args(path), "--embeddings", path, "[5, 0]");
    }

    [Fact]
    public void Zero_row()
    {
        var data = new SphereBatch(SphereKind.Random, 8, 3, Seed: 2).Data;
        Array.Clear(data, 4 * 3, 3);
        string path = WriteMatrix("zero.npy", data, 8, 3);
        AssertBadInput(Args(path), "--embeddings", path, "row 4 is all zeros");
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    public void Epsilon_not_positive_and_finite(string epsilon) =>
        AssertBadInput(Args(Good, "--epsilon", epsilon), "--epsilon", $"got {epsilon}");

    [Fact]
    public void Epsilon_not_a_number() => AssertBadInput(Args(Good, "--epsilon", "abc"), "--epsilon", "abc");

    [Fact]
    public void Odd_row_count_with_two_view_layout()
    {
        string path = WriteMatrix("odd.npy", new SphereBatch(SphereKind.Random, 7, 3, Seed: 3).Data, 7, 3);
        AssertBadInput(Args(path), "--layout two-view", "N = 7", path);
    }

    [Fact]
    public void Two_rows_with_two_view_layout()
    {
        string path = WriteMatrix("two.npy", new SphereBatch(SphereKind.Random, 2, 3, Seed: 3).Data, 2, 3);
        AssertBadInput(Args(path), "--layout two-view", "N = 2");
    }

    [Fact]
    public void Unknown_layout() => AssertBadInput(Args(Good, "--layout", "three-view"), "--layout", "three-view");

    [Fact]
    public void Unknown_cost() => AssertBadInput(Args(Good, "--cost", "manhattan"), "--cost", "manhattan");

    [Fact]
    public void Unknown_solver() => AssertBadInput(Args(Good, "--solver", "gpu"), "--solver", "gpu");

    [Fact]
    public void Kappa_without_the_exp_cost() => AssertBadInput(Args(Good, "--kappa", "2"), "--kappa", "--cost sqeuclid");

    [Theory]
    [InlineData("0")]
    [InlineData("-1e-3")]
    public void Tolerance_not_positive(string tolerance) => AssertBadInput(Args(Good, "--tolerance", tolerance), "--tolerance");

    [Fact]
    public void Max_iterations_not_positive() => AssertBadInput(Args(Good, "--max-iterations", "0"), "--max-iterations");

    [Fact]
    public void Missing_out() => AssertBadInput(Args(Good, "--out", null!), "--out");

    [Fact]
    public void Missing_embeddings_option() => AssertBadInput(Args(null!), "--embeddings");

    [Fact]
    public void Unknown_option() => AssertBadInput(Args(Good, "--epsilom", "0.5"), "--epsilom");

    [Fact]
    public void Labels_of_the_wrong_length()
    {
        string labels = _temp.File("labels.npy");
        NpyFile.WriteInt64(labels, new long[7], 7);
        AssertBadInput(Args(Good, "--labels", labels), "--labels", labels, "7 labels", "N = 8");
    }

    [Fact]
    public void Labels_of_a_float_dtype()
    {
        string labels = _temp.File("labels.npy");
        NpyFile.WriteFloat64(labels, new double[8], 8);
        AssertBadInput(Args(Good, "--labels", labels), "--labels", labels, "'<f8'");
    }

    [Fact]
    public void Missing_labels_file()
    {
        string labels = _temp.File("missing-labels.npy");
        AssertBadInput(Args(Good, "--labels", labels), "--labels", labels);
    }

    [Fact]
    public void Output_directory_that_does_not_exist()
    {
        string output = Path.Combine(_temp.Path, "no-such-dir", "p.npy");
        var result = CliRunner.Run(Args(Good, "--out", output));
        Assert.True(result.ExitCode == 2, result.ToString());
        var line = Assert.Single(result.ErrorLines);
        Assert.StartsWith("error: --out: cannot write", line);
        Assert.Contains(output, line);
    }

    [Fact]
    public void No_command_at_all()
    {
        var result = CliRunner.Run();
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.StartsWith("error: ", Assert.Single(result.ErrorLines));
    }
}
