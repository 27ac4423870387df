using BenchmarkDotNet.Attributes;
using HardNegOT.Costs;
using HardNegOT.Geometry;
using HardNegOT.Problems;
using HardNegOT.Solvers;

namespace HardNegOT.Bench;

/// <summary>
/// Time to tolerance (L1 marginal error 1e-4) of the variants beside the main three: over-relaxation
/// (fixed θ = 1.5 and adaptive), ε-scaling around the default solver, and the double-precision plain
/// solvers (kernel-space Sinkhorn–Knopp, Greenkhorn, the log-domain reference), on N = 1024 batches.
/// The plain solvers are correctness references, timed so their cost is on record.
/// </summary>
[MemoryDiagnoser]
public class VariantBenchmarks
{
    public static IEnumerable<Workload> Workloads() =>
        BenchSettings.Quick ? [new Workload("clustered10", 1024, 128)]
            : [new Workload("clustered10", 1024, 128), new Workload("fmnist-projection", 1024, 128)];

    [ParamsSource(nameof(Workloads))]
    public Workload Workload { get; set; } = null!;

    [Params(0.1, 0.5)]
    public double Epsilon { get; set; }

    private EntropicProblem _problem = null!;

    private static readonly SinkhornOptions Options = new() { Tolerance = 1e-4, MaxIterations = BenchSettings.MaxIterations };

    private static readonly (string Name, Func<EntropicProblem, Couplings.Coupling> Solve)[] Variants =
    [
        ("cpu-overrelaxed", p => new CpuSinkhorn().Solve(p, Options with { Update = SinkhornUpdate.OverRelaxed, OverRelaxation = 1.5 })),
        ("cpu-overrelaxedadaptive", p => new CpuSinkhorn().Solve(p, Options with { Update = SinkhornUpdate.OverRelaxedAdaptive })),
        ("cpu-epsilon-scaling", p => new EpsilonScalingSinkhorn(new CpuSinkhorn()).Solve(p, Options)),
        ("kernel-space", p => new KernelSpaceSinkhorn().Solve(p, Options)),
        ("greenkhorn", p => new Greenkhorn().Solve(p, Options)),
        ("reference", p => new ReferenceSinkhorn().Solve(p, Options)),
    ];

    [GlobalSetup]
    public void Setup()
    {
        var geometry = new PointCloudGeometry(Workload.Load(), Workload.Count, Workload.Dimension, new SquaredEuclideanCost(), BatchLayout.TwoView(Workload.Count / 2));
        _problem = new EntropicProblem(geometry, Epsilon);
        foreach (var (name, solve) in Variants) SolveLog.Record(name, Workload, Epsilon, solve(_problem));
    }

    private int Run(int variant) => Variants[variant].Solve(_problem).Iterations;

    [Benchmark]
    public int CpuOverRelaxed() => Run(0);

    [Benchmark]
    public int CpuOverRelaxedAdaptive() => Run(1);

    [Benchmark]
    public int CpuEpsilonScaling() => Run(2);

    [Benchmark]
    public int KernelSpace() => Run(3);

    [Benchmark]
    public int Greenkhorn() => Run(4);

    [Benchmark]
    public int Reference() => Run(5);
}
