using HardNegOT.Numerics;
using HardNegOT.Problems;

namespace HardNegOT.Couplings;

/// <summary>
/// A solved coupling carried by its dual potentials: P_ij = a_i b_j exp((f_i + g_j − C_ij)/ε), with
/// masked pairs exactly 0. Rows, conditionals and the full matrix are computed from (geometry, duals, ε)
/// on demand, in double precision.
/// </summary>
public sealed class Coupling
{
    private readonly double[] _f;
    private readonly double[] _g;

    /// <summary>Wraps duals produced by a solver.</summary>
    /// <param name="problem">The problem solved.</param>
    /// <param name="f">Row potential (N finite values; kept, not copied).</param>
    /// <param name="g">Column potential (N finite values; kept, not copied).</param>
    /// <param name="iterations">Iterations performed.</param>
    /// <param name="marginalError">L1 row-marginal error Σ_i |Σ_j P_ij − a_i| of (f, g).</param>
    /// <param name="converged">Whether the stopping rule was met before the iteration cap.</param>
    /// <param name="solver">The solver's name.</param>
    /// <param name="convergenceError">
    /// The quantity the stopping rule compared with the tolerance, when it is not <paramref name="marginalError"/>
    /// (unbalanced solves stop on a dual change); null means the same as <paramref name="marginalError"/>.
    /// </param>
    public Coupling(EntropicProblem problem, double[] f, double[] g, int iterations, double marginalError, bool converged, string solver,
        double? convergenceError = null)
    {
        ArgumentNullException.ThrowIfNull(problem);
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(g);
        RequireFinite(f, problem.Count, nameof(f));
        RequireFinite(g, problem.Count, nameof(g));
        Problem = problem;
        _f = f;
        _g = g;
        Iterations = iterations;
        MarginalError = marginalError;
        ConvergenceError = convergenceError ?? marginalError;
        Converged = converged;
        Solver = solver;
    }

    /// <summary>The problem this coupling solves.</summary>
    public EntropicProblem Problem { get; }

    /// <summary>Row potential f.</summary>
    public ReadOnlySpan<double> F => _f;

    /// <summary>Column potential g.</summary>
    public ReadOnlySpan<double> G => _g;

    /// <summary>Sinkhorn iterations performed (one iteration = both half-steps).</summary>
    public int Iterations { get; }

    /// <summary>
    /// L1 row-marginal error Σ_i |Σ_j P_ij − a_i| of the returned duals. For a balanced problem this is what the
    /// solve drove below its tolerance; for an unbalanced one it measures how far the relaxed plan sits from a and
    /// is not expected to vanish (<see cref="ConvergenceError"/> is what converged).
    /// </summary>
    public double MarginalError { get; }

    /// <summary>
    /// What the stopping rule compared with the tolerance: the row-marginal error for a balanced problem
    /// (= <see cref="MarginalError"/>), the dual change Σ_i a_i·|exp((f_i − f⁺_i)/ε) − 1| of the last iteration
    /// (f⁺ the next row update) for an unbalanced one.
    /// </summary>
    public double ConvergenceError { get; }

    /// <summary>True when <see cref="ConvergenceError"/> reached the tolerance before the iteration cap.</summary>
    public bool Converged { get; }

    /// <summary>Name of the solver that produced the duals.</summary>
    public string Solver { get; }

    /// <summary>
    /// The coupling that satisfies only the row marginal: g = 0 and each row a softmax of
    /// −C_ij/ε + log b_j. For the squared-Euclidean cost on the sphere this is HCL's e^{βs} with β = 2/ε.
    /// </summary>
    public static Coupling RowConstrainedOnly(EntropicProblem problem)
    {
        ArgumentNullException.ThrowIfNull(problem);
        int n = problem.Count;
        var g = new double[n];
        var f = new double[n];
        var logits = new double[n];
        for (int i = 0; i < n; i++)
        {
            FillLogits(problem, g, i, logits);
            f[i] = -problem.Epsilon * LogSumExp.Of(logits);
        }
        var coupling = new Coupling(problem, f, g, iterations: 0, marginalError: 0, converged: true, solver: "row-constrained");
        return new Coupling(problem, f, g, iterations: 0, coupling.ColumnMarginalError(), converged: true, solver: "row-constrained");
    }

    /// <summary>P_ij (0 for masked pairs).</summary>
    public double Entry(int i, int j)
    {
        var geometry = Problem.Geometry;
        if (geometry.IsMasked(i, j)) return 0.0;
        double c = geometry.Cost.FromSimilarity(geometry.Similarity(i, j));
        return Problem.A[i] * Problem.B[j] * Math.Exp((_f[i] + _g[j] - c) / Problem.Epsilon);
    }

