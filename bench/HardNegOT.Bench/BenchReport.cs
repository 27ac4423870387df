using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace HardNegOT.Bench;

/// <summary>
/// Turns one run's results into docs/benchmarks: a Markdown table (ours, the peers, ratios, iterations,
/// errors, the floor) and PNG plots, stamped with the machine and the command that made them.
/// Inputs: BenchmarkDotNet's full JSON reports, the solve log (iterations) and the peers' JSON lines.
/// </summary>
public static class BenchReport
{
    private sealed record Timing(string Method, string Workload, double Epsilon, int Count, double Seconds);
    private sealed record Solve(string Solver, string Workload, double Epsilon, int Iterations, double MarginalError, bool Converged);
    // Exact is false for POT lines from runs before the script read POT's own count (10 × error checks, a bound).
    private sealed record Peer(string Name, string Workload, int Count, double Epsilon, double Seconds, int Iterations, double L1Error, bool Converged, bool Exact);

    /// <summary>report RESULTS_DIR OUT_DIR "COMMAND"</summary>
    public static int Write(string[] args)
    {
        if (args.Length < 3)
        {
            Console.Error.WriteLine("usage: report RESULTS_DIR OUT_DIR \"COMMAND\"");
            return 2;
        }
        string results = args[0], output = args[1], command = args[2];
        Directory.CreateDirectory(output);
        var timings = ReadTimings(results);
        var solves = ReadSolves(Path.Combine(results, "solves.jsonl"));
        var peers = ReadPeers(Path.Combine(results, "peers.jsonl"));
        var floor = timings.Where(t => t.Method is "ExpPass" or "GramPass").ToList();

        var md = new StringBuilder();
        md.AppendLine("# Sinkhorn benchmarks");
        md.AppendLine();
        md.AppendLine($"Machine: {RuntimeInformation.OSDescription}, {Environment.ProcessorCount} cores, {CpuModel()}, .NET {Environment.Version}.  ");
        md.AppendLine($"Made by: `{command}` on {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC.  ");
        md.AppendLine("Workload: two-view self-coupling (self and i±B masked), squared-Euclidean cost on normalised embeddings, d = 128, ");
        md.AppendLine("stopping at L1 marginal error 1e-4 (POT: L2 stopThr = 1e-4/√N, which implies it). Times include building the cost from the embeddings; ");
        md.AppendLine("ours are BenchmarkDotNet means, peers the best of 3 in the same run. Ratio = peer time / our default time (Anderson-accelerated symmetric update, the measured winner); > 1 means we are faster.");
        md.AppendLine();
        md.AppendLine("| workload | ε | ours symmetric (s) | iters | ours alternating (s) | iters | ours Anderson, default (s) | iters | POT sinkhorn (s) | iters | L1 err | × | POT sinkhorn_log (s) | × | PyTorch log (s) | × | TorchSharp log (s) | × | exp floor per pass (ms) | ours per pass (ms) |");
        md.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        var ratioRows = new List<(string Label, double Pot, double PotLog, double Torch, double TorchSharp)>();
        foreach (var group in timings.Where(t => t.Method.StartsWith("Cpu")).GroupBy(t => (t.Workload, t.Epsilon)).OrderBy(g => g.Key.Workload).ThenBy(g => g.Key.Epsilon))
        {
            var symmetric = group.FirstOrDefault(t => t.Method == "CpuSymmetric");
            var alternating = group.FirstOrDefault(t => t.Method == "CpuAlternating");
            var anderson = group.FirstOrDefault(t => t.Method == "CpuAnderson");
            var andSolve = solves.LastOrDefault(s => s.Solver == "cpu-anderson" && s.Workload == group.Key.Workload && s.Epsilon == group.Key.Epsilon);
            var symSolve = solves.LastOrDefault(s => s.Solver == "cpu-symmetric" && s.Workload == group.Key.Workload && s.Epsilon == group.Key.Epsilon);
            var altSolve = solves.LastOrDefault(s => s.Solver == "cpu-alternating" && s.Workload == group.Key.Workload && s.Epsilon == group.Key.Epsilon);
            Peer? P(string name) => peers.LastOrDefault(p => p.Name == name && p.Workload == group.Key.Workload && p.Epsilon == group.Key.Epsilon);
            var pot = P("pot-sinkhorn");
            var potLog = P("pot-sinkhorn_log");
            var torch = P("torch-log");
            var torchSharp = P("torchsharp-log");
            double ours = anderson?.Seconds ?? double.NaN;
            int count = anderson?.Count ?? 0;
            var expFloor = floor.FirstOrDefault(f => f.Method == "ExpPass" && f.Count == count);
            double perPass = andSolve is null ? double.NaN : ours / Math.Max(1, andSolve.Iterations) * 1e3;
            md.AppendLine(string.Join(" | ", new[]
            {
                $"| {group.Key.Workload}", F(group.Key.Epsilon), S(symmetric?.Seconds), It(symSolve), S(alternating?.Seconds), It(altSolve), S(anderson?.Seconds), It(andSolve),
                S(pot?.Seconds), PeerIt(pot), E(pot?.L1Error), R(pot?.Seconds, ours), S(potLog?.Seconds), R(potLog?.Seconds, ours),
                S(torch?.Seconds), R(torch?.Seconds, ours), S(torchSharp?.Seconds), R(torchSharp?.Seconds, ours), expFloor is null ? "–" : F(expFloor.Seconds * 1e3), F(perPass) + " |",
            }));
            ratioRows.Add(($"{ShortName(group.Key.Workload)} ε={F(group.Key.Epsilon)}", Ratio(pot?.Seconds, ours), Ratio(potLog?.Seconds, ours),
                Ratio(torch?.Seconds, ours), Ratio(torchSharp?.Seconds, ours)));
        }
        md.AppendLine();
        md.AppendLine("Iterations: ours count one half-step per symmetric iteration and two per alternating one; a `*` marks a solve that hit the cap (1000) without reaching 1e-4. ");
        md.AppendLine("Per pass: our time to tolerance divided by half-steps (the one-off log-kernel build included), beside the measured time of N² exponentials on this machine.");
        md.AppendLine();
        var unbalanced = timings.Where(t => t.Method == "CpuUnbalancedAnderson").OrderBy(t => t.Workload).ThenBy(t => t.Epsilon).ToList();
        if (unbalanced.Count > 0)
        {
            md.AppendLine($"Unbalanced row: the same batches with KL-relaxed marginals (ρ_a = ρ_b = {F(SinkhornBenchmarks.Rho)}, default Anderson update), stopping at a dual change of 1e-4.");
            md.AppendLine();
            md.AppendLine("| workload | ε | ours unbalanced (s) | iters | ours balanced Anderson (s) |");
            md.AppendLine("|---|---|---|---|---|");
            foreach (var t in unbalanced)
            {
                var solve = solves.LastOrDefault(s => s.Solver == "cpu-unbalanced-anderson" && s.Workload == t.Workload && s.Epsilon == t.Epsilon);
                var balanced = timings.FirstOrDefault(b => b.Method == "CpuAnderson" && b.Workload == t.Workload && b.Epsilon == t.Epsilon);
                md.AppendLine($"| {t.Workload} | {F(t.Epsilon)} | {S(t.Seconds)} | {It(solve)} | {S(balanced?.Seconds)} |");
            }
            md.AppendLine();
        }
        if (floor.Count > 0)
        {
            md.AppendLine("| floor | N | time (ms) |");
            md.AppendLine("|---|---|---|");
            foreach (var f in floor.OrderBy(f => f.Method).ThenBy(f => f.Count))
                md.AppendLine($"| {(f.Method == "ExpPass" ? "N² exp" : "N²·d multiply-adds (Gram)")} | {f.Count} | {F(f.Seconds * 1e3)} |");
            md.AppendLine();
        }
        PlotRatios(ratioRows, Path.Combine(output, "ratio-to-peers.png"));
        PlotTimeVersusCount(timings, peers, Path.Combine(output, "time-vs-n.png"));
        md.AppendLine("![ratio to peers](ratio-to-peers.png)");
        md.AppendLine();
        md.AppendLine("![time vs N](time-vs-n.png)");
        File.WriteAllText(Path.Combine(output, "README.md"), md.ToString());
        Console.WriteLine($"wrote {Path.Combine(output, "README.md")}");
        return 0;
    }

