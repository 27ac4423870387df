using HardNegOT.Cli;

namespace HardNegOT.Torch.Tests.Multimodal;

public class TrainMultimodalCommandTests
{
    private static (int Code, string Stdout, string[] ErrorLines) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = Program.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    [Fact]
    public void Help_lists_the_flags()
    {
        var (code, stdout, _) = Run("train-multimodal", "--help");
        Assert.Equal(0, code);
        foreach (var flag in new[] { "--delta", "--epsilon", "--solver", "--approx-delta", "--cache-size", "--max-negatives", "--negatives", "--epochs",
                     "--batch-size", "--lr", "--seed", "--pairs", "--held-out", "--data-dir", "--out" })
            Assert.Contains(flag, stdout);
    }

    [Theory]
    [InlineData("--solver hungarian", "--solver")]
    [InlineData("--negatives hcl", "--negatives")]
    [InlineData("--delta two", "--delta")]
    [InlineData("--delta 0", "--delta")]
    [InlineData("--epsilon 0", "--epsilon")]
    [InlineData("--solver approx --approx-delta -1", "--approx-delta")]
    [InlineData("--cache-size 0", "--cache-size")]
    [InlineData("--max-negatives -3", "--max-negatives")]
    [InlineData("--epochs 0", "--epochs")]
    [InlineData("--batch-size 1", "--batch-size")]
    [InlineData("--lr -1", "--lr")]
    [InlineData("--pairs 100 --held-out 100", "--held-out")]
    [InlineData("--data-dir /nonexistent/fmnist", "/nonexistent/fmnist")]
    public void Bad_flags_exit_2_naming_the_flag(string args, string expected)
    {
        var (code, _, errors) = Run(["train-multimodal", .. args.Split(' ')]);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Single(errors);
        Assert.StartsWith("error: ", errors[0]);
        Assert.Contains(expected, errors[0]);
    }

    [Theory]
    [InlineData("exact")]
    [InlineData("sinkhorn")]
    public void Tiny_run_prints_recall_and_chance_and_writes_metrics(string solver)
    {
        Assert.True(Directory.Exists(HardNegOT.Data.FashionMnist.DefaultDirectory),
            $"{HardNegOT.Data.FashionMnist.DefaultDirectory} is missing: run scripts/setup.sh (installs dataset-fashion-mnist).");
        var dir = Directory.CreateTempSubdirectory("hardnegot-mm-cli-").FullName;
        try
        {
            var (code, stdout, errors) = Run("train-multimodal", "--solver", solver, "--pairs", "96", "--held-out", "32", "--batch-size", "16",
                "--epochs", "2", "--delta", "2", "--seed", "3", "--out", dir);
            Assert.True(code == 0, string.Join("\n", errors) + stdout);
            Assert.Contains("chance recall@k: @1 ", stdout);
            Assert.Contains("trained (epoch 2, step 8): image→text R@1 ", stdout);
            Assert.Contains("OT: 4 plans", stdout);
            var lines = File.ReadAllLines(Path.Combine(dir, "metrics.csv"));
            Assert.Equal("epoch,step,loss,temperature,seconds,i2t_r1,i2t_r5,i2t_r10,t2i_r1,t2i_r5,t2i_r10", lines[0]);
            Assert.Equal(4, lines.Length); // header, untrained, two epochs
            var last = lines[^1].Split(',');
            Assert.All(last[5..], cell => Assert.InRange(double.Parse(cell, System.Globalization.CultureInfo.InvariantCulture), 0, 1));
            Assert.Contains($"\"solver\": \"{solver}\"", File.ReadAllText(Path.Combine(dir, "config.json")));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
