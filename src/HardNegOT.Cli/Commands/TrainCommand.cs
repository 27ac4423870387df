using System.CommandLine;
using System.Globalization;
using HardNegOT.Costs;
using HardNegOT.Torch.Alignment;
using HardNegOT.Torch.Training;
using Spectre.Console;

namespace HardNegOT.Cli.Commands;

/// <summary>
/// <c>hardnegot train</c>: contrastive training of a small CNN on Fashion-MNIST with uniform, HCL or OT negatives,
/// with kNN / linear-readout evaluation, checkpoints and exact resume. Flags follow the paper's training script.
/// </summary>
internal static class TrainCommand
{
    private static readonly string[] Costs = ["sqeuclid", "sqeuclid-half", "exp", "cosine"];

    private static readonly Dictionary<string, ContrastiveLoss> LossNames = new()
    {
        ["nce"] = ContrastiveLoss.Nce,
        ["dcl"] = ContrastiveLoss.Dcl,
        ["bcl"] = ContrastiveLoss.Bcl,
        ["gca-ince"] = ContrastiveLoss.GcaInce,
        ["gca-rince"] = ContrastiveLoss.GcaRince,
        ["gca-uot"] = ContrastiveLoss.GcaUot,
    };

    private static readonly Dictionary<string, TrainingDataset> DatasetNames = new()
    {
        ["fashion-mnist"] = TrainingDataset.FashionMnist,
        ["cifar10"] = TrainingDataset.Cifar10,
        ["stl10"] = TrainingDataset.Stl10,
    };

