using HardNegOT.Problems;

namespace HardNegOT.Solvers;

/// <summary>What single-precision solvers (the fast CPU path and the device kernels) can resolve.</summary>
public static class SinglePrecision
{
    /// <summary>
    /// Largest C_max/ε a float32 solver accepts: terms of size C/ε carry ~6e-8·C/ε absolute rounding in
    /// the exponent, so beyond 1e4 the weights would be off by more than a few parts in a thousand.
    /// </summary>
    public const double MaximumCostOverEpsilon = 1e4;

    /// <summary>Refuses <paramref name="problem"/> when its ε is too small for float32, naming <paramref name="solver"/>.</summary>
    public static void RequireResolvable(EntropicProblem problem, string solver)
    {
        ArgumentNullException.ThrowIfNull(problem);
        double costOverEpsilon = problem.Geometry.Cost.MaximumCost / problem.Epsilon;
        if (costOverEpsilon > MaximumCostOverEpsilon)
            throw new ArgumentOutOfRangeException(nameof(problem), problem.Epsilon,
                $"ε = {problem.Epsilon:G4} is too small for the float32 {solver} solver: C_max/ε = {costOverEpsilon:G4} exceeds {MaximumCostOverEpsilon:G0}. Use the reference solver.");
    }
}
