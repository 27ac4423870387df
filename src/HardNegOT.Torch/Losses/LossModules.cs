using HardNegOT.Torch.Negatives;
using TorchSharp;
using static TorchSharp.torch;

namespace HardNegOT.Torch.Losses;

/// <summary>torch.nn-style wrapper of <see cref="ContrastiveLosses.InfoNce"/>: forward(z1, z2) → scalar loss.</summary>
public sealed class InfoNceLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly double _temperature;

    /// <summary>Creates the loss with temperature t.</summary>
    public InfoNceLoss(double temperature = 0.5) : base(nameof(InfoNceLoss)) => _temperature = temperature;

    /// <inheritdoc />
    public override Tensor forward(Tensor z1, Tensor z2) => ContrastiveLosses.InfoNce(z1, z2, _temperature);
}

/// <summary>torch.nn-style wrapper of <see cref="ContrastiveLosses.DebiasedNce"/>.</summary>
public sealed class DebiasedNceLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly double _temperature;
    private readonly double _tauPlus;

    /// <summary>Creates the loss with temperature t and positive-class prior τ⁺.</summary>
    public DebiasedNceLoss(double temperature = 0.5, double tauPlus = 0.1) : base(nameof(DebiasedNceLoss))
    {
        _temperature = temperature;
        _tauPlus = tauPlus;
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor z1, Tensor z2) => ContrastiveLosses.DebiasedNce(z1, z2, _temperature, _tauPlus);
}

/// <summary>torch.nn-style wrapper of <see cref="ContrastiveLosses.HardNce"/> (HCL).</summary>
public sealed class HardNceLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly double _temperature;
    private readonly double _beta;
    private readonly double _tauPlus;

    /// <summary>Creates the loss with temperature t, concentration β and positive-class prior τ⁺.</summary>
    public HardNceLoss(double temperature = 0.5, double beta = 1.0, double tauPlus = 0.1) : base(nameof(HardNceLoss))
    {
        _temperature = temperature;
        _beta = beta;
        _tauPlus = tauPlus;
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor z1, Tensor z2) => ContrastiveLosses.HardNce(z1, z2, _temperature, _beta, _tauPlus);
}

/// <summary>torch.nn-style wrapper of <see cref="ContrastiveLosses.Bcl"/> with uniform negatives (BCL's own loss).</summary>
public sealed class BclLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly double _temperature;
    private readonly double _tauPlus;
    private readonly BayesianPrior _prior;

    /// <summary>Creates the loss with temperature t, positive-class prior τ⁺ and BCL's α, β (default ½, 1).</summary>
    public BclLoss(double temperature = 0.5, double tauPlus = 0.1, BayesianPrior? prior = null) : base(nameof(BclLoss))
    {
        _temperature = temperature;
        _tauPlus = tauPlus;
        _prior = prior ?? BayesianPrior.Default;
        _prior.Validate();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor z1, Tensor z2) => ContrastiveLosses.Bcl(z1, z2, _temperature, _tauPlus, _prior);
}

/// <summary>
/// torch.nn-style OT-weighted NCE (the paper's Eq. 8): each forward solves the OT negative weights of
/// [z1; z2] with an internal <see cref="OtNegativeSampler"/> (warm-started across steps when the options
/// say so) and applies <see cref="ContrastiveLosses.OtNce(Tensor, Tensor, double, double, Tensor)"/>.
/// </summary>
public sealed class OtNceLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly double _temperature;
    private readonly double _tauPlus;

    /// <summary>Creates the loss with temperature t, prior τ⁺ and the op's options (two-view layout).</summary>
    public OtNceLoss(OtNegativeOptions options, double temperature = 0.5, double tauPlus = 0.0) : base(nameof(OtNceLoss))
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Layout != NegativeLayout.TwoView)
            throw new ArgumentException("The OT-weighted NCE needs the two-view layout.", nameof(options));
        Sampler = new OtNegativeSampler(options);
        _temperature = temperature;
        _tauPlus = tauPlus;
    }

    /// <summary>The sampler that carries warm-start state; its LastDiagnostics describe the latest solve.</summary>
    public OtNegativeSampler Sampler { get; }

    /// <inheritdoc />
    public override Tensor forward(Tensor z1, Tensor z2) => ContrastiveLosses.OtNce(z1, z2, _temperature, _tauPlus, Sampler);
}

/// <summary>torch.nn-style wrapper of <see cref="ContrastiveLosses.Triplet"/> (uniform weights).</summary>
public sealed class TripletLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly double _margin;
    private readonly TripletNegative _negative;

    /// <summary>Creates the loss with margin m and the negative mode.</summary>
    public TripletLoss(double margin = 0.5, TripletNegative negative = TripletNegative.Mean) : base(nameof(TripletLoss))
    {
        _margin = margin;
        _negative = negative;
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor z1, Tensor z2) => ContrastiveLosses.Triplet(z1, z2, _margin, _negative);
}