    // Option property → flag, so that validation messages name what the user typed.
    private static readonly Dictionary<string, string> Flags = new()
    {
        [nameof(ContrastiveTrainerOptions.Epsilon)] = "--epsilon",
        [nameof(ContrastiveTrainerOptions.Kappa)] = "--kappa",
        [nameof(ContrastiveTrainerOptions.Beta)] = "--beta",
        [nameof(ContrastiveTrainerOptions.TauPlus)] = "--tau-plus",
        [nameof(ContrastiveTrainerOptions.Temperature)] = "--temperature",
        [nameof(ContrastiveTrainerOptions.BatchSize)] = "--batch-size",
        [nameof(ContrastiveTrainerOptions.Epochs)] = "--epochs",
        [nameof(ContrastiveTrainerOptions.LearningRate)] = "--lr",
        [nameof(ContrastiveTrainerOptions.EvalEvery)] = "--eval-every",
        [nameof(ContrastiveTrainerOptions.StepsPerEpoch)] = "--steps-per-epoch",
        [nameof(ContrastiveTrainerOptions.TrainSubset)] = "--train-subset",
        [nameof(ContrastiveTrainerOptions.EvalTrainSubset)] = "--eval-bank",
        [nameof(ContrastiveTrainerOptions.EvalTestSubset)] = "--eval-queries",
        [nameof(ContrastiveTrainerOptions.Cost)] = "--cost",
        [nameof(ContrastiveTrainerOptions.BclAlpha)] = "--bcl-alpha",
        [nameof(ContrastiveTrainerOptions.BclBeta)] = "--bcl-beta",
        [nameof(ContrastiveTrainerOptions.Negatives)] = "--negatives",
        [nameof(ContrastiveTrainerOptions.PlanIterations)] = "--iterations",
        [nameof(ContrastiveTrainerOptions.PlanGradient)] = "--plan-gradient",
        [nameof(ContrastiveTrainerOptions.Rho)] = "--rho",
        [nameof(ContrastiveTrainerOptions.Q)] = "--q",
        [nameof(ContrastiveTrainerOptions.Lambda)] = "--lambda",
        [nameof(ContrastiveTrainerOptions.R1)] = "--r1",
        [nameof(ContrastiveTrainerOptions.R2)] = "--r2",
        [nameof(ContrastiveTrainerOptions.Encoder)] = "--encoder",
        [nameof(ContrastiveTrainerOptions.Dataset)] = "--dataset",
    };

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var d = new ContrastiveTrainerOptions();
        var negatives = new Option<string>("--negatives")
        {
            Description = "Default ot (uniform for the GCA losses). uniform: debiased NCE (--tau-plus 0 gives SimCLR's InfoNCE); hcl: HCL hard negatives (--beta); ot: entropic-OT negative weights (--epsilon, --cost).",
        };
        negatives.AcceptOnlyFromAmong("uniform", "hcl", "ot");
        var loss = new Option<string>("--loss")
        {
            Description = "nce (plain, τ⁺ unused), dcl (debiased with --tau-plus, the paper's Eq. 8), bcl (Bayesian, --bcl-alpha/--bcl-beta), or the GCA plan losses gca-ince, gca-rince, gca-uot (plan ε = --temperature; uniform negatives).",
            DefaultValueFactory = _ => "dcl",
        };
        loss.AcceptOnlyFromAmong(LossNames.Keys.ToArray());
        var bclAlpha = new Option<double>("--bcl-alpha") { Description = "BCL location α in [0.5, 1).", DefaultValueFactory = _ => d.BclAlpha };
        var bclBeta = new Option<double>("--bcl-beta") { Description = "BCL hardness β in [0, 1] (0.5 neutral).", DefaultValueFactory = _ => d.BclBeta };
        var iterations = new Option<int>("--iterations") { Description = "GCA plan: Sinkhorn normalisation steps (gradients flow through them).", DefaultValueFactory = _ => d.PlanIterations };
        var planGradient = new Option<string>("--plan-gradient") { Description = "GCA plan gradients: unrolled, or implicit (balanced plans; give enough --iterations to converge).", DefaultValueFactory = _ => "unrolled" };
        planGradient.AcceptOnlyFromAmong("unrolled", "implicit");
        var rho = new Option<double>("--rho") { Description = "gca-uot: marginal relaxation ρ.", DefaultValueFactory = _ => d.Rho };
        var q = new Option<double>("--q") { Description = "gca-rince/gca-uot: robust exponent q in (0, 1].", DefaultValueFactory = _ => d.Q };
        var lambda = new Option<double>("--lambda") { Description = "gca-rince/gca-uot: robust mass weight λ.", DefaultValueFactory = _ => d.Lambda };
        var r1 = new Option<double>("--r1") { Description = "gca-uot: weight of the cross-entropy.", DefaultValueFactory = _ => d.R1 };
        var r2 = new Option<double>("--r2") { Description = "gca-uot: weight of the robust term.", DefaultValueFactory = _ => d.R2 };
        var epsilon = new Option<double>("--epsilon") { Description = "Entropic ε of the OT weights (smaller: harder negatives).", DefaultValueFactory = _ => d.Epsilon };
        var cost = new Option<string>("--cost") { Description = "OT ground cost: sqeuclid ‖x−y‖², exp e^{‖x−y‖²−κ} (also sqeuclid-half, cosine).", DefaultValueFactory = _ => d.Cost };
        cost.AcceptOnlyFromAmong(Costs);
        var kappa = new Option<double>("--kappa") { Description = "κ of the exp cost.", DefaultValueFactory = _ => ExponentialCost.DefaultKappa };
        var beta = new Option<double>("--beta") { Description = "HCL concentration β.", DefaultValueFactory = _ => d.Beta };
        var tauPlus = new Option<double>("--tau-plus") { Description = "Positive-class prior τ⁺ in [0, 1).", DefaultValueFactory = _ => d.TauPlus };
        var temperature = new Option<double>("--temperature") { Description = "Softmax temperature t.", DefaultValueFactory = _ => d.Temperature };
        var batchSize = new Option<int>("--batch-size") { Description = "Images per batch B (2B views).", DefaultValueFactory = _ => d.BatchSize };
        var epochs = new Option<int>("--epochs") { Description = "Epochs (with --resume: the total to reach).", DefaultValueFactory = _ => d.Epochs };
        var lr = new Option<double>("--lr") { Description = "Adam learning rate.", DefaultValueFactory = _ => d.LearningRate };
        var device = new Option<string>("--device") { Description = "auto or cpu (this build has no CUDA backend).", DefaultValueFactory = _ => "auto" };
        device.AcceptOnlyFromAmong("auto", "cpu", "cuda");
        var seed = new Option<int>("--seed") { Description = "Seed of weights, shuffles and augmentations.", DefaultValueFactory = _ => d.Seed };
        var output = new Option<string?>("--out") { Description = "Directory for config.json, metrics.csv, knn.png and per-epoch checkpoints." };
        var resume = new Option<bool>("--resume") { Description = "Continue the run in --out from its latest checkpoint (only --epochs may change)." };
        var dataDir = new Option<string?>("--data-dir") { Description = "Directory of the dataset files: Fashion-MNIST IDX (default /usr/share/datasets/fashion-mnist), CIFAR-10 or STL-10 binary (required)." };
        var encoder = new Option<string>("--encoder") { Description = "Backbone: small-cnn, resnet18 or resnet50 (CIFAR variants: 3×3 stem, no max-pool).", DefaultValueFactory = _ => d.Encoder };
        encoder.AcceptOnlyFromAmong([.. HardNegOT.Torch.Encoders.EncoderFactory.Names]);
        var dataset = new Option<string>("--dataset") { Description = "Images: fashion-mnist (1×28×28), cifar10 (3×32×32) or stl10 (3×96×96, labelled splits).", DefaultValueFactory = _ => "fashion-mnist" };
        dataset.AcceptOnlyFromAmong(DatasetNames.Keys.ToArray());
        var trainSubset = new Option<int>("--train-subset") { Description = "Train on the first N training images (0: all 60,000).", DefaultValueFactory = _ => d.TrainSubset ?? 0 };
        var stepsPerEpoch = new Option<int>("--steps-per-epoch") { Description = "Cap on the steps of one epoch (0: a full pass).", DefaultValueFactory = _ => d.StepsPerEpoch ?? 0 };
        var evalEvery = new Option<int>("--eval-every") { Description = "Evaluate kNN and the linear readout every N epochs (and after the last).", DefaultValueFactory = _ => d.EvalEvery };
        var evalBank = new Option<int>("--eval-bank") { Description = "kNN memory bank / readout training set: the first N training images.", DefaultValueFactory = _ => d.EvalTrainSubset };
        var evalQueries = new Option<int>("--eval-queries") { Description = "Evaluation queries: the first N test images.", DefaultValueFactory = _ => d.EvalTestSubset };

