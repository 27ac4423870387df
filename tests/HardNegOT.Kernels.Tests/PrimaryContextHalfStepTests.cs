using System.Text.RegularExpressions;
using HardNegOT.Costs;
using HardNegOT.Kernels.Cuda;
using HardNegOT.Testing;

namespace HardNegOT.Kernels.Tests;

/// <summary>The primary-context launch path: the PTX module and its parameter ABI (no GPU), and a launch (CUDA only).</summary>
public sealed class PrimaryContextHalfStepTests
{
    private static string EntryParameters()
    {
        var match = Regex.Match(PrimaryContextHalfStep.HalfStepPtx, @"\.entry\s+" + PrimaryContextHalfStep.EntryName + @"\s*\(([^)]*)\)");
        Assert.True(match.Success, "no .entry " + PrimaryContextHalfStep.EntryName + " in the PTX");
        return match.Groups[1].Value;
    }

    [Fact]
    public void Ptx_module_has_the_entry_and_the_documented_parameter_ABI()
    {
        var parameters = EntryParameters().Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(PrimaryContextHalfStep.ParameterCount, parameters.Length);
        // Five ArrayViews as 16-byte {ptr, length} structs, then n, d, tileCount, ε, costKind, costParameter.
        for (int i = 0; i < 5; i++)
            Assert.Matches(@"^\.param \.align 8 \.b8 \S+\[16\]$", parameters[i]);
        string[] scalars = [".b32", ".b32", ".b32", ".f32", ".b32", ".f32"];
        for (int i = 0; i < scalars.Length; i++)
            Assert.StartsWith(".param " + scalars[i] + " ", parameters[5 + i]);
        Assert.Equal(16, System.Runtime.CompilerServices.Unsafe.SizeOf<PrimaryContextHalfStep.ViewParameter>());
        // The tile is dynamic shared memory, sized by the launch.
        Assert.Contains("__dyn_shared_alloca", PrimaryContextHalfStep.HalfStepPtx);
    }

    [SkipUnlessCudaFact]
    public void Launch_in_the_primary_context_matches_the_reference()
    {
        var batch = new SphereBatch(SphereKind.Random, 300, 24, Seed: 5);
        var geometry = FusedSinkhornReference.GeometryFor(batch, new SquaredEuclideanCost());
        int n = geometry.Count, d = geometry.Dimension;
        var random = new Random(1);
        var potential = Enumerable.Range(0, n).Select(_ => random.NextDouble() - 0.5).ToArray();
        var logMarginal = Enumerable.Repeat(-Math.Log(n), n).ToArray();
        var expected = FusedSinkhornReference.HalfStep(geometry, 0.1, potential, logMarginal);
        var positives = Enumerable.Range(0, n).Select(geometry.Layout.PositiveOf).ToArray();

        using var step = new PrimaryContextHalfStep();
        var output = new float[n];
        var pointers = new List<ulong>();
        using (step.Enter())
        {
            ulong Alloc(long bytes)
            {
                CudaDriver.Check(CudaDriver.cuMemAlloc(out var p, (nuint)bytes), nameof(CudaDriver.cuMemAlloc));
                pointers.Add(p);
                return p;
            }
            try
            {
                ulong x = Alloc(n * d * 4L), pos = Alloc(n * 4L), f = Alloc(n * 4L), m = Alloc(n * 4L), o = Alloc(n * 4L);
                CudaDriver.CopyToDevice<float>(x, geometry.PointsSingle);
                CudaDriver.CopyToDevice<int>(pos, positives);
                CudaDriver.CopyToDevice<float>(f, Array.ConvertAll(potential, v => (float)v));
                CudaDriver.CopyToDevice<float>(m, Array.ConvertAll(logMarginal, v => (float)v));
                step.Launch(x, pos, f, m, o, n, d, 0.1f, FusedSinkhornKernels.SquaredEuclideanCost, 1f);
                CudaDriver.CopyToHost<float>(output, o);
            }
            finally
            {
                foreach (var p in pointers) CudaDriver.cuMemFree(p);
            }
        }
        FusedSinkhornReference.AssertClose(expected, Array.ConvertAll(output, v => (double)v), 1e-4, "primary-context half-step");
    }
}
