using HardNegOT.Torch.Encoders;

namespace HardNegOT.Torch.Multimodal;

/// <summary>Shape and temperature of a <see cref="TwoTowerModel"/>.</summary>
public sealed record TwoTowerOptions
{
    /// <summary>CLIP's initial temperature.</summary>
    public const double DefaultTemperature = 0.07;

    /// <summary>The text tower; its output dimension is replaced by <see cref="EmbeddingDimension"/>.</summary>
    public required TextEncoderOptions Text { get; init; }

    /// <summary>Width d of the shared, normalised embedding.</summary>
    public int EmbeddingDimension { get; init; } = 128;

    /// <summary>Width of the image backbone's features (<see cref="SmallCnn"/>).</summary>
    public int ImageFeatureDimension { get; init; } = SmallCnn.DefaultFeatureDimension;

    /// <summary>Hidden width of the image projection head.</summary>
    public int ImageHiddenDimension { get; init; } = ProjectionHead.DefaultHiddenDimension;

    /// <summary>Temperature t at initialisation (logits are s/t).</summary>
    public double InitialTemperature { get; init; } = DefaultTemperature;

    /// <summary>Whether t is learned (as log(1/t), CLIP-style) or held fixed.</summary>
    public bool LearnTemperature { get; init; } = true;

    /// <summary>Lower bound on a learned t (CLIP clips 1/t at 100).</summary>
    public double MinTemperature { get; init; } = 0.01;

    /// <summary>Throws when a field is out of range.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Text, nameof(Text));
        (Text with { OutputDimension = EmbeddingDimension }).Validate();
        if (EmbeddingDimension < 1) throw new ArgumentOutOfRangeException(nameof(EmbeddingDimension), EmbeddingDimension, "Must be positive.");
        if (ImageFeatureDimension < 1) throw new ArgumentOutOfRangeException(nameof(ImageFeatureDimension), ImageFeatureDimension, "Must be positive.");
        if (ImageHiddenDimension < 1) throw new ArgumentOutOfRangeException(nameof(ImageHiddenDimension), ImageHiddenDimension, "Must be positive.");
        if (!(MinTemperature > 0) || !double.IsFinite(MinTemperature))
            throw new ArgumentOutOfRangeException(nameof(MinTemperature), MinTemperature, "Must be a positive finite number.");
        if (!(InitialTemperature >= MinTemperature) || !double.IsFinite(InitialTemperature))
            throw new ArgumentOutOfRangeException(nameof(InitialTemperature), InitialTemperature, $"Must be finite and at least the minimum {MinTemperature}.");
    }
}
