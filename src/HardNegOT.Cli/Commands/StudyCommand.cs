using System.CommandLine;
using System.Globalization;
using HardNegOT.Torch.Study;
using HardNegOT.Torch.Training;
using Spectre.Console;

namespace HardNegOT.Cli.Commands;

/// <summary>
/// <c>hardnegot study</c>: the paper's comparison on Fashion-MNIST — negatives {uniform, HCL, OT} × losses {nce, dcl,
/// bcl} × OT costs {sqeuclid, exp} × seeds under one budget — with a resumable runs.jsonl, results.md and figures.
/// </summary>
internal static class StudyCommand
{
    /// <summary>Default output directory of the full grid.</summary>
    public const string DefaultOutput = "docs/results";

    /// <summary>Default output directory of <c>--quick</c>.</summary>
    public const string DefaultQuickOutput = "docs/results/quick";

    private static readonly Dictionary<string, string> Flags = new()
    {
        [nameof(StudyBudget.BatchSize)] = "--batch-size",
        [nameof(StudyBudget.Epochs)] = "--epochs",
        [nameof(StudyBudget.StepsPerEpoch)] = "--steps-per-epoch",
        [nameof(StudyBudget.TrainSubset)] = "--train-subset",
        [nameof(StudyBudget.EvalBank)] = "--eval-bank",
        [nameof(StudyBudget.EvalQueries)] = "--eval-queries",
    };

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var d = StudyBudget.Default;
        var quick = new Option<bool>("--quick")
        {
            Description = "The quick subset: uniform, HCL β = 1, OT sqeuclid ε ∈ {0.1, 0.5, 1} and OT exp ε = 0.5, all three losses, one seed (18 runs).",
        };
        var seeds = new Option<int?>("--seeds") { Description = "Seeds 1..N of every configuration (default 3; 1 with --quick)." };
        var output = new Option<string?>("--out") { Description = $"Output directory (default {DefaultOutput}, or {DefaultQuickOutput} with --quick). Finished runs found there are skipped." };
        var dataDir = new Option<string?>("--data-dir") { Description = "Directory of the Fashion-MNIST IDX files (default /usr/share/datasets/fashion-mnist)." };
        var batchSize = new Option<int>("--batch-size") { Description = "Budget: images per batch B.", DefaultValueFactory = _ => d.BatchSize };
        var epochs = new Option<int>("--epochs") { Description = "Budget: epochs (evaluated after each).", DefaultValueFactory = _ => d.Epochs };
        var stepsPerEpoch = new Option<int>("--steps-per-epoch") { Description = "Budget: steps per epoch.", DefaultValueFactory = _ => d.StepsPerEpoch };
        var trainSubset = new Option<int>("--train-subset") { Description = "Budget: train on the first N training images.", DefaultValueFactory = _ => d.TrainSubset };
        var evalBank = new Option<int>("--eval-bank") { Description = "Budget: kNN bank / readout training set, the first N training images.", DefaultValueFactory = _ => d.EvalBank };
        var evalQueries = new Option<int>("--eval-queries") { Description = "Budget: evaluation queries, the first N test images.", DefaultValueFactory = _ => d.EvalQueries };

