using BenchmarkDotNet.Attributes;
using HardNegOT.Costs;
using HardNegOT.Geometry;
using HardNegOT.Kernels;
using HardNegOT.Problems;
using HardNegOT.Solvers;

namespace HardNegOT.Bench;

/// <summary>
/// Fused (cost recomputed each half-step) against materialised (N×N cost cached once) kernel half-steps: a fixed
/// number of symmetric iterations on a seeded sphere batch, so the time is per-iteration work plus, for the
/// materialised path, the one cost pass. The crossover sets <see cref="KernelSinkhorn.MaterializedMaxCount"/>. Runs on
/// the best accelerator available (ILGPU's CPU accelerator on a machine without a GPU: slow, so N stays small).
/// </summary>
public class KernelPathBenchmarks
{
    private const int Iterations = 20;

    [Params(16, 32, 64, 128)]
    public int Count { get; set; }

    [Params(KernelPath.Fused, KernelPath.Materialized)]
    public KernelPath Path { get; set; }

    public int Dimension { get; set; } = 128;

    private KernelSinkhorn _solver = null!;
    private EntropicProblem _problem = null!;

    // A tolerance no float32 solve reaches: every case runs exactly the cap.
    private static readonly SinkhornOptions FixedIterations = new()
    {
        Tolerance = 1e-30, MaxIterations = Iterations, Update = SinkhornUpdate.Symmetric,
    };

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(11);
        var points = new float[Count * Dimension];
        for (int k = 0; k < points.Length; k++) points[k] = (float)(rng.NextDouble() * 2 - 1);
        _problem = new EntropicProblem(
            new PointCloudGeometry(points, Count, Dimension, new SquaredEuclideanCost(), BatchLayout.TwoView(Count / 2)), 0.5);
        _solver = new KernelSinkhorn(AcceleratorBackend.Auto) { Path = Path, CheckEvery = Iterations };
        _solver.Solve(_problem, FixedIterations); // compile the kernels outside the measurement
    }

    [GlobalCleanup]
    public void Cleanup() => _solver.Dispose();

    [Benchmark]
    public double Solve() => _solver.Solve(_problem, FixedIterations).MarginalError;
}
