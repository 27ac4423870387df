using System.CommandLine;
using HardNegOT.Data;
using HardNegOT.IO;

namespace HardNegOT.Cli;

/// <summary>
/// Runs a command body with the invocation's writers and turns every exception into exactly one "error: " line on
/// stderr: input problems exit with <see cref="ExitCodes.BadInput"/>, anything else with <see cref="ExitCodes.InternalError"/>.
/// </summary>
internal static class CommandAction
{
    public static int Run(ParseResult parseResult, Func<ParseResult, TextWriter, TextWriter, int> body)
    {
        var stdout = parseResult.InvocationConfiguration.Output;
        var stderr = parseResult.InvocationConfiguration.Error;
        try
        {
            return body(parseResult, stdout, stderr);
        }
        catch (Exception ex) when (IsInputError(ex))
        {
            stderr.WriteLine($"error: {OneLine(ex.Message)}");
            return ExitCodes.BadInput;
        }
        catch (Exception ex)
        {
            stderr.WriteLine($"error: internal error ({ex.GetType().Name}): {OneLine(ex.Message)}");
            return ExitCodes.InternalError;
        }
    }

    /// <summary>The message of a library <see cref="ArgumentException"/> without its "(Parameter 'x')" and "Actual value was" tails.</summary>
    public static string MessageOf(Exception ex)
    {
        string message = ex.Message;
        if (ex is ArgumentException { ParamName: { } name })
        {
            // ArgumentOutOfRangeException appends "Actual value was ..." on a new line after the parameter suffix.
            int newline = message.IndexOf('\n');
            if (newline >= 0) message = message[..newline].TrimEnd('\r');
            string suffix = $" (Parameter '{name}')";
            if (message.EndsWith(suffix, StringComparison.Ordinal)) message = message[..^suffix.Length];
        }

        return OneLine(message);
    }

    /// <summary>Collapses line breaks and tabs so that a message stays on one line.</summary>
    public static string OneLine(string message) =>
        string.Join(' ', message.Split(['\r', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    private static bool IsInputError(Exception ex) => ex is CliInputException
        or FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException
        or NpyFormatException or IdxFormatException or DataFileFormatException or IOException;
}