        var command = new Command("study", "Reproduce the paper's comparison on Fashion-MNIST: uniform vs HCL vs OT negatives × nce/dcl/bcl × sqeuclid/exp cost, several seeds, one budget; writes results.md, runs.csv and figures.")
        {
            quick, seeds, output, dataDir, batchSize, epochs, stepsPerEpoch, trainSubset, evalBank, evalQueries,
        };
        command.SetAction(parseResult => CommandAction.Run(parseResult, (p, stdout, stderr) =>
        {
            bool isQuick = p.GetValue(quick);
            int seedCount = p.GetValue(seeds) ?? (isQuick ? 1 : 3);
            if (seedCount < 1) throw new CliInputException($"--seeds must be at least 1, got {seedCount}.");
            var budget = new StudyBudget
            {
                BatchSize = p.GetValue(batchSize),
                Epochs = p.GetValue(epochs),
                StepsPerEpoch = p.GetValue(stepsPerEpoch),
                TrainSubset = p.GetValue(trainSubset),
                EvalBank = p.GetValue(evalBank),
                EvalQueries = p.GetValue(evalQueries),
            };
            string commandLine = "hardnegot " + string.Join(' ', p.Tokens.Select(t => Quote(t.Value)));
            var plan = new StudyPlan(isQuick ? "quick" : "full", isQuick ? StudyGrid.Quick(seedCount) : StudyGrid.Full(seedCount), budget, commandLine);
            string directory = p.GetValue(output) ?? (isQuick ? DefaultQuickOutput : DefaultOutput);
            return Execute(plan, directory, p.GetValue(dataDir), stdout);
        }));
        return command;
    }

    /// <summary>Validates the budget, loads the data, runs the study and prints where the results are.</summary>
    public static int Execute(StudyPlan plan, string outputDirectory, string? dataDirectory, TextWriter stdout)
    {
        try
        {
            plan.Budget.Validate();
        }
        catch (ArgumentException ex)
        {
            string flag = ex.ParamName is { } name && Flags.TryGetValue(name, out var f) ? f : ex.ParamName ?? "budget";
            throw new CliInputException($"{flag}: {CommandAction.MessageOf(ex)}", ex);
        }
        // Loads Fashion-MNIST first: a missing dataset fails before anything is written.
        var executor = new StudyExecutor(plan.Budget, dataDirectory);
        var b = plan.Budget;
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"study {plan.Name}: {plan.Runs.Count} runs ({plan.Seeds} seed(s)), each B = {b.BatchSize}, {b.Epochs} × {b.StepsPerEpoch} steps, eval bank {b.EvalBank} / queries {b.EvalQueries}; output {outputDirectory}"));
        StudyOutcome outcome;
        try
        {
            outcome = Interactive(stdout) ? RunWithProgressBar(plan, outputDirectory, executor) : RunPlain(plan, outputDirectory, executor, stdout);
        }
        catch (StudyStoreException ex)
        {
            throw new CliInputException(CommandAction.OneLine(ex.Message), ex);
        }
        if (outcome.Skipped > 0) stdout.WriteLine($"skipped {outcome.Skipped} run(s) already in {Path.Combine(outputDirectory, StudyStore.RunsFileName)}");
        stdout.WriteLine($"wrote {string.Join(", ", outcome.Outputs.Select(Path.GetFileName))} in {outputDirectory}");
        return ExitCodes.Success;
    }

    private static bool Interactive(TextWriter stdout) =>
        ReferenceEquals(stdout, Console.Out) && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;

    private static StudyOutcome RunPlain(StudyPlan plan, string outputDirectory, StudyExecutor executor, TextWriter stdout) =>
        StudyRunner.Run(plan, outputDirectory, executor, e =>
        {
            if (e.Record is { } r) stdout.WriteLine(Describe(e, r));
        });

    private static StudyOutcome RunWithProgressBar(StudyPlan plan, string outputDirectory, StudyExecutor executor)
    {
        StudyOutcome? outcome = null;
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                ProgressTask? task = null;
                int done = 0;
                string current = "";
                outcome = StudyRunner.Run(plan, outputDirectory, executor, e =>
                {
                    task ??= context.AddTask("study", maxValue: (double)e.Count * plan.Budget.TotalSteps);
                    if (e.Record is { } r)
                    {
                        done = e.Index;
                        AnsiConsole.MarkupLine(Markup.Escape(Describe(e, r)));
                    }
                    else
                    {
                        current = $"[{e.Index}/{e.Count}] {e.Spec.Key}";
                    }
                }, (TrainingProgress s) =>
                {
                    if (task is null) return;
                    task.Value = (double)done * plan.Budget.TotalSteps + s.GlobalStep;
                    task.Description = Markup.Escape($"{current} step {s.GlobalStep}/{plan.Budget.TotalSteps} loss {s.Loss.ToString("F3", CultureInfo.InvariantCulture)}");
                });
            });
        return outcome!;
    }

    private static string Describe(StudyRunEvent e, StudyRunRecord r) => string.Create(CultureInfo.InvariantCulture,
        $"[{e.Index}/{e.Count}] {e.Spec.Key}: kNN {r.KnnTop1:F4} (untrained {r.UntrainedKnnTop1:F4}), linear {r.LinearTop1:F4}; {r.WallSeconds:F0} s wall, {r.CpuSeconds:F0} s CPU");

    private static string Quote(string token) => token.Any(c => char.IsWhiteSpace(c) || c is '"' or '\'') ? $"'{token.Replace("'", "'\\''", StringComparison.Ordinal)}'" : token;
}
