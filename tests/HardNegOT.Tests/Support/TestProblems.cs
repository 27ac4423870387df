using HardNegOT.Costs;
using HardNegOT.Geometry;
using HardNegOT.Problems;
using HardNegOT.Testing;

namespace HardNegOT.Tests.Support;

/// <summary>Builds problems from generated batches the same way in every test.</summary>
internal static class TestProblems
{
    /// <summary>
    /// ε values the convergence properties cycle through, chosen by the batch seed. Below 0.5, tiny or
    /// duplicated batches make the plan nearly a permutation and Sinkhorn may need more than any fixed
    /// budget (POT too); small ε is covered by properties that do not assume convergence.
    /// </summary>
    public static readonly double[] Epsilons = [0.5, 1.0, 2.0];

    /// <summary>Small ε values, for properties that hold whether or not the solve converged.</summary>
    public static readonly double[] SmallEpsilons = [0.03, 0.1, 0.25];

    public static double EpsilonFor(SphereBatch batch) => Epsilons[batch.Seed % Epsilons.Length];

    public static GroundCost CostFor(SphereBatch batch) => (batch.Seed / 7 % 3) switch
    {
        0 => new SquaredEuclideanCost(),
        1 => new ExponentialCost(),
        _ => new CosineCost(),
    };

    /// <summary>Two-view layout for even N ≥ 4, otherwise unpaired.</summary>
    public static BatchLayout LayoutFor(SphereBatch batch) =>
        batch.Count % 2 == 0 && batch.Count >= 4 ? BatchLayout.TwoView(batch.Count / 2) : BatchLayout.Unpaired(batch.Count);

    public static EntropicProblem For(SphereBatch batch, double? epsilon = null, GroundCost? cost = null, BatchLayout? layout = null)
    {
        var geometry = new PointCloudGeometry(batch.Data, batch.Count, batch.Dimension, cost ?? CostFor(batch), layout ?? LayoutFor(batch));
        return new EntropicProblem(geometry, epsilon ?? EpsilonFor(batch));
    }
}
