using HardNegOT.Couplings;
using HardNegOT.Numerics;
using HardNegOT.Problems;

namespace HardNegOT.Solvers;

/// <summary>
/// Log-domain Sinkhorn in double precision: the reference every other solver is held to. Short and
/// plain on purpose — materialised cost, explicit loops, marginal error recomputed from scratch.
/// </summary>
public sealed class ReferenceSinkhorn : ISinkhornSolver
{
    /// <inheritdoc />
    public string Name => "reference";

    /// <inheritdoc />
    public Coupling Solve(EntropicProblem problem, SinkhornOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(problem);
        options ??= SinkhornOptions.Reference;
        int n = problem.Count;
        options.ValidateWarmStart(n);
        double eps = problem.Epsilon;
        var geometry = problem.Geometry;

        var cost = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                cost[i, j] = geometry.CostOrInfinity(i, j);
        var logA = Log(problem.A);
        var logB = Log(problem.B);

        var f = options.WarmStart is { } warm ? (double[])warm.Clone() : new double[n];
        var g = new double[n];
        var terms = new double[n];
        for (int iteration = 1; ; iteration++)
        {
            // g_j = −ε LSE_i[(f_i − C_ij)/ε + log a_i]
            for (int j = 0; j < n; j++)
            {
                for (int i = 0; i < n; i++) terms[i] = (f[i] - cost[i, j]) / eps + logA[i];
                g[j] = -eps * LogSumExp.Of(terms);
            }

            double error = RowMarginalError(problem, cost, f, g);
            if (error <= options.Tolerance || iteration == options.MaxIterations)
                return new Coupling(problem, f, g, iteration, error, converged: error <= options.Tolerance, Name);

            // f_i = −ε LSE_j[(g_j − C_ij)/ε + log b_j]
            for (int i = 0; i < n; i++)
            {
                for (int j = 0; j < n; j++) terms[j] = (g[j] - cost[i, j]) / eps + logB[j];
                f[i] = -eps * LogSumExp.Of(terms);
            }
        }
    }

    private static double RowMarginalError(EntropicProblem problem, double[,] cost, double[] f, double[] g)
    {
        int n = problem.Count;
        double eps = problem.Epsilon, error = 0;
        for (int i = 0; i < n; i++)
        {
            double row = 0;
            for (int j = 0; j < n; j++)
                if (!double.IsPositiveInfinity(cost[i, j]))
                    row += problem.A[i] * problem.B[j] * Math.Exp((f[i] + g[j] - cost[i, j]) / eps);
            error += Math.Abs(row - problem.A[i]);
        }
        return error;
    }

    private static double[] Log(ReadOnlySpan<double> m)
    {
        var result = new double[m.Length];
        for (int i = 0; i < m.Length; i++) result[i] = Math.Log(m[i]);
        return result;
    }
}
