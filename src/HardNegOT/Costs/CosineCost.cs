using System.Numerics.Tensors;

namespace HardNegOT.Costs;

/// <summary>Cosine cost 1 − s.</summary>
public sealed record CosineCost : GroundCost
{
    /// <inheritdoc />
    public override double FromSimilarity(double similarity) => 1.0 - similarity;

    /// <inheritdoc />
    public override float FromSimilarity(float similarity) => 1f - similarity;

    /// <inheritdoc />
    public override void FromSimilarity(ReadOnlySpan<float> similarities, Span<float> destination)
    {
        TensorPrimitives.Negate(similarities, destination);
        TensorPrimitives.Add(destination, 1f, destination);
    }

    /// <inheritdoc />
    public override bool IsAffineInSimilarity => true;
}
