using HardNegOT.Couplings;
using HardNegOT.Numerics;
using HardNegOT.Problems;

namespace HardNegOT.Solvers;

/// <summary>
/// Log-domain Sinkhorn in double precision: the reference every other solver is held to. Plain on
/// purpose — the cost is materialised (+∞ on masked pairs) and each half-step is two explicit loops.
/// </summary>
public sealed class ReferenceSinkhorn : ISinkhornSolver
{
    /// <inheritdoc />
    public string Name => "reference";

    /// <inheritdoc />
    public Coupling Solve(EntropicProblem problem, SinkhornOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(problem);
        int n = problem.Count;
        double eps = problem.Epsilon;
        var cost = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                cost[i, j] = problem.Geometry.CostOrInfinity(i, j);

        var terms = new double[n];
        void HalfStep(double[] potential, double[] logMarginal, double[] output)
        {
            for (int r = 0; r < n; r++)
            {
                for (int k = 0; k < n; k++) terms[k] = (potential[k] - cost[r, k]) / eps + logMarginal[k];
                output[r] = -eps * LogSumExp.Of(terms);
            }
        }

        return SinkhornDriver.Run(problem, options ?? SinkhornOptions.Reference, HalfStep, Name);
    }
}
