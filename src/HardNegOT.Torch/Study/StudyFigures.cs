using HardNegOT.Torch.Training;
using ScottPlot;

namespace HardNegOT.Torch.Study;

/// <summary>
/// The study's PNG figures (headless ScottPlot). Each is drawn from the run records alone, so a resumed or
/// re-reported study redraws them without training; a figure whose runs are not in the plan is skipped.
/// </summary>
public static class StudyFigures
{
    /// <summary>kNN and linear accuracy against ε for OT, per loss, with uniform and HCL as horizontal references.</summary>
    public const string AccuracyFileName = "accuracy-vs-epsilon.png";

    /// <summary>Hardness E_P*[s] − E_uniform[s] against ε on the fixed analysis batch.</summary>
    public const string HardnessFileName = "hardness-vs-epsilon.png";

    /// <summary>One anchor's P*(x⁻|x) · (negatives) against e^{2s}, before and after training.</summary>
    public const string AnchorFileName = "anchor-plan-vs-e2s.png";

    /// <summary>Fraction of same-label neighbours by neighbour rank.</summary>
    public const string NeighboursFileName = "same-label-by-rank.png";

    /// <summary>kNN accuracy per epoch for the two costs.</summary>
    public const string KnnPerEpochFileName = "knn-per-epoch.png";

    private static readonly Color Black = Colors.Black;

