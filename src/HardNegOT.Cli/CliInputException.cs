namespace HardNegOT.Cli;

/// <summary>
/// A user error the program reports as one "error: ..." line with exit code <see cref="ExitCodes.BadInput"/>.
/// The message names the offending option or file.
/// </summary>
internal sealed class CliInputException(string message, Exception? innerException = null) : Exception(message, innerException);
