using HardNegOT.Costs;
using HardNegOT.Geometry;
using HardNegOT.Problems;
using HardNegOT.Solvers;

namespace HardNegOT.Divergences;

/// <summary>The three entropic transport costs of a Sinkhorn divergence and the divergence they give.</summary>
/// <param name="Divergence">S_ε(α, β) = OT_ε(α, β) − ½·OT_ε(α, α) − ½·OT_ε(β, β).</param>
/// <param name="Cross">OT_ε(α, β).</param>
/// <param name="SelfA">OT_ε(α, α).</param>
/// <param name="SelfB">OT_ε(β, β).</param>
/// <param name="Converged">True when all three solves met their tolerance.</param>
/// <param name="Iterations">Iterations of the three solves together.</param>
public sealed record SinkhornDivergenceResult(double Divergence, double Cross, double SelfA, double SelfB, bool Converged, int Iterations);

/// <summary>
/// The debiased Sinkhorn divergence (Feydy et al., 2019) between two weighted point clouds on the sphere,
/// α = Σ a_i δ_{x_i} and β = Σ b_j δ_{y_j} (rows are L2-normalised, as everywhere in this library):
/// S_ε(α, β) = OT_ε(α, β) − ½·OT_ε(α, α) − ½·OT_ε(β, β), with OT_ε the balanced entropic cost
/// min_P ⟨P, C⟩ + ε·KL(P ‖ α⊗β) evaluated at the solved duals in the ⟨f, a⟩ + ⟨g, b⟩ form.
/// </summary>
/// <remarks>
/// <para>
/// Each OT_ε runs through an <see cref="ISinkhornSolver"/> on an <see cref="BatchLayout.Unmasked"/> geometry (the
/// definition keeps every pair, i = j included). The self terms are symmetric problems (a = b), so the solvers'
/// default Anderson-accelerated symmetric update applies; the cross term runs on the concatenated cloud [x; y]
/// with marginals [a; 0] and [0; b] (its cross block holds every pair (x_i, y_j)), and an Auto update there
/// becomes <see cref="SinkhornUpdate.OverRelaxedAdaptive"/> (plain alternating crawls when β is close to α).
/// The fused device kernels always mask i = j and refuse these layouts; the reference and cpu solvers take them.
/// </para>
/// <para>
/// Each value is <see cref="Couplings.Coupling.DualObjective"/> of the solved duals: ⟨f, a⟩ + ⟨g, b⟩ minus the mass
/// term ε(ΣP − 1), which vanishes at the optimum. With the term the value is a lower bound whose error is second
/// order in the potentials' error, whatever update the solver ran (the symmetric ones return g = f, whose plan
/// misses the column marginal slightly; the bare ⟨f, a⟩ + ⟨g, b⟩ would be off to first order there).
/// </para>
/// <para>
/// S_ε ≥ 0, with equality iff α = β, when the Gibbs kernel e^{−C/ε} is positive definite: on the sphere this holds
/// for the squared-Euclidean and the cosine cost (1 − s = ½‖x − y‖²), which are Gaussian kernels there. The
/// exponential cost carries no such guarantee.
/// </para>
/// </remarks>
public static class SinkhornDivergence
{
    /// <summary>Default stopping rule of the reference solves; the values' error is second order in this tolerance.</summary>
    public static SinkhornOptions DefaultOptions { get; } = new() { Tolerance = 1e-8, MaxIterations = 100_000 };

