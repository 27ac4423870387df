using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using HardNegOT.Data;
using HardNegOT.Text;
using HardNegOT.Torch.Multimodal;

namespace HardNegOT.Cli.Commands;

/// <summary>
/// <c>hardnegot train-multimodal</c>: CLIP training of the two-tower model on captioned Fashion-MNIST with OT negatives from
/// plans cached over Δ batches (<see cref="OtCrossModalNegatives"/>), reporting held-out recall@1/5/10 both ways.
/// </summary>
internal static class TrainMultimodalCommand
{
    /// <summary>Per-epoch metrics written under --out.</summary>
    public const string MetricsFileName = "metrics.csv";

    /// <summary>The run's settings written under --out.</summary>
    public const string ConfigFileName = "config.json";

    private static readonly Dictionary<string, CrossModalPlanSolver> Solvers = new()
    {
        ["exact"] = CrossModalPlanSolver.Exact,
        ["approx"] = CrossModalPlanSolver.Approximate,
        ["sinkhorn"] = CrossModalPlanSolver.Sinkhorn,
    };

    // Option property → flag, so that validation messages name what the user typed.
    private static readonly Dictionary<string, string> Flags = new()
    {
        [nameof(OtCrossModalOptions.Window)] = "--delta",
        [nameof(OtCrossModalOptions.Epsilon)] = "--epsilon",
        [nameof(OtCrossModalOptions.ApproximateDelta)] = "--approx-delta",
        [nameof(OtCrossModalOptions.CacheSize)] = "--cache-size",
        [nameof(OtCrossModalOptions.MaxExtraNegatives)] = "--max-negatives",
        [nameof(MultimodalTrainerOptions.BatchSize)] = "--batch-size",
        [nameof(MultimodalTrainerOptions.Epochs)] = "--epochs",
        [nameof(MultimodalTrainerOptions.LearningRate)] = "--lr",
    };

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var ot = new OtCrossModalOptions();
        var negatives = new Option<string>("--negatives") { Description = "ot: OT negatives and transported positives from cached plans; none: plain CLIP.", DefaultValueFactory = _ => "ot" };
        negatives.AcceptOnlyFromAmong("ot", "none");
        var delta = new Option<int>("--delta") { Description = "Δ: batches per OT window; the plan is refreshed every Δ batches.", DefaultValueFactory = _ => ot.Window };
        var epsilon = new Option<double>("--epsilon") { Description = "Entropic ε of the smoothed plan (squared-Euclidean cost on the sphere, in [0, 4]).", DefaultValueFactory = _ => ot.Epsilon };
        var solver = new Option<string>("--solver") { Description = "exact (Jonker–Volgenant σ), approx (auction σ within --approx-delta), or sinkhorn (entropic plan only, no σ).", DefaultValueFactory = _ => "exact" };
        solver.AcceptOnlyFromAmong(Solvers.Keys.ToArray());
        var approxDelta = new Option<double>("--approx-delta") { Description = "δ of the approximate assignment solver (mean cost within δ of optimal); not the window, see --delta.", DefaultValueFactory = _ => ot.ApproximateDelta };
        var cacheSize = new Option<int>("--cache-size") { Description = "Plans kept (the newest windows).", DefaultValueFactory = _ => ot.CacheSize };
        var maxNegatives = new Option<int>("--max-negatives") { Description = "Cap on extra OT negatives per modality and step.", DefaultValueFactory = _ => ot.MaxExtraNegatives };
        var epochs = new Option<int>("--epochs") { Description = "Passes over the training pairs.", DefaultValueFactory = _ => 3 };
        var batchSize = new Option<int>("--batch-size") { Description = "Pairs per batch B.", DefaultValueFactory = _ => 128 };
        var lr = new Option<double>("--lr") { Description = "Adam learning rate.", DefaultValueFactory = _ => 1e-3 };
        var seed = new Option<int>("--seed") { Description = "Seed of weights, batch order, captions and the held-out split.", DefaultValueFactory = _ => 1 };
        var pairs = new Option<int>("--pairs") { Description = "Fashion-MNIST training images to caption and use (held-out pairs included).", DefaultValueFactory = _ => 4000 };
        var heldOut = new Option<int>("--held-out") { Description = "Pairs held out for retrieval evaluation.", DefaultValueFactory = _ => 1000 };
        var dataDir = new Option<string?>("--data-dir") { Description = $"Fashion-MNIST IDX directory (default {FashionMnist.DefaultDirectory})." };
        var output = new Option<string?>("--out") { Description = "Directory for metrics.csv (recall@1/5/10 both directions per epoch) and config.json." };

