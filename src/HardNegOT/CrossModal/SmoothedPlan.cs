using HardNegOT.Assignment;
using HardNegOT.Costs;
using HardNegOT.Geometry;
using HardNegOT.Problems;
using HardNegOT.Solvers;

namespace HardNegOT.CrossModal;

/// <summary>
/// A cross-modal transport plan between n features of one modality V and n of another T (e.g. images and captions):
/// the combinatorial optimum, an assignment σ (V row i ↔ T row σ(i)), and its entropic smoothing P (Sinkhorn at ε),
/// with the barycentric projections v′ = n·P·T̂ and t′ = n·Pᵀ·V̂ that carry each point to its soft match.
/// </summary>
/// <remarks>
/// <para>
/// Rows of V and T are L2-normalised (T̂, V̂) as everywhere in this library, and C_ij = cost(v̂_i, t̂_j) is one of the
/// <see cref="GroundCost"/> functions of their cosine similarity. P has uniform marginals 1/n on both sides, so
/// n·P is doubly stochastic and v′_i is a convex combination of the t̂_j; as ε → 0, P tends to the permutation σ/n.
/// </para>
/// <para>
/// The existing solvers work on one point cloud coupled with itself, so the cross-modal problem is posed on the stacked
/// cloud [V; T] of 2n points with marginals a = (1/n on V, 0 on T) and b = (0 on V, 1/n on T): every zero-mass row and
/// column carries no plan, and the V×T block of the stacked coupling is exactly the cross-modal plan. This costs four
/// times the work of a dedicated n×n solve but reuses every solver as is.
/// </para>
/// </remarks>
public sealed class SmoothedPlan
{
    /// <summary>Wraps precomputed parts (used by <see cref="Compute"/> and by deserialisation; arrays are not copied).</summary>
    /// <param name="count">n, the number of points per modality.</param>
    /// <param name="dimension">d, the feature dimension of both modalities.</param>
    /// <param name="epsilon">The entropic regularisation ε of <paramref name="plan"/>.</param>
    /// <param name="assignment">The combinatorial optimum (exact or δ-approximate), or null for an entropic-only plan.</param>
    /// <param name="plan">P, n×n row-major.</param>
    /// <param name="projectedV">v′ = n·P·T̂, n×d row-major.</param>
    /// <param name="projectedT">t′ = n·Pᵀ·V̂, n×d row-major.</param>
    /// <param name="planCost">⟨C, P⟩.</param>
    /// <param name="sinkhornIterations">Iterations the Sinkhorn solve took.</param>
    /// <param name="marginalError">The solver's final marginal error.</param>
    /// <param name="converged">Whether the solve met its tolerance.</param>
    /// <exception cref="ArgumentException">An array length does not match n and d, or a scalar is invalid.</exception>
    public SmoothedPlan(
        int count, int dimension, double epsilon, AssignmentResult? assignment, double[] plan, double[] projectedV, double[] projectedT,
        double planCost, int sinkhornIterations, double marginalError, bool converged)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(projectedV);
        ArgumentNullException.ThrowIfNull(projectedT);
        if (!(epsilon > 0) || !double.IsFinite(epsilon))
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "ε must be a positive finite number.");
        if (assignment is not null && assignment.Size != count)
            throw new ArgumentException($"The assignment has {assignment.Size} rows, expected n = {count}.", nameof(assignment));
        if (plan.Length != (long)count * count)
            throw new ArgumentException($"The plan has {plan.Length} entries, expected n² = {(long)count * count}.", nameof(plan));
        if (projectedV.Length != (long)count * dimension)
            throw new ArgumentException($"projectedV has {projectedV.Length} entries, expected n·d = {(long)count * dimension}.", nameof(projectedV));
        if (projectedT.Length != (long)count * dimension)
            throw new ArgumentException($"projectedT has {projectedT.Length} entries, expected n·d = {(long)count * dimension}.", nameof(projectedT));
        ArgumentOutOfRangeException.ThrowIfNegative(sinkhornIterations);

        Count = count;
        Dimension = dimension;
        Epsilon = epsilon;
        Assignment = assignment;
        Plan = plan;
        ProjectedV = projectedV;
        ProjectedT = projectedT;
        PlanCost = planCost;
        SinkhornIterations = sinkhornIterations;
        MarginalError = marginalError;
        Converged = converged;
    }

    /// <summary>n, the number of points per modality.</summary>
    public int Count { get; }

    /// <summary>d, the feature dimension.</summary>
    public int Dimension { get; }

    /// <summary>The entropic regularisation ε of <see cref="Plan"/>.</summary>
    public double Epsilon { get; }

    /// <summary>
    /// The combinatorial optimum σ: V row i ↔ T row <c>Assignment.Permutation[i]</c>; null for an entropic-only plan
    /// (<see cref="Compute"/> with <c>withAssignment: false</c>).
    /// </summary>
    public AssignmentResult? Assignment { get; }

    /// <summary>The entropic plan P, n×n row-major: P_ij ≥ 0, rows and columns sum to 1/n (to the solver's tolerance).</summary>
    public double[] Plan { get; }

    /// <summary>Barycentric projection of V onto T: v′_i = n·Σ_j P_ij t̂_j, n×d row-major.</summary>
    public double[] ProjectedV { get; }

    /// <summary>Barycentric projection of T onto V: t′_j = n·Σ_i P_ij v̂_i, n×d row-major.</summary>
    public double[] ProjectedT { get; }

    /// <summary>The transport cost ⟨C, P⟩ of the entropic plan (at least <c>Assignment.MeanCost</c> up to rounding).</summary>
    public double PlanCost { get; }

    /// <summary>Sinkhorn iterations of the entropic solve.</summary>
    public int SinkhornIterations { get; }

    /// <summary>The Sinkhorn solver's final marginal error.</summary>
    public double MarginalError { get; }

    /// <summary>Whether the Sinkhorn solve met its tolerance.</summary>
    public bool Converged { get; }

    /// <summary>Memory held by the arrays of this plan, in bytes (what <see cref="PlanCache"/> counts).</summary>
    public long SizeInBytes =>
        sizeof(double) * ((long)Plan.Length + ProjectedV.Length + ProjectedT.Length)
        + (Assignment is null ? 0 : sizeof(double) * 2L * Count + sizeof(int) * (long)Count);

    /// <summary>Computes σ, P and the projections for paired features <paramref name="v"/> and <paramref name="t"/>.</summary>
    /// <param name="v">Features of the first modality, n×d row-major (normalised here; no zero rows).</param>
    /// <param name="t">Features of the second modality, n×d row-major.</param>
    /// <param name="count">n ≥ 2.</param>
    /// <param name="dimension">d ≥ 1.</param>
    /// <param name="cost">Ground cost as a function of cosine similarity.</param>
    /// <param name="epsilon">Entropic regularisation ε &gt; 0 (C_max/ε ≤ <see cref="EntropicProblem.MaximumCostOverEpsilon"/>).</param>
    /// <param name="solver">Sinkhorn solver; the double-precision <see cref="ReferenceSinkhorn"/> when null.</param>
    /// <param name="options">Sinkhorn options; <see cref="SinkhornOptions.Reference"/> when null.</param>
    /// <param name="assignmentDelta">
    /// When set, σ comes from <see cref="ApproximateAssignment"/> with this δ (mean cost within δ of optimal); otherwise exact.
    /// </param>
    /// <param name="withAssignment">False skips the combinatorial step: only P and the projections (Assignment null).</param>
    /// <exception cref="ArgumentException">
    /// A length does not match n·d, an entry is not finite, a row is all zeros, n &lt; 2, or ε is out of range.
    /// </exception>
    public static SmoothedPlan Compute(
        ReadOnlySpan<float> v, ReadOnlySpan<float> t, int count, int dimension, GroundCost cost, double epsilon,
        ISinkhornSolver? solver = null, SinkhornOptions? options = null, double? assignmentDelta = null,
        bool withAssignment = true)
    {
        ArgumentNullException.ThrowIfNull(cost);
        if (!withAssignment && assignmentDelta is not null)
            throw new ArgumentException("assignmentDelta is the δ of the combinatorial step, which withAssignment: false skips.", nameof(assignmentDelta));
        if (count < 2)
            throw new ArgumentOutOfRangeException(nameof(count), count, "A cross-modal plan needs n ≥ 2 pairs.");
        Embeddings.Validate(v, count, dimension, nameof(v));
        Embeddings.Validate(t, count, dimension, nameof(t));
        int n = count, d = dimension;

        var stacked = new float[2 * n * d];
        v.CopyTo(stacked);
        t.CopyTo(stacked.AsSpan(n * d));
        var geometry = new PointCloudGeometry(stacked, 2 * n, d, cost, BatchLayout.Unpaired(2 * n));
        var a = new double[2 * n];
        var b = new double[2 * n];
        a.AsSpan(0, n).Fill(1.0 / n);
        b.AsSpan(n, n).Fill(1.0 / n);
        var problem = new EntropicProblem(geometry, epsilon, a, b);
        var coupling = (solver ?? new ReferenceSinkhorn()).Solve(problem, options ?? SinkhornOptions.Reference);

        var costs = new double[n * n];
        var plan = new double[n * n];
        double planCost = 0;
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                costs[i * n + j] = geometry.CostOrInfinity(i, n + j);
                double p = coupling.Entry(i, n + j);
                plan[i * n + j] = p;
                planCost += p * costs[i * n + j];
            }
        }

        var assignment = !withAssignment ? null
            : assignmentDelta is { } delta ? ApproximateAssignment.Solve(costs, n, n, delta)
            : ExactAssignment.Solve(costs, n, n);

        var projectedV = new double[n * d];
        var projectedT = new double[n * d];
        for (int i = 0; i < n; i++)
        {
            var vi = geometry.Point(i);
            for (int j = 0; j < n; j++)
            {
                double weight = n * plan[i * n + j];
                var tj = geometry.Point(n + j);
                for (int k = 0; k < d; k++)
                {
                    projectedV[i * d + k] += weight * tj[k];
                    projectedT[j * d + k] += weight * vi[k];
                }
            }
        }

        return new SmoothedPlan(n, d, epsilon, assignment, plan, projectedV, projectedT, planCost,
            coupling.Iterations, coupling.MarginalError, coupling.Converged);
    }
}