    /// <summary>Computes S_ε(α, β) and its three terms.</summary>
    /// <param name="x">α's points, row-major n×d (normalised here; rows must not be all zero).</param>
    /// <param name="n">Number of points of α, at least 1.</param>
    /// <param name="y">β's points, row-major m×d.</param>
    /// <param name="m">Number of points of β, at least 1.</param>
    /// <param name="dimension">The dimension d of both clouds.</param>
    /// <param name="cost">Ground cost on the sphere.</param>
    /// <param name="epsilon">Entropic regularisation ε &gt; 0.</param>
    /// <param name="solver">The solver of the three problems; null for <see cref="ReferenceSinkhorn"/>.</param>
    /// <param name="options">Its options; null for <see cref="DefaultOptions"/> (reference) or the solver's own default.</param>
    /// <param name="a">α's weights (n, non-negative, summing to 1); default uniform.</param>
    /// <param name="b">β's weights (m, non-negative, summing to 1); default uniform.</param>
    /// <exception cref="ArgumentException">A bad shape, point, weight vector or ε (the message names it).</exception>
    public static SinkhornDivergenceResult Compute(
        ReadOnlySpan<float> x, int n, ReadOnlySpan<float> y, int m, int dimension, GroundCost cost, double epsilon,
        ISinkhornSolver? solver = null, SinkhornOptions? options = null, ReadOnlySpan<double> a = default, ReadOnlySpan<double> b = default)
    {
        ArgumentNullException.ThrowIfNull(cost);
        RequireCount(n, nameof(n));
        RequireCount(m, nameof(m));
        Embeddings.Validate(x, n, dimension, nameof(x));
        Embeddings.Validate(y, m, dimension, nameof(y));
        var weightsA = Weights(a, n, nameof(a));
        var weightsB = Weights(b, m, nameof(b));
        if (solver is null)
        {
            solver = new ReferenceSinkhorn();
            options ??= DefaultOptions;
        }
        // The cross term has a ≠ b, where Auto means plain alternating; the adaptive over-relaxed update is never
        // much slower and escapes the crawl on near-permutation plans (α against a re-weighted copy of itself).
        var crossOptions = options is { Update: SinkhornUpdate.Auto } ? options with { Update = SinkhornUpdate.OverRelaxedAdaptive } : options;

        var cross = CrossCost(x, n, weightsA, y, m, weightsB, dimension, cost, epsilon, solver, crossOptions);
        var selfA = SelfCost(x, n, weightsA, dimension, cost, epsilon, solver, options);
        var selfB = SelfCost(y, m, weightsB, dimension, cost, epsilon, solver, options);
        return new SinkhornDivergenceResult(
            cross.Value - 0.5 * selfA.Value - 0.5 * selfB.Value, cross.Value, selfA.Value, selfB.Value,
            cross.Converged && selfA.Converged && selfB.Converged, cross.Iterations + selfA.Iterations + selfB.Iterations);
    }

    private static (double Value, bool Converged, int Iterations) CrossCost(
        ReadOnlySpan<float> x, int n, double[] a, ReadOnlySpan<float> y, int m, double[] b, int d, GroundCost cost, double epsilon,
        ISinkhornSolver solver, SinkhornOptions? options)
    {
        int total = n + m;
        var points = new float[(long)total * d];
        x.CopyTo(points);
        y.CopyTo(points.AsSpan(n * d));
        var rows = new double[total];
        var columns = new double[total];
        a.CopyTo(rows, 0);
        b.CopyTo(columns, n);
        var problem = new EntropicProblem(new PointCloudGeometry(points, total, d, cost, BatchLayout.Unmasked(total)), epsilon, rows, columns);
        var coupling = solver.Solve(problem, options);
        return (coupling.DualObjective(), coupling.Converged, coupling.Iterations);
    }

    private static (double Value, bool Converged, int Iterations) SelfCost(
        ReadOnlySpan<float> x, int n, double[] a, int d, GroundCost cost, double epsilon, ISinkhornSolver solver, SinkhornOptions? options)
    {
        var problem = new EntropicProblem(new PointCloudGeometry(x, n, d, cost, BatchLayout.Unmasked(n)), epsilon, a, a);
        var coupling = solver.Solve(problem, options);
        return (coupling.DualObjective(), coupling.Converged, coupling.Iterations);
    }

    private static void RequireCount(int count, string name)
    {
        if (count < 1)
            throw new ArgumentOutOfRangeException(name, count, $"{name} = {count}: each cloud needs at least one point.");
    }

    private static double[] Weights(ReadOnlySpan<double> weights, int count, string name)
    {
        if (weights.IsEmpty)
        {
            var uniform = new double[count];
            Array.Fill(uniform, 1.0 / count);
            return uniform;
        }
        if (weights.Length != count)
            throw new ArgumentException($"{name} has {weights.Length} weights, expected {count}.", name);
        double sum = 0;
        for (int i = 0; i < count; i++)
        {
            if (!(weights[i] >= 0) || !double.IsFinite(weights[i]))
                throw new ArgumentException($"{name}[{i}] = {weights[i]}: weights must be finite and non-negative.", name);
            sum += weights[i];
        }
        if (!(Math.Abs(sum - 1) <= 1e-9))
            throw new ArgumentException($"{name} sums to {sum:R}: the divergence compares probability measures (Σ = 1).", name);
        return weights.ToArray();
    }
}
