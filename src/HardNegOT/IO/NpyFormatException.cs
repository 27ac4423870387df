namespace HardNegOT.IO;

/// <summary>
/// Thrown when a NumPy <c>.npy</c> file is malformed or holds an array this library cannot read
/// (wrong dtype, Fortran order, wrong number of dimensions, truncated data).
/// </summary>
public sealed class NpyFormatException : DataFileFormatException
{
    /// <summary>Creates the exception for <paramref name="path"/>, phrasing <paramref name="problem"/> so the user can fix it.</summary>
    public NpyFormatException(string path, string problem, Exception? innerException = null)
        : base(".npy", path, problem, innerException)
    {
    }
}
