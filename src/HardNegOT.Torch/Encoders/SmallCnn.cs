using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HardNegOT.Torch.Encoders;

/// <summary>
/// A small CNN backbone for 28×28 greyscale images: conv3×3(32)-BN-ReLU-maxpool2, conv3×3(64)-BN-ReLU-maxpool2,
/// then a linear layer from the 64×7×7 map to <see cref="FeatureDimension"/> features.
/// Input: N×784 or N×1×28×28 pixels in [0, 1]; output: N×<see cref="FeatureDimension"/>.
/// </summary>
public sealed class SmallCnn : nn.Module<Tensor, Tensor>
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
    public SmallCnn(int featureDimension = DefaultFeatureDimension) : base(nameof(SmallCnn))
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(featureDimension);
        FeatureDimension = featureDimension;
        // Bias-free convolutions: the following BatchNorm has its own shift.
        conv1 = nn.Conv2d(1, 32, 3, padding: 1, bias: false);
        bn1 = nn.BatchNorm2d(32);
        conv2 = nn.Conv2d(32, 64, 3, padding: 1, bias: false);
        bn2 = nn.BatchNorm2d(64);
        fc = nn.Linear(64 * 7 * 7, featureDimension);
        RegisterComponents();
    }

    /// <summary>Width of the output features.</summary>
    public int FeatureDimension { get; }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = input.dim() == 2 ? input.view(-1, 1, 28, 28) : input;
        x = nn.functional.max_pool2d(nn.functional.relu(bn1.forward(conv1.forward(x))), 2);
        x = nn.functional.max_pool2d(nn.functional.relu(bn2.forward(conv2.forward(x))), 2);
        return fc.forward(x.flatten(1)).MoveToOuterDisposeScope();
    }
}
