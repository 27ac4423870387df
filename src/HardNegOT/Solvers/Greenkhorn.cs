using HardNegOT.Couplings;
using HardNegOT.Problems;

namespace HardNegOT.Solvers;

/// <summary>
/// Greenkhorn (Altschuler, Weed and Rigollet, 2017): greedy coordinate Sinkhorn, in double. Each
/// update refits the single row or column whose marginal is furthest off in the divergence
/// ρ(m, s) = s − m + m·log(m/s), exactly and in the log domain: f_i ← −ε·LSE_j[(g_j − C_ij)/ε + log b_j]
/// (a column: the same with a and f). The plan P is kept as an N×N matrix so an update costs O(N);
/// it is for small N.
/// <para>
/// Counting: one <see cref="Coupling.Iterations"/> = N coordinate updates, the work of one Sinkhorn
/// half-step (an alternating iteration is 2N). Convergence is checked after each such block, on the
/// exact L1 error of both marginals, Σ_i |P1 − a|_i + Σ_j |Pᵀ1 − b|_j, which is what
/// <see cref="Coupling.MarginalError"/> reports here. The plan is recomputed from the duals at each
/// check, so rounding in the incremental sums does not accumulate.
/// </para>
/// </summary>
public sealed class Greenkhorn : ISinkhornSolver
{
    /// <inheritdoc />
    public string Name => "greenkhorn";

    /// <inheritdoc />
    /// <remarks>
    /// <see cref="SinkhornOptions.Update"/> must be Auto or Alternating (Greenkhorn has its own order);
    /// a warm start f seeds g = T_a(f), which counts as one iteration.
    /// </remarks>
    public Coupling Solve(EntropicProblem problem, SinkhornOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(problem);
        KernelSpaceSinkhorn.RequireBalanced(problem, Name);
        options ??= SinkhornOptions.Reference;
        if (options.Update is not (SinkhornUpdate.Auto or SinkhornUpdate.Alternating))
            throw new ArgumentException($"Greenkhorn chooses its own update order; Update must be Auto or Alternating, not {options.Update}.", nameof(options));
        int n = problem.Count;
        options.ValidateWarmStart(n);
        double eps = problem.Epsilon;
        var a = problem.A.ToArray();
        var b = problem.B.ToArray();
        var logA = Array.ConvertAll(a, Math.Log);
        var logB = Array.ConvertAll(b, Math.Log);
        var cost = new double[(long)n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                cost[(long)i * n + j] = problem.Geometry.CostOrInfinity(i, j);

        var f = options.WarmStart is { } warm ? (double[])warm.Clone() : new double[n];
        var g = new double[n];
        var plan = new double[(long)n * n];
        var rows = new double[n];
        var columns = new double[n];
        var terms = new double[n];
        int iteration = 0;
        if (options.WarmStart is not null)
        {
            for (int j = 0; j < n; j++) g[j] = ColumnPotential(j);
            iteration = 1;
        }

        while (true)
        {
            double error = Refresh();
            bool converged = error <= options.Tolerance;
            if (iteration > 0 && (converged || iteration >= options.MaxIterations))
                return new Coupling(problem, f, g, iteration, error, converged, Name);
            iteration++;
            for (int step = 0; step < n; step++)
            {
                // Greedy: the coordinate with the largest ρ(target, current sum); ties to rows.
                int best = -1;
                bool bestIsRow = true;
                double worst = 0;
                for (int i = 0; i < n; i++)
                {
                    double rho = Divergence(a[i], rows[i]);
                    if (rho > worst) (worst, best, bestIsRow) = (rho, i, true);
                }
                for (int j = 0; j < n; j++)
                {
                    double rho = Divergence(b[j], columns[j]);
                    if (rho > worst) (worst, best, bestIsRow) = (rho, j, false);
                }
                if (best < 0) break;
                if (bestIsRow) UpdateRow(best);
                else UpdateColumn(best);
            }
        }

        double RowPotential(int i)
        {
            for (int j = 0; j < n; j++) terms[j] = (g[j] - cost[(long)i * n + j]) / eps + logB[j];
            return -eps * Numerics.LogSumExp.Of(terms);
        }

        double ColumnPotential(int j)
        {
            for (int i = 0; i < n; i++) terms[i] = (f[i] - cost[(long)i * n + j]) / eps + logA[i];
            return -eps * Numerics.LogSumExp.Of(terms);
        }

        double Entry(int i, int j) => Math.Exp((f[i] + g[j] - cost[(long)i * n + j]) / eps + logA[i] + logB[j]);

        void UpdateRow(int i)
        {
            f[i] = RowPotential(i);
            double sum = 0;
            for (int j = 0; j < n; j++)
            {
                long k = (long)i * n + j;
                double entry = Entry(i, j);
                columns[j] += entry - plan[k];
                plan[k] = entry;
                sum += entry;
            }
            rows[i] = sum;
        }

        void UpdateColumn(int j)
        {
            g[j] = ColumnPotential(j);
            double sum = 0;
            for (int i = 0; i < n; i++)
            {
                long k = (long)i * n + j;
                double entry = Entry(i, j);
                rows[i] += entry - plan[k];
                plan[k] = entry;
                sum += entry;
            }
            columns[j] = sum;
        }

        // Rebuilds P and its marginals from the duals; returns the two-sided L1 error.
        double Refresh()
        {
            Array.Clear(columns);
            for (int i = 0; i < n; i++)
            {
                double sum = 0;
                for (int j = 0; j < n; j++)
                {
                    double entry = Entry(i, j);
                    plan[(long)i * n + j] = entry;
                    sum += entry;
                    columns[j] += entry;
                }
                rows[i] = sum;
            }
            double error = 0;
            for (int i = 0; i < n; i++) error += Math.Abs(rows[i] - a[i]) + Math.Abs(columns[i] - b[i]);
            return error;
        }
    }

    // ρ(m, s) = s − m + m·log(m/s) ≥ 0, +∞ when s underflowed to 0 with m > 0 (that coordinate first).
    private static double Divergence(double target, double current)
    {
        if (target == 0) return current;
        if (current <= 0) return double.PositiveInfinity;
        return current - target + target * Math.Log(target / current);
    }
}
