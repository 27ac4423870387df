using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HardNegOT.Torch.Encoders;

/// <summary>
/// Backbone plus projection head: forward(images) returns (backbone features h, projection z). The loss sees z;
/// evaluation (kNN, linear readout) uses h, as in SimCLR.
/// </summary>
public sealed class ContrastiveEncoder : nn.Module<Tensor, (Tensor Features, Tensor Projection)>
{
    private readonly Backbone backbone;
    private readonly ProjectionHead head;

    /// <summary>Creates a <see cref="SmallCnn"/> backbone (28×28 greyscale) with a <see cref="ProjectionHead"/>.</summary>
    /// <param name="featureDimension">Backbone feature width.</param>
    /// <param name="projectionDimension">Projection width.</param>
    public ContrastiveEncoder(int featureDimension = SmallCnn.DefaultFeatureDimension, int projectionDimension = ProjectionHead.DefaultOutputDimension)
        : this(new SmallCnn(featureDimension), projectionDimension)
    {
    }

    /// <summary>Puts a <see cref="ProjectionHead"/> (features → 512 → <paramref name="projectionDimension"/>) on <paramref name="backbone"/>.</summary>
    /// <param name="backbone">The feature extractor; the encoder owns it from now on.</param>
    /// <param name="projectionDimension">Projection width.</param>
    public ContrastiveEncoder(Backbone backbone, int projectionDimension = ProjectionHead.DefaultOutputDimension)
        : base(nameof(ContrastiveEncoder))
    {
        ArgumentNullException.ThrowIfNull(backbone);
        // Fields, not auto-properties: RegisterComponents names submodules after the fields.
        this.backbone = backbone;
        head = new ProjectionHead(backbone.FeatureDimension, ProjectionHead.DefaultHiddenDimension, projectionDimension);
        RegisterComponents();
    }

    /// <summary>The feature extractor.</summary>
    public Backbone Backbone => backbone;

    /// <summary>The projection head.</summary>
    public ProjectionHead Head => head;

    /// <summary>
    /// Re-draws every convolution and linear parameter from <paramref name="seed"/> with PyTorch's default scheme
    /// (uniform in ±1/√fan_in for weights and biases) and resets BatchNorm to weight 1, bias 0, running mean 0 and
    /// variance 1. Values come from a seeded <see cref="Random"/>, not torch's global generator, so the initial
    /// weights do not depend on what else in the process draws torch random numbers.
    /// </summary>
    /// <param name="seed">Seed of the weights.</param>
    public void ResetParameters(int seed)
    {
        var random = new Random(seed);
        var fanIn = new Dictionary<string, long>();
        var batchNorms = named_modules()
            .Where(m => m.module is BatchNorm1d or BatchNorm2d or BatchNorm3d)
            .Select(m => m.name)
            .ToHashSet(StringComparer.Ordinal);
        using var noGrad = torch.no_grad();
        // Explicit Scalars held for the whole loop: an implicit double → Scalar can be finalised while the native
        // fill still reads it (seen as a sporadic "toFloat: Expected false to be true" from libtorch).
        using var one = 1.0.ToScalar();
        using var zero = 0.0.ToScalar();
        foreach (var (name, parameter) in named_parameters())
        {
            int dot = name.LastIndexOf('.');
            string owner = dot < 0 ? "" : name[..dot];
            if (batchNorms.Contains(owner))
            {
                parameter.fill_(name.EndsWith(".weight", StringComparison.Ordinal) ? one : zero);
                continue;
            }
            // Weights (dim ≥ 2) come before their module's bias in named_parameters.
            if (parameter.dim() >= 2) fanIn[owner] = parameter.numel() / parameter.shape[0];
            double bound = 1.0 / Math.Sqrt(fanIn.GetValueOrDefault(owner, parameter.numel()));
            var values = new float[parameter.numel()];
            for (int i = 0; i < values.Length; i++) values[i] = (float)((2 * random.NextDouble() - 1) * bound);
            using var source = torch.tensor(values, parameter.shape);
            parameter.copy_(source);
        }
        foreach (var (name, buffer) in named_buffers())
        {
            if (name.EndsWith("running_mean", StringComparison.Ordinal)) buffer.zero_();
            else if (name.EndsWith("running_var", StringComparison.Ordinal)) buffer.fill_(one);
            else if (name.EndsWith("num_batches_tracked", StringComparison.Ordinal)) buffer.zero_();
        }
    }

    /// <inheritdoc />
    public override (Tensor Features, Tensor Projection) forward(Tensor input)
    {
        var features = backbone.forward(input);
        return (features, head.forward(features));
    }
}