    /// <summary>Writes every figure that the records support; returns the paths written.</summary>
    /// <param name="directory">Output directory.</param>
    /// <param name="plan">The study's plan.</param>
    /// <param name="records">Records of the plan's runs.</param>
    public static IReadOnlyList<string> Write(string directory, StudyPlan plan, IReadOnlyList<StudyRunRecord> records)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(records);
        var written = new List<string>();
        var summaries = StudyAggregate.Summarize(records);
        void Save(string name, Func<string, bool> draw)
        {
            var path = Path.Combine(directory, name);
            if (draw(path)) written.Add(path);
            else if (File.Exists(path)) File.Delete(path);
        }
        Save(AccuracyFileName, p => Accuracy(p, summaries));
        Save(HardnessFileName, p => Hardness(p, records));
        Save(AnchorFileName, p => Anchor(p, records));
        Save(NeighboursFileName, p => Neighbours(p, records));
        Save(KnnPerEpochFileName, p => KnnPerEpoch(p, summaries));
        return written;
    }

    private static bool Accuracy(string path, IReadOnlyList<ConfigSummary> summaries)
    {
        var losses = StudyGrid.Losses.Where(l => summaries.Any(s => s.Loss == l && s.Negatives.Sampling == NegativeSampling.Ot)).ToList();
        if (losses.Count == 0) return false;
        var multiplot = new Multiplot();
        multiplot.AddPlots(2 * losses.Count);
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Grid(2, losses.Count);
        for (int row = 0; row < 2; row++)
        {
            bool knn = row == 0;
            for (int column = 0; column < losses.Count; column++)
            {
                var loss = losses[column];
                var plot = multiplot.GetPlot(row * losses.Count + column);
                int colour = 0;
                foreach (var cost in StudyGrid.Costs)
                {
                    var points = summaries
                        .Where(s => s.Loss == loss && s.Negatives.Sampling == NegativeSampling.Ot && s.Negatives.Cost == cost)
                        .OrderBy(s => s.Negatives.Epsilon)
                        .ToList();
                    if (points.Count == 0) { colour++; continue; }
                    var xs = points.Select(s => s.Negatives.Epsilon!.Value).ToArray();
                    var stats = points.Select(s => knn ? s.Knn : s.Linear).ToArray();
                    var ys = stats.Select(m => m.Mean).ToArray();
                    var line = plot.Add.Scatter(xs, ys);
                    line.Color = Palette(colour);
                    line.LegendText = $"OT {cost}";
                    if (stats.Any(m => m.Std is not null))
                    {
                        var bars = plot.Add.ErrorBar(xs, ys, stats.Select(m => m.Std ?? 0).ToArray());
                        bars.Color = Palette(colour);
                    }
                    colour++;
                }
                foreach (var reference in summaries.Where(s => s.Loss == loss && s.Negatives.Sampling != NegativeSampling.Ot))
                {
                    var h = plot.Add.HorizontalLine((knn ? reference.Knn : reference.Linear).Mean);
                    bool uniform = reference.Negatives.Sampling == NegativeSampling.Uniform;
                    h.Color = uniform ? Black : Palette(colour++);
                    h.LinePattern = uniform ? LinePattern.Dashed : LinePattern.Dotted;
                    h.LineWidth = 1.5f;
                    h.LegendText = reference.Negatives.Label;
                }
                plot.Title($"{StudyGrid.LossName(loss)}: {(knn ? "kNN" : "linear readout")}");
                plot.XLabel("OT ε");
                plot.YLabel(knn ? "kNN top-1" : "linear top-1");
                if (row == 0 && column == 0) plot.ShowLegend(ScottPlot.Alignment.LowerRight);
            }
        }
        multiplot.SavePng(path, 420 * losses.Count, 760);
        return true;
    }

    private static bool Hardness(string path, IReadOnlyList<StudyRunRecord> records)
    {
        var plot = new Plot();
        bool any = false;
        var untrained = records.Where(r => r.Untrained is not null).Select(r => r.Untrained!).ToList();
        var uniform = records
            .Where(r => r.Spec.Negatives.Sampling == NegativeSampling.Uniform && r.Spec.Loss == StudyGrid.FigureLoss && r.Trained is not null)
            .Select(r => r.Trained!).ToList();
        int colour = 0;
        foreach (var (label, analyses) in new[] { ("untrained encoder", untrained), ($"encoder after uniform/{StudyGrid.LossName(StudyGrid.FigureLoss)}", uniform) })
        {
            if (analyses.Count == 0) { colour++; continue; }
            foreach (var cost in StudyGrid.Costs)
            {
                var xs = FeatureAnalyzer.HardnessEpsilons.ToArray();
                var ys = xs.Select(e => analyses.Average(a => GainAt(a, $"ot-{cost}", e) ?? double.NaN)).ToArray();
                var line = plot.Add.Scatter(xs, ys);
                line.Color = Palette(colour);
                line.LinePattern = cost == "exp" ? LinePattern.Dashed : LinePattern.Solid;
                line.LegendText = $"{label}, {cost}";
                any = true;
            }
            colour++;
        }
        foreach (var cost in StudyGrid.Costs)
        {
            var own = records
                .Where(r => r.Spec.Negatives.Sampling == NegativeSampling.Ot && r.Spec.Negatives.Cost == cost && r.Trained is not null)
                .GroupBy(r => r.Spec.Negatives.Epsilon!.Value)
                .OrderBy(g => g.Key)
                .Select(g => (Epsilon: g.Key, Gain: g.Average(r => GainAt(r.Trained!, $"ot-{cost}", g.Key) ?? double.NaN)))
                .ToList();
            if (own.Count == 0) continue;
            var markers = plot.Add.ScatterPoints(own.Select(o => o.Epsilon).ToArray(), own.Select(o => o.Gain).ToArray());
            markers.Color = Palette(colour);
            markers.MarkerShape = cost == "exp" ? MarkerShape.OpenSquare : MarkerShape.FilledSquare;
            markers.MarkerSize = 9;
            markers.LegendText = $"OT run's own encoder at its ε, {cost}";
            any = true;
        }
        if (!any) return false;
        plot.Title("Hardness on the fixed analysis batch (projections)");
        plot.XLabel("ε");
        plot.YLabel("E_P*[s] − E_uniform[s]");
        plot.ShowLegend(ScottPlot.Alignment.UpperRight);
        plot.SavePng(path, 760, 500);
        return true;
    }

    private static bool Anchor(string path, IReadOnlyList<StudyRunRecord> records)
    {
        int seed = records.Count == 0 ? 0 : records.Min(r => r.Spec.Seed);
        var start = records.FirstOrDefault(r => r.Spec.Seed == seed && r.Untrained?.Anchor is not null);
        var end = records.FirstOrDefault(r => r.Spec.Seed == seed && r.Spec.Loss == StudyGrid.FigureLoss
                && r.Spec.Negatives == NegativeConfig.Ot("sqeuclid", StudyGrid.ScatterEpsilon) && r.Trained?.Anchor is not null)
            ?? records.FirstOrDefault(r => r.Spec.Seed == seed && r.Spec.Negatives.Sampling == NegativeSampling.Ot && r.Trained?.Anchor is not null);
        if (start is null && end is null) return false;
        var plot = new Plot();
        int colour = 0;
        foreach (var (label, anchor) in new[] { ("start (untrained)", start?.Untrained?.Anchor), ($"end ({end?.Spec.Key})", end?.Trained?.Anchor) })
        {
            if (anchor is null) { colour++; continue; }
            var x = anchor.Similarity.Select(s => Math.Exp(2 * s)).ToArray();
            var points = plot.Add.ScatterPoints(x, anchor.ScaledWeight.ToArray());
            points.Color = Palette(colour);
            points.MarkerSize = 6;
            points.LegendText = $"P* at {label}";
            // HCL's row-only form at β = 2: e^{2s} normalised over the same negatives.
            double total = x.Sum();
            var sorted = x.Order().ToArray();
            var row = plot.Add.Scatter(sorted, sorted.Select(v => v * x.Length / total).ToArray());
            row.Color = Palette(colour);
            row.MarkerSize = 0;
            row.LinePattern = LinePattern.Dashed;
            row.LegendText = $"e^{{2s}} normalised (HCL β = 2), {label.Split(' ')[0]}";
            colour++;
        }
        var eps = (end?.Trained?.Anchor ?? start?.Untrained?.Anchor)!.Epsilon;
        plot.Title($"Anchor 0 of the fixed batch: OT conditional (sqeuclid, ε = {StudyGrid.Number(eps)}) vs e^{{2s}}");
        plot.XLabel("e^{2s}  (s: cosine similarity to the anchor)");
        plot.YLabel("P*(x⁻|x) · (number of negatives)");
        plot.ShowLegend(ScottPlot.Alignment.UpperLeft);
        plot.SavePng(path, 760, 520);
        return true;
    }

    private static bool Neighbours(string path, IReadOnlyList<StudyRunRecord> records)
    {
        string loss = StudyGrid.LossName(StudyGrid.FigureLoss);
        var series = new List<(string Label, List<IReadOnlyList<double>> Curves)>
        {
            ("before training", [.. records.Where(r => r.Untrained is not null).Select(r => r.Untrained!.SameLabelByRank)]),
        };
        foreach (var negatives in new[]
                 {
                     NegativeConfig.Uniform, NegativeConfig.Hcl(1.0),
                     NegativeConfig.Ot("sqeuclid", StudyGrid.ReferenceEpsilon), NegativeConfig.Ot("exp", StudyGrid.ReferenceEpsilon),
                 })
        {
            string cost = negatives.Cost is null ? "" : $" {negatives.Cost}";
            series.Add(($"after {negatives.Label}{cost} ({loss})", [.. records
                .Where(r => r.Spec.Negatives == negatives && r.Spec.Loss == StudyGrid.FigureLoss && r.Trained is not null)
                .Select(r => r.Trained!.SameLabelByRank)]));
        }
        if (series.All(s => s.Curves.Count == 0)) return false;
        var plot = new Plot();
        int colour = 0;
        foreach (var (label, curves) in series)
        {
            if (curves.Count == 0) { colour++; continue; }
            int k = curves.Min(c => c.Count);
            var xs = Enumerable.Range(1, k).Select(r => (double)r).ToArray();
            var ys = xs.Select((_, r) => curves.Average(c => c[r])).ToArray();
            var line = plot.Add.Scatter(xs, ys);
            line.Color = colour == 0 ? Black : Palette(colour - 1);
            line.MarkerSize = 0;
            line.LineWidth = 2;
            line.LegendText = $"{label}, {curves.Count} seed(s)";
            colour++;
        }
        plot.Title("Same-label neighbours by rank (backbone features)");
        plot.XLabel("neighbour rank r");
        plot.YLabel("fraction with the query's label at rank r");
        plot.ShowLegend(ScottPlot.Alignment.UpperRight);
        plot.SavePng(path, 760, 500);
        return true;
    }

    private static bool KnnPerEpoch(string path, IReadOnlyList<ConfigSummary> summaries)
    {
        var configs = new[]
        {
            NegativeConfig.Ot("sqeuclid", StudyGrid.ReferenceEpsilon),
            NegativeConfig.Ot("exp", StudyGrid.ReferenceEpsilon),
            NegativeConfig.Uniform,
        };
        var losses = StudyGrid.Losses.Where(l => configs.Take(2).Any(c => StudyAggregate.Find(summaries, c, l) is not null)).ToList();
        if (losses.Count == 0) return false;
        var multiplot = new Multiplot();
        multiplot.AddPlots(losses.Count);
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Grid(1, losses.Count);
        for (int column = 0; column < losses.Count; column++)
        {
            var plot = multiplot.GetPlot(column);
            for (int c = 0; c < configs.Length; c++)
            {
                if (StudyAggregate.Find(summaries, configs[c], losses[column]) is not { } summary) continue;
                int epochs = summary.Records.Min(r => r.Evaluations.Count);
                var xs = Enumerable.Range(0, epochs).Select(e => (double)summary.Records[0].Evaluations[e].Epoch).ToArray();
                var ys = Enumerable.Range(0, epochs).Select(e => summary.Records.Average(r => r.Evaluations[e].KnnTop1)).ToArray();
                var line = plot.Add.Scatter(xs, ys);
                line.Color = configs[c].Sampling == NegativeSampling.Uniform ? Black : Palette(c);
                line.LinePattern = configs[c].Sampling == NegativeSampling.Uniform ? LinePattern.Dashed : LinePattern.Solid;
                line.LegendText = configs[c].Cost is { } cost ? $"{configs[c].Label} {cost}" : configs[c].Label;
            }
            plot.Title($"{StudyGrid.LossName(losses[column])}: kNN per epoch");
            plot.XLabel("epoch");
            plot.YLabel("kNN top-1 (mean over seeds)");
            if (column == 0) plot.ShowLegend(ScottPlot.Alignment.LowerRight);
        }
        multiplot.SavePng(path, 420 * losses.Count, 420);
        return true;
    }

    private static double? GainAt(FeatureAnalysis analysis, string method, double parameter) =>
        analysis.Hardness.FirstOrDefault(h => h.Method == method && Math.Abs(h.Parameter - parameter) < 1e-12)?.Gain;

    private static Color Palette(int index) => ScottPlot.Palette.Default.GetColor(index);
}
