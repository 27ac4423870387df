using System.CommandLine;
using HardNegOT.Data;
using HardNegOT.IO;

namespace HardNegOT.Cli.Commands;

/// <summary>
/// <c>hardnegot fashion-mnist-batch</c>: a seeded batch of B Fashion-MNIST images, two augmented views each, embedded by a
/// fixed random projection and written as the 2B×d two-view batch [view 1; view 2] that <c>weights --layout two-view</c> reads.
/// </summary>
internal static class FashionMnistBatchCommand
{
    /// <summary>The parsed options of one run.</summary>
    internal sealed record Arguments(
        string DataDirectory, string Split, int BatchSize, int Seed, int ProjectionDimension, int ProjectionSeed, string Out, string? LabelsOut);

    public static Command Create()
    {
        var dataDirectory = new Option<string>("--data-dir")
        {
            Description = "Directory with the Fashion-MNIST IDX files (plain or .gz).",
            DefaultValueFactory = _ => FashionMnist.DefaultDirectory,
        };
        var split = new Option<string>("--split") { Description = "Which split to sample from.", DefaultValueFactory = _ => "train" };
        split.AcceptOnlyFromAmong("train", "test");
        var batchSize = new Option<int>("--batch-size") { Description = "Number of images B; the output has N = 2B rows.", Required = true };
        var seed = new Option<int>("--seed") { Description = "Seed of the image choice and the augmentations.", DefaultValueFactory = _ => 0 };
        var projectionDimension = new Option<int>("--projection-dim")
        {
            Description = "Embedding dimension of the Gaussian random projection; 0 keeps the 784 mean-centred pixels.",
            DefaultValueFactory = _ => 128,
        };
        var projectionSeed = new Option<int>("--projection-seed")
        {
            Description = "Seed of the projection matrix; keep it fixed so that different batches share one embedding.",
            DefaultValueFactory = _ => 1,
        };
        var output = new Option<string>("--out") { Description = "Where to write the 2B×d float32 .npy.", Required = true };
        var labelsOut = new Option<string?>("--labels-out") { Description = "Where to write the 2B int64 labels (.npy); row i and i + B share a label." };

        var command = new Command("fashion-mnist-batch", "Write a two-view batch of augmented, randomly projected Fashion-MNIST images.")
        {
            dataDirectory, split, batchSize, seed, projectionDimension, projectionSeed, output, labelsOut,
        };
        command.SetAction(parseResult => CommandAction.Run(parseResult, (p, stdout, _) => Execute(
            new Arguments(
                p.GetValue(dataDirectory)!, p.GetValue(split)!, p.GetValue(batchSize), p.GetValue(seed), p.GetValue(projectionDimension),
                p.GetValue(projectionSeed), p.GetValue(output)!, p.GetValue(labelsOut)),
            stdout)));
        return command;
    }

    public static int Execute(Arguments args, TextWriter stdout)
    {
        if (args.BatchSize < 1)
            throw new CliInputException($"--batch-size must be at least 1, got {args.BatchSize}.");
        if (args.ProjectionDimension < 0)
            throw new CliInputException($"--projection-dim must be 0 (raw pixels) or positive, got {args.ProjectionDimension}.");
        if (string.IsNullOrWhiteSpace(args.Out))
            throw new CliInputException("--out must name a file.");

        var splitKind = args.Split == "test" ? FashionMnistSplit.Test : FashionMnistSplit.Train;
        FashionMnistSet set;
        try
        {
            set = FashionMnist.Load(splitKind, args.DataDirectory);
        }
        catch (Exception ex) when (ex is IOException or IdxFormatException or UnauthorizedAccessException)
        {
            throw new CliInputException($"--data-dir: {CommandAction.OneLine(ex.Message)}", ex);
        }

        int b = args.BatchSize;
        if (b > set.Count)
            throw new CliInputException($"--batch-size {b} exceeds the {set.Count} images of the {args.Split} split in '{args.DataDirectory}'.");

        var batch = TwoViewImageBatch.Create(set, b, args.Seed);
        var views = batch.Views;
        int d = args.ProjectionDimension == 0 ? FashionMnist.PixelsPerImage : args.ProjectionDimension;
        var embeddings = args.ProjectionDimension == 0
            ? views
            : new RandomProjection(FashionMnist.PixelsPerImage, d, args.ProjectionSeed).ProjectRows(views, 2 * b);

        WeightsCommand.Write("--out", args.Out, path => NpyFile.WriteFloat32(path, embeddings, 2 * b, d));
        if (args.LabelsOut is { } labelsPath)
        {
            WeightsCommand.Write("--labels-out", labelsPath, path => NpyFile.WriteInt64(path, batch.Labels, 2 * b));
        }

        string embedding = args.ProjectionDimension == 0 ? "raw centred pixels" : $"random projection to {d} dims (seed {args.ProjectionSeed})";
        stdout.WriteLine(
            $"wrote {2 * b}x{d} float32 two-view batch [view 1; view 2] of {b} {args.Split} images (seed {args.Seed}, {embedding}) -> {args.Out}");
        if (args.LabelsOut is not null)
            stdout.WriteLine($"wrote {2 * b} int64 labels -> {args.LabelsOut}");
        return ExitCodes.Success;
    }
}
