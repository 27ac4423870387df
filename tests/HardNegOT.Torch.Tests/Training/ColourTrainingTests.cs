using System.Text.Json.Nodes;
using HardNegOT.Cli;
using HardNegOT.Torch.Encoders;
using HardNegOT.Torch.Training;
using TorchSharp;

namespace HardNegOT.Torch.Tests.Training;

/// <summary>The trainer and the train command on RGB images and with the ResNet backbones.</summary>
public class ColourTrainingTests
{
    public ColourTrainingTests()
    {
        TorchRuntime.EnsureLoaded();
        torch.set_num_threads(1);
    }

    /// <summary>n 3×32×32 images in two classes: a bright red block top-left or a green block bottom-right on noise.</summary>
    private static (float[] Pixels, int[] Labels) ColourBlocks(int n, int seed)
    {
        const int plane = 32 * 32;
        var random = new Random(seed);
        var pixels = new float[n * 3 * plane];
        var labels = new int[n];
        for (int i = 0; i < n; i++)
        {
            labels[i] = i % 2;
            var image = pixels.AsSpan(i * 3 * plane, 3 * plane);
            for (int p = 0; p < image.Length; p++) image[p] = (float)(0.2 * random.NextDouble());
            int offset = labels[i] == 0 ? 4 : 18, channel = labels[i];
            for (int r = offset; r < offset + 10; r++)
                for (int c = offset; c < offset + 10; c++)
                    image[channel * plane + r * 32 + c] = (float)(0.7 + 0.3 * random.NextDouble());
        }
        return (pixels, labels);
    }

    private static TrainingData TinyColour()
    {
        var (train, _) = ColourBlocks(8, 1);
        var (bank, bankLabels) = ColourBlocks(8, 2);
        var (queries, queryLabels) = ColourBlocks(8, 3);
        return new TrainingData(train, bank, bankLabels, queries, queryLabels, 2) { Channels = 3, Height = 32, Width = 32 };
    }

