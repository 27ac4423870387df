using System.Numerics.Tensors;

namespace HardNegOT.Costs;

/// <summary>The paper's exponential cost e^{‖x − y‖² − κ} = e^{2 − 2s − κ} on the unit sphere.</summary>
public sealed record ExponentialCost : GroundCost
{
    /// <summary>The κ the paper uses by default.</summary>
    public const double DefaultKappa = 1.0;

    /// <summary>Creates the cost with shift <paramref name="kappa"/>.</summary>
    public ExponentialCost(double kappa = DefaultKappa)
    {
        // The largest cost e^{4−κ} must stay a finite float32 (e^88 ≈ float.MaxValue).
        if (!double.IsFinite(kappa) || kappa < MinimumKappa)
            throw new ArgumentOutOfRangeException(nameof(kappa), kappa, $"κ must be a finite number ≥ {MinimumKappa}.");
        Kappa = kappa;
    }

    /// <summary>The smallest κ accepted: below it e^{4−κ} overflows single precision.</summary>
    public const double MinimumKappa = -80.0;

    /// <summary>The shift κ in the exponent.</summary>
    public double Kappa { get; }

    /// <inheritdoc />
    public override double FromSimilarity(double similarity) => Math.Exp(2.0 - 2.0 * similarity - Kappa);

    /// <inheritdoc />
    public override float FromSimilarity(float similarity) => MathF.Exp(2f - 2f * similarity - (float)Kappa);

    /// <inheritdoc />
    public override void FromSimilarity(ReadOnlySpan<float> similarities, Span<float> destination)
    {
        TensorPrimitives.Multiply(similarities, -2f, destination);
        TensorPrimitives.Add(destination, 2f - (float)Kappa, destination);
        TensorPrimitives.Exp(destination, destination);
    }

    /// <inheritdoc />
    public override bool IsAffineInSimilarity => false;
}
