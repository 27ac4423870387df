using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using HardNegOT.Torch.Training;

namespace HardNegOT.Torch.Study;

/// <summary>
/// Writes results.md: the stamp (command, date, machine, budget, time), the accuracy table (mean ± std over seeds),
/// the hardness table, the paper's claims checked against the numbers, and the figures.
/// </summary>
public static class StudyReport
{
    /// <summary>Name of the report.</summary>
    public const string FileName = "results.md";

    /// <summary>Writes results.md and returns its path.</summary>
    /// <param name="directory">Output directory.</param>
    /// <param name="plan">The study's plan.</param>
    /// <param name="records">Records of the plan's runs, in plan order.</param>
    /// <param name="figures">Paths of the figures written (embedded by file name).</param>
    public static string Write(string directory, StudyPlan plan, IReadOnlyList<StudyRunRecord> records, IReadOnlyList<string> figures)
    {
        ArgumentNullException.ThrowIfNull(directory);
        var path = Path.Combine(directory, FileName);
        File.WriteAllText(path, Render(plan, records, figures, DateTime.UtcNow, MachineDescription()));
        return path;
    }

    /// <summary>The report's Markdown.</summary>
    /// <param name="plan">The study's plan.</param>
    /// <param name="records">Records of the plan's runs.</param>
    /// <param name="figures">Paths of the figures written.</param>
    /// <param name="now">The report's date.</param>
    /// <param name="machine">The machine line.</param>
    public static string Render(StudyPlan plan, IReadOnlyList<StudyRunRecord> records, IReadOnlyList<string> figures, DateTime now, string machine)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(figures);
        var b = plan.Budget;
        var summaries = StudyAggregate.Summarize(records);
        var md = new StringBuilder();
        void Line(FormattableString text) => md.Append(text.ToString(CultureInfo.InvariantCulture)).Append('\n');

        Line($"# Hard-negative study on Fashion-MNIST ({plan.Name})");
        Line($"");
        Line($"Uniform vs HCL vs entropic-OT negatives (Jiang, Ishwar & Aeron, *Hard negative sampling via regularized optimal transport for contrastive representation learning*), crossed with the NCE, debiased (DCL) and Bayesian (BCL) losses and two OT ground costs, each run under the same budget.");
        Line($"");
        Line($"- **Command:** `{plan.Command}`");
        string finished = records.Count == 0 ? "no runs" : $"runs finished {records.Min(r => r.FinishedUtc)} – {records.Max(r => r.FinishedUtc)}";
        Line($"- **Date:** {now:yyyy-MM-dd HH:mm} UTC ({finished})");
        Line($"- **Machine:** {machine}");
        Line($"- **Budget (every run):** B = {b.BatchSize} images (2B = {2 * b.BatchSize} views) per step, {b.Epochs} epochs × {b.StepsPerEpoch} steps = {b.TotalSteps} Adam steps (lr {b.LearningRate}) drawn from the first {b.TrainSubset} training images; temperature {b.Temperature}, τ⁺ = {b.TauPlus} (dcl and bcl; nce has none), BCL's default prior, κ = {b.Kappa} for exp. Evaluation of the backbone features before training and after every epoch: weighted kNN (k = {b.KnnK}) and a linear readout ({b.LinearEpochs} full-batch Adam steps), bank = first {b.EvalBank} training images, queries = first {b.EvalQueries} test images.");
        double wall = records.Sum(r => r.WallSeconds), cpu = records.Sum(r => r.CpuSeconds);
        if (records.Count > 0)
        {
            int fullRuns = StudyGrid.Full(3).Count;
            Line($"- **Runs:** {records.Count} ({plan.Seeds} seed(s)); time in runs: {wall / 60:F1} min wall ({wall / records.Count:F0} s per run), {cpu / 60:F1} min CPU ({cpu / records.Count:F0} s per run). At this CPU cost the full grid ({fullRuns} runs, 3 seeds) needs {fullRuns * cpu / records.Count / 3600:F1} CPU-hours: about that long at one core's throughput, less when both cores are free, longer on a shared machine (wall time above includes other users' load).");
            var untrained = records.GroupBy(r => r.Spec.Seed).OrderBy(g => g.Key)
                .Select(g => $"seed {g.Key}: kNN {Percent(g.First().UntrainedKnnTop1)}, linear {Percent(g.First().UntrainedLinearTop1)}");
            Line($"- **Untrained encoder (epoch 0, same weights for every run of a seed):** {string.Join("; ", untrained)}.");
        }
        Line($"");

