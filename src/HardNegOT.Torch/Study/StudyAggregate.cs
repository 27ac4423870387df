using HardNegOT.Torch.Training;

namespace HardNegOT.Torch.Study;

/// <summary>Mean and sample standard deviation (n − 1) of a set of values; the deviation is null for fewer than two.</summary>
/// <param name="Mean">Arithmetic mean.</param>
/// <param name="Std">Sample standard deviation, or null when <paramref name="Count"/> &lt; 2.</param>
/// <param name="Count">Number of values.</param>
public sealed record MeanStd(double Mean, double? Std, int Count)
{
    /// <summary>Summarises <paramref name="values"/> (at least one, all finite).</summary>
    /// <param name="values">The values.</param>
    public static MeanStd Of(IEnumerable<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var v = values.ToArray();
        if (v.Length == 0) throw new ArgumentException("Mean ± std needs at least one value.", nameof(values));
        if (v.Any(x => !double.IsFinite(x))) throw new ArgumentException("Mean ± std needs finite values.", nameof(values));
        double mean = v.Average();
        double? std = v.Length < 2 ? null : Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Length - 1));
        return new MeanStd(mean, std, v.Length);
    }
}

/// <summary>One (negatives, loss) configuration averaged over its seeds.</summary>
/// <param name="Negatives">Negative weighting.</param>
/// <param name="Loss">Loss.</param>
/// <param name="Knn">kNN top-1 over seeds.</param>
/// <param name="Linear">Linear-readout top-1 over seeds.</param>
/// <param name="Records">The seeds' records.</param>
public sealed record ConfigSummary(NegativeConfig Negatives, ContrastiveLoss Loss, MeanStd Knn, MeanStd Linear, IReadOnlyList<StudyRunRecord> Records);

/// <summary>Groups run records by configuration and averages over seeds.</summary>
public static class StudyAggregate
{
    /// <summary>
    /// One summary per (negatives, loss) present in <paramref name="records"/>, in order of first appearance.
    /// </summary>
    /// <param name="records">Run records (any number of seeds per configuration).</param>
    public static IReadOnlyList<ConfigSummary> Summarize(IEnumerable<StudyRunRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        return [.. records
            .GroupBy(r => r.Spec.ConfigKey)
            .Select(g =>
            {
                var list = g.OrderBy(r => r.Spec.Seed).ToList();
                var spec = list[0].Spec;
                return new ConfigSummary(spec.Negatives, spec.Loss, MeanStd.Of(list.Select(r => r.KnnTop1)), MeanStd.Of(list.Select(r => r.LinearTop1)), list);
            })];
    }

    /// <summary>The summary of (<paramref name="negatives"/>, <paramref name="loss"/>), or null when absent.</summary>
    /// <param name="summaries">Summaries from <see cref="Summarize"/>.</param>
    /// <param name="negatives">Negative weighting.</param>
    /// <param name="loss">Loss.</param>
    public static ConfigSummary? Find(IEnumerable<ConfigSummary> summaries, NegativeConfig negatives, ContrastiveLoss loss) =>
        summaries.FirstOrDefault(s => s.Negatives == negatives && s.Loss == loss);
}
