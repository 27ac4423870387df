using HardNegOT.Geometry;

namespace HardNegOT.Problems;

/// <summary>
/// The entropic OT problem min_P ⟨P, C⟩ + ε KL(P ‖ a⊗b) over couplings of the batch with itself,
/// with masked pairs carrying no mass. With a <see cref="MarginalRelaxation"/> it is the unbalanced problem
/// min_P ⟨P, C⟩ + ε KL(P ‖ a⊗b) + ρ_a KL(P1 ‖ a) + ρ_b KL(Pᵀ1 ‖ b) over all non-negative P (KL generalised:
/// Σ x log(x/m) − x + m); ρ = +∞ keeps that marginal a hard constraint.
/// </summary>
public sealed class EntropicProblem
{
    private readonly double[] _a;
    private readonly double[] _b;

    /// <summary>
    /// Creates the problem. Marginals default to uniform 1/N; custom ones must be finite, non-negative,
    /// have N entries and, when both marginals are hard constraints, equal total mass.
    /// </summary>
    /// <param name="geometry">Points, cost and mask.</param>
    /// <param name="epsilon">Entropic regularisation ε &gt; 0.</param>
    /// <param name="a">Row marginal (default uniform 1/N).</param>
    /// <param name="b">Column marginal (default uniform 1/N).</param>
    /// <param name="relaxation">Marginal penalties ρ_a, ρ_b; null or <see cref="MarginalRelaxation.Balanced"/> for the balanced problem.</param>
    public EntropicProblem(PointCloudGeometry geometry, double epsilon, ReadOnlySpan<double> a = default, ReadOnlySpan<double> b = default,
        MarginalRelaxation? relaxation = null)
    {
        ArgumentNullException.ThrowIfNull(geometry);
        if (!(epsilon > 0) || !double.IsFinite(epsilon))
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "ε must be a positive finite number.");
        double maximumCost = geometry.Cost.MaximumCost;
        if (maximumCost / epsilon > MaximumCostOverEpsilon)
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon,
                $"ε = {epsilon:G4} is below 1/{MaximumCostOverEpsilon:G0} of the largest cost {maximumCost:G4}: the potentials would lose all precision.");
        Geometry = geometry;
        Epsilon = epsilon;
        int n = geometry.Count;
        _a = a.IsEmpty ? Uniform(n) : ValidateMarginal(a, n, nameof(a));
        _b = b.IsEmpty ? Uniform(n) : ValidateMarginal(b, n, nameof(b));
        Relaxation = relaxation ?? MarginalRelaxation.Balanced;
        double massA = Sum(_a), massB = Sum(_b);
        // Only hard constraints on both sides force the masses to agree; a penalty lets the plan's mass float.
        if (Relaxation.IsBalanced && !(Math.Abs(massA - massB) <= 1e-9 * Math.Max(massA, massB)))
            throw new ArgumentException($"Marginals must have equal mass: Σa = {massA:R}, Σb = {massB:R}.", nameof(b));
        TauA = MarginalRelaxation.Tau(Relaxation.RhoA, epsilon);
        TauB = MarginalRelaxation.Tau(Relaxation.RhoB, epsilon);
        IsSymmetric = _a.AsSpan().SequenceEqual(_b) && Relaxation.RhoA.Equals(Relaxation.RhoB);
        if (!a.IsEmpty || !b.IsEmpty)
        {
            RequireReachable(geometry, _a, _b, nameof(a));
            RequireReachable(geometry, _b, _a, nameof(b));
        }
    }

    /// <summary>
    /// The unbalanced problem with penalty strengths <paramref name="rhoA"/>, <paramref name="rhoB"/>
    /// (each in (0, +∞]; +∞ keeps that marginal hard).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A strength is NaN, zero or negative, or ε is bad.</exception>
    public static EntropicProblem Unbalanced(PointCloudGeometry geometry, double epsilon, double rhoA, double rhoB,
        ReadOnlySpan<double> a = default, ReadOnlySpan<double> b = default) =>
        new(geometry, epsilon, a, b, new MarginalRelaxation(rhoA, rhoB));

    /// <summary>The same marginals, relaxation and geometry at another ε (the relaxation's τ follow ε).</summary>
    public EntropicProblem WithEpsilon(double epsilon) => new(Geometry, epsilon, _a, _b, Relaxation);

    /// <summary>The largest C_max/ε accepted: beyond it even double-precision potentials carry no accurate plan.</summary>
    public const double MaximumCostOverEpsilon = 1e6;

    /// <summary>Points, cost and mask.</summary>
    public PointCloudGeometry Geometry { get; }

    /// <summary>Entropic regularisation ε (smaller gives harder negatives).</summary>
    public double Epsilon { get; }

    /// <summary>Row marginal a.</summary>
    public ReadOnlySpan<double> A => _a;

    /// <summary>Column marginal b.</summary>
    public ReadOnlySpan<double> B => _b;

    /// <summary>Number of points N.</summary>
    public int Count => Geometry.Count;

    /// <summary>
    /// True when a = b and ρ_a = ρ_b: with the symmetric cost the two dual potentials then coincide at the
    /// optimum (balanced or not).
    /// </summary>
    public bool IsSymmetric { get; }

    /// <summary>The marginal penalties; <see cref="MarginalRelaxation.Balanced"/> for the ordinary problem.</summary>
    public MarginalRelaxation Relaxation { get; }

    /// <summary>True when both marginals are hard constraints (ρ_a = ρ_b = +∞).</summary>
    public bool IsBalanced => Relaxation.IsBalanced;

    /// <summary>τ_a = ρ_a/(ρ_a + ε): the row update is f ← τ_a·T_b(g) (1 when balanced).</summary>
    public double TauA { get; }

    /// <summary>τ_b = ρ_b/(ρ_b + ε): the column update is g ← τ_b·T_a(f) (1 when balanced).</summary>
    public double TauB { get; }

    private static double[] Uniform(int n)
    {
        var u = new double[n];
        Array.Fill(u, 1.0 / n);
        return u;
    }

    private static double[] ValidateMarginal(ReadOnlySpan<double> m, int n, string name)
    {
        if (m.Length != n)
            throw new ArgumentException($"Marginal {name} has {m.Length} entries, expected N = {n}.", name);
        for (int i = 0; i < n; i++)
            if (!(m[i] >= 0) || !double.IsFinite(m[i]))
                throw new ArgumentException($"Marginal {name}[{i}] = {m[i]}: entries must be finite and non-negative.", name);
        double mass = Sum(m);
        if (!(mass > 0) || !double.IsFinite(mass))
            throw new ArgumentException($"Marginal {name} has total mass {mass}: it must be positive and finite.", name);
        return m.ToArray();
    }

    // Every point needs an unmasked partner with positive mass on the other side: otherwise its
    // potential is undefined (and with positive mass of its own, the problem is infeasible).
    private static void RequireReachable(PointCloudGeometry geometry, double[] from, double[] to, string name)
    {
        for (int i = 0; i < from.Length; i++)
        {
            bool reachable = false;
            for (int j = 0; j < to.Length && !reachable; j++)
                reachable = to[j] > 0 && !geometry.IsMasked(i, j);
            if (!reachable)
                throw new ArgumentException(
                    $"Point {i} has no unmasked partner with positive mass in the other marginal than {name}: its potential is undefined.", name);
        }
    }

    private static double Sum(ReadOnlySpan<double> v)
    {
        double s = 0;
        foreach (var x in v) s += x;
        return s;
    }
}
