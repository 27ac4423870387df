using HardNegOT.Couplings;
using HardNegOT.Problems;

namespace HardNegOT.Solvers;

/// <summary>
/// The outcome of a <see cref="KernelSpaceSinkhorn"/> solve: the coupling and, when the scalings
/// under- or overflowed, why.
/// </summary>
/// <param name="Coupling">
/// The duals of the last finite iterate (Converged = false after an instability), so every weight
/// is finite.
/// </param>
/// <param name="Instability">Null for a clean solve; otherwise what broke, where, and at which iteration.</param>
public sealed record KernelSpaceSolution(Coupling Coupling, string? Instability);

/// <summary>
/// Textbook Sinkhorn–Knopp on scalings, in double: with K_ij = e^{−C_ij/ε} (0 on masked pairs),
/// u ← 1 / K(b ⊙ v) and v ← 1 / Kᵀ(a ⊙ u), so P = diag(a ⊙ u)·K·diag(b ⊙ v) and the duals are
/// f = ε log u, g = ε log v. Only multiply-adds per step, but e^{−C/ε} underflows and u, v overflow
/// once C/ε reaches ~700 (ε ≈ 0.005 for the squared-Euclidean cost): then the solve stops and reports
/// an instability rather than return NaN. A reference for the log-domain solvers at moderate ε.
/// </summary>
public sealed class KernelSpaceSinkhorn : ISinkhornSolver
{
    /// <inheritdoc />
    public string Name => "kernel-space";

    /// <inheritdoc />
    /// <remarks>On an instability this returns Converged = false; <see cref="SolveWithDiagnostics"/> also says why.</remarks>
    public Coupling Solve(EntropicProblem problem, SinkhornOptions? options = null) => SolveWithDiagnostics(problem, options).Coupling;

    /// <summary>Solves and reports any under- or overflow of the kernel or the scalings.</summary>
    public KernelSpaceSolution SolveWithDiagnostics(EntropicProblem problem, SinkhornOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(problem);
        RequireBalanced(problem, Name);
        options ??= SinkhornOptions.Reference;
        int n = problem.Count;
        options.ValidateWarmStart(n);
        var update = options.ResolvePlainUpdate(problem);
        if (update is not (SinkhornUpdate.Alternating or SinkhornUpdate.Symmetric))
            throw new ArgumentException($"The kernel-space solver runs the alternating scheme (Auto, Alternating or Symmetric), not {update}.", nameof(options));
        double eps = problem.Epsilon;
        var a = problem.A.ToArray();
        var b = problem.B.ToArray();
        var kernel = new double[(long)n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                kernel[(long)i * n + j] = Math.Exp(-problem.Geometry.CostOrInfinity(i, j) / eps);

        var u = new double[n];
        for (int i = 0; i < n; i++) u[i] = options.WarmStart is { } warm ? Math.Exp(warm[i] / eps) : 1.0;
        var v = new double[n];
        var weighted = new double[n];
        var kv = new double[n];
        // The last finite duals, returned if the scalings break down.
        var f = options.WarmStart is { } w0 ? (double[])w0.Clone() : new double[n];
        var g = new double[n];
        double lastError = double.NaN;

        for (int iteration = 1; ; iteration++)
        {
            string? broke = null;
            for (int i = 0; i < n; i++) weighted[i] = a[i] * u[i];
            Multiply(kernel, n, weighted, kv, transpose: true);
            for (int j = 0; j < n && broke is null; j++)
            {
                v[j] = 1.0 / kv[j];
                if (b[j] > 0 && !(kv[j] > 0 && double.IsFinite(v[j])))
                    broke = $"column {j}: (Kᵀ(a⊙u))_j = {kv[j]:R}, so v_j is not a finite positive number";
            }
            if (broke is null)
            {
                for (int j = 0; j < n; j++) weighted[j] = b[j] * v[j];
                Multiply(kernel, n, weighted, kv, transpose: false);
                for (int i = 0; i < n && broke is null; i++)
                    if (a[i] > 0 && !(kv[i] > 0 && double.IsFinite(kv[i]) && double.IsFinite(1.0 / kv[i])))
                        broke = $"row {i}: (K(b⊙v))_i = {kv[i]:R}: the row of K·v under- or overflowed";
            }
            if (broke is not null)
                return Unstable(problem, f, g, iteration, lastError, $"Kernel-space Sinkhorn broke down at iteration {iteration} (ε = {eps:R}): {broke}. Use a log-domain solver.");

            // Row i of P sums to a_i·u_i·(K(b⊙v))_i.
            double error = 0;
            for (int i = 0; i < n; i++)
                if (a[i] > 0) error += a[i] * Math.Abs(u[i] * kv[i] - 1.0);
            var fNow = new double[n];
            var gNow = new double[n];
            bool finite = double.IsFinite(error);
            for (int i = 0; i < n && finite; i++)
            {
                fNow[i] = eps * Math.Log(u[i]);
                gNow[i] = eps * Math.Log(v[i]);
                finite = double.IsFinite(fNow[i]) && double.IsFinite(gNow[i]);
            }
            if (!finite)
                return Unstable(problem, f, g, iteration, lastError, $"Kernel-space Sinkhorn broke down at iteration {iteration} (ε = {eps:R}): a scaling reached 0 or ∞, so ε·log u or ε·log v is not finite. Use a log-domain solver.");
            (f, g, lastError) = (fNow, gNow, error);

            bool converged = error <= options.Tolerance;
            if (converged || iteration >= options.MaxIterations)
                return new KernelSpaceSolution(new Coupling(problem, f, g, iteration, error, converged, Name), null);
            for (int i = 0; i < n; i++) u[i] = 1.0 / kv[i];
        }
    }

    /// <summary>Refuses an unbalanced problem: this solver implements the hard-marginal scaling only.</summary>
    internal static void RequireBalanced(EntropicProblem problem, string solver)
    {
        if (!problem.IsBalanced)
            throw new ArgumentException(
                $"The {solver} solver handles balanced problems only, not ρ_a = {problem.Relaxation.RhoA:G4}, ρ_b = {problem.Relaxation.RhoB:G4}; use the reference, cpu or kernel solver.",
                nameof(problem));
    }

    private KernelSpaceSolution Unstable(EntropicProblem problem, double[] f, double[] g, int iteration, double lastError, string message)
    {
        var coupling = new Coupling(problem, f, g, iteration, 0, false, Name);
        // Before any finite iterate there is no error of the solver's own; count the returned duals'.
        double error = double.IsFinite(lastError) ? lastError : coupling.RowMarginalError();
        if (!double.IsFinite(error)) error = double.PositiveInfinity;
        return new KernelSpaceSolution(new Coupling(problem, f, g, iteration, error, false, Name), message);
    }

    private static void Multiply(double[] kernel, int n, double[] x, double[] y, bool transpose)
    {
        if (transpose)
        {
            Array.Clear(y);
            for (int i = 0; i < n; i++)
            {
                double xi = x[i];
                if (xi == 0) continue;
                for (int j = 0; j < n; j++) y[j] += kernel[(long)i * n + j] * xi;
            }
        }
        else
        {
            for (int i = 0; i < n; i++)
            {
                double s = 0;
                for (int j = 0; j < n; j++) s += kernel[(long)i * n + j] * x[j];
                y[i] = s;
            }
        }
    }
}