        AccuracyTable(md, summaries);
        HardnessSection(md, records);
        Claims(md, summaries, records);
        Neighbours(md, records);
        Figures(md, figures);
        Line($"## Files");
        Line($"");
        Line($"- `{StudyStore.CsvFileName}`: one row per run (accuracies, kNN per epoch, time).");
        Line($"- `{StudyStore.RunsFileName}`: the full records (per-epoch evaluations, hardness grids, neighbour curves, anchor rows); the study resumes from it.");
        Line($"- `{StudyStore.StudyFileName}`: the budget; the directory refuses runs under another one.");
        return md.ToString();
    }

    private static void AccuracyTable(StringBuilder md, IReadOnlyList<ConfigSummary> summaries)
    {
        md.Append("## Accuracy (top-1 %, mean ± std over seeds)\n\n");
        md.Append("Uniform and HCL negatives do not use a ground cost, so each is run once per loss and seed and listed once (cost —); only OT is run per cost. The best mean of each column is in bold.\n\n");
        var losses = StudyGrid.Losses.Where(l => summaries.Any(s => s.Loss == l)).ToList();
        md.Append("| negatives | cost |");
        foreach (var l in losses) md.Append(CultureInfo.InvariantCulture, $" {StudyGrid.LossName(l)} kNN | {StudyGrid.LossName(l)} linear |");
        md.Append("\n|---|---|");
        foreach (var _ in losses) md.Append("---:|---:|");
        md.Append('\n');
        var best = losses.ToDictionary(l => l, l => (
            Knn: summaries.Where(s => s.Loss == l).Max(s => s.Knn.Mean),
            Linear: summaries.Where(s => s.Loss == l).Max(s => s.Linear.Mean)));
        foreach (var negatives in summaries.Select(s => s.Negatives).Distinct().OrderBy(Order))
        {
            md.Append(CultureInfo.InvariantCulture, $"| {negatives.Label} | {negatives.Cost ?? "—"} |");
            foreach (var l in losses)
            {
                var s = StudyAggregate.Find(summaries, negatives, l);
                md.Append(' ').Append(s is null ? "" : Cell(s.Knn, s.Knn.Mean == best[l].Knn)).Append(" |");
                md.Append(' ').Append(s is null ? "" : Cell(s.Linear, s.Linear.Mean == best[l].Linear)).Append(" |");
            }
            md.Append('\n');
        }
        md.Append('\n');
    }

    private static void HardnessSection(StringBuilder md, IReadOnlyList<StudyRunRecord> records)
    {
        var fixedEncoders = FixedEncoders(records);
        if (fixedEncoders.Count == 0) return;
        md.Append("## Hardness on the fixed analysis batch\n\n");
        md.Append("Gain = E_P*[s] − E_uniform[s]: the expected cosine similarity of an anchor's negatives under the OT conditional minus under uniform sampling, averaged over anchors, on one fixed two-view batch of B test images (same images and augmentations for every encoder), on the projections the loss sees. Rows use **fixed encoders** (the untrained one, and the one trained with uniform negatives and dcl), each swept over ε, so only ε and the cost change along a row; mean over seeds. HCL's e^{βs} is the row-only plan of sqeuclid at ε = 2/β.\n\n");
        var eps = FeatureAnalyzer.HardnessEpsilons;
        md.Append("| encoder | plan |");
        foreach (var e in eps) md.Append(CultureInfo.InvariantCulture, $" ε={StudyGrid.Number(e)} |");
        md.Append("\n|---|---|");
        foreach (var _ in eps) md.Append("---:|");
        md.Append('\n');
        foreach (var (label, analyses) in fixedEncoders)
        {
            foreach (var cost in StudyGrid.Costs)
            {
                md.Append(CultureInfo.InvariantCulture, $"| {label} | OT {cost} |");
                foreach (var e in eps) md.Append(CultureInfo.InvariantCulture, $" {MeanGain(analyses, $"ot-{cost}", e):F4} |");
                md.Append('\n');
            }
            md.Append(CultureInfo.InvariantCulture, $"| {label} | HCL |");
            foreach (var e in eps)
            {
                double beta = 2.0 / e;
                bool inGrid = StudyGrid.HclBetas.Any(x => Math.Abs(x - beta) < 1e-12);
                md.Append(inGrid ? string.Create(CultureInfo.InvariantCulture, $" {MeanGain(analyses, "hcl", beta):F4} (β={StudyGrid.Number(beta)}) |") : " |");
            }
            md.Append('\n');
        }
        var own = OwnEncoderGains(records);
        if (own.Count > 0)
        {
            md.Append("\nEach OT run's **own trained encoder** at its own ε and cost (mean over losses and seeds):\n\n| cost |");
            var ownEps = own.Select(o => o.Epsilon).Distinct().Order().ToList();
            foreach (var e in ownEps) md.Append(CultureInfo.InvariantCulture, $" ε={StudyGrid.Number(e)} |");
            md.Append("\n|---|");
            foreach (var _ in ownEps) md.Append("---:|");
            md.Append('\n');
            foreach (var cost in StudyGrid.Costs.Where(c => own.Any(o => o.Cost == c)))
            {
                md.Append(CultureInfo.InvariantCulture, $"| {cost} |");
                foreach (var e in ownEps)
                    md.Append(own.FirstOrDefault(o => o.Cost == cost && o.Epsilon == e) is { Cost: not null } o ? string.Create(CultureInfo.InvariantCulture, $" {o.Gain:F4} |") : " |");
                md.Append('\n');
            }
        }
        if (records.Any(r => (r.Trained?.Hardness ?? []).Concat(r.Untrained?.Hardness ?? []).Any(h => !h.Converged)))
            md.Append("\nSome hardness solves stopped at the iteration cap before the tolerance; their gains are approximate.\n");
        md.Append('\n');
    }

    private static void Claims(StringBuilder md, IReadOnlyList<ConfigSummary> summaries, IReadOnlyList<StudyRunRecord> records)
    {
        md.Append("## The paper's claims against these numbers\n\n");
        md.Append("Read literally from the means above; \"holds\" only means the ordering of the means, not a significant difference.");
        var stds = summaries.SelectMany(s => new[] { s.Knn.Std, s.Linear.Std }).Where(s => s is not null).Select(s => s!.Value).ToList();
        if (stds.Count > 0)
            md.Append(CultureInfo.InvariantCulture, $" Typical seed-to-seed std here: {Percent(stds.Average())} points (median {Percent(Median(stds))}); gaps below that are noise.");
        else
            md.Append(" With one seed there is no spread estimate: treat gaps of a point or two as noise.");
        if (records.Count > 0)
        {
            var gain = records.Average(r => r.KnnTop1 - r.UntrainedKnnTop1);
            md.Append(CultureInfo.InvariantCulture, $" Training moved kNN by {Signed(gain)} points on average over the untrained encoder.");
        }
        md.Append("\n\n");

        md.Append("**1. OT ≥ HCL > uniform.** Best mean over each family's parameters (best of several configurations favours the larger family), and the family mean over its parameters:\n\n");
        md.Append("| loss | metric | uniform | HCL best | HCL mean | OT best | OT mean | OT ≥ HCL (best) | HCL > uniform (best) |\n|---|---|---:|---:|---:|---:|---:|---|---|\n");
        foreach (var loss in StudyGrid.Losses)
        {
            foreach (bool knn in new[] { true, false })
            {
                double Value(ConfigSummary s) => knn ? s.Knn.Mean : s.Linear.Mean;
                var u = summaries.Where(s => s.Loss == loss && s.Negatives.Sampling == NegativeSampling.Uniform).ToList();
                var h = summaries.Where(s => s.Loss == loss && s.Negatives.Sampling == NegativeSampling.Hcl).ToList();
                var o = summaries.Where(s => s.Loss == loss && s.Negatives.Sampling == NegativeSampling.Ot).ToList();
                if (u.Count == 0 || h.Count == 0 || o.Count == 0) continue;
                var hb = h.MaxBy(Value)!;
                var ob = o.MaxBy(Value)!;
                md.Append(CultureInfo.InvariantCulture,
                    $"| {StudyGrid.LossName(loss)} | {(knn ? "kNN" : "linear")} | {Percent(Value(u[0]))} | {Percent(Value(hb))} ({hb.Negatives.Label}) | {Percent(h.Average(Value))} | {Percent(Value(ob))} ({ob.Negatives.Label} {ob.Negatives.Cost}) | {Percent(o.Average(Value))} | {Verdict(Value(ob) >= Value(hb))} | {Verdict(Value(hb) > Value(u[0]))} |\n");
            }
        }
        md.Append('\n');

        md.Append("**2. Hardness falls as ε grows** (gain on the fixed batch, fixed encoders, mean over seeds):\n\n");
        foreach (var (label, analyses) in FixedEncoders(records))
        {
            foreach (var cost in StudyGrid.Costs)
            {
                var gains = FeatureAnalyzer.HardnessEpsilons.Select(e => MeanGain(analyses, $"ot-{cost}", e)).ToList();
                int falls = gains.Zip(gains.Skip(1)).Count(p => p.Second < p.First);
                md.Append(CultureInfo.InvariantCulture,
                    $"- {label}, {cost}: {gains[0]:F4} at ε = {StudyGrid.Number(FeatureAnalyzer.HardnessEpsilons[0])} → {gains[^1]:F4} at ε = {StudyGrid.Number(FeatureAnalyzer.HardnessEpsilons[^1])}; falls in {falls} of {gains.Count - 1} steps: {(falls == gains.Count - 1 ? "**holds** (monotone)" : "**does not hold** strictly")}.\n");
            }
        }
        var own = OwnEncoderGains(records);
        foreach (var cost in StudyGrid.Costs)
        {
            var points = own.Where(o => o.Cost == cost).OrderBy(o => o.Epsilon).ToList();
            if (points.Count < 2) continue;
            int falls = points.Zip(points.Skip(1)).Count(p => p.Second.Gain < p.First.Gain);
            md.Append(CultureInfo.InvariantCulture,
                $"- each OT run's own encoder at its own ε, {cost}: {string.Join(", ", points.Select(p => $"{p.Gain:F4} (ε={StudyGrid.Number(p.Epsilon)})"))}; falls in {falls} of {points.Count - 1} steps (encoder and ε change together here).\n");
        }
        md.Append('\n');

        md.Append("**3. exp cost vs sqeuclid under kNN** (same loss and ε; Δ = exp − sqeuclid, points):\n\n");
        var pairs = new List<(ContrastiveLoss Loss, double Epsilon, double Delta)>();
        foreach (var exp in summaries.Where(s => s.Negatives.Sampling == NegativeSampling.Ot && s.Negatives.Cost == "exp"))
            if (StudyAggregate.Find(summaries, NegativeConfig.Ot("sqeuclid", exp.Negatives.Epsilon!.Value), exp.Loss) is { } sq)
                pairs.Add((exp.Loss, exp.Negatives.Epsilon!.Value, exp.Knn.Mean - sq.Knn.Mean));
        if (pairs.Count == 0)
        {
            md.Append("No (loss, ε) ran with both costs.\n\n");
        }
        else
        {
            foreach (var p in pairs)
                md.Append(CultureInfo.InvariantCulture, $"- {StudyGrid.LossName(p.Loss)}, ε = {StudyGrid.Number(p.Epsilon)}: Δ = {Signed(p.Delta)}\n");
            int wins = pairs.Count(p => p.Delta > 0);
            md.Append(CultureInfo.InvariantCulture,
                $"\nexp ahead in {wins} of {pairs.Count} comparisons, mean Δ = {Signed(pairs.Average(p => p.Delta))} points: the paper's claim (exp better) {(wins * 2 > pairs.Count && pairs.Average(p => p.Delta) > 0 ? "**holds** in the means" : "**is not reproduced**")}.\n\n");
        }
    }

    // Same-label fraction at a few ranks, before training and after each method with the figure loss.
    private static void Neighbours(StringBuilder md, IReadOnlyList<StudyRunRecord> records)
    {
        var series = new List<(string Label, List<IReadOnlyList<double>> Curves)>
        {
            ("before training", [.. records.Where(r => r.Untrained is not null).Select(r => r.Untrained!.SameLabelByRank)]),
        };
        foreach (var negatives in records.Where(r => r.Spec.Loss == StudyGrid.FigureLoss && r.Trained is not null).Select(r => r.Spec.Negatives).Distinct().OrderBy(Order))
            series.Add(($"after {negatives.Label}{(negatives.Cost is { } c ? " " + c : "")}", [.. records
                .Where(r => r.Spec.Negatives == negatives && r.Spec.Loss == StudyGrid.FigureLoss && r.Trained is not null)
                .Select(r => r.Trained!.SameLabelByRank)]));
        series.RemoveAll(s => s.Curves.Count == 0);
        if (series.Count == 0) return;
        int k = series.Min(s => s.Curves.Min(c => c.Count));
        int[] ranks = [.. new[] { 1, 10, 50, k }.Where(r => r <= k).Distinct()];
        md.Append(CultureInfo.InvariantCulture, $"**4. Same-label neighbours** (not a claim of the paper; fraction of test queries whose r-th nearest bank image shares the label, backbone features, {StudyGrid.LossName(StudyGrid.FigureLoss)}, mean over seeds):\n\n| encoder |");
        foreach (int r in ranks) md.Append(CultureInfo.InvariantCulture, $" r = {r} |");
        md.Append("\n|---|");
        foreach (int _ in ranks) md.Append("---:|");
        md.Append('\n');
        foreach (var (label, curves) in series)
        {
            md.Append(CultureInfo.InvariantCulture, $"| {label} |");
            foreach (int r in ranks) md.Append(CultureInfo.InvariantCulture, $" {Percent(curves.Average(c => c[r - 1]))} |");
            md.Append('\n');
        }
        md.Append('\n');
    }

    private static void Figures(StringBuilder md, IReadOnlyList<string> figures)
    {
        var names = figures.Select(Path.GetFileName).ToHashSet();
        var captions = new (string File, string Caption)[]
        {
            (StudyFigures.AccuracyFileName, "kNN (top) and linear readout (bottom) against OT's ε, one column per loss; error bars are the std over seeds; uniform (dashed) and HCL (dotted) are horizontal references."),
            (StudyFigures.HardnessFileName, "Hardness E_P*[s] − E_uniform[s] against ε on the fixed analysis batch. Lines: fixed encoders (untrained; trained with uniform negatives and dcl) swept over ε, solid sqeuclid, dashed exp. Squares: each OT run's own trained encoder at its own ε (filled sqeuclid, open exp), mean over losses and seeds."),
            (StudyFigures.AnchorFileName, $"One anchor of the fixed batch: P*(x⁻|x) times the number of negatives against e^{{2s}}, with the sqeuclid plan at ε = {StudyGrid.Number(StudyGrid.ScatterEpsilon)} (where HCL's row-only form is exactly ∝ e^{{2s}}, dashed). Start: the untrained encoder; end: the OT run (sqeuclid, ε = {StudyGrid.Number(StudyGrid.ScatterEpsilon)}, {StudyGrid.LossName(StudyGrid.FigureLoss)}, first seed) after training."),
            (StudyFigures.NeighboursFileName, $"Fraction of test queries whose r-th nearest training-bank image (cosine, backbone features) has the query's label, before training and after training with uniform, HCL β = 1 and OT (ε = {StudyGrid.Number(StudyGrid.ReferenceEpsilon)}) negatives ({StudyGrid.LossName(StudyGrid.FigureLoss)}), mean over seeds."),
            (StudyFigures.KnnPerEpochFileName, $"kNN top-1 per epoch for OT with the two costs at ε = {StudyGrid.Number(StudyGrid.ReferenceEpsilon)} and uniform negatives (dashed), one panel per loss, mean over seeds."),
        };
        md.Append("## Figures\n\n");
        foreach (var (file, caption) in captions)
        {
            if (!names.Contains(file)) continue;
            md.Append(CultureInfo.InvariantCulture, $"![{file}]({file})\n\n{caption}\n\n");
        }
    }

    /// <summary>"cores (CPU model), OS, runtime; load average".</summary>
    public static string MachineDescription()
    {
        string cpu = "";
        try
        {
            if (File.Exists("/proc/cpuinfo"))
                cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "";
        }
        catch (IOException)
        {
            // The CPU model is decoration; the core count stands without it.
        }
        string load = "";
        try
        {
            if (File.Exists("/proc/loadavg"))
                load = $"; load average when the report was written {string.Join(", ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3))} (the machine is shared)";
        }
        catch (IOException)
        {
            // As above.
        }
        string model = cpu.Length > 0 ? $" ({cpu})" : "";
        return $"{Environment.ProcessorCount} cores{model}, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}{load}";
    }

    private static List<(string Label, List<FeatureAnalysis> Analyses)> FixedEncoders(IReadOnlyList<StudyRunRecord> records)
    {
        var list = new List<(string, List<FeatureAnalysis>)>();
        var untrained = records.Where(r => r.Untrained is not null).Select(r => r.Untrained!).ToList();
        if (untrained.Count > 0) list.Add(("untrained", untrained));
        var uniform = records.Where(r => r.Spec.Negatives.Sampling == NegativeSampling.Uniform && r.Spec.Loss == StudyGrid.FigureLoss && r.Trained is not null)
            .Select(r => r.Trained!).ToList();
        if (uniform.Count > 0) list.Add(($"after uniform/{StudyGrid.LossName(StudyGrid.FigureLoss)}", uniform));
        return list;
    }

    private static List<(string? Cost, double Epsilon, double Gain)> OwnEncoderGains(IReadOnlyList<StudyRunRecord> records) =>
        [.. records
            .Where(r => r.Spec.Negatives.Sampling == NegativeSampling.Ot && r.Trained is not null)
            .GroupBy(r => (r.Spec.Negatives.Cost, Epsilon: r.Spec.Negatives.Epsilon!.Value))
            .Select(g => (g.Key.Cost, g.Key.Epsilon, g.Average(r => MeanGain([r.Trained!], $"ot-{g.Key.Cost}", g.Key.Epsilon))))];

    private static double MeanGain(IReadOnlyList<FeatureAnalysis> analyses, string method, double parameter) =>
        analyses.Average(a => a.Hardness.FirstOrDefault(h => h.Method == method && Math.Abs(h.Parameter - parameter) < 1e-12)?.Gain ?? double.NaN);

    private static int Order(NegativeConfig n) => n.Sampling switch
    {
        NegativeSampling.Uniform => 0,
        NegativeSampling.Hcl => 1,
        _ => n.Cost == "sqeuclid" ? 2 : 3,
    } * 1000 + (int)Math.Round(1000 * (n.Beta ?? n.Epsilon ?? 0) / 10);

    private static string Cell(MeanStd m, bool best)
    {
        string text = m.Std is { } s ? $"{Percent(m.Mean)} ± {Percent(s)}" : Percent(m.Mean);
        return best ? $"**{text}**" : text;
    }

    private static string Percent(double fraction) => (100 * fraction).ToString("F2", CultureInfo.InvariantCulture);

    private static string Signed(double fraction) => (100 * fraction).ToString("+0.00;-0.00;0.00", CultureInfo.InvariantCulture);

    private static string Verdict(bool holds) => holds ? "holds" : "**fails**";

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        int n = sorted.Count;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
