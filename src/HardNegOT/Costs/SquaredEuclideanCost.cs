using System.Numerics.Tensors;

namespace HardNegOT.Costs;

/// <summary>
/// Squared Euclidean cost Scale·‖x − y‖² = Scale·(2 − 2s) on the unit sphere. Scale 1 is what the
/// paper's code uses with reg = ε (the default); Scale ½ is its Eq. 5.
/// </summary>
public sealed record SquaredEuclideanCost : GroundCost
{
    /// <summary>Creates the cost with the given scale (1 by default, ½ for the paper's Eq. 5).</summary>
    public SquaredEuclideanCost(double scale = 1.0)
    {
        // The float32 solvers evaluate up to 4·scale; keep it far from float overflow.
        if (!(scale > 0) || !(scale <= 1e30))
            throw new ArgumentOutOfRangeException(nameof(scale), scale, "The squared-Euclidean scale must be a positive number no larger than 1e30.");
        Scale = scale;
    }

    /// <summary>Multiplier of ‖x − y‖².</summary>
    public double Scale { get; }

    /// <inheritdoc />
    public override double FromSimilarity(double similarity) => Scale * (2.0 - 2.0 * similarity);

    /// <inheritdoc />
    public override float FromSimilarity(float similarity) => (float)Scale * (2f - 2f * similarity);

    /// <inheritdoc />
    public override void FromSimilarity(ReadOnlySpan<float> similarities, Span<float> destination)
    {
        float scale = (float)Scale;
        TensorPrimitives.Multiply(similarities, -2f * scale, destination);
        TensorPrimitives.Add(destination, 2f * scale, destination);
    }

    /// <inheritdoc />
    public override bool IsAffineInSimilarity => true;
}
