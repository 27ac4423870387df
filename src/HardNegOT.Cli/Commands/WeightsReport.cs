using System.Text.Json;
using System.Text.Json.Serialization;

namespace HardNegOT.Cli.Commands;

/// <summary>Diagnostics of one <c>weights</c> run: printed as aligned text and serialised as camelCase JSON.</summary>
internal sealed record WeightsReport
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        // A diverged solve can report NaN; JSON has no NaN literal, so write it as the string "NaN" rather than fail.
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        WriteIndented = true,
    };

    public required string Solver { get; init; }

    /// <summary>The accelerator backend of <c>--solver kernel</c> (cpu, cuda, opencl); null for the host solvers.</summary>
    public string? Backend { get; init; }

    /// <summary>How the backend was chosen (<c>KernelAccelerator.Selection</c>): the device and any backends skipped.</summary>
    public string? BackendSelection { get; init; }
    public required int N { get; init; }
    public required int D { get; init; }
    public required double Epsilon { get; init; }
    public required string Cost { get; init; }
    public double? Kappa { get; init; }
    public required string Layout { get; init; }
    public required double Tolerance { get; init; }
    public required int MaxIterations { get; init; }
    public required int Iterations { get; init; }
    public required double MarginalError { get; init; }
    public required bool Converged { get; init; }

    /// <summary>ρ_a of an unbalanced solve (null when balanced; "Infinity" for a hard side).</summary>
    public double? RhoA { get; init; }

    /// <summary>ρ_b of an unbalanced solve.</summary>
    public double? RhoB { get; init; }

    /// <summary>What an unbalanced solve stopped on: the dual change of its last iteration.</summary>
    public double? DualChange { get; init; }

    /// <summary>Σ_j |Pᵀ1 − b|_j of an unbalanced plan (its row counterpart is <see cref="MarginalError"/>).</summary>
    public double? ColumnMarginalError { get; init; }

    /// <summary>Total mass ΣP of an unbalanced plan (1 for a balanced one with uniform marginals).</summary>
    public double? PlanMass { get; init; }
    public required double SolveSeconds { get; init; }
    public required double ExpectedSimilarityPlan { get; init; }
    public required double ExpectedSimilarityUniform { get; init; }
    public required double Gain { get; init; }
    public required double EffectiveNegatives { get; init; }
    public required double NegativesPerAnchor { get; init; }
    public double? SameLabelMassPlan { get; init; }
    public double? SameLabelMassUniform { get; init; }
    public required string Embeddings { get; init; }
    public required string Output { get; init; }
    public required string OutputKind { get; init; }

    public void WriteText(TextWriter writer)
    {
        var lines = new List<(string Label, string Value)>
        {
            ("solver", Solver),
            ("N", N.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("d", D.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("epsilon", Format.Number(Epsilon)),
            ("cost", Kappa is { } k ? $"{Cost} (kappa {Format.Number(k)})" : Cost),
            ("layout", Layout),
            ("iterations", $"{Iterations} (cap {MaxIterations})"),
            ("converged", Converged ? "yes" : "NO"),
            ("solve time", $"{SolveSeconds:0.000} s"),
            ("E_P*[s]", Format.Short(ExpectedSimilarityPlan)),
            ("E_uniform[s]", Format.Short(ExpectedSimilarityUniform)),
            ("gain", $"{Format.Short(Gain)} ({(Gain > 0 ? "OT negatives are harder than uniform" : "OT negatives are not harder than uniform")})"),
            ("effective negatives", $"{EffectiveNegatives:0.0} of {NegativesPerAnchor:0.#}"),
        };
        int afterIterations = lines.FindIndex(l => l.Label == "iterations") + 1;
        if (DualChange is { } change)
        {
            // Unbalanced: the marginals are relaxed on purpose, so the errors describe the plan, not the convergence.
            lines.InsertRange(afterIterations,
            [
                ("dual change", $"{Format.Scientific(change)} (tolerance {Format.Scientific(Tolerance)})"),
                ("marginal error", $"rows {Format.Scientific(MarginalError)}, columns {Format.Scientific(ColumnMarginalError ?? double.NaN)} (relaxed, not expected to be 0)"),
                ("plan mass", Format.Short(PlanMass ?? double.NaN)),
            ]);
            lines.Insert(lines.FindIndex(l => l.Label == "layout") + 1,
                ("rho", $"rho_a {Format.Number(RhoA ?? double.NaN)}, rho_b {Format.Number(RhoB ?? double.NaN)} (unbalanced)"));
        }
        else
        {
            lines.Insert(afterIterations, ("marginal error", $"{Format.Scientific(MarginalError)} (tolerance {Format.Scientific(Tolerance)})"));
        }
        if (BackendSelection is { } selection)
            lines.Insert(1, ("backend", selection));
        if (SameLabelMassPlan is { } plan && SameLabelMassUniform is { } uniform)
            lines.Add(("same-label mass", $"{Format.Short(plan)} (uniform {Format.Short(uniform)}, ratio {Format.Short(plan / uniform)})"));
        lines.Add(("output", $"{(OutputKind == "conditional" ? "conditional P*(x-|x)" : "coupling P*")}, {N}x{N} float64 -> {Output}"));

        int width = lines.Max(l => l.Label.Length) + 2;
        foreach (var (label, value) in lines)
            writer.WriteLine(label.PadRight(width) + value);
    }

    public void WriteJson(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this, JsonOptions) + "\n");
}
