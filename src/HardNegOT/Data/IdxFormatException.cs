using HardNegOT.IO;

namespace HardNegOT.Data;

/// <summary>
/// Thrown when an IDX file (the MNIST / Fashion-MNIST format) is malformed, truncated or does not fit
/// its companion file.
/// </summary>
public sealed class IdxFormatException : DataFileFormatException
{
    /// <summary>Creates the exception for <paramref name="path"/> with a description of what is wrong.</summary>
    public IdxFormatException(string path, string problem, Exception? innerException = null)
        : base("IDX", path, problem, innerException)
    {
    }
}