        var command = new Command("train", "Contrastive training (small CNN or CIFAR ResNet-18/50; Fashion-MNIST, CIFAR-10 or STL-10) with uniform, HCL or OT negatives, NCE/DCL/BCL or GCA losses.")
        {
            negatives, loss, bclAlpha, bclBeta, iterations, planGradient, rho, q, lambda, r1, r2, epsilon, cost, kappa, beta, tauPlus, temperature, batchSize, epochs, lr, device, seed, output, resume,
            dataDir, trainSubset, stepsPerEpoch, evalEvery, evalBank, evalQueries, encoder, dataset,
        };
        command.SetAction(parseResult => CommandAction.Run(parseResult, (p, stdout, stderr) =>
        {
            if (p.GetValue(device) == "cuda")
                throw new CliInputException("--device cuda: this build ships TorchSharp's CPU backend (libtorch-cpu) only; CUDA is not available. Use --device cpu or auto.");
            if (p.GetValue(resume) && p.GetValue(output) is null)
                throw new CliInputException("--resume needs --out, the directory of the run to continue.");
            int subset = p.GetValue(trainSubset), steps = p.GetValue(stepsPerEpoch);
            if (subset < 0) throw new CliInputException($"--train-subset must be 0 (all) or positive, got {subset}.");
            if (steps < 0) throw new CliInputException($"--steps-per-epoch must be 0 (full pass) or positive, got {steps}.");
            var objective = LossNames[p.GetValue(loss)!];
            bool alignment = objective is ContrastiveLoss.GcaInce or ContrastiveLoss.GcaRince or ContrastiveLoss.GcaUot;
            var options = new ContrastiveTrainerOptions
            {
                Negatives = Enum.Parse<NegativeSampling>(p.GetValue(negatives) ?? (alignment ? "uniform" : "ot"), ignoreCase: true),
                Loss = objective,
                PlanIterations = p.GetValue(iterations),
                PlanGradient = Enum.Parse<PlanGradient>(p.GetValue(planGradient)!, ignoreCase: true),
                Rho = p.GetValue(rho),
                Q = p.GetValue(q),
                Lambda = p.GetValue(lambda),
                R1 = p.GetValue(r1),
                R2 = p.GetValue(r2),
                BclAlpha = p.GetValue(bclAlpha),
                BclBeta = p.GetValue(bclBeta),
                Epsilon = p.GetValue(epsilon),
                Cost = p.GetValue(cost)!,
                Kappa = p.GetValue(kappa),
                Beta = p.GetValue(beta),
                TauPlus = p.GetValue(tauPlus),
                Temperature = p.GetValue(temperature),
                BatchSize = p.GetValue(batchSize),
                Epochs = p.GetValue(epochs),
                LearningRate = p.GetValue(lr),
                Seed = p.GetValue(seed),
                EvalEvery = p.GetValue(evalEvery),
                StepsPerEpoch = steps == 0 ? null : steps,
                TrainSubset = subset == 0 ? null : subset,
                EvalTrainSubset = p.GetValue(evalBank),
                EvalTestSubset = p.GetValue(evalQueries),
                DataDirectory = p.GetValue(dataDir),
                Encoder = p.GetValue(encoder)!,
                Dataset = DatasetNames[p.GetValue(dataset)!],
            };
            return Execute(options, p.GetValue(output), p.GetValue(resume), stdout, stderr);
        }));
        return command;
    }

    /// <summary>Validates, loads the data, trains and prints the summary.</summary>
    public static int Execute(ContrastiveTrainerOptions options, string? outputDirectory, bool resume, TextWriter stdout, TextWriter stderr)
    {
        try
        {
            options.Validate();
        }
        catch (ArgumentException ex)
        {
            string flag = ex.ParamName is { } name && Flags.TryGetValue(name, out var f) ? f : ex.ParamName ?? "option";
            throw new CliInputException($"{flag}: {CommandAction.MessageOf(ex)}", ex);
        }

        var data = TrainingData.Load(options);
        var trainer = new ContrastiveTrainer(options, data);
        TrainingResult result;
        try
        {
            result = Interactive(stdout) ? RunWithProgressBar(trainer, outputDirectory, resume) : RunPlain(trainer, outputDirectory, resume, stdout);
        }
        catch (CheckpointException ex)
        {
            throw new CliInputException(CommandAction.OneLine(ex.Message), ex);
        }

        var last = result.Metrics[^1];
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"untrained encoder (step 0): kNN top-1 {result.UntrainedKnnTop1:F4}, linear top-1 {result.UntrainedLinearTop1:F4}"));
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"trained (epoch {last.Epoch}, step {last.Step}): kNN top-1 {result.FinalKnnTop1:F4} ({(result.FinalKnnTop1 - result.UntrainedKnnTop1) * 100:+0.00;-0.00} points), linear top-1 {result.FinalLinearTop1:F4}"));
        if (outputDirectory is not null) stdout.WriteLine($"wrote {Path.Combine(outputDirectory, ContrastiveTrainer.MetricsFileName)}, {ContrastiveTrainer.ConfigFileName}, {ContrastiveTrainer.PlotFileName} and checkpoints/");
        return ExitCodes.Success;
    }

    // Fancy output only on a real terminal: tests pass StringWriters and pipelines want plain lines.
    private static bool Interactive(TextWriter stdout) =>
        ReferenceEquals(stdout, Console.Out) && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;

    private static TrainingResult RunPlain(ContrastiveTrainer trainer, string? outputDirectory, bool resume, TextWriter stdout) =>
        trainer.Run(outputDirectory, resume, p =>
        {
            if (p.StepInEpoch == p.StepsPerEpoch)
                stdout.WriteLine(Describe(p));
        }, row => stdout.WriteLine(DescribeRow(row)));

    private static TrainingResult RunWithProgressBar(ContrastiveTrainer trainer, string? outputDirectory, bool resume)
    {
        TrainingResult? result = null;
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                var o = trainer.Options;
                ProgressTask? task = null;
                result = trainer.Run(outputDirectory, resume, p =>
                {
                    task ??= context.AddTask("training", maxValue: (double)p.StepsPerEpoch * o.Epochs);
                    task.Value = (double)p.Epoch * p.StepsPerEpoch + p.StepInEpoch;
                    task.Description = Markup.Escape(Describe(p));
                }, row => AnsiConsole.MarkupLine(Markup.Escape(DescribeRow(row))));
            });
        return result!;
    }

    private static string DescribeRow(MetricsRow row)
    {
        static string F(double? v) => v is { } x ? x.ToString("F4", CultureInfo.InvariantCulture) : "-";
        return $"[eval] epoch {row.Epoch} step {row.Step}: loss {F(row.Loss)} kNN top-1 {F(row.KnnTop1)} linear top-1 {F(row.LinearTop1)}";
    }

    private static string Describe(TrainingProgress p)
    {
        string sinkhorn = p.SinkhornIterations is { } it ? $" sinkhorn {it} it" : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"epoch {p.Epoch + 1}/{p.Epochs} step {p.StepInEpoch}/{p.StepsPerEpoch} loss {p.Loss:F4} {p.StepsPerSecond:F2} step/s{sinkhorn}");
    }
}
