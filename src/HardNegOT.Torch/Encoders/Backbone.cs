using static TorchSharp.torch;

namespace HardNegOT.Torch.Encoders;

/// <summary>
/// A feature extractor: images N×C×H×W in, features N×<see cref="FeatureDimension"/> out.
/// The common base of the backbones a <see cref="ContrastiveEncoder"/> can hold.
/// </summary>
public abstract class Backbone : nn.Module<Tensor, Tensor>
{
    /// <summary>Registers the module under <paramref name="name"/>.</summary>
    /// <param name="name">The module's type name.</param>
    protected Backbone(string name) : base(name)
    {
    }

    /// <summary>Width of the output features.</summary>
    public abstract int FeatureDimension { get; }

    /// <summary>Channels of the input images (1 for greyscale, 3 for RGB).</summary>
    public abstract int InputChannels { get; }
}
