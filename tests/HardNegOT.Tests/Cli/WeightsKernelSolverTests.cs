using System.Text.Json;
using HardNegOT.IO;
using HardNegOT.Testing;

namespace HardNegOT.Tests.Cli;

/// <summary>
/// <c>hardnegot weights --solver kernel</c>: ILGPU's CPU accelerator must reproduce the double reference, the
/// diagnostics must name the backend, and device requests this machine cannot serve must be bad input (exit 2).
/// </summary>
public sealed class WeightsKernelSolverTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private string WriteBatch(SphereBatch batch)
    {
        string path = _temp.File("x.npy");
        NpyFile.WriteFloat32(path, batch.Data, batch.Count, batch.Dimension);
        return path;
    }

    [Theory]
    [InlineData("sqeuclid", "0.5")]
    [InlineData("cosine", "0.1")]
    public void Kernel_on_the_cpu_accelerator_matches_the_reference_conditionals(string cost, string epsilon)
    {
        // N = 16: the ILGPU CPU accelerator simulates warps and is ~1000× slower than plain C#.
        var batch = new SphereBatch(SphereKind.Random, 16, 6, Seed: 7);
        string x = WriteBatch(batch);
        string reference = _temp.File("ref.npy"), kernel = _temp.File("kernel.npy"), json = _temp.File("d.json");
        string[] common = ["weights", "--embeddings", x, "--layout", "two-view", "--cost", cost, "--epsilon", epsilon, "--conditional"];
        CliRunner.RunOk([.. common, "--solver", "reference", "--out", reference]);
        // Both stop at 1e-6: a looser float32 stop alone could move weights by ~1e-4.
        var result = CliRunner.RunOk([.. common, "--solver", "kernel", "--device", "cpu", "--tolerance", "1e-6",
            "--out", kernel, "--json", json]);

        var expected = NpyFile.ReadMatrixAsFloat64(reference);
        var actual = NpyFile.ReadMatrixAsFloat64(kernel);
        Assert.Equal((16, 16), (actual.Rows, actual.Columns));
        for (int i = 0; i < expected.Data.Length; i++)
            Assert.True(Math.Abs(expected.Data[i] - actual.Data[i]) <= 1e-4,
                $"entry ({i / 16}, {i % 16}): kernel {actual.Data[i]:R}, reference {expected.Data[i]:R}");

        Assert.Contains("kernel-cpu", result.Stdout);
        Assert.Matches(@"(?m)^backend\s+cpu: ", result.Stdout);
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        Assert.Equal("kernel-cpu", doc.RootElement.GetProperty("solver").GetString());
        Assert.Equal("cpu", doc.RootElement.GetProperty("backend").GetString());
        Assert.StartsWith("cpu: ", doc.RootElement.GetProperty("backendSelection").GetString());
        Assert.True(doc.RootElement.GetProperty("converged").GetBoolean());
    }

    [Fact]
    public void Host_solvers_report_no_backend()
    {
        var batch = new SphereBatch(SphereKind.Random, 8, 3, Seed: 2);
        string x = WriteBatch(batch), json = _temp.File("d.json");
        var result = CliRunner.RunOk("weights", "--embeddings", x, "--layout", "two-view", "--cost", "sqeuclid", "--epsilon", "0.5",
            "--solver", "cpu", "--out", _temp.File("p.npy"), "--json", json);
        Assert.DoesNotMatch(@"(?m)^backend", result.Stdout);
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        Assert.False(doc.RootElement.TryGetProperty("backend", out _));
    }

    [Fact]
    public void Device_cuda_without_a_GPU_exits_2_with_one_error_line()
    {
        // Only meaningful where CUDA is absent (this machine); on a GPU host the request would succeed.
        if (HardNegOT.Kernels.AcceleratorFactory.Probe(HardNegOT.Kernels.AcceleratorBackend.Cuda).Available)
            return;
        var batch = new SphereBatch(SphereKind.Random, 8, 3, Seed: 1);
        string x = WriteBatch(batch), output = _temp.File("w.npy");
        var result = CliRunner.Run("weights", "--embeddings", x, "--layout", "two-view", "--cost", "sqeuclid", "--epsilon", "0.5",
            "--solver", "kernel", "--device", "cuda", "--out", output);
        Assert.True(result.ExitCode == 2, result.ToString());
        var line = Assert.Single(result.ErrorLines);
        Assert.StartsWith("error: ", line);
        Assert.Contains("no CUDA device", line);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void Unknown_device_exits_2()
    {
        var batch = new SphereBatch(SphereKind.Random, 8, 3, Seed: 1);
        var result = CliRunner.Run("weights", "--embeddings", WriteBatch(batch), "--layout", "two-view", "--cost", "sqeuclid",
            "--epsilon", "0.5", "--solver", "kernel", "--device", "bogus", "--out", _temp.File("w.npy"));
        Assert.True(result.ExitCode == 2, result.ToString());
        var line = Assert.Single(result.ErrorLines);
        Assert.StartsWith("error: ", line);
        Assert.Contains("bogus", line);
    }

    [Fact]
    public void Device_without_the_kernel_solver_exits_2()
    {
        var batch = new SphereBatch(SphereKind.Random, 8, 3, Seed: 1);
        var result = CliRunner.Run("weights", "--embeddings", WriteBatch(batch), "--layout", "two-view", "--cost", "sqeuclid",
            "--epsilon", "0.5", "--solver", "cpu", "--device", "cpu", "--out", _temp.File("w.npy"));
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("--device applies only to --solver kernel", Assert.Single(result.ErrorLines));
    }
}
