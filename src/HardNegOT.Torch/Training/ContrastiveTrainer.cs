using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using HardNegOT.Data;
using HardNegOT.Torch.Encoders;
using HardNegOT.Torch.Losses;
using HardNegOT.Torch.Negatives;
using TorchSharp;
using static TorchSharp.torch;

namespace HardNegOT.Torch.Training;

/// <summary>
/// Trains a <see cref="ContrastiveEncoder"/> on two-view batches with uniform, HCL or OT negatives and evaluates the
/// backbone features with weighted kNN and a linear readout. With an output directory it writes config.json,
/// metrics.csv, knn.png and one checkpoint per epoch, and can resume from the latest checkpoint exactly.
/// </summary>
/// <remarks>
/// Exact resume: the weights are drawn from the seed (<see cref="ContrastiveEncoder.ResetParameters"/>) and training uses no torch randomness — the
/// shuffles and augmentations come from <see cref="TwoViewBatchLoader"/>, a pure function of (seed, epoch, step) — so
/// a checkpoint holds the model (with BatchNorm statistics), the Adam state (TorchSharp 0.107's
/// Optimizer.save_state_dict: moments and step counts) and the position (epoch, global step). The OT warm start is
/// reset at every epoch start, so the Sinkhorn potentials need not be saved either.
/// </remarks>
public sealed class ContrastiveTrainer
{
    /// <summary>Name of the configuration file in the output directory.</summary>
    public const string ConfigFileName = "config.json";

    /// <summary>Name of the metrics file in the output directory.</summary>
    public const string MetricsFileName = "metrics.csv";

    /// <summary>Name of the kNN-accuracy plot in the output directory.</summary>
    public const string PlotFileName = "knn.png";

    /// <summary>Subdirectory of the output directory holding one checkpoint directory per epoch.</summary>
    public const string CheckpointsDirectoryName = "checkpoints";

