using System.Text.Json;
using HardNegOT.Couplings;

namespace HardNegOT.Bench;

/// <summary>
/// Iterations, final marginal error and convergence of each (solver, workload, ε), appended as JSON
/// lines beside the results so the report can show them next to the times.
/// </summary>
public static class SolveLog
{
    public static string FilePath => Environment.GetEnvironmentVariable("HARDNEGOT_BENCH_SOLVES")
        ?? Path.Combine(Workload.Directory, "solves.jsonl");

    public static void Record(string solver, Workload workload, double epsilon, Coupling coupling)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(FilePath)!);
        var line = JsonSerializer.Serialize(new
        {
            solver,
            workload = workload.Name,
            n = workload.Count,
            epsilon,
            iterations = coupling.Iterations,
            marginalError = coupling.MarginalError,
            // What the solve stopped on: the marginal error when balanced, the dual change when unbalanced.
            convergenceError = coupling.ConvergenceError,
            converged = coupling.Converged,
        });
        File.AppendAllText(FilePath, line + Environment.NewLine);
    }
}
