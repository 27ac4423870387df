namespace HardNegOT.Costs;

/// <summary>
/// A ground cost between two unit-norm embeddings, written as a function of their cosine
/// similarity s (every cost the method uses depends on the pair only through s on the sphere).
/// </summary>
public abstract record GroundCost
{
    /// <summary>The cost for cosine similarity <paramref name="similarity"/> ∈ [−1, 1], in double precision.</summary>
    public abstract double FromSimilarity(double similarity);

    /// <summary>The cost for cosine similarity <paramref name="similarity"/>, in single precision (fast paths).</summary>
    public virtual float FromSimilarity(float similarity) => (float)FromSimilarity((double)similarity);

    /// <summary>Applies the cost to a span of similarities in single precision (vectorised where the cost allows).</summary>
    public virtual void FromSimilarity(ReadOnlySpan<float> similarities, Span<float> destination)
    {
        for (int k = 0; k < similarities.Length; k++) destination[k] = FromSimilarity(similarities[k]);
    }

    /// <summary>The largest cost on the sphere, reached at s = −1 (every cost here decreases in s).</summary>
    public double MaximumCost => FromSimilarity(-1.0);

    /// <summary>True when the cost is an affine, decreasing function of s (the expected similarity then
    /// moves monotonically with the transport cost).</summary>
    public abstract bool IsAffineInSimilarity { get; }

    /// <summary>Parses a command-line name: sqeuclid, sqeuclid-half, exp, cosine.</summary>
    public static GroundCost Parse(string name, double kappa = ExponentialCost.DefaultKappa) => name switch
    {
        "sqeuclid" => new SquaredEuclideanCost(),
        "sqeuclid-half" => new SquaredEuclideanCost(0.5),
        "exp" => new ExponentialCost(kappa),
        "cosine" => new CosineCost(),
        _ => throw new ArgumentException($"Unknown cost '{name}'; expected sqeuclid, sqeuclid-half, exp or cosine.", nameof(name)),
    };
}
