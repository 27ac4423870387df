using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;
using HardNegOT.Cli.Commands;

namespace HardNegOT.Cli;

/// <summary>
/// The <c>hardnegot</c> command-line program: OT hard-negative weights for a batch of embeddings, contrastive and
/// multimodal training, the paper-reproduction study, and the assignment solvers.
/// </summary>
public static class Program
{
    /// <summary>Runs the program on the process's console.</summary>
    /// <param name="args">The command-line arguments.</param>
    /// <returns>The exit code (see <see cref="ExitCodes"/>).</returns>
    public static int Main(string[] args) => Run(args, Console.Out, Console.Error);

    /// <summary>
    /// Runs the program in-process with the given writers (tests use this). Parse errors are reported as one
    /// "error: " line on <paramref name="stderr"/> with exit code <see cref="ExitCodes.BadInput"/>.
    /// </summary>
    /// <param name="args">The command-line arguments, without the program name.</param>
    /// <param name="stdout">Receives normal output and help.</param>
    /// <param name="stderr">Receives errors and warnings.</param>
    /// <returns>The exit code (see <see cref="ExitCodes"/>).</returns>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        var root = BuildRootCommand();
        var parseResult = root.Parse(args);
        // --help and --version clear parse errors (e.g. "weights --help" without the required options).
        if (parseResult.Errors.Count > 0 && parseResult.Action is not { ClearsParseErrors: true })
        {
            var messages = parseResult.Errors.Select(Describe).Distinct();
            stderr.WriteLine($"error: {string.Join(" ", messages)} (see 'hardnegot --help')");
            return ExitCodes.BadInput;
        }

        return parseResult.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr });
    }

    /// <summary>The root command with every subcommand.</summary>
    /// <remarks>
    /// A plain <see cref="Command"/> named "hardnegot" rather than a <see cref="RootCommand"/>, whose name would be the
    /// assembly's (HardNegOT.Cli) in help and usage lines; help and version are added the way RootCommand adds them.
    /// </remarks>
    public static Command BuildRootCommand() => new("hardnegot", "Entropic-OT hard negatives for contrastive learning: weights, training (uni- and multimodal), the paper study, assignment.")
    {
        new HelpOption(),
        new VersionOption(),
        WeightsCommand.Create(),
        FashionMnistBatchCommand.Create(),
        TrainCommand.Create(),
        TrainMultimodalCommand.Create(),
        AssignCommand.Create(),
        StudyCommand.Create(),
    };

    // Prefix the option name when System.CommandLine's message does not say which option it is about.
    private static string Describe(ParseError error)
    {
        string message = CommandAction.OneLine(error.Message);
        if (!message.EndsWith('.')) message += ".";
        var option = error.SymbolResult switch
        {
            OptionResult o => o.Option,
            ArgumentResult { Parent: OptionResult o } => o.Option,
            _ => null,
        };
        return option is null || message.Contains(option.Name, StringComparison.Ordinal) ? message : $"{option.Name}: {message}";
    }
}
