using HardNegOT.Cli;
using HardNegOT.Data;
using HardNegOT.Torch.Study;
using HardNegOT.Torch.Tests.Training;
using HardNegOT.Torch.Training;

namespace HardNegOT.Torch.Tests.Study;

public class StudyEndToEndTests
{
    // A few real images and two steps a run: the pipeline, not the accuracy, is under test.
    private static readonly StudyBudget Tiny = new()
    {
        BatchSize = 8,
        Epochs = 1,
        StepsPerEpoch = 2,
        TrainSubset = 64,
        EvalBank = 60,
        EvalQueries = 40,
        KnnK = 20,
        LinearEpochs = 20,
    };

    private static void RequireDataset() =>
        Assert.True(Directory.Exists(FashionMnist.DefaultDirectory),
            $"{FashionMnist.DefaultDirectory} is missing: run scripts/setup.sh (installs dataset-fashion-mnist).");

    [Fact]
    public void Tiny_study_on_fashion_mnist_writes_table_csv_and_every_figure()
    {
        RequireDataset();
        using var dir = new TempDir();
        // The runs every figure needs: the uniform reference, both costs at the reference ε, the anchor run.
        var negatives = new[]
        {
            NegativeConfig.Uniform,
            NegativeConfig.Ot("sqeuclid", StudyGrid.ReferenceEpsilon), NegativeConfig.Ot("exp", StudyGrid.ReferenceEpsilon),
            NegativeConfig.Ot("sqeuclid", StudyGrid.ScatterEpsilon),
        };
        var plan = new StudyPlan("tiny", [.. negatives.Select(n => new StudyRunSpec(n, StudyGrid.FigureLoss, 1))], Tiny, "hardnegot study (test)");
        var executor = new StudyExecutor(Tiny, dataDirectory: null);
        var outcome = StudyRunner.Run(plan, dir.Path, executor);

        Assert.Equal(negatives.Length, outcome.Executed);
        // Every run of a seed starts from the same weights, so the untrained evaluation agrees across runs.
        Assert.Single(outcome.Records.Select(r => (r.UntrainedKnnTop1, r.UntrainedLinearTop1)).Distinct());
        Assert.All(outcome.Records, r =>
        {
            Assert.Equal(Tiny.Epochs + 1, r.Evaluations.Count);
            Assert.InRange(r.KnnTop1, 0, 1);
            Assert.NotNull(r.Trained);
            Assert.Equal(Tiny.KnnK, r.Trained!.SameLabelByRank.Count);
            Assert.Equal(2 * Tiny.BatchSize - 2, r.Trained.Anchor!.Similarity.Count);
        });
        Assert.NotNull(Assert.Single(outcome.Records, r => r.Untrained is not null).Untrained);
        Assert.All(outcome.Records.Where(r => r.Spec.Negatives.Sampling == NegativeSampling.Ot), r => Assert.NotNull(r.MeanSinkhornIterations));

        var md = File.ReadAllText(Path.Combine(dir.Path, StudyReport.FileName));
        Assert.Contains("| uniform | — |", md);
        Assert.Contains("| OT ε = 0.5 | exp |", md);
        Assert.Contains("cores", md);
        foreach (var figure in new[] { StudyFigures.AccuracyFileName, StudyFigures.HardnessFileName, StudyFigures.AnchorFileName, StudyFigures.NeighboursFileName, StudyFigures.KnnPerEpochFileName })
        {
            var path = Path.Combine(dir.Path, figure);
            Assert.True(File.Exists(path), figure);
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(path)[..4]);
            Assert.Contains($"]({figure})", md);
        }
        Assert.Equal(negatives.Length + 1, File.ReadAllLines(Path.Combine(dir.Path, StudyStore.CsvFileName)).Length);

        // Run again: everything is found, nothing retrains.
        Assert.Equal(0, StudyRunner.Run(plan, dir.Path, executor).Executed);
    }

    private static (int Code, string Stdout, string[] ErrorLines) Cli(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = Program.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    [Fact]
    public void Help_lists_the_study_flags()
    {
        var (code, stdout, _) = Cli("study", "--help");
        Assert.Equal(0, code);
        foreach (var flag in new[] { "--quick", "--seeds", "--out", "--data-dir", "--batch-size", "--epochs", "--steps-per-epoch", "--eval-bank", "--eval-queries" })
            Assert.Contains(flag, stdout);
    }

    [Theory]
    [InlineData("--seeds 0", "--seeds")]
    [InlineData("--seeds -2", "--seeds")]
    [InlineData("--seeds two", "--seeds")]
    [InlineData("--epochs 0", "--epochs")]
    [InlineData("--batch-size 1", "--batch-size")]
    [InlineData("--batch-size 64 --eval-queries 10", "--eval-queries")]
    [InlineData("--data-dir /nonexistent/fmnist", "/nonexistent/fmnist")]
    public void Bad_input_exits_2_with_one_line_naming_it_and_writes_nothing(string args, string expected)
    {
        using var dir = new TempDir();
        var output = Path.Combine(dir.Path, "out");
        var (code, _, errors) = Cli(["study", "--quick", "--out", output, .. args.Split(' ')]);
        Assert.Equal(ExitCodes.BadInput, code);
        var error = Assert.Single(errors);
        Assert.StartsWith("error: ", error);
        Assert.Contains(expected, error);
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public void A_directory_holding_another_budget_exits_2()
    {
        RequireDataset();
        using var dir = new TempDir();
        StudyStore.Open(dir.Path, Tiny);
        var (code, _, errors) = Cli("study", "--quick", "--out", dir.Path, "--batch-size", "8", "--epochs", "1", "--steps-per-epoch", "3",
            "--train-subset", "64", "--eval-bank", "60", "--eval-queries", "40");
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("another budget", Assert.Single(errors));
    }
}
