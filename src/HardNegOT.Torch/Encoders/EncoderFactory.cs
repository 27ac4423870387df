namespace HardNegOT.Torch.Encoders;

/// <summary>
/// Builds a <see cref="ContrastiveEncoder"/> from a backbone name: "small-cnn" (the default, <see cref="SmallCnn"/>),
/// "resnet18" or "resnet50" (<see cref="CifarResNet"/>), each with the 512 → 128 projection head.
/// </summary>
public static class EncoderFactory
{
    /// <summary>Name of the <see cref="SmallCnn"/> backbone.</summary>
    public const string SmallCnnName = "small-cnn";

    /// <summary>Name of the CIFAR ResNet-18 backbone.</summary>
    public const string ResNet18Name = "resnet18";

    /// <summary>Name of the CIFAR ResNet-50 backbone.</summary>
    public const string ResNet50Name = "resnet50";

    /// <summary>The default backbone name.</summary>
    public const string DefaultName = SmallCnnName;

    /// <summary>Every accepted backbone name.</summary>
    public static IReadOnlyList<string> Names { get; } = Array.AsReadOnly([SmallCnnName, ResNet18Name, ResNet50Name]);

    /// <summary>Creates the backbone called <paramref name="name"/> with torch's default (unseeded) initial weights.</summary>
    /// <param name="name">"small-cnn", "resnet18" or "resnet50" (case-insensitive).</param>
    /// <param name="inputChannels">Channels of the input images: 1 for Fashion-MNIST, 3 for CIFAR-10 and STL-10.</param>
    /// <param name="imageSize">Side of the square input images; only the small CNN's shape depends on it (a multiple of 4).</param>
    /// <exception cref="ArgumentException">The name is not one of <see cref="Names"/>.</exception>
    public static Backbone CreateBackbone(string name, int inputChannels = 1, int imageSize = 28)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputChannels);
        return name.ToLowerInvariant() switch
        {
            SmallCnnName => new SmallCnn(SmallCnn.DefaultFeatureDimension, inputChannels, imageSize),
            ResNet18Name => CifarResNet.ResNet18(inputChannels),
            ResNet50Name => CifarResNet.ResNet50(inputChannels),
            _ => throw new ArgumentException($"Unknown encoder '{name}'; expected one of {string.Join(", ", Names)}.", nameof(name)),
        };
    }

    /// <summary>
    /// Creates the encoder (backbone plus projection head) called <paramref name="name"/> with weights drawn from
    /// <paramref name="seed"/> (<see cref="ContrastiveEncoder.ResetParameters"/>).
    /// </summary>
    /// <param name="name">"small-cnn", "resnet18" or "resnet50" (case-insensitive).</param>
    /// <param name="inputChannels">Channels of the input images: 1 for Fashion-MNIST, 3 for CIFAR-10 and STL-10.</param>
    /// <param name="seed">Seed of the initial weights.</param>
    /// <param name="imageSize">Side of the square input images; only the small CNN's shape depends on it (a multiple of 4).</param>
    /// <exception cref="ArgumentException">The name is not one of <see cref="Names"/>.</exception>
    public static ContrastiveEncoder Create(string name, int inputChannels, int seed, int imageSize = 28)
    {
        var encoder = new ContrastiveEncoder(CreateBackbone(name, inputChannels, imageSize));
        encoder.ResetParameters(seed);
        return encoder;
    }
}
