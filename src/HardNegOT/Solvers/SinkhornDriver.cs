using HardNegOT.Couplings;
using HardNegOT.Problems;

namespace HardNegOT.Solvers;

/// <summary>
/// A log-domain half-step: output_r = −ε·LSE_k[(potential_k − C_rk)/ε + logMarginal_k] for every r.
/// The self-coupling cost is symmetric, so the same row-wise routine serves both f and g updates.
/// </summary>
internal delegate void HalfStep(double[] potential, double[] logMarginal, double[] output);

/// <summary>
/// The iteration and stopping rule shared by every CPU backend; backends differ only in the half-step.
/// The row marginal error comes for free: row i of P(f, g) sums to a_i·exp((f_i − T_b(g)_i)/ε).
/// </summary>
internal static class SinkhornDriver
{
    public static Coupling Run(EntropicProblem problem, SinkhornOptions options, HalfStep halfStep, string solver)
    {
        int n = problem.Count;
        options.ValidateWarmStart(n);
        var update = options.ResolveUpdate(problem);
        var logA = LogOf(problem.A);
        var logB = LogOf(problem.B);
        var f = options.WarmStart is { } warm ? (double[])warm.Clone() : new double[n];
        var g = new double[n];
        var next = new double[n];
        double omega = options.Relaxation;

        for (int iteration = 1; ; iteration++)
        {
            if (update == SinkhornUpdate.Symmetric)
            {
                halfStep(f, logA, next);
                g = f;
            }
            else
            {
                halfStep(f, logA, g);
                halfStep(g, logB, next);
            }

            double error = RowMarginalError(problem, f, next);
            bool converged = error <= options.Tolerance;
            if (converged || iteration == options.MaxIterations)
                return new Coupling(problem, f, update == SinkhornUpdate.Symmetric ? (double[])f.Clone() : g,
                    iteration, error, converged, solver);

            if (update == SinkhornUpdate.Symmetric)
                for (int i = 0; i < n; i++) f[i] += omega * (next[i] - f[i]);
            else
                (f, next) = (next, f);
        }
    }

    private static double RowMarginalError(EntropicProblem problem, double[] f, double[] next)
    {
        double eps = problem.Epsilon, error = 0;
        var a = problem.A;
        for (int i = 0; i < f.Length; i++)
            if (a[i] > 0) error += a[i] * Math.Abs(Math.Exp((f[i] - next[i]) / eps) - 1.0);
        return error;
    }

    private static double[] LogOf(ReadOnlySpan<double> m)
    {
        var result = new double[m.Length];
        for (int i = 0; i < m.Length; i++) result[i] = Math.Log(m[i]);
        return result;
    }
}
