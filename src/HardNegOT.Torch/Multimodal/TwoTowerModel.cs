using HardNegOT.Torch.Encoders;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HardNegOT.Torch.Multimodal;

/// <summary>
/// CLIP-style two-tower model: images (N×784 or N×1×28×28 in [0, 1]) through <see cref="SmallCnn"/> and a
/// <see cref="ProjectionHead"/>, texts (ids, mask) through a <see cref="TextEncoder"/>, each to a unit-norm
/// d-dimensional embedding. The temperature is kept as log(1/t), learnable or fixed, and read through
/// <see cref="InverseTemperature"/> (clamped at 1/<see cref="TwoTowerOptions.MinTemperature"/>).
/// </summary>
public sealed class TwoTowerModel : nn.Module<Tensor, Tensor, Tensor, (Tensor Image, Tensor Text)>
{
    private readonly SmallCnn imageBackbone;
    private readonly ProjectionHead imageHead;
    private readonly TextEncoder textEncoder;
    private readonly Parameter logInverseTemperature;

    /// <summary>Creates the model with torch's default initialisation; call <see cref="ResetParameters"/> for seeded weights.</summary>
    /// <param name="options">Shape and temperature; validated here.</param>
    public TwoTowerModel(TwoTowerOptions options) : base(nameof(TwoTowerModel))
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        // The text tower's output width is the shared dimension; recorded so saved options say what was built.
        Options = options with { Text = options.Text with { OutputDimension = options.EmbeddingDimension } };
        imageBackbone = new SmallCnn(options.ImageFeatureDimension);
        imageHead = new ProjectionHead(options.ImageFeatureDimension, options.ImageHiddenDimension, options.EmbeddingDimension);
        textEncoder = new TextEncoder(Options.Text);
        logInverseTemperature = new Parameter(torch.tensor((float)-Math.Log(options.InitialTemperature)), requires_grad: options.LearnTemperature);
        RegisterComponents();
    }

    /// <summary>The model's shape and temperature settings (the text output width set to the embedding dimension).</summary>
    public TwoTowerOptions Options { get; }

    /// <summary>The image backbone.</summary>
    public SmallCnn ImageBackbone => imageBackbone;

    /// <summary>The image projection head.</summary>
    public ProjectionHead ImageHead => imageHead;

    /// <summary>The text tower.</summary>
    public TextEncoder TextEncoder => textEncoder;

    /// <summary>1/t as a scalar tensor that keeps the graph of the learned temperature.</summary>
    public Tensor InverseTemperature() => logInverseTemperature.exp().clamp_max(1.0 / Options.MinTemperature);

    /// <summary>The current temperature t.</summary>
    public double Temperature
    {
        get
        {
            using var noGrad = torch.no_grad();
            using var inverse = InverseTemperature();
            return 1.0 / inverse.to_type(ScalarType.Float64).item<double>();
        }
    }

    /// <summary>Unit-norm image embeddings, N×d.</summary>
    /// <param name="images">N×784 or N×1×28×28 pixels.</param>
    public Tensor EncodeImages(Tensor images)
    {
        using var scope = NewDisposeScope();
        return nn.functional.normalize(imageHead.forward(imageBackbone.forward(images)), dim: 1).MoveToOuterDisposeScope();
    }

    /// <summary>Unit-norm text embeddings, N×d.</summary>
    /// <param name="ids">N×L int64 token ids.</param>
    /// <param name="mask">N×L attention mask.</param>
    public Tensor EncodeTexts(Tensor ids, Tensor mask)
    {
        using var scope = NewDisposeScope();
        return nn.functional.normalize(textEncoder.forward(ids, mask), dim: 1).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public override (Tensor Image, Tensor Text) forward(Tensor images, Tensor ids, Tensor mask) =>
        (EncodeImages(images), EncodeTexts(ids, mask));

    /// <summary>
    /// Re-draws every weight from <paramref name="seed"/> alone (a seeded <see cref="Random"/>, not torch's global
    /// generator): linear and convolution weights and biases uniform in ±1/√fan_in (PyTorch's default bound),
    /// embeddings and positions N(0, 0.02²), norms to weight 1 and bias 0 with fresh running statistics, and the
    /// temperature back to <see cref="TwoTowerOptions.InitialTemperature"/>.
    /// </summary>
    /// <param name="seed">Seed of the weights.</param>
    public void ResetParameters(int seed)
    {
        var random = new Random(seed);
        using var noGrad = torch.no_grad();
        foreach (var (_, module) in named_modules())
        {
            switch (module)
            {
                case Linear or Conv2d:
                    var weight = module.get_parameter("weight")!;
                    double bound = 1.0 / Math.Sqrt(weight.numel() / weight.shape[0]);
                    Fill(weight, () => (2 * random.NextDouble() - 1) * bound);
                    if (module.get_parameter("bias") is { } bias) Fill(bias, () => (2 * random.NextDouble() - 1) * bound);
                    break;
                case Embedding:
                    Fill(module.get_parameter("weight")!, () => 0.02 * Gaussian(random));
                    break;
                case LayerNorm or BatchNorm1d or BatchNorm2d:
                {
                    // Explicit Scalars kept alive across the native calls (see ContrastiveEncoder.ResetParameters).
                    using var one = 1.0.ToScalar();
                    using var zero = 0.0.ToScalar();
                    foreach (var (name, p) in module.named_parameters(recurse: false)) p.fill_(name == "weight" ? one : zero);
                    foreach (var (name, b) in module.named_buffers(recurse: false))
                    {
                        if (name == "running_var") b.fill_(one);
                        else b.zero_();
                    }
                    break;
                }
            }
        }
        Fill(textEncoder.get_parameter("positions")!, () => 0.02 * Gaussian(random));
        using var initial = (-Math.Log(Options.InitialTemperature)).ToScalar();
        logInverseTemperature.fill_(initial);
    }

    private static void Fill(Tensor parameter, Func<double> draw)
    {
        var values = new float[parameter.numel()];
        for (int i = 0; i < values.Length; i++) values[i] = (float)draw();
        using var source = torch.tensor(values, parameter.shape);
        parameter.copy_(source);
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2.0 * Math.Log(1.0 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
