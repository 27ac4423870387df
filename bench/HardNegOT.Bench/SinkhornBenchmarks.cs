using BenchmarkDotNet.Attributes;
using HardNegOT.Costs;
using HardNegOT.Geometry;
using HardNegOT.Problems;
using HardNegOT.Solvers;

namespace HardNegOT.Bench;

/// <summary>
/// Time to tolerance (L1 marginal error 1e-4) of the CPU solver's update schemes on the shared
/// workloads, building the log-kernel from the embeddings included — the same work the peers time.
/// Iterations and final errors go to <see cref="SolveLog"/> for the report. The unbalanced row solves the same
/// batch with KL-relaxed marginals (ρ_a = ρ_b = <see cref="Rho"/>, Auto = Anderson), stopping on the dual change.
/// </summary>
[MemoryDiagnoser]
public class SinkhornBenchmarks
{
    public static IEnumerable<Workload> Workloads() => BenchSettings.Workloads();

    [ParamsSource(nameof(Workloads))]
    public Workload Workload { get; set; } = null!;

    [Params(0.1, 0.5)]
    public double Epsilon { get; set; }

    /// <summary>Marginal strength of the unbalanced row: comparable to the cost range, so the plan's mass visibly shrinks.</summary>
    public const double Rho = 1.0;

    private EntropicProblem _problem = null!;
    private EntropicProblem _unbalanced = null!;

    [GlobalSetup]
    public void Setup()
    {
        var data = Workload.Load();
        var geometry = new PointCloudGeometry(data, Workload.Count, Workload.Dimension, new SquaredEuclideanCost(), BatchLayout.TwoView(Workload.Count / 2));
        _problem = new EntropicProblem(geometry, Epsilon);
        _unbalanced = EntropicProblem.Unbalanced(geometry, Epsilon, Rho, Rho);
        foreach (var update in new[] { SinkhornUpdate.Symmetric, SinkhornUpdate.Alternating, SinkhornUpdate.Anderson })
        {
            var coupling = Solve(update);
            SolveLog.Record($"cpu-{update}".ToLowerInvariant(), Workload, Epsilon, coupling);
        }
        SolveLog.Record("cpu-unbalanced-anderson", Workload, Epsilon, SolveUnbalanced());
    }

    private Couplings.Coupling SolveUnbalanced() =>
        new CpuSinkhorn().Solve(_unbalanced, new SinkhornOptions { Tolerance = 1e-4, MaxIterations = BenchSettings.MaxIterations });

    private Couplings.Coupling Solve(SinkhornUpdate update) =>
        new CpuSinkhorn().Solve(_problem, new SinkhornOptions { Tolerance = 1e-4, MaxIterations = BenchSettings.MaxIterations, Update = update });

    [Benchmark(Baseline = true)]
    public int CpuSymmetric() => Solve(SinkhornUpdate.Symmetric).Iterations;

    [Benchmark]
    public int CpuAlternating() => Solve(SinkhornUpdate.Alternating).Iterations;

    [Benchmark]
    public int CpuAnderson() => Solve(SinkhornUpdate.Anderson).Iterations;

    [Benchmark]
    public int CpuUnbalancedAnderson() => SolveUnbalanced().Iterations;
}
