using BenchmarkDotNet.Attributes;
using HardNegOT.Costs;
using HardNegOT.Geometry;
using HardNegOT.Problems;
using HardNegOT.Solvers;

namespace HardNegOT.Bench;

/// <summary>
/// One LSE pass of the CPU solver over its materialised log-kernel, at the converged potentials of a
/// clustered batch (ε = 0.1): the steady state of a solve, compared in the report with the floor's N²
/// exponentials. The kernel build is outside the timed region.
/// </summary>
public class PassBenchmarks
{
    [Params(1024, 4096, 16384)]
    public int Count { get; set; }

    private SymmetricLogKernel _kernel = null!;
    private double[] _potential = null!;
    private double[] _logMarginal = null!;
    private double[] _output = null!;

    [GlobalSetup]
    public void Setup()
    {
        var workload = new Workload("clustered10", Count, 128);
        var geometry = new PointCloudGeometry(workload.Load(), Count, 128, new SquaredEuclideanCost(), BatchLayout.TwoView(Count / 2));
        var problem = new EntropicProblem(geometry, 0.1);
        _potential = new CpuSinkhorn().Solve(problem, new SinkhornOptions { Tolerance = 1e-4 }).F.ToArray();
        _logMarginal = Enumerable.Repeat(-Math.Log(Count), Count).ToArray();
        _output = new double[Count];
        _kernel = SymmetricLogKernel.Build(problem);
        _kernel.HalfStep(_potential, _logMarginal, _output);
    }

    [Benchmark]
    public void HalfStep() => _kernel.HalfStep(_potential, _logMarginal, _output);
}
