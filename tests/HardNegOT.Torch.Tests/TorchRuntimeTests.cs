using FsCheck;
using FsCheck.Xunit;
using TorchSharp;

namespace HardNegOT.Torch.Tests;

public class TorchRuntimeTests
{
    [Fact]
    public void EnsureLoaded_then_matmul_3x4_by_4x2_gives_hand_computed_product()
    {
        TorchRuntime.EnsureLoaded();

        using var a = torch.tensor(new float[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 }, new long[] { 3, 4 });
        using var b = torch.tensor(new float[] { 1, 0, 0, 1, 1, 1, 2, -1 }, new long[] { 4, 2 });
        using var c = torch.matmul(a, b);

        Assert.Equal(new long[] { 3, 2 }, c.shape);
        // Row i: [a_i0 + a_i2 + 2 a_i3, a_i1 + a_i2 - a_i3].
        Assert.Equal(new float[] { 12, 1, 28, 5, 44, 9 }, c.data<float>().ToArray());
    }

    [Fact]
    public void EnsureLoaded_is_idempotent_and_safe_to_call_concurrently()
    {
        Parallel.For(0, 16, _ => TorchRuntime.EnsureLoaded());
        TorchRuntime.EnsureLoaded();

        using var ones = torch.ones(2, 3);
        Assert.Equal(6f, ones.sum().item<float>());
    }

    [Fact]
    public void Shim_is_loaded_exactly_when_the_system_libstdcxx_lacks_GLIBCXX_3_4_32()
    {
        TorchRuntime.EnsureLoaded();

        var mapped = NativeEnvironment.MappedFiles().ToList();
        if (NativeEnvironment.FixNeeded())
        {
            var shim = TorchRuntime.LoadedShimPath;
            Assert.NotNull(shim);
            Assert.Equal(TorchRuntime.ShimFileName, Path.GetFileName(shim));
            Assert.Contains(shim, mapped);
        }
        else
        {
            Assert.Null(TorchRuntime.LoadedShimPath);
            Assert.DoesNotContain(mapped, p => Path.GetFileName(p) == TorchRuntime.ShimFileName);
        }
    }

    [Fact]
    public void The_libLibTorchSharp_actually_loaded_is_the_output_copy_and_is_patched_when_needed()
    {
        TorchRuntime.EnsureLoaded();

        var loaded = NativeEnvironment.MappedFiles()
            .Where(p => Path.GetFileName(p) == NativeEnvironment.TorchSharpLibrary)
            .ToList();
        var path = Assert.Single(loaded);
        // Not TorchSharp's fallback consolidation folder (<bin>/cpu), not the NuGet cache.
        Assert.Equal(Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", NativeEnvironment.TorchSharpLibrary), path);

        var need = Assert.Single(ElfVersionNeeds.Read(path), n => n.Version == NativeEnvironment.MissingVersion);
        Assert.Equal(NativeEnvironment.FixNeeded(), need.IsWeak);
    }

    [Property(MaxTest = 40)]
    public void Matmul_agrees_with_a_naive_triple_loop(PositiveInt m, PositiveInt k, PositiveInt n, int seed)
    {
        TorchRuntime.EnsureLoaded();
        int rows = m.Get % 7 + 1, inner = k.Get % 7 + 1, cols = n.Get % 7 + 1;
        var random = new Random(seed);
        // Small integers keep every product and sum exact in float32.
        var a = Enumerable.Range(0, rows * inner).Select(_ => (float)random.Next(-9, 10)).ToArray();
        var b = Enumerable.Range(0, inner * cols).Select(_ => (float)random.Next(-9, 10)).ToArray();

        var expected = new float[rows * cols];
        for (var i = 0; i < rows; i++)
        {
            for (var j = 0; j < cols; j++)
            {
                for (var p = 0; p < inner; p++)
                {
                    expected[i * cols + j] += a[i * inner + p] * b[p * cols + j];
                }
            }
        }

        using var ta = torch.tensor(a, new long[] { rows, inner });
        using var tb = torch.tensor(b, new long[] { inner, cols });
        using var tc = torch.matmul(ta, tb);
        Assert.Equal(expected, tc.data<float>().ToArray());
    }
}
