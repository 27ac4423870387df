using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;

namespace HardNegOT.Bench;

/// <summary>
/// The machine's floor for one LSE pass over an N×N log-kernel: N² exponentials, and the N²·d
/// multiply-adds of recomputing the similarities. Each solver's time per pass is compared with these.
/// </summary>
public class FloorBenchmarks
{
    [Params(1024, 4096)]
    public int Count { get; set; }

    public int Dimension { get; set; } = 128;

    private float[] _values = null!;
    private float[] _destination = null!;
    private float[] _points = null!;

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(3);
        _values = new float[(long)Count * Count];
        for (long k = 0; k < _values.Length; k++) _values[k] = -(float)rng.NextDouble() * 20f;
        _destination = new float[_values.Length];
        _points = new float[Count * Dimension];
        for (int k = 0; k < _points.Length; k++) _points[k] = (float)rng.NextDouble();
    }

    /// <summary>N² exponentials, split across the cores as the solver splits rows.</summary>
    [Benchmark]
    public void ExpPass() => Parallel.For(0, Environment.ProcessorCount, part =>
    {
        long n2 = _values.Length, start = n2 * part / Environment.ProcessorCount, end = n2 * (part + 1) / Environment.ProcessorCount;
        TensorPrimitives.Exp(_values.AsSpan((int)start, (int)(end - start)), _destination.AsSpan((int)start, (int)(end - start)));
    });

    /// <summary>N²·d multiply-adds: the similarity matrix by the solver's blocked Gram product.</summary>
    [Benchmark]
    public void GramPass() => HardNegOT.Numerics.GramMatrix.Compute(_points, Count, Dimension, _destination);
}
