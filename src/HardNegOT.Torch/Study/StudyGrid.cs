using System.Globalization;
using System.Text.Json.Serialization;
using HardNegOT.Torch.Training;

namespace HardNegOT.Torch.Study;

/// <summary>
/// One way of weighting the negatives in the study: uniform, HCL at concentration β, or OT with a ground cost at ε.
/// Only OT has a cost, so uniform and HCL appear once whatever the costs of the grid.
/// </summary>
/// <param name="Sampling">Uniform, HCL or OT.</param>
/// <param name="Beta">HCL's β (hcl only).</param>
/// <param name="Cost">OT ground cost name, sqeuclid or exp (ot only).</param>
/// <param name="Epsilon">OT's entropic ε (ot only).</param>
public sealed record NegativeConfig(NegativeSampling Sampling, double? Beta = null, string? Cost = null, double? Epsilon = null)
{
    /// <summary>Uniform negatives.</summary>
    public static NegativeConfig Uniform { get; } = new(NegativeSampling.Uniform);

    /// <summary>HCL negatives at <paramref name="beta"/>.</summary>
    /// <param name="beta">Concentration β.</param>
    public static NegativeConfig Hcl(double beta) => new(NegativeSampling.Hcl, Beta: beta);

    /// <summary>OT negatives with <paramref name="cost"/> at <paramref name="epsilon"/>.</summary>
    /// <param name="cost">Ground cost name.</param>
    /// <param name="epsilon">Entropic ε.</param>
    public static NegativeConfig Ot(string cost, double epsilon) => new(NegativeSampling.Ot, Cost: cost, Epsilon: epsilon);

    /// <summary>Stable identifier, e.g. "uniform", "hcl-beta1", "ot-sqeuclid-eps0.5".</summary>
    [JsonIgnore]
    public string Key => Sampling switch
    {
        NegativeSampling.Uniform => "uniform",
        NegativeSampling.Hcl => $"hcl-beta{StudyGrid.Number(Beta!.Value)}",
        _ => $"ot-{Cost}-eps{StudyGrid.Number(Epsilon!.Value)}",
    };

    /// <summary>Human-readable name, e.g. "HCL β = 1", "OT ε = 0.5".</summary>
    [JsonIgnore]
    public string Label => Sampling switch
    {
        NegativeSampling.Uniform => "uniform",
        NegativeSampling.Hcl => $"HCL β = {StudyGrid.Number(Beta!.Value)}",
        _ => $"OT ε = {StudyGrid.Number(Epsilon!.Value)}",
    };
}

/// <summary>One training run of the study: negatives × loss × seed.</summary>
/// <param name="Negatives">How negatives are weighted.</param>
/// <param name="Loss">Nce, Dcl or Bcl.</param>
/// <param name="Seed">Seed of weights, shuffles and augmentations.</param>
public sealed record StudyRunSpec(NegativeConfig Negatives, ContrastiveLoss Loss, int Seed)
{
    /// <summary>Negatives and loss without the seed: the unit that is averaged over seeds.</summary>
    [JsonIgnore]
    public string ConfigKey => $"{Negatives.Key}/{StudyGrid.LossName(Loss)}";

    /// <summary>Unique identifier of the run, e.g. "ot-exp-eps0.5/dcl/seed1".</summary>
    [JsonIgnore]
    public string Key => $"{ConfigKey}/seed{Seed}";

    /// <summary>The trainer settings of this run under <paramref name="budget"/>.</summary>
    /// <param name="budget">Steps, batch and evaluation sets shared by every run.</param>
    /// <param name="dataDirectory">Fashion-MNIST directory, or null for the default.</param>
    public ContrastiveTrainerOptions ToOptions(StudyBudget budget, string? dataDirectory)
    {
        ArgumentNullException.ThrowIfNull(budget);
        var o = budget.BaseOptions(dataDirectory) with { Negatives = Negatives.Sampling, Loss = Loss, Seed = Seed };
        if (Negatives.Beta is { } beta) o = o with { Beta = beta };
        if (Negatives.Cost is { } cost) o = o with { Cost = cost };
        if (Negatives.Epsilon is { } epsilon) o = o with { Epsilon = epsilon };
        return o;
    }
}