    [Theory]
    [InlineData("small-cnn")]
    [InlineData("resnet18")]
    public void Colour_run_trains_with_the_chosen_encoder_and_records_it(string encoder)
    {
        using var dir = new TempDir();
        var options = TrainingTestData.TinyOptions() with
        {
            Encoder = encoder, Dataset = TrainingDataset.Cifar10, BatchSize = 4, Epochs = 1, StepsPerEpoch = 1,
            EvalTrainSubset = 8, EvalTestSubset = 8, KnnK = 3, LinearEpochs = 2,
        };
        var result = new ContrastiveTrainer(options, TinyColour()).Run(dir.Path);
        Assert.Single(result.StepLosses);
        Assert.All(result.StepLosses, l => Assert.True(double.IsFinite(l)));
        Assert.InRange(result.FinalKnnTop1, 0.0, 1.0);
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(dir.Path, ContrastiveTrainer.ConfigFileName)))!.AsObject();
        Assert.Equal(encoder, (string?)config["encoder"]);
        Assert.Equal("cifar10", (string?)config["dataset"]);

        // The checkpoint holds the chosen backbone: it loads into that encoder and no other.
        var checkpoint = Path.Combine(ContrastiveTrainer.LatestCheckpoint(dir.Path)!, "model.bin");
        using var same = EncoderFactory.Create(encoder, 3, seed: 9, imageSize: 32);
        EncoderWeights.Load(same, checkpoint);
        using var other = EncoderFactory.Create(encoder == "resnet18" ? "small-cnn" : "resnet18", 3, seed: 9, imageSize: 32);
        Assert.Throws<WeightsFormatException>(() => EncoderWeights.Load(other, checkpoint));
    }

    [Fact]
    public void Unknown_encoder_is_rejected_by_Validate()
    {
        var ex = Assert.Throws<ArgumentException>(() => (new ContrastiveTrainerOptions() with { Encoder = "vgg" }).Validate());
        Assert.Equal(nameof(ContrastiveTrainerOptions.Encoder), ex.ParamName);
    }

    [Fact]
    public void LoadCifar10_reads_the_subsets_as_3x32x32()
    {
        using var dir = new TempDir();
        var random = new Random(4);
        void Write(string name, int count)
        {
            var bytes = new byte[count * 3073];
            random.NextBytes(bytes);
            for (int i = 0; i < count; i++) bytes[i * 3073] = (byte)(i % 10);
            File.WriteAllBytes(Path.Combine(dir.Path, name), bytes);
        }
        for (int f = 1; f <= 5; f++) Write($"data_batch_{f}.bin", 4);
        Write("test_batch.bin", 6);
        var options = new ContrastiveTrainerOptions { Dataset = TrainingDataset.Cifar10, DataDirectory = dir.Path, TrainSubset = 6, EvalTrainSubset = 9, EvalTestSubset = 5 };
        var data = TrainingData.Load(options);
        Assert.Equal((3, 32, 32, 3072), (data.Channels, data.Height, data.Width, data.ValuesPerImage));
        Assert.Equal(6 * 3072, data.TrainPixels.Length);
        Assert.Equal(9 * 3072, data.BankPixels.Length);
        Assert.Equal([0, 1, 2, 3, 0, 1, 2, 3, 0], data.BankLabels);
        Assert.Equal(5, data.QueryLabels.Length);
        Assert.Equal(10, data.Classes);
        var firstPixel = File.ReadAllBytes(Path.Combine(dir.Path, "data_batch_2.bin"))[1];
        Assert.Equal(firstPixel / 255f, data.TrainPixels[4 * 3072]);

        var missing = Assert.Throws<DirectoryNotFoundException>(() => TrainingData.Load(options with { DataDirectory = null }));
        Assert.Contains("--data-dir", missing.Message);
    }

    [Fact]
    public void Train_command_takes_encoder_and_dataset_flags()
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        Assert.Equal(0, Program.Run(["train", "--help"], stdout, stderr));
        Assert.Contains("--encoder", stdout.ToString());
        Assert.Contains("--dataset", stdout.ToString());

        foreach (var args in new[] { new[] { "train", "--encoder", "resnet34" }, ["train", "--dataset", "mnist"], ["train", "--dataset", "cifar10"] })
        {
            stderr = new StringWriter();
            int code = Program.Run(args, new StringWriter(), stderr);
            Assert.Equal(ExitCodes.BadInput, code);
            var lines = stderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Single(lines);
            Assert.StartsWith("error: ", lines[0]);
        }
        Assert.Contains("--data-dir", stderr.ToString());
    }

    [Fact]
    public void Train_command_runs_on_cifar10_files_and_reports_a_corrupt_batch_as_bad_input()
    {
        using var dir = new TempDir();
        var random = new Random(5);
        for (int f = 1; f <= 5; f++)
        {
            var bytes = new byte[8 * 3073];
            random.NextBytes(bytes);
            for (int i = 0; i < 8; i++) bytes[i * 3073] = (byte)(i % 2);
            File.WriteAllBytes(Path.Combine(dir.Path, $"data_batch_{f}.bin"), bytes);
        }
        File.Copy(Path.Combine(dir.Path, "data_batch_1.bin"), Path.Combine(dir.Path, "test_batch.bin"));
        string[] args = ["train", "--dataset", "cifar10", "--data-dir", dir.Path, "--encoder", "small-cnn", "--negatives", "uniform",
            "--epochs", "1", "--steps-per-epoch", "2", "--batch-size", "4", "--train-subset", "16", "--eval-bank", "8", "--eval-queries", "8"];
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = Program.Run(args, stdout, stderr);
        Assert.True(code == 0, stderr.ToString() + stdout);
        Assert.Contains("trained (epoch 1, step 2)", stdout.ToString());

        File.WriteAllBytes(Path.Combine(dir.Path, "test_batch.bin"), new byte[3073 + 1]);
        stderr = new StringWriter();
        Assert.Equal(ExitCodes.BadInput, Program.Run(args, new StringWriter(), stderr));
        Assert.Contains("test_batch.bin", stderr.ToString());
        Assert.Contains("3073", stderr.ToString());
    }
}
