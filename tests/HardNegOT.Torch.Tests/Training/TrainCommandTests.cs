using HardNegOT.Cli;

namespace HardNegOT.Torch.Tests.Training;

public class TrainCommandTests
{
    private static (int Code, string Stdout, string[] ErrorLines) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = Program.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    [Fact]
    public void Help_lists_the_paper_flags()
    {
        var (code, stdout, _) = Run("train", "--help");
        Assert.Equal(0, code);
        foreach (var flag in new[] { "--negatives", "--loss", "--bcl-alpha", "--bcl-beta", "--iterations", "--rho", "--q", "--lambda", "--r1", "--r2", "--plan-gradient", "--epsilon", "--cost", "--kappa", "--beta", "--tau-plus", "--temperature", "--batch-size",
                     "--epochs", "--lr", "--device", "--seed", "--out", "--resume", "--data-dir", "--train-subset", "--steps-per-epoch", "--eval-every" })
            Assert.Contains(flag, stdout);
    }

    [Theory]
    [InlineData("--negatives", "hard")]
    [InlineData("--cost", "l1")]
    [InlineData("--loss", "hinge")]
    [InlineData("--epochs", "two")]
    [InlineData("--device", "tpu")]
    [InlineData("--bogus", "1")]
    public void Bad_flags_exit_2_with_one_error_line(string flag, string value)
    {
        var (code, _, errors) = Run("train", flag, value);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Single(errors);
        Assert.StartsWith("error: ", errors[0]);
    }

    [Theory]
    [InlineData("--device cuda", "CUDA")]
    [InlineData("--epochs 0", "--epochs")]
    [InlineData("--tau-plus 1", "--tau-plus")]
    [InlineData("--epsilon -1", "--epsilon")]
    [InlineData("--batch-size 1", "--batch-size")]
    [InlineData("--loss bcl --bcl-alpha 0.3", "--bcl-alpha")]
    [InlineData("--loss gca-uot --rho 0", "--rho")]
    [InlineData("--loss gca-rince --q 2", "--q")]
    [InlineData("--loss gca-ince --iterations 0", "--iterations")]
    [InlineData("--loss gca-ince --negatives ot", "--negatives")]
    [InlineData("--loss gca-uot --plan-gradient implicit", "--plan-gradient")]
    [InlineData("--resume", "--out")]
    [InlineData("--data-dir /nonexistent/fmnist", "/nonexistent/fmnist")]
    public void Invalid_values_exit_2_naming_the_flag(string args, string expected)
    {
        var (code, _, errors) = Run(["train", .. args.Split(' ')]);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Single(errors);
        Assert.StartsWith("error: ", errors[0]);
        Assert.Contains(expected, errors[0]);
    }

    [Theory]
    [InlineData("ot", "dcl")]
    [InlineData("hcl", "bcl")]
    [InlineData("uniform", "gca-ince")]
    [InlineData("uniform", "gca-rince")]
    [InlineData("uniform", "gca-uot")]
    public void Tiny_run_on_fashion_mnist_prints_untrained_and_trained_knn(string negatives, string loss)
    {
        Assert.True(Directory.Exists(HardNegOT.Data.FashionMnist.DefaultDirectory),
            $"{HardNegOT.Data.FashionMnist.DefaultDirectory} is missing: run scripts/setup.sh (installs dataset-fashion-mnist).");
        var dir = Directory.CreateTempSubdirectory("hardnegot-train-cli-").FullName;
        try
        {
            var (code, stdout, errors) = Run("train", "--negatives", negatives, "--loss", loss, "--epochs", "1", "--steps-per-epoch", "2", "--batch-size", "16",
                "--train-subset", "64", "--eval-bank", "200", "--eval-queries", "100", "--seed", "3", "--out", dir);
            Assert.True(code == 0, string.Join("\n", errors) + stdout);
            Assert.Contains("untrained encoder (step 0): kNN top-1", stdout);
            Assert.Contains("trained (epoch 1, step 2): kNN top-1", stdout);
            Assert.True(File.Exists(Path.Combine(dir, "metrics.csv")));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
