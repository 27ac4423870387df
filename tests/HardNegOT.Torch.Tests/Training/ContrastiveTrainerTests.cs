using System.Text.Json.Nodes;
using HardNegOT.Torch.Training;
using TorchSharp;

namespace HardNegOT.Torch.Tests.Training;

public class ContrastiveTrainerTests
{
    public ContrastiveTrainerTests()
    {
        TorchRuntime.EnsureLoaded();
        // One thread: CPU kernels then reduce in a fixed order, which the exact-resume comparison relies on.
        torch.set_num_threads(1);
    }

    [Fact]
    public void Tiny_run_writes_metrics_config_plot_and_checkpoints()
    {
        using var dir = new TempDir();
        var options = TrainingTestData.TinyOptions() with { EvalEvery = 2, Epochs = 3, StepsPerEpoch = 2 };
        var result = new ContrastiveTrainer(options, TrainingTestData.Tiny()).Run(dir.Path);

        var lines = File.ReadAllLines(Path.Combine(dir.Path, ContrastiveTrainer.MetricsFileName));
        var header = lines[0].Split(',');
        Assert.Equal(["epoch", "step", "loss", "knn_top1", "linear_top1"], header[..5]);
        Assert.Equal(5, lines.Length); // header, untrained, three epochs
        var untrained = lines[1].Split(',');
        Assert.Equal(("0", "0", ""), (untrained[0], untrained[1], untrained[2]));
        var notEvaluated = lines[2].Split(',');
        Assert.Equal(("1", "2"), (notEvaluated[0], notEvaluated[1]));
        Assert.NotEqual("", notEvaluated[2]);
        Assert.Equal(("", ""), (notEvaluated[3], notEvaluated[4]));
        foreach (var row in new[] { lines[1], lines[3], lines[4] })
        {
            var cells = row.Split(',');
            Assert.InRange(double.Parse(cells[3], System.Globalization.CultureInfo.InvariantCulture), 0.0, 1.0);
            Assert.InRange(double.Parse(cells[4], System.Globalization.CultureInfo.InvariantCulture), 0.0, 1.0);
        }
        Assert.NotEqual("", lines[4].Split(',')[5]); // Sinkhorn iterations of the ot run

        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(dir.Path, ContrastiveTrainer.ConfigFileName)))!.AsObject();
        Assert.Equal("ot", (string?)config["negatives"]);
        Assert.Equal(8, (int?)config["batch-size"]);
        Assert.Equal(3, (int?)config["epochs"]);
        Assert.Equal(7, (int?)config["seed"]);
        Assert.Equal(0.7, (double?)config["epsilon"]);
        Assert.Equal("sqeuclid", (string?)config["cost"]);
        foreach (var key in new[] { "kappa", "beta", "tau-plus", "temperature", "learning-rate", "eval-every", "steps-per-epoch", "train-subset" })
            Assert.True(config.ContainsKey(key), key);

        var png = File.ReadAllBytes(Path.Combine(dir.Path, ContrastiveTrainer.PlotFileName));
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
        var checkpoints = Directory.GetDirectories(Path.Combine(dir.Path, ContrastiveTrainer.CheckpointsDirectoryName)).Select(d => Path.GetFileName(d)!).Order().ToArray();
        Assert.Equal(["epoch-0001", "epoch-0002", "epoch-0003"], checkpoints);
        Assert.Equal(6, result.StepLosses.Count);
        Assert.All(result.StepLosses, l => Assert.True(double.IsFinite(l)));
    }

    [Theory]
    [InlineData(NegativeSampling.Ot)]
    [InlineData(NegativeSampling.Hcl)]
    public void Resume_reproduces_the_uninterrupted_loss_sequence(NegativeSampling negatives)
    {
        var data = TrainingTestData.Tiny();
        var options = TrainingTestData.TinyOptions(negatives);
        using var straightDir = new TempDir();
        using var resumedDir = new TempDir();

        var straight = new ContrastiveTrainer(options, data).Run(straightDir.Path);
        var first = new ContrastiveTrainer(options with { Epochs = 1 }, data).Run(resumedDir.Path);
        var second = new ContrastiveTrainer(options, data).Run(resumedDir.Path, resume: true);

        Assert.Equal(1, second.StartEpoch);
        var resumed = first.StepLosses.Concat(second.StepLosses).ToArray();
        Assert.Equal(straight.StepLosses.Count, resumed.Length);
        for (int i = 0; i < resumed.Length; i++)
            Assert.True(Math.Abs(straight.StepLosses[i] - resumed[i]) <= 1e-6, $"step {i}: {straight.StepLosses[i]} vs {resumed[i]}");
        Assert.Equal(straight.FinalKnnTop1, second.FinalKnnTop1);
        Assert.Equal(
            File.ReadAllText(Path.Combine(straightDir.Path, ContrastiveTrainer.MetricsFileName)).Split('\n').Select(DropSeconds),
            File.ReadAllText(Path.Combine(resumedDir.Path, ContrastiveTrainer.MetricsFileName)).Split('\n').Select(DropSeconds));
    }

    [Theory]
    [InlineData(NegativeSampling.Ot, ContrastiveLoss.Bcl)]
    [InlineData(NegativeSampling.Hcl, ContrastiveLoss.Nce)]
    [InlineData(NegativeSampling.Uniform, ContrastiveLoss.Bcl)]
    [InlineData(NegativeSampling.Uniform, ContrastiveLoss.GcaInce)]
    [InlineData(NegativeSampling.Uniform, ContrastiveLoss.GcaRince)]
    [InlineData(NegativeSampling.Uniform, ContrastiveLoss.GcaUot)]
    public void Every_loss_trains_with_finite_losses(NegativeSampling negatives, ContrastiveLoss loss)
    {
        var data = TrainingTestData.Tiny();
        var options = TrainingTestData.TinyOptions(negatives) with { Loss = loss, BclAlpha = 0.8, Epochs = 1 };
        var result = new ContrastiveTrainer(options, data).Run();
        Assert.NotEmpty(result.StepLosses);
        // RINCE's robust term may be negative; every loss must be finite.
        Assert.All(result.StepLosses, l => Assert.True(double.IsFinite(l), $"loss {l}"));
        // A different estimator is a different objective: the first step's loss must differ from the debiased one's.
        var debiased = new ContrastiveTrainer(options with { Loss = ContrastiveLoss.Dcl }, data).Run();
        Assert.NotEqual(debiased.StepLosses[0], result.StepLosses[0]);
    }

    private static string DropSeconds(string line) => line.Contains(',') ? line[..line.LastIndexOf(',')] : line;

    [Fact]
    public void Resume_with_other_settings_or_a_fresh_run_into_a_used_directory_fails()
    {
        var data = TrainingTestData.Tiny();
        var options = TrainingTestData.TinyOptions(NegativeSampling.Uniform) with { Epochs = 1, StepsPerEpoch = 1 };
        using var dir = new TempDir();
        new ContrastiveTrainer(options, data).Run(dir.Path);
        var changed = Assert.Throws<CheckpointException>(() =>
            new ContrastiveTrainer(options with { Epochs = 2, LearningRate = 0.01 }, data).Run(dir.Path, resume: true));
        Assert.Contains("learning-rate", changed.Message);
        var reused = Assert.Throws<CheckpointException>(() => new ContrastiveTrainer(options, data).Run(dir.Path));
        Assert.Contains("--resume", reused.Message);
        using var empty = new TempDir();
        Assert.Throws<CheckpointException>(() => new ContrastiveTrainer(options, data).Run(empty.Path, resume: true));
    }

    [Fact]
    public void Invalid_options_are_rejected_with_the_property_name()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new ContrastiveTrainerOptions { TauPlus = 1.0 }.Validate());
        Assert.Equal("TauPlus", ex.ParamName);
        Assert.ThrowsAny<ArgumentException>(() => new ContrastiveTrainerOptions { Cost = "nope" }.Validate());
        Assert.Equal("Negatives", Assert.Throws<ArgumentOutOfRangeException>(() =>
            new ContrastiveTrainerOptions { Loss = ContrastiveLoss.GcaInce, Negatives = NegativeSampling.Ot }.Validate()).ParamName);
        Assert.Equal("PlanGradient", Assert.Throws<ArgumentOutOfRangeException>(() => new ContrastiveTrainerOptions
        {
            Loss = ContrastiveLoss.GcaUot, Negatives = NegativeSampling.Uniform, PlanGradient = HardNegOT.Torch.Alignment.PlanGradient.Implicit,
        }.Validate()).ParamName);
        Assert.Equal("BclAlpha", Assert.Throws<ArgumentOutOfRangeException>(() => new ContrastiveTrainerOptions { BclAlpha = 0.2 }.Validate()).ParamName);
        Assert.Equal("BclBeta", Assert.Throws<ArgumentOutOfRangeException>(() => new ContrastiveTrainerOptions { BclBeta = 2 }.Validate()).ParamName);
    }
}
