using HardNegOT.Geometry;

namespace HardNegOT.Problems;

/// <summary>
/// The entropic OT problem min_P ⟨P, C⟩ + ε KL(P ‖ a⊗b) over couplings of the batch with itself,
/// with masked pairs carrying no mass.
/// </summary>
public sealed class EntropicProblem
{
    private readonly double[] _a;
    private readonly double[] _b;

    /// <summary>
    /// Creates the problem. Marginals default to uniform 1/N; custom ones must be finite, non-negative,
    /// have N entries and equal total mass.
    /// </summary>
    public EntropicProblem(PointCloudGeometry geometry, double epsilon, ReadOnlySpan<double> a = default, ReadOnlySpan<double> b = default)
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
        double massA = Sum(_a), massB = Sum(_b);
        if (!(Math.Abs(massA - massB) <= 1e-9 * Math.Max(massA, massB)))
            throw new ArgumentException($"Marginals must have equal mass: Σa = {massA:R}, Σb = {massB:R}.", nameof(b));
        IsSymmetric = _a.AsSpan().SequenceEqual(_b);
        if (!a.IsEmpty || !b.IsEmpty)
        {
            RequireReachable(geometry, _a, _b, nameof(a));
            RequireReachable(geometry, _b, _a, nameof(b));
        }
    }

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

    /// <summary>True when a = b: with the symmetric cost the two dual potentials then coincide at the optimum.</summary>
    public bool IsSymmetric { get; }

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
