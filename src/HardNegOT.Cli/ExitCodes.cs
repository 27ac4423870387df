namespace HardNegOT.Cli;

/// <summary>Exit codes of the <c>hardnegot</c> program.</summary>
public static class ExitCodes
{
    /// <summary>The command succeeded.</summary>
    public const int Success = 0;

    /// <summary>An unexpected internal error (a bug): reported on one line, no stack trace.</summary>
    public const int InternalError = 1;

    /// <summary>Bad input: command line, missing or malformed file, invalid values.</summary>
    public const int BadInput = 2;

    /// <summary>The Sinkhorn solve hit its iteration cap; outputs were still written.</summary>
    public const int NotConverged = 3;
}