        var command = new Command("train-multimodal", "CLIP training of an image–caption two-tower model on captioned Fashion-MNIST with OT negatives from plans cached over Δ batches; held-out recall@k.")
        {
            negatives, delta, epsilon, solver, approxDelta, cacheSize, maxNegatives, epochs, batchSize, lr, seed, pairs, heldOut, dataDir, output,
        };
        command.SetAction(parseResult => CommandAction.Run(parseResult, (p, stdout, _) =>
        {
            var otOptions = new OtCrossModalOptions
            {
                Window = p.GetValue(delta),
                Epsilon = p.GetValue(epsilon),
                Solver = Solvers[p.GetValue(solver)!],
                ApproximateDelta = p.GetValue(approxDelta),
                CacheSize = p.GetValue(cacheSize),
                MaxExtraNegatives = p.GetValue(maxNegatives),
            };
            var trainerOptions = new MultimodalTrainerOptions
            {
                BatchSize = p.GetValue(batchSize),
                Epochs = p.GetValue(epochs),
                LearningRate = p.GetValue(lr),
                Seed = p.GetValue(seed),
            };
            bool useOt = p.GetValue(negatives) == "ot";
            return Execute(trainerOptions, useOt ? otOptions : null, p.GetValue(pairs), p.GetValue(heldOut), p.GetValue(dataDir), p.GetValue(output), stdout);
        }));
        return command;
    }

    private static T Validated<T>(Func<T> build)
    {
        try
        {
            return build();
        }
        catch (ArgumentException ex)
        {
            string flag = ex.ParamName is { } name && Flags.TryGetValue(name, out var f) ? f : ex.ParamName ?? "option";
            throw new CliInputException($"{flag}: {CommandAction.MessageOf(ex)}", ex);
        }
    }

    /// <summary>Validates, loads and captions the data, trains, prints the summary and writes --out.</summary>
    public static int Execute(MultimodalTrainerOptions options, OtCrossModalOptions? ot, int pairs, int heldOutCount, string? dataDirectory,
        string? outputDirectory, TextWriter stdout)
    {
        Validated(() => { options.Validate(); return 0; });
        var source = ot is null ? null : Validated(() => new OtCrossModalNegatives(ot));
        if (pairs < 2) throw new CliInputException($"--pairs must be at least 2, got {pairs}.");
        if (heldOutCount < 2 || heldOutCount >= pairs)
            throw new CliInputException($"--held-out must lie in 2..{pairs - 1} (below --pairs {pairs}), got {heldOutCount}.");
        if (pairs - heldOutCount < options.BatchSize)
            throw new CliInputException($"--batch-size {options.BatchSize} is more than the {pairs - heldOutCount} training pairs (--pairs − --held-out).");

        var split = FashionMnist.Load(FashionMnistSplit.Train, dataDirectory);
        if (pairs > split.Count) throw new CliInputException($"--pairs {pairs} is more than the {split.Count} Fashion-MNIST training images.");
        var all = FashionMnistCaptions.Build(split, options.Seed, pairs);
        var (train, heldOut) = all.Split(heldOutCount, options.Seed);
        var tokenizer = new TextTokenizer(Vocabulary.Build(train.Captions), 16);
        var trainer = new MultimodalTrainer(options, train, heldOut, tokenizer, source);

        var ks = trainer.Options.RecallKs;
        var chance = ks.ToDictionary(k => k, k => RetrievalMetrics.ChanceRecall(heldOut.Count, heldOut.Groups, k));
        string Fmt(double x) => x.ToString("F4", CultureInfo.InvariantCulture);
        stdout.WriteLine($"{train.Count} training pairs, {heldOut.Count} held out ({heldOut.Groups?.Distinct().Count() ?? heldOut.Count} match groups); "
            + (source is null ? "plain CLIP" : $"OT negatives: solver {ot!.Solver.ToString().ToLowerInvariant()}, Δ = {ot.Window}, ε = {ot.Epsilon.ToString(CultureInfo.InvariantCulture)}, cache {ot.CacheSize}"));
        stdout.WriteLine($"chance recall@k: {string.Join(", ", ks.Select(k => $"@{k} {Fmt(chance[k])}"))}");

        var result = trainer.Run(p =>
        {
            if (p.StepInEpoch == p.StepsPerEpoch)
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"epoch {p.Epoch + 1}/{options.Epochs} step {p.GlobalStep} loss {p.Loss:F4}"));
        });
        using var model = result.Model;
        string Recall(RetrievalResult r) =>
            $"image→text {string.Join(" ", ks.Select(k => $"R@{k} {Fmt(r.ImageToText[k])}"))}; text→image {string.Join(" ", ks.Select(k => $"R@{k} {Fmt(r.TextToImage[k])}"))}";
        stdout.WriteLine($"untrained: {Recall(result.Untrained)}");
        var last = result.Epochs[^1];
        stdout.WriteLine($"trained (epoch {last.Epoch}, step {last.Step}): {Recall(result.Final)}");
        double seconds = result.Epochs.Sum(e => e.Seconds);
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"training time {seconds:F1} s"));
        if (source is not null)
        {
            string sigma = source.LastAssignmentAccuracy is { } a
                ? string.Create(CultureInfo.InvariantCulture, $", last σ matched {a * 100:F1}% of pairs to their own caption")
                : "";
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"OT: {source.PlansComputed} plans ({source.PlanSeconds:F1} s), {source.CacheHits} cache hits, {source.ExtraNegativesUsed} extra negatives, {source.ExtraPositivesUsed} extra positives{sigma}"));
        }

        if (outputDirectory is not null)
        {
            Directory.CreateDirectory(outputDirectory);
            WriteMetrics(Path.Combine(outputDirectory, MetricsFileName), result, ks);
            var config = new Dictionary<string, object?>
            {
                ["negatives"] = source is null ? "none" : "ot",
                ["solver"] = ot?.Solver.ToString().ToLowerInvariant(),
                ["delta"] = ot?.Window,
                ["epsilon"] = ot?.Epsilon,
                ["approxDelta"] = ot?.ApproximateDelta,
                ["cacheSize"] = ot?.CacheSize,
                ["maxNegatives"] = ot?.MaxExtraNegatives,
                ["epochs"] = options.Epochs,
                ["batchSize"] = options.BatchSize,
                ["lr"] = options.LearningRate,
                ["seed"] = options.Seed,
                ["pairs"] = pairs,
                ["heldOut"] = heldOutCount,
                ["dataDir"] = dataDirectory ?? FashionMnist.DefaultDirectory,
                ["chanceRecall"] = chance.ToDictionary(e => e.Key.ToString(CultureInfo.InvariantCulture), e => e.Value),
            };
            File.WriteAllText(Path.Combine(outputDirectory, ConfigFileName), JsonSerializer.Serialize(config, new JsonSerializerOptions { WriteIndented = true }));
            stdout.WriteLine($"wrote {Path.Combine(outputDirectory, MetricsFileName)} and {ConfigFileName}");
        }
        return ExitCodes.Success;
    }

    private static void WriteMetrics(string path, MultimodalTrainingResult result, IReadOnlyList<int> ks)
    {
        using var writer = new StreamWriter(path);
        writer.WriteLine("epoch,step,loss,temperature,seconds," + string.Join(",", ks.Select(k => $"i2t_r{k}").Concat(ks.Select(k => $"t2i_r{k}"))));
        foreach (var e in result.Epochs)
        {
            string Cell(double? x) => x is { } v ? v.ToString("R", CultureInfo.InvariantCulture) : "";
            var recall = ks.Select(k => Cell(e.Recall?.ImageToText[k])).Concat(ks.Select(k => Cell(e.Recall?.TextToImage[k])));
            writer.WriteLine($"{e.Epoch},{e.Step},{Cell(e.Loss)},{Cell(e.Temperature)},{Cell(e.Seconds)},{string.Join(",", recall)}");
        }
    }
}
