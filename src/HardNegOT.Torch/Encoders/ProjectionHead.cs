using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HardNegOT.Torch.Encoders;

/// <summary>
/// SimCLR projection head as in the paper's code: Linear(in → 512, no bias)-BN-ReLU-Linear(512 → out).
/// </summary>
public sealed class ProjectionHead : nn.Module<Tensor, Tensor>
{
    /// <summary>Hidden width (the paper's code uses 512).</summary>
    public const int DefaultHiddenDimension = 512;

    /// <summary>Default projection width (the paper's code uses 128).</summary>
    public const int DefaultOutputDimension = 128;

    private readonly Linear fc1;
    private readonly BatchNorm1d bn;
    private readonly Linear fc2;

    /// <summary>Creates the head.</summary>
    /// <param name="inputDimension">Width of the backbone features.</param>
    /// <param name="hiddenDimension">Hidden width.</param>
    /// <param name="outputDimension">Width of the projection the loss sees.</param>
    public ProjectionHead(int inputDimension, int hiddenDimension = DefaultHiddenDimension, int outputDimension = DefaultOutputDimension)
        : base(nameof(ProjectionHead))
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputDimension);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(hiddenDimension);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outputDimension);
        OutputDimension = outputDimension;
        fc1 = nn.Linear(inputDimension, hiddenDimension, hasBias: false);
        bn = nn.BatchNorm1d(hiddenDimension);
        fc2 = nn.Linear(hiddenDimension, outputDimension, hasBias: true);
        RegisterComponents();
    }

    /// <summary>Width of the projection.</summary>
    public int OutputDimension { get; }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return fc2.forward(nn.functional.relu(bn.forward(fc1.forward(input)))).MoveToOuterDisposeScope();
    }
}
