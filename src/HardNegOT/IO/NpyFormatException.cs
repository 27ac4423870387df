namespace HardNegOT.IO;

/// <summary>
/// Thrown when a NumPy <c>.npy</c> file is malformed or holds an array this library cannot read
/// (wrong dtype, Fortran order, wrong number of dimensions, truncated data). The message names the file.
/// </summary>
public sealed class NpyFormatException : FormatException
{
    /// <summary>Creates the exception for <paramref name="path"/> with a description of what is wrong.</summary>
    /// <param name="path">The offending file.</param>
    /// <param name="problem">What is wrong with it, phrased so that the user can fix it.</param>
    public NpyFormatException(string path, string problem)
        : base($"Invalid .npy file '{path}': {problem}")
    {
        Path = path;
        Problem = problem;
    }

    /// <summary>Creates the exception for <paramref name="path"/>, keeping the lower-level cause.</summary>
    /// <param name="path">The offending file.</param>
    /// <param name="problem">What is wrong with it.</param>
    /// <param name="innerException">The error that revealed the problem.</param>
    public NpyFormatException(string path, string problem, Exception innerException)
        : base($"Invalid .npy file '{path}': {problem}", innerException)
    {
        Path = path;
        Problem = problem;
    }

    /// <summary>The file that could not be read.</summary>
    public string Path { get; }

    /// <summary>What is wrong with the file, without the path prefix.</summary>
    public string Problem { get; }
}