    /// <summary>The full N×N coupling, row-major. Allocates N² doubles: for inspection and small N.</summary>
    public double[] ToMatrix()
    {
        int n = Problem.Count;
        var p = new double[(long)n * n];
        Parallel.For(0, n, i =>
        {
            for (int j = 0; j < n; j++) p[(long)i * n + j] = Entry(i, j);
        });
        return p;
    }

    /// <summary>
    /// Writes the conditional negative distribution P*(x⁻ = j | xᵢ) ∝ b_j exp((g_j − C_ij)/ε) of anchor
    /// <paramref name="i"/>; it sums to 1 and masked entries are exactly 0.
    /// </summary>
    public void ConditionalRow(int i, Span<double> destination)
    {
        if (destination.Length != Problem.Count)
            throw new ArgumentException($"destination has length {destination.Length}, expected N = {Problem.Count}.", nameof(destination));
        FillLogits(Problem, _g, i, destination);
        LogSumExp.Softmax(destination, destination);
    }

    /// <summary>All conditional rows P*(x⁻|x) as a row-major N×N matrix (each row sums to 1).</summary>
    public double[] ConditionalMatrix()
    {
        int n = Problem.Count;
        var w = new double[(long)n * n];
        Parallel.For(0, n, i => ConditionalRow(i, w.AsSpan(i * n, n)));
        return w;
    }

    /// <summary>Expected negative similarity under the plan versus uniform sampling, and the plan's effective negatives.</summary>
    public HardnessDiagnostic Hardness()
    {
        var geometry = Problem.Geometry;
        int n = Problem.Count;
        double totalA = 0;
        foreach (var ai in Problem.A) totalA += ai;
        var partial = new (double Plan, double Uniform, double Effective, double Count)[n];
        Parallel.For(0, n, () => new double[n], (i, _, row) =>
        {
            ConditionalRow(i, row);
            double plan = 0, uniform = 0, entropy = 0;
            int negatives = 0;
            for (int j = 0; j < n; j++)
            {
                if (geometry.IsMasked(i, j)) continue;
                double s = geometry.Similarity(i, j);
                plan += row[j] * s;
                uniform += s;
                negatives++;
                if (row[j] > 0) entropy -= row[j] * Math.Log(row[j]);
            }
            double weight = Problem.A[i] / totalA;
            partial[i] = (weight * plan, weight * uniform / negatives, weight * Math.Exp(entropy), weight * negatives);
            return row;
        }, _ => { });
        double p = 0, u = 0, e = 0, c = 0;
        foreach (var t in partial) { p += t.Plan; u += t.Uniform; e += t.Effective; c += t.Count; }
        return new HardnessDiagnostic(p, u, e, c);
    }

    /// <summary>The row sums P1 (N values): a for a converged balanced plan, shrunk towards it by ρ_a otherwise.</summary>
    public double[] RowSums()
    {
        int n = Problem.Count;
        var sums = new double[n];
        Parallel.For(0, n, i =>
        {
            double row = 0;
            for (int j = 0; j < n; j++) row += Entry(i, j);
            sums[i] = row;
        });
        return sums;
    }

    /// <summary>The column sums Pᵀ1 (N values).</summary>
    public double[] ColumnSums()
    {
        int n = Problem.Count;
        var sums = new double[n];
        Parallel.For(0, n, j =>
        {
            double column = 0;
            for (int i = 0; i < n; i++) column += Entry(i, j);
            sums[j] = column;
        });
        return sums;
    }

    /// <summary>
    /// The primal objective of the plan, ⟨P, C⟩ + ε KL(P ‖ a⊗b) + ρ_a KL(P1 ‖ a) + ρ_b KL(Pᵀ1 ‖ b), with the
    /// generalised KL(x ‖ m) = Σ x log(x/m) − x + m; masked pairs are outside both P and the reference a⊗b, and a
    /// hard marginal (ρ = +∞) adds nothing (the plan is taken to meet it). O(N²) in double.
    /// </summary>
    public double PrimalObjective()
    {
        var geometry = Problem.Geometry;
        int n = Problem.Count;
        double eps = Problem.Epsilon;
        var a = Problem.A;
        var b = Problem.B;
        var rowTerms = new double[n];
        Parallel.For(0, n, i =>
        {
            double term = 0;
            double ai = Problem.A[i];
            for (int j = 0; j < n; j++)
            {
                if (geometry.IsMasked(i, j)) continue;
                double c = geometry.Cost.FromSimilarity(geometry.Similarity(i, j));
                double reference = ai * Problem.B[j];
                double p = Entry(i, j);
                term += p * c + eps * (p > 0 ? p * Math.Log(p / reference) - p + reference : reference);
            }
            rowTerms[i] = term;
        });
        double total = rowTerms.Sum();
        var relaxation = Problem.Relaxation;
        if (!double.IsPositiveInfinity(relaxation.RhoA)) total += relaxation.RhoA * Kl(RowSums(), a);
        if (!double.IsPositiveInfinity(relaxation.RhoB)) total += relaxation.RhoB * Kl(ColumnSums(), b);
        return total;
    }

