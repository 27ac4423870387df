namespace HardNegOT.Problems;

/// <summary>
/// How strictly a coupling must meet its marginals: the unbalanced problem replaces the constraints P1 = a,
/// Pᵀ1 = b by the penalties ρ_a·KL(P1 ‖ a) + ρ_b·KL(Pᵀ1 ‖ b) (generalised KL, Σ x log(x/m) − x + m).
/// ρ = +∞ is a hard constraint, so <see cref="Balanced"/> is the ordinary entropic problem.
/// </summary>
public sealed record MarginalRelaxation
{
    /// <summary>Creates a relaxation; each strength must be positive (+∞ keeps that marginal hard).</summary>
    /// <param name="rhoA">ρ_a, the strength of the row-marginal penalty ρ_a·KL(P1 ‖ a).</param>
    /// <param name="rhoB">ρ_b, the strength of the column-marginal penalty ρ_b·KL(Pᵀ1 ‖ b).</param>
    /// <exception cref="ArgumentOutOfRangeException">A strength is NaN, zero or negative (the message names it).</exception>
    public MarginalRelaxation(double rhoA, double rhoB)
    {
        RhoA = Validate(rhoA, nameof(rhoA), "ρ_a");
        RhoB = Validate(rhoB, nameof(rhoB), "ρ_b");
    }

    /// <summary>Hard constraints on both sides (ρ_a = ρ_b = +∞): the balanced problem.</summary>
    public static MarginalRelaxation Balanced { get; } = new(double.PositiveInfinity, double.PositiveInfinity);

    /// <summary>The same strength <paramref name="rho"/> on both marginals.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rho"/> is NaN, zero or negative.</exception>
    public static MarginalRelaxation Both(double rho) => new(Validate(rho, nameof(rho), "ρ"), rho);

    /// <summary>ρ_a: the row-marginal penalty strength, in (0, +∞].</summary>
    public double RhoA { get; }

    /// <summary>ρ_b: the column-marginal penalty strength, in (0, +∞].</summary>
    public double RhoB { get; }

    /// <summary>True when both marginals are hard constraints.</summary>
    public bool IsBalanced => double.IsPositiveInfinity(RhoA) && double.IsPositiveInfinity(RhoB);

    /// <summary>
    /// τ = ρ/(ρ + ε), the factor the unbalanced Sinkhorn update applies to a balanced half-step (1 for ρ = +∞;
    /// OTT-JAX's tau_a / tau_b).
    /// </summary>
    public static double Tau(double rho, double epsilon) => double.IsPositiveInfinity(rho) ? 1.0 : rho / (rho + epsilon);

    private static double Validate(double rho, string name, string symbol) =>
        rho > 0 ? rho
            : throw new ArgumentOutOfRangeException(name, rho,
                $"{symbol} ({name}) = {rho} is not a valid marginal-relaxation strength: it must be positive (+∞ for a hard constraint).");
}
