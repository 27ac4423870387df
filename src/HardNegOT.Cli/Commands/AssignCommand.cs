using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using HardNegOT.Assignment;
using HardNegOT.IO;

namespace HardNegOT.Cli.Commands;

/// <summary>
/// <c>hardnegot assign</c>: the minimum-cost assignment of an n×n cost matrix (optimal transport between two uniform
/// measures of n points), exact or δ-approximate, written as the int64 permutation (row i → column perm[i]).
/// </summary>
internal static class AssignCommand
{
    /// <summary>The parsed options of one run.</summary>
    internal sealed record Arguments(string Cost, string Solver, double? Delta, string Out);

    public static Command Create()
    {
        var cost = new Option<string>("--cost")
        {
            Description = "n×n cost matrix as .npy (float32 or float64, C order, finite values).",
            Required = true,
        };
        var solver = new Option<string>("--solver")
        {
            Description = "exact: Jonker–Volgenant shortest augmenting paths. approx: auction within --delta of optimal per pair.",
            DefaultValueFactory = _ => "exact",
        };
        solver.AcceptOnlyFromAmong("exact", "approx");
        var delta = new Option<double?>("--delta")
        {
            Description = "Accuracy of --solver approx, in cost units per matched pair: mean cost ≤ optimal mean + δ (total ≤ optimal + n·δ).",
        };
        var output = new Option<string>("--out") { Description = "Where to write the assignment as an int64 .npy of length n.", Required = true };

        var command = new Command("assign", "Solve the n×n assignment problem (uniform discrete OT) exactly or to within δ.")
        {
            cost, solver, delta, output,
        };
        command.SetAction(parseResult => CommandAction.Run(parseResult, (p, stdout, _) => Execute(
            new Arguments(p.GetValue(cost)!, p.GetValue(solver)!, p.GetValue(delta), p.GetValue(output)!),
            stdout)));
        return command;
    }

    public static int Execute(Arguments args, TextWriter stdout)
    {
        if (args.Solver == "approx" && args.Delta is null)
            throw new CliInputException("--solver approx needs --delta (the accuracy per matched pair, in cost units).");
        if (args.Solver != "approx" && args.Delta is not null)
            throw new CliInputException($"--delta applies only to --solver approx, not --solver {args.Solver}.");
        if (args.Delta is { } d && (!(d > 0) || !double.IsFinite(d)))
            throw new CliInputException($"--delta must be a positive finite number, got {Format.Number(d)}.");
        if (string.IsNullOrWhiteSpace(args.Out))
            throw new CliInputException("--out must name a file.");

        var matrix = ReadCost(args.Cost);
        int n = matrix.Rows;
        var clock = Stopwatch.StartNew();
        AssignmentResult result;
        try
        {
            result = args.Solver == "approx"
                ? ApproximateAssignment.Solve(matrix.Data, matrix.Rows, matrix.Columns, args.Delta!.Value)
                : ExactAssignment.Solve(matrix.Data, matrix.Rows, matrix.Columns);
        }
        catch (ArgumentException ex)
        {
            throw new CliInputException($"--cost '{args.Cost}' ({matrix.Rows}×{matrix.Columns}): {CommandAction.MessageOf(ex)}", ex);
        }

        double seconds = clock.Elapsed.TotalSeconds;
        WeightsCommand.Write("--out", args.Out, path => NpyFile.WriteInt64(path, result.PermutationAsInt64(), n));

        var lines = new List<(string Label, string Value)>
        {
            ("solver", args.Solver),
            ("n", n.ToString(CultureInfo.InvariantCulture)),
            ("total cost", Format.Number(result.TotalCost)),
            ("mean cost", Format.Number(result.MeanCost)),
            ("dual bound", Format.Number(result.DualBound)),
            ("certified gap", Format.Scientific(result.CertifiedGap)),
        };
        if (args.Delta is { } delta)
        {
            lines.Add(("delta", Format.Number(delta)));
            // n·δ, or 0 where δ was below the auction's precision floor and the exact solver ran.
            lines.Add(("bound", $"total cost <= optimum + {Format.Number(result.AdditiveBound)}"));
        }

        lines.Add(("solve time", $"{seconds:0.000} s"));
        lines.Add(("output", $"permutation, {n} int64 -> {args.Out}"));
        int width = lines.Max(l => l.Label.Length) + 2;
        foreach (var (label, value) in lines) stdout.WriteLine(label.PadRight(width) + value);
        return ExitCodes.Success;
    }

    private static NpyArray<double> ReadCost(string path)
    {
        try
        {
            return NpyFile.ReadMatrixAsFloat64(path);
        }
        catch (FileNotFoundException)
        {
            throw new CliInputException($"--cost: file '{path}' does not exist.");
        }
        catch (Exception ex) when (ex is NpyFormatException or IOException or UnauthorizedAccessException)
        {
            throw new CliInputException($"--cost: {CommandAction.OneLine(ex.Message)}", ex);
        }
    }
}