    private static void PlotRatios(List<(string Label, double Pot, double PotLog, double Torch, double TorchSharp)> rows, string path)
    {
        var plot = new ScottPlot.Plot();
        var series = new[] { ("POT sinkhorn", rows.Select(r => r.Pot)), ("POT sinkhorn_log", rows.Select(r => r.PotLog)), ("PyTorch log", rows.Select(r => r.Torch)), ("TorchSharp log", rows.Select(r => r.TorchSharp)) };
        var bars = new List<ScottPlot.Bar>();
        for (int s = 0; s < series.Length; s++)
        {
            var values = series[s].Item2.ToArray();
            for (int i = 0; i < values.Length; i++)
                if (double.IsFinite(values[i]))
                    bars.Add(new ScottPlot.Bar { Position = i * (series.Length + 1) + s, Value = values[i], FillColor = ScottPlot.Palette.Default.GetColor(s) });
        }
        plot.Add.Bars(bars);
        var ticks = rows.Select((r, i) => new ScottPlot.Tick(i * (series.Length + 1) + 1, r.Label)).ToArray();
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks);
        plot.Axes.Bottom.TickLabelStyle.Rotation = 30;
        plot.Axes.Bottom.TickLabelStyle.Alignment = ScottPlot.Alignment.MiddleLeft;
        plot.Axes.Bottom.MinimumSize = 130;
        for (int s = 0; s < series.Length; s++)
            plot.Legend.ManualItems.Add(new ScottPlot.LegendItem { LabelText = series[s].Item1, FillColor = ScottPlot.Palette.Default.GetColor(s) });
        plot.ShowLegend();
        plot.Legend.Alignment = ScottPlot.Alignment.UpperLeft;
        plot.Add.HorizontalLine(1, 1, ScottPlot.Colors.Black, ScottPlot.LinePattern.Dashed);
        plot.Title("Peer time / our time (higher = we are faster)");
        plot.Axes.Left.Label.Text = "ratio";
        plot.Axes.Margins(bottom: 0);
        plot.SavePng(path, 1100, 600);
    }

    private static void PlotTimeVersusCount(List<Timing> timings, List<Peer> peers, string path)
    {
        var plot = new ScottPlot.Plot();
        int colour = 0;
        void Series(string label, IEnumerable<(int N, double Seconds)> points)
        {
            var list = points.Where(p => double.IsFinite(p.Seconds)).GroupBy(p => p.N).Select(g => (N: g.Key, Seconds: g.Average(p => p.Seconds))).OrderBy(p => p.N).ToArray();
            if (list.Length == 0) return;
            var scatter = plot.Add.Scatter(list.Select(p => Math.Log10(p.N)).ToArray(), list.Select(p => Math.Log10(p.Seconds)).ToArray());
            scatter.LegendText = label;
            scatter.Color = ScottPlot.Palette.Default.GetColor(colour++);
        }
        Series("ours symmetric", timings.Where(t => t.Method == "CpuSymmetric").Select(t => (t.Count, t.Seconds)));
        Series("ours alternating", timings.Where(t => t.Method == "CpuAlternating").Select(t => (t.Count, t.Seconds)));
        Series("ours Anderson", timings.Where(t => t.Method == "CpuAnderson").Select(t => (t.Count, t.Seconds)));
        foreach (var name in new[] { "pot-sinkhorn", "pot-sinkhorn_log", "torch-log", "torchsharp-log" })
            Series(name, peers.Where(p => p.Name == name).Select(p => (p.Count, p.Seconds)));
        plot.ShowLegend();
        plot.Title("Time to tolerance, mean over workloads and ε");
        plot.Axes.Bottom.Label.Text = "log10 N";
        plot.Axes.Left.Label.Text = "log10 seconds";
        plot.SavePng(path, 900, 600);
    }

    private static List<Timing> ReadTimings(string results)
    {
        var list = new List<Timing>();
        foreach (var file in Directory.EnumerateFiles(results, "*-report-full.json", SearchOption.AllDirectories))
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(file));
            foreach (var b in doc.RootElement.GetProperty("Benchmarks").EnumerateArray())
            {
                var parameters = b.GetProperty("Parameters").GetString() ?? "";
                var values = parameters.Split('&', StringSplitOptions.RemoveEmptyEntries)
                    .Select(p => p.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
                if (!b.TryGetProperty("Statistics", out var stats) || stats.ValueKind != JsonValueKind.Object) continue;
                double seconds = stats.GetProperty("Mean").GetDouble() / 1e9;
                string workload = values.GetValueOrDefault("Workload", "");
                double epsilon = double.Parse(values.GetValueOrDefault("Epsilon", "0"), CultureInfo.InvariantCulture);
                int count = values.TryGetValue("Count", out var c) ? int.Parse(c, CultureInfo.InvariantCulture) : ParseCount(workload);
                list.Add(new Timing(b.GetProperty("Method").GetString() ?? "", workload, epsilon, count, seconds));
            }
        }
        return list;
    }

    private static int ParseCount(string workload)
    {
        var part = workload.Split('-').FirstOrDefault(p => p.StartsWith('n') && p.Length > 1 && char.IsDigit(p[1]));
        return part is null ? 0 : int.Parse(part[1..], CultureInfo.InvariantCulture);
    }

    private static List<Solve> ReadSolves(string path) => !File.Exists(path) ? [] : File.ReadLines(path)
        .Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement)
        .Select(e => new Solve(e.GetProperty("solver").GetString()!, e.GetProperty("workload").GetString()!, e.GetProperty("epsilon").GetDouble(),
            e.GetProperty("iterations").GetInt32(), e.GetProperty("marginalError").GetDouble(), e.GetProperty("converged").GetBoolean()))
        .ToList();

    private static List<Peer> ReadPeers(string path) => !File.Exists(path) ? [] : File.ReadLines(path)
        .Where(l => l.StartsWith('{')).Select(l => JsonDocument.Parse(l).RootElement)
        .Select(e => new Peer(e.GetProperty("peer").GetString()!, e.GetProperty("workload").GetString()!, e.GetProperty("n").GetInt32(),
            e.GetProperty("epsilon").GetDouble(), e.GetProperty("seconds").GetDouble(), e.GetProperty("iterations").GetInt32(),
            e.GetProperty("l1Error").GetDouble(), e.GetProperty("converged").GetBoolean(),
            e.TryGetProperty("iterationsExact", out var exact) ? exact.GetBoolean() : !e.GetProperty("peer").GetString()!.StartsWith("pot")))
        .ToList();

    private static string CpuModel()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name"));
            return line?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        }
        catch (IOException) { return "unknown CPU"; }
    }

    // "clustered10-n1024-d128" → "clustered10 N=1024": the plots have no room for the full name.
    private static string ShortName(string workload) =>
        string.Join(' ', workload.Split('-').Where(p => !(p.StartsWith('d') && p.Length > 1 && char.IsDigit(p[1])))
            .Select(p => p.StartsWith('n') && p.Length > 1 && char.IsDigit(p[1]) ? "N=" + p[1..] : p));

    private static double Ratio(double? peer, double ours) => peer is { } p && double.IsFinite(ours) && ours > 0 ? p / ours : double.NaN;
    private static string F(double v) => double.IsFinite(v) ? v.ToString(v >= 100 ? "F0" : v >= 1 ? "F2" : "G3", CultureInfo.InvariantCulture) : "–";
    private static string S(double? seconds) => seconds is { } s ? F(s) : "–";
    private static string E(double? error) => error is { } e ? e.ToString("0.0e0", CultureInfo.InvariantCulture) : "–";
    private static string R(double? peer, double ours) => F(Ratio(peer, ours)) + (double.IsFinite(Ratio(peer, ours)) ? "×" : "");
    private static string It(Solve? s) => s is null ? "–" : s.Iterations + (s.Converged ? "" : "*");
    private static string PeerIt(Peer? p) => p is null ? "–" : (p.Exact ? "" : "≤") + p.Iterations + (p.Converged ? "" : "*");
}