    /// <summary>Columns of metrics.csv.</summary>
    public static readonly string MetricsHeader = "epoch,step,loss,knn_top1,linear_top1,sinkhorn_iterations,seconds";

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.KebabCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
    };

    private readonly TrainingData _data;

    /// <summary>Creates a trainer; the options are validated here.</summary>
    /// <param name="options">The run's settings.</param>
    /// <param name="data">The images to train and evaluate on.</param>
    public ContrastiveTrainer(ContrastiveTrainerOptions options, TrainingData data)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(data);
        options.Validate();
        Options = options;
        _data = data;
    }

    /// <summary>The run's settings.</summary>
    public ContrastiveTrainerOptions Options { get; }

    /// <summary>
    /// Called after each new metrics row (the untrained encoder's, then one per epoch) with the model in evaluation
    /// mode, to inspect its features; it must not train the model. Training mode is restored afterwards.
    /// </summary>
    public Action<MetricsRow, ContrastiveEncoder>? Observer { get; init; }

    /// <summary>The settings as config.json holds them.</summary>
    public static string ConfigJson(ContrastiveTrainerOptions options) => JsonSerializer.Serialize(options, Json);

    /// <summary>
    /// Trains for <see cref="ContrastiveTrainerOptions.Epochs"/> epochs (on resume: up to that total).
    /// </summary>
    /// <param name="outputDirectory">Where config, metrics, plot and checkpoints go; null to keep nothing.</param>
    /// <param name="resume">Continue from the latest checkpoint in <paramref name="outputDirectory"/>.</param>
    /// <param name="progress">Called after every step.</param>
    /// <param name="epochEnd">Called with each new metrics row (the untrained encoder's, then one per epoch).</param>
    /// <param name="cancellationToken">Stops after the current step; the last finished epoch's checkpoint remains.</param>
    /// <exception cref="CheckpointException">Resume without a usable checkpoint, or with different settings.</exception>
    public TrainingResult Run(string? outputDirectory = null, bool resume = false, Action<TrainingProgress>? progress = null,
        Action<MetricsRow>? epochEnd = null, CancellationToken cancellationToken = default)
    {
        if (resume && outputDirectory is null)
            throw new CheckpointException("Resuming needs the output directory that holds the checkpoints.");
        TorchRuntime.EnsureLoaded();
        var o = Options;
        torch.manual_seed(o.Seed);
        using var model = new ContrastiveEncoder(EncoderFactory.CreateBackbone(o.Encoder, _data.Channels, _data.Height));
        // Seeded apart from torch's global generator, which other code in the process may draw from meanwhile.
        model.ResetParameters(o.Seed);
        using var optimizer = optim.Adam(model.parameters(), o.LearningRate);
        var loader = new TwoViewBatchLoader(_data.TrainPixels, o.BatchSize, o.Seed, ImageAugmentation.Default(_data.Channels, _data.Height, _data.Width));
        int stepsPerEpoch = loader.StepsPerEpoch(o.StepsPerEpoch);
        var sampler = o.Negatives == NegativeSampling.Ot ? new OtNegativeSampler(o.ToOtOptions()) : null;

        var metrics = new List<MetricsRow>();
        int startEpoch = 0;
        long globalStep = 0;
        if (outputDirectory is not null)
        {
            Directory.CreateDirectory(outputDirectory);
            if (resume)
            {
                var state = LoadCheckpoint(outputDirectory, o, model, optimizer);
                startEpoch = state.Epoch;
                globalStep = state.GlobalStep;
                metrics.AddRange(state.Metrics);
            }
            else if (LatestCheckpoint(outputDirectory) is { } existing)
            {
                throw new CheckpointException($"'{outputDirectory}' already holds a run (checkpoint '{existing}'); pass --resume to continue it or choose another directory.");
            }
            File.WriteAllText(Path.Combine(outputDirectory, ConfigFileName), ConfigJson(o) + "\n");
        }

        if (startEpoch == 0)
        {
            var (knn, linear) = Evaluate(model);
            metrics.Add(new MetricsRow(0, 0, null, knn, linear, null, 0));
            epochEnd?.Invoke(metrics[^1]);
            Observe(model, metrics[^1]);
            if (outputDirectory is not null) WriteMetrics(outputDirectory, metrics);
        }

        var stepLosses = new List<double>();
        long sinkhornTotal = 0;
        var clock = Stopwatch.StartNew();
        for (int epoch = startEpoch; epoch < o.Epochs; epoch++)
        {
            model.train();
            // Cold OT start per epoch: resumed and uninterrupted runs then solve identical problems.
            sampler?.Reset();
            double lossSum = 0;
            long epochSinkhorn = 0;
            var epochClock = Stopwatch.StartNew();
            foreach (var batch in loader.Epoch(epoch, o.StepsPerEpoch))
            {
                cancellationToken.ThrowIfCancellationRequested();
                double loss;
                int? iterations = null;
                using (var scope = NewDisposeScope())
                {
                    var x1 = tensor(batch.View1, _data.ImageShape(o.BatchSize));
                    var x2 = tensor(batch.View2, _data.ImageShape(o.BatchSize));
                    // Each view through the network separately, as the paper's code does (BatchNorm sees B rows).
                    var (_, z1) = model.forward(x1);
                    var (_, z2) = model.forward(x2);
                    var lossTensor = Objective(o, z1, z2, sampler);
                    optimizer.zero_grad();
                    lossTensor.backward();
                    optimizer.step();
                    loss = lossTensor.to_type(ScalarType.Float64).item<double>();
                }
                if (sampler?.LastDiagnostics is { } diagnostics)
                {
                    iterations = diagnostics.Iterations;
                    epochSinkhorn += iterations.Value;
                }
                globalStep++;
                lossSum += loss;
                stepLosses.Add(loss);
                progress?.Invoke(new TrainingProgress(epoch, o.Epochs, batch.Step + 1, stepsPerEpoch, globalStep, loss, iterations,
                    stepLosses.Count / Math.Max(clock.Elapsed.TotalSeconds, 1e-9)));
            }
            double seconds = epochClock.Elapsed.TotalSeconds;
            sinkhornTotal += epochSinkhorn;
            bool evaluate = (epoch + 1) % o.EvalEvery == 0 || epoch + 1 == o.Epochs;
            double? knnTop1 = null, linearTop1 = null;
            if (evaluate) (knnTop1, linearTop1) = Evaluate(model);
            metrics.Add(new MetricsRow(epoch + 1, globalStep, lossSum / stepsPerEpoch, knnTop1, linearTop1,
                sampler is null ? null : (double)epochSinkhorn / stepsPerEpoch, seconds));
            epochEnd?.Invoke(metrics[^1]);
            Observe(model, metrics[^1]);
            if (outputDirectory is not null)
            {
                SaveCheckpoint(outputDirectory, epoch + 1, globalStep, o.Seed, metrics, model, optimizer);
                WriteMetrics(outputDirectory, metrics);
                WritePlot(Path.Combine(outputDirectory, PlotFileName), metrics);
            }
        }

        var untrained = metrics[0];
        var last = metrics[^1];
        // A resumed run whose epochs were already done still reports the last evaluated numbers.
        var lastEvaluated = metrics.Last(m => m.KnnTop1 is not null);
        return new TrainingResult(metrics, stepLosses, untrained.KnnTop1!.Value, untrained.LinearTop1!.Value,
            (last.KnnTop1 ?? lastEvaluated.KnnTop1)!.Value, (last.LinearTop1 ?? lastEvaluated.LinearTop1)!.Value,
            startEpoch, globalStep, sampler is null || stepLosses.Count == 0 ? null : (double)sinkhornTotal / stepLosses.Count);
    }

    // The step's loss: a GCA plan loss, or an NCE estimator over uniform, HCL or OT-weighted negatives.
    private static Tensor Objective(ContrastiveTrainerOptions o, Tensor z1, Tensor z2, OtNegativeSampler? sampler)
    {
        var robust = new RobustTerm(o.Q, o.Lambda);
        switch (o.Loss)
        {
            case ContrastiveLoss.GcaInce: return GcaLosses.Ince(z1, z2, o.ToPlanOptions());
            case ContrastiveLoss.GcaRince: return GcaLosses.Rince(z1, z2, o.ToPlanOptions(), robust);
            case ContrastiveLoss.GcaUot: return GcaLosses.Uot(z1, z2, o.ToPlanOptions(), robust, o.R1, o.R2);
        }
        var negatives = o.Negatives switch
        {
            NegativeSampling.Uniform => NegativeWeighting.Uniform,
            NegativeSampling.Hcl => NegativeWeighting.Hcl(o.Beta),
            _ => NegativeWeighting.Given(sampler!.Sample(torch.cat(new[] { z1.detach(), z2.detach() }, 0)).Weights),
        };
        var estimator = o.Loss switch
        {
            ContrastiveLoss.Nce => NegativeEstimator.Nce,
            ContrastiveLoss.Bcl => NegativeEstimator.Bayesian,
            _ => NegativeEstimator.Debiased,
        };
        return ContrastiveLosses.Nce(z1, z2, o.Temperature, estimator, negatives, o.TauPlus, new BayesianPrior(o.BclAlpha, o.BclBeta));
    }

    private void Observe(ContrastiveEncoder model, MetricsRow row)
    {
        if (Observer is null) return;
        model.eval();
        try
        {
            Observer(row, model);
        }
        finally
        {
            model.train();
        }
    }

    /// <summary>kNN and linear-readout accuracy of the model's backbone features (model left in training mode).</summary>
    private (double Knn, double Linear) Evaluate(ContrastiveEncoder model)
    {
        model.eval();
        try
        {
            using var scope = NewDisposeScope();
            Tensor Extract(Tensor x) => model.Backbone.forward(x.view(_data.ImageShape(-1)));
            var bank = Evaluation.Features(Extract, _data.BankPixels, _data.ValuesPerImage);
            var queries = Evaluation.Features(Extract, _data.QueryPixels, _data.ValuesPerImage);
            double knn = Evaluation.KnnTop1(bank, _data.BankLabels, queries, _data.QueryLabels, _data.Classes, Options.KnnK);
            double linear = Evaluation.LinearTop1(bank, _data.BankLabels, queries, _data.QueryLabels, _data.Classes, Options.LinearEpochs);
            return (knn, linear);
        }
        finally
        {
            model.train();
        }
    }

    /// <summary>The newest checkpoint directory under <paramref name="outputDirectory"/>, or null.</summary>
    /// <param name="outputDirectory">A run's output directory.</param>
    public static string? LatestCheckpoint(string outputDirectory)
    {
        var root = Path.Combine(outputDirectory, CheckpointsDirectoryName);
        if (!Directory.Exists(root)) return null;
        return Directory.GetDirectories(root, "epoch-*")
            .Where(d => File.Exists(Path.Combine(d, "state.json")))
            .OrderBy(d => d, StringComparer.Ordinal)
            .LastOrDefault();
    }

    private sealed record CheckpointState(int Epoch, long GlobalStep, int Seed, string LoaderPosition, List<MetricsRow> Metrics);

    private static void SaveCheckpoint(string outputDirectory, int epoch, long globalStep, int seed, List<MetricsRow> metrics,
        ContrastiveEncoder model, TorchSharp.Modules.Adam optimizer)
    {
        var final = Path.Combine(outputDirectory, CheckpointsDirectoryName, $"epoch-{epoch:D4}");
        var temporary = final + ".tmp";
        if (Directory.Exists(temporary)) Directory.Delete(temporary, recursive: true);
        Directory.CreateDirectory(temporary);
        model.save(Path.Combine(temporary, "model.bin"));
        optimizer.save_state_dict(Path.Combine(temporary, "optimizer.bin"));
        // The loader is a pure function of (seed, epoch, step): its position is the next epoch, step 0.
        var state = new CheckpointState(epoch, globalStep, seed, $"epoch {epoch}, step 0", metrics);
        File.WriteAllText(Path.Combine(temporary, "state.json"), JsonSerializer.Serialize(state, Json));
        // Written under a temporary name first, so an interrupted save never looks like a checkpoint.
        if (Directory.Exists(final)) Directory.Delete(final, recursive: true);
        Directory.Move(temporary, final);
    }

    private static CheckpointState LoadCheckpoint(string outputDirectory, ContrastiveTrainerOptions options,
        ContrastiveEncoder model, TorchSharp.Modules.Adam optimizer)
    {
        var directory = LatestCheckpoint(outputDirectory)
            ?? throw new CheckpointException($"--resume: no checkpoint in '{Path.Combine(outputDirectory, CheckpointsDirectoryName)}'.");
        CheckSameSettings(outputDirectory, options);
        try
        {
            var state = JsonSerializer.Deserialize<CheckpointState>(File.ReadAllText(Path.Combine(directory, "state.json")), Json)
                ?? throw new CheckpointException($"'{directory}/state.json' is empty.");
            model.load(Path.Combine(directory, "model.bin"));
            optimizer.load_state_dict(Path.Combine(directory, "optimizer.bin"));
            return state;
        }
        catch (Exception ex) when (ex is JsonException or IOException or ArgumentException or InvalidOperationException)
        {
            throw new CheckpointException($"Checkpoint '{directory}' could not be read: {ex.Message}", ex);
        }
    }

    // Everything but the epoch count must match: a resumed run may only be extended.
    private static void CheckSameSettings(string outputDirectory, ContrastiveTrainerOptions options)
    {
        var path = Path.Combine(outputDirectory, ConfigFileName);
        JsonObject saved;
        try
        {
            saved = JsonNode.Parse(File.ReadAllText(path))?.AsObject() ?? throw new CheckpointException($"'{path}' is empty.");
        }
        catch (Exception ex) when (ex is JsonException or IOException or InvalidOperationException)
        {
            throw new CheckpointException($"--resume: cannot read '{path}': {ex.Message}", ex);
        }
        var current = JsonNode.Parse(ConfigJson(options))!.AsObject();
        var differences = current
            .Where(p => p.Key != "epochs" && !JsonNode.DeepEquals(p.Value, saved[p.Key]))
            .Select(p => $"{p.Key} {saved[p.Key]?.ToJsonString() ?? "(missing)"} → {p.Value?.ToJsonString() ?? "null"}")
            .ToList();
        if (differences.Count > 0)
            throw new CheckpointException($"--resume: the settings differ from the checkpointed run's ({string.Join(", ", differences)}); only --epochs may change.");
    }

    private static void WriteMetrics(string outputDirectory, List<MetricsRow> metrics)
    {
        static string F(double? v) => v is { } x ? x.ToString("R", CultureInfo.InvariantCulture) : "";
        var text = new StringBuilder(MetricsHeader).Append('\n');
        foreach (var m in metrics)
            text.Append(CultureInfo.InvariantCulture, $"{m.Epoch},{m.Step},{F(m.Loss)},{F(m.KnnTop1)},{F(m.LinearTop1)},{F(m.MeanSinkhornIterations)},{F(m.Seconds)}\n");
        File.WriteAllText(Path.Combine(outputDirectory, MetricsFileName), text.ToString());
    }

    /// <summary>Writes a PNG of kNN top-1 accuracy against epoch (headless ScottPlot).</summary>
    /// <param name="path">The PNG file.</param>
    /// <param name="metrics">Rows; those without a kNN value are skipped.</param>
    public static void WritePlot(string path, IReadOnlyList<MetricsRow> metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        var points = metrics.Where(m => m.KnnTop1 is not null).ToArray();
        var plot = new ScottPlot.Plot();
        plot.Add.Scatter(points.Select(m => (double)m.Epoch).ToArray(), points.Select(m => m.KnnTop1!.Value).ToArray());
        plot.Title("Weighted kNN top-1 (k = 200) on frozen backbone features");
        plot.XLabel("epoch");
        plot.YLabel("kNN top-1 accuracy");
        plot.SavePng(path, 640, 420);
    }
}