    /// <summary>
    /// The dual objective of (f, g): −ε Σ_unmasked a_i b_j (e^{(f_i + g_j − C_ij)/ε} − 1) plus, per side, ⟨a, f⟩ for
    /// a hard marginal or −ρ_a ⟨a, e^{−f/ρ_a} − 1⟩ for a relaxed one (likewise b, g). A lower bound on
    /// <see cref="PrimalObjective"/> for any duals, equal to it at the optimum. O(N²) in double.
    /// </summary>
    public double DualObjective()
    {
        var geometry = Problem.Geometry;
        int n = Problem.Count;
        double eps = Problem.Epsilon;
        var rowTerms = new double[n];
        Parallel.For(0, n, i =>
        {
            double term = 0;
            double ai = Problem.A[i];
            for (int j = 0; j < n; j++)
            {
                if (geometry.IsMasked(i, j)) continue;
                double reference = ai * Problem.B[j];
                term += Entry(i, j) - reference;
            }
            rowTerms[i] = term;
        });
        double total = -eps * rowTerms.Sum();
        total += SideDual(Problem.A, _f, Problem.Relaxation.RhoA);
        total += SideDual(Problem.B, _g, Problem.Relaxation.RhoB);
        return total;
    }

    /// <summary>Σ_j |Σ_i P_ij − b_j|: how far the plan is from the column marginal.</summary>
    public double ColumnMarginalError() => MarginalErrorAgainst(Problem.B, (k, other) => Entry(other, k));

    /// <summary>Σ_i |Σ_j P_ij − a_i|: how far the plan is from the row marginal.</summary>
    public double RowMarginalError() => MarginalErrorAgainst(Problem.A, Entry);

    // Σ_k |Σ_other P(k, other) − target_k|, with entry(k, other) reading a row (k = i) or a column (k = j).
    private double MarginalErrorAgainst(ReadOnlySpan<double> target, Func<int, int, double> entry)
    {
        int n = Problem.Count;
        double error = 0;
        for (int k = 0; k < n; k++)
        {
            double sum = 0;
            for (int other = 0; other < n; other++) sum += entry(k, other);
            error += Math.Abs(sum - target[k]);
        }
        return error;
    }

    // −ρ⟨m, e^{−h/ρ} − 1⟩ is the conjugate of ρ KL(· ‖ m); it tends to ⟨m, h⟩ as ρ → ∞.
    private static double SideDual(ReadOnlySpan<double> marginal, double[] potential, double rho)
    {
        double sum = 0;
        for (int i = 0; i < potential.Length; i++)
        {
            if (marginal[i] == 0) continue;
            sum += double.IsPositiveInfinity(rho)
                ? marginal[i] * potential[i]
                : -rho * marginal[i] * double.ExpM1(-potential[i] / rho);
        }
        return sum;
    }

    private static double Kl(double[] x, ReadOnlySpan<double> m)
    {
        double sum = 0;
        for (int i = 0; i < x.Length; i++)
            sum += x[i] > 0 ? x[i] * Math.Log(x[i] / m[i]) - x[i] + m[i] : m[i];
        return sum;
    }

    private static void RequireFinite(double[] potential, int n, string name)
    {
        if (potential.Length != n)
            throw new ArgumentException($"Potential {name} has {potential.Length} entries, expected N = {n}.", name);
        for (int i = 0; i < n; i++)
            if (!double.IsFinite(potential[i]))
                throw new ArgumentException($"Potential {name}[{i}] = {potential[i]}: potentials must be finite.", name);
    }

    // logits_j = (g_j − C_ij)/ε + log b_j, −∞ where masked.
    private static void FillLogits(EntropicProblem problem, ReadOnlySpan<double> g, int i, Span<double> logits)
    {
        var geometry = problem.Geometry;
        double eps = problem.Epsilon;
        var b = problem.B;
        for (int j = 0; j < logits.Length; j++)
            logits[j] = geometry.IsMasked(i, j)
                ? double.NegativeInfinity
                : (g[j] - geometry.Cost.FromSimilarity(geometry.Similarity(i, j))) / eps + Math.Log(b[j]);
    }
}
