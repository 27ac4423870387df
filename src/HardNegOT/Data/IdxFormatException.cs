namespace HardNegOT.Data;

/// <summary>
/// Thrown when an IDX file (the MNIST / Fashion-MNIST format) is malformed, truncated or does not fit its companion file.
/// The message names the file.
/// </summary>
public sealed class IdxFormatException : FormatException
{
    /// <summary>Creates the exception for <paramref name="path"/> with a description of what is wrong.</summary>
    /// <param name="path">The offending file.</param>
    /// <param name="problem">What is wrong with it.</param>
    public IdxFormatException(string path, string problem)
        : base($"Invalid IDX file '{path}': {problem}")
    {
        Path = path;
        Problem = problem;
    }

    /// <summary>Creates the exception for <paramref name="path"/>, keeping the lower-level cause.</summary>
    /// <param name="path">The offending file.</param>
    /// <param name="problem">What is wrong with it.</param>
    /// <param name="innerException">The error that revealed the problem.</param>
    public IdxFormatException(string path, string problem, Exception innerException)
        : base($"Invalid IDX file '{path}': {problem}", innerException)
    {
        Path = path;
        Problem = problem;
    }

    /// <summary>The file that could not be read.</summary>
    public string Path { get; }

    /// <summary>What is wrong with the file, without the path prefix.</summary>
    public string Problem { get; }
}
