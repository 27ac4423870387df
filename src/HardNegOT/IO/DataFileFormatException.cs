namespace HardNegOT.IO;

/// <summary>
/// A data file that is malformed or holds something this library cannot read. The message names the
/// file and the problem; <see cref="Problem"/> keeps the problem alone.
/// </summary>
public abstract class DataFileFormatException : FormatException
{
    /// <summary>Creates the exception; <paramref name="format"/> names the file format in the message.</summary>
    protected DataFileFormatException(string format, string path, string problem, Exception? innerException)
        : base($"Invalid {format} file '{path}': {problem}", innerException)
    {
        Path = path;
        Problem = problem;
    }

    /// <summary>The file that could not be read.</summary>
    public string Path { get; }

    /// <summary>What is wrong with the file, without the path prefix.</summary>
    public string Problem { get; }
}
