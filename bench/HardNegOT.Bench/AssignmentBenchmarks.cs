using BenchmarkDotNet.Attributes;
using HardNegOT.Assignment;

namespace HardNegOT.Bench;

/// <summary>
/// Exact (Jonker–Volgenant) against δ-approximate (auction) assignment on a seeded cost C_ij = ‖x_i − y_j‖² between two
/// independent clouds of n uniform points on the unit sphere in R^16 (costs in [0, 4]); δ bounds the mean cost per pair.
/// Select with <c>--filter '*Assignment*'</c>; HARDNEGOT_BENCH_QUICK=1 keeps one δ and the two larger sizes.
/// </summary>
[MemoryDiagnoser]
public class AssignmentBenchmarks
{
    private const int Dimension = 16;

    public static IEnumerable<int> Counts() => BenchSettings.Quick ? [512, 2048] : [128, 512, 2048];

    public static IEnumerable<double> Deltas() => BenchSettings.Quick ? [0.01] : [0.1, 0.01, 0.001];

    [ParamsSource(nameof(Counts))]
    public int Count { get; set; }

    /// <summary>δ of the approximate solver; the exact one ignores it and runs once per δ so that each row has its ratio.</summary>
    [ParamsSource(nameof(Deltas))]
    public double Delta { get; set; }

    private double[] _cost = null!;

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(17 + Count);
        var x = SphereCloud(rng, Count, Dimension);
        var y = SphereCloud(rng, Count, Dimension);
        _cost = new double[Count * Count];
        for (int i = 0; i < Count; i++)
        {
            for (int j = 0; j < Count; j++)
            {
                double s = 0;
                for (int k = 0; k < Dimension; k++)
                {
                    double t = x[i * Dimension + k] - y[j * Dimension + k];
                    s += t * t;
                }

                _cost[i * Count + j] = s;
            }
        }
    }

    [Benchmark(Baseline = true)]
    public double Exact() => ExactAssignment.Solve(_cost, Count, Count).TotalCost;

    [Benchmark]
    public double Approximate() => ApproximateAssignment.Solve(_cost, Count, Count, Delta).TotalCost;

    private static double[] SphereCloud(Random rng, int n, int d)
    {
        var points = new double[n * d];
        for (int i = 0; i < n; i++)
        {
            double norm = 0;
            for (int k = 0; k < d; k++)
            {
                double g = Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
                points[i * d + k] = g;
                norm += g * g;
            }

            norm = Math.Sqrt(norm);
            for (int k = 0; k < d; k++) points[i * d + k] /= norm;
        }

        return points;
    }
}
