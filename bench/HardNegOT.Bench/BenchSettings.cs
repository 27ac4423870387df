namespace HardNegOT.Bench;

/// <summary>
/// Which workloads a run covers. HARDNEGOT_BENCH_QUICK=1 (set by <c>scripts/bench.sh --quick</c>)
/// keeps a run to a few minutes; BenchmarkDotNet runs each case in a child process, so settings
/// travel as environment variables.
/// </summary>
public static class BenchSettings
{
    public static bool Quick => Environment.GetEnvironmentVariable("HARDNEGOT_BENCH_QUICK") == "1";

    public const int MaxIterations = 1000;

    public static IEnumerable<Workload> Workloads()
    {
        int[] counts = Quick ? [1024] : [1024, 4096];
        string[] kinds = Quick ? ["clustered10"] : ["isotropic", "clustered10", "fmnist-projection"];
        foreach (var kind in kinds)
            foreach (var n in counts)
                yield return new Workload(kind, n, 128);
    }
}
