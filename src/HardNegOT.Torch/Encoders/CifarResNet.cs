using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HardNegOT.Torch.Encoders;

/// <summary>
/// The CIFAR variant of ResNet used by SimCLR-style papers: a 3×3 stride-1 first convolution, no max-pool, four stages
/// of residual blocks (strides 1, 2, 2, 2; widths 64, 128, 256, 512 times the block expansion) and a global average
/// pool; no classifier. ResNet-18 gives 512 features, ResNet-50 2048. Submodules carry torchvision's names
/// (conv1, bn1, layer1.0.conv1, layer1.0.downsample.0, ...) so a torchvision state dict, minus conv1 and fc, maps
/// onto it name for name.
/// </summary>
public sealed class CifarResNet : Backbone
{
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Sequential layer1;
    private readonly Sequential layer2;
    private readonly Sequential layer3;
    private readonly Sequential layer4;

    private CifarResNet(string name, bool bottleneck, int[] blocks, int inputChannels) : base(name)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputChannels);
        InputChannels = inputChannels;
        int expansion = bottleneck ? Bottleneck.Expansion : BasicBlock.Expansion;
        conv1 = nn.Conv2d(inputChannels, 64, 3, stride: 1, padding: 1, bias: false);
        bn1 = nn.BatchNorm2d(64);
        int channels = 64;
        Sequential Stage(int width, int count, int stride)
        {
            var stage = new nn.Module<Tensor, Tensor>[count];
            for (int i = 0; i < count; i++)
            {
                int s = i == 0 ? stride : 1;
                stage[i] = bottleneck ? new Bottleneck(channels, width, s) : new BasicBlock(channels, width, s);
                channels = width * expansion;
            }
            return nn.Sequential(stage);
        }
        layer1 = Stage(64, blocks[0], 1);
        layer2 = Stage(128, blocks[1], 2);
        layer3 = Stage(256, blocks[2], 2);
        layer4 = Stage(512, blocks[3], 2);
        FeatureDimension = channels;
        RegisterComponents();
    }

    /// <summary>ResNet-18: basic blocks [2, 2, 2, 2], 512 features.</summary>
    /// <param name="inputChannels">Channels of the input images (1 for greyscale, 3 for RGB).</param>
    public static CifarResNet ResNet18(int inputChannels = 3) => new("ResNet18", bottleneck: false, [2, 2, 2, 2], inputChannels);

    /// <summary>ResNet-50: bottleneck blocks [3, 4, 6, 3] with expansion 4, 2048 features.</summary>
    /// <param name="inputChannels">Channels of the input images (1 for greyscale, 3 for RGB).</param>
    public static CifarResNet ResNet50(int inputChannels = 3) => new("ResNet50", bottleneck: true, [3, 4, 6, 3], inputChannels);

    /// <inheritdoc />
    public override int FeatureDimension { get; }

    /// <inheritdoc />
    public override int InputChannels { get; }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        if (input.dim() != 4 || input.shape[1] != InputChannels)
            throw new ArgumentException($"input has shape [{string.Join(", ", input.shape)}]; expected N×{InputChannels}×H×W.", nameof(input));
        using var scope = NewDisposeScope();
        var x = nn.functional.relu(bn1.forward(conv1.forward(input)));
        x = layer4.forward(layer3.forward(layer2.forward(layer1.forward(x))));
        // Global average pool over the spatial dimensions.
        return x.mean([2, 3]).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// ResNet's basic block: conv3×3(stride)-BN-ReLU-conv3×3-BN plus the shortcut, then ReLU. The shortcut is the identity,
/// or conv1×1(stride)-BN (named downsample) when the stride or the width changes.
/// </summary>
public sealed class BasicBlock : nn.Module<Tensor, Tensor>
{
    /// <summary>Output width over block width.</summary>
    public const int Expansion = 1;

    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Conv2d conv2;
    private readonly BatchNorm2d bn2;
    private readonly Sequential? downsample;

    /// <summary>Creates the block.</summary>
    /// <param name="inputChannels">Channels coming in.</param>
    /// <param name="width">Channels of both convolutions and of the output.</param>
    /// <param name="stride">Stride of the first convolution (and of the shortcut).</param>
    public BasicBlock(int inputChannels, int width, int stride) : base(nameof(BasicBlock))
    {
        conv1 = nn.Conv2d(inputChannels, width, 3, stride: stride, padding: 1, bias: false);
        bn1 = nn.BatchNorm2d(width);
        conv2 = nn.Conv2d(width, width, 3, stride: 1, padding: 1, bias: false);
        bn2 = nn.BatchNorm2d(width);
        downsample = Shortcut(inputChannels, width * Expansion, stride);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = nn.functional.relu(bn1.forward(conv1.forward(input)));
        x = bn2.forward(conv2.forward(x));
        var identity = downsample is null ? input : downsample.forward(input);
        return nn.functional.relu(x + identity).MoveToOuterDisposeScope();
    }

    /// <summary>conv1×1(stride)-BN when the shape changes, otherwise null (identity).</summary>
    internal static Sequential? Shortcut(int inputChannels, int outputChannels, int stride) =>
        stride == 1 && inputChannels == outputChannels
            ? null
            : nn.Sequential(nn.Conv2d(inputChannels, outputChannels, 1, stride: stride, bias: false), nn.BatchNorm2d(outputChannels));
}

/// <summary>
/// ResNet's bottleneck block as in torchvision (stride on the 3×3 convolution): conv1×1-BN-ReLU-conv3×3(stride)-BN-ReLU-
/// conv1×1(×4)-BN plus the shortcut, then ReLU.
/// </summary>
public sealed class Bottleneck : nn.Module<Tensor, Tensor>
{
    /// <summary>Output width over block width.</summary>
    public const int Expansion = 4;

    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Conv2d conv2;
    private readonly BatchNorm2d bn2;
    private readonly Conv2d conv3;
    private readonly BatchNorm2d bn3;
    private readonly Sequential? downsample;

    /// <summary>Creates the block.</summary>
    /// <param name="inputChannels">Channels coming in.</param>
    /// <param name="width">Channels of the inner convolutions; the output has <see cref="Expansion"/> times as many.</param>
    /// <param name="stride">Stride of the 3×3 convolution (and of the shortcut).</param>
    public Bottleneck(int inputChannels, int width, int stride) : base(nameof(Bottleneck))
    {
        conv1 = nn.Conv2d(inputChannels, width, 1, bias: false);
        bn1 = nn.BatchNorm2d(width);
        conv2 = nn.Conv2d(width, width, 3, stride: stride, padding: 1, bias: false);
        bn2 = nn.BatchNorm2d(width);
        conv3 = nn.Conv2d(width, width * Expansion, 1, bias: false);
        bn3 = nn.BatchNorm2d(width * Expansion);
        downsample = BasicBlock.Shortcut(inputChannels, width * Expansion, stride);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = nn.functional.relu(bn1.forward(conv1.forward(input)));
        x = nn.functional.relu(bn2.forward(conv2.forward(x)));
        x = bn3.forward(conv3.forward(x));
        var identity = downsample is null ? input : downsample.forward(input);
        return nn.functional.relu(x + identity).MoveToOuterDisposeScope();
    }
}
