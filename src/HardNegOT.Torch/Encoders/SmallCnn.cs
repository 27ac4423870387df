using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HardNegOT.Torch.Encoders;

/// <summary>
/// A small CNN backbone, by default for 28×28 greyscale images: conv3×3(32)-BN-ReLU-maxpool2,
/// conv3×3(64)-BN-ReLU-maxpool2, then a linear layer from the 64×(S/4)×(S/4) map to <see cref="FeatureDimension"/>
/// features. Input: N×C·S·S or N×C×S×S pixels; output: N×<see cref="FeatureDimension"/>.
/// </summary>
public sealed class SmallCnn : Backbone
{
    /// <summary>Default width of the backbone features.</summary>
    public const int DefaultFeatureDimension = 128;

    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Conv2d conv2;
    private readonly BatchNorm2d bn2;
    private readonly Linear fc;

    /// <summary>Creates the backbone with randomly initialised weights (from torch's global generator).</summary>
    /// <param name="featureDimension">Width of the output features.</param>
    /// <param name="inputChannels">Channels of the input images (1 for greyscale, 3 for RGB).</param>
    /// <param name="imageSize">Side S of the square input images, a multiple of 4 (28 for Fashion-MNIST).</param>
    public SmallCnn(int featureDimension = DefaultFeatureDimension, int inputChannels = 1, int imageSize = 28) : base(nameof(SmallCnn))
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(featureDimension);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputChannels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(imageSize);
        if (imageSize % 4 != 0)
            throw new ArgumentOutOfRangeException(nameof(imageSize), imageSize, "The image side must be a multiple of 4 (two 2× max-pools).");
        FeatureDimension = featureDimension;
        InputChannels = inputChannels;
        ImageSize = imageSize;
        // Bias-free convolutions: the following BatchNorm has its own shift.
        conv1 = nn.Conv2d(inputChannels, 32, 3, padding: 1, bias: false);
        bn1 = nn.BatchNorm2d(32);
        conv2 = nn.Conv2d(32, 64, 3, padding: 1, bias: false);
        bn2 = nn.BatchNorm2d(64);
        fc = nn.Linear(64 * (imageSize / 4) * (imageSize / 4), featureDimension);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override int FeatureDimension { get; }

    /// <inheritdoc />
    public override int InputChannels { get; }

    /// <summary>Side of the square input images.</summary>
    public int ImageSize { get; }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = input.dim() == 2 ? input.view(-1, InputChannels, ImageSize, ImageSize) : input;
        x = nn.functional.max_pool2d(nn.functional.relu(bn1.forward(conv1.forward(x))), 2);
        x = nn.functional.max_pool2d(nn.functional.relu(bn2.forward(conv2.forward(x))), 2);
        return fc.forward(x.flatten(1)).MoveToOuterDisposeScope();
    }
}
