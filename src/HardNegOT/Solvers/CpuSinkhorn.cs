using HardNegOT.Couplings;
using HardNegOT.Problems;

namespace HardNegOT.Solvers;

/// <summary>
/// Fast CPU log-domain Sinkhorn: float32, vectorised, rows in parallel. The log-kernel −C/ε is built
/// once (N² floats, <see cref="SymmetricLogKernel"/>) and, because the self-coupling cost is symmetric,
/// both half-steps read it row by row, one sweep per row.
/// </summary>
public sealed class CpuSinkhorn : ISinkhornSolver
{
    /// <summary>Largest N whose N² log-kernel this solver will materialise (4 GiB of floats).</summary>
    public const int MaxCount = 32_768;

    /// <inheritdoc />
    public string Name => "cpu";

    /// <inheritdoc />
    public Coupling Solve(EntropicProblem problem, SinkhornOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(problem);
        options ??= SinkhornOptions.Fast;
        int n = problem.Count;
        if (n > MaxCount)
            throw new ArgumentOutOfRangeException(nameof(problem), n,
                $"The CPU solver materialises N² floats; N = {n} exceeds {MaxCount}. Use the kernel solver.");
        SinglePrecision.RequireResolvable(problem, Name);
        var logKernel = SymmetricLogKernel.Build(problem);
        return SinkhornDriver.Run(problem, options, logKernel.HalfStep, Name);
    }
}