/// <summary>
/// The study's grid: negatives {uniform, HCL β ∈ {0.5, 1, 2}, OT ε ∈ {0.1, 0.3, 0.5, 0.7, 1} × cost {sqeuclid, exp}}
/// × losses {nce, dcl, bcl} × seeds, and its quick subset.
/// </summary>
public static class StudyGrid
{
    /// <summary>The losses compared.</summary>
    public static IReadOnlyList<ContrastiveLoss> Losses { get; } = [ContrastiveLoss.Nce, ContrastiveLoss.Dcl, ContrastiveLoss.Bcl];

    /// <summary>HCL concentrations of the full grid.</summary>
    public static IReadOnlyList<double> HclBetas { get; } = [0.5, 1.0, 2.0];

    /// <summary>OT ε values of the full grid.</summary>
    public static IReadOnlyList<double> OtEpsilons { get; } = [0.1, 0.3, 0.5, 0.7, 1.0];

    /// <summary>OT ground costs compared.</summary>
    public static IReadOnlyList<string> Costs { get; } = ["sqeuclid", "exp"];

    /// <summary>OT ε values of the quick grid (sqeuclid).</summary>
    public static IReadOnlyList<double> QuickEpsilons { get; } = [0.1, 0.5, 1.0];

    /// <summary>
    /// The ε at which the quick grid runs both costs; the cost comparison per epoch and the "after OT" neighbour curve use it.
    /// </summary>
    public const double ReferenceEpsilon = 0.5;

    /// <summary>The ε of the plan drawn against e^{2s} (sqeuclid): at ε = 1 HCL's row-only form is exactly e^{2s}.</summary>
    public const double ScatterEpsilon = 1.0;

    /// <summary>The loss of the figures that show one loss (the paper's debiased Eq. 8).</summary>
    public const ContrastiveLoss FigureLoss = ContrastiveLoss.Dcl;

    /// <summary>The 14 negative configurations of the full grid (uniform and HCL once, OT per cost).</summary>
    public static IReadOnlyList<NegativeConfig> FullNegatives { get; } =
    [
        NegativeConfig.Uniform,
        .. HclBetas.Select(NegativeConfig.Hcl),
        .. Costs.SelectMany(c => OtEpsilons.Select(e => NegativeConfig.Ot(c, e))),
    ];

    /// <summary>The 6 negative configurations of the quick grid: uniform, HCL β = 1, OT sqeuclid at three ε, OT exp at the reference ε.</summary>
    public static IReadOnlyList<NegativeConfig> QuickNegatives { get; } =
    [
        NegativeConfig.Uniform,
        NegativeConfig.Hcl(1.0),
        .. QuickEpsilons.Select(e => NegativeConfig.Ot("sqeuclid", e)),
        NegativeConfig.Ot("exp", ReferenceEpsilon),
    ];

    /// <summary>The full grid's runs, seed-major (every configuration of seed 1 first) so a partial study is balanced.</summary>
    /// <param name="seeds">Seeds 1..seeds.</param>
    public static IReadOnlyList<StudyRunSpec> Full(int seeds) => Runs(FullNegatives, seeds);

    /// <summary>The quick grid's runs, seed-major.</summary>
    /// <param name="seeds">Seeds 1..seeds.</param>
    public static IReadOnlyList<StudyRunSpec> Quick(int seeds) => Runs(QuickNegatives, seeds);

    /// <summary>Every (negatives, loss) for seeds 1..<paramref name="seeds"/>, seed-major.</summary>
    /// <param name="negatives">Negative configurations.</param>
    /// <param name="seeds">Number of seeds, at least 1.</param>
    public static IReadOnlyList<StudyRunSpec> Runs(IReadOnlyList<NegativeConfig> negatives, int seeds)
    {
        ArgumentNullException.ThrowIfNull(negatives);
        if (seeds < 1) throw new ArgumentOutOfRangeException(nameof(seeds), seeds, "The study needs at least 1 seed.");
        return [.. Enumerable.Range(1, seeds).SelectMany(seed => negatives.SelectMany(n => Losses.Select(l => new StudyRunSpec(n, l, seed))))];
    }

    /// <summary>The command-line name of a loss (nce, dcl, bcl).</summary>
    /// <param name="loss">The loss.</param>
    public static string LossName(ContrastiveLoss loss) => loss switch
    {
        ContrastiveLoss.Nce => "nce",
        ContrastiveLoss.Dcl => "dcl",
        ContrastiveLoss.Bcl => "bcl",
        _ => loss.ToString().ToLowerInvariant(),
    };

    /// <summary>Shortest round-trip text of a grid value (0.5, 1, 0.1).</summary>
    /// <param name="value">The value.</param>
    public static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
