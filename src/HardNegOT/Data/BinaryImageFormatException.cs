using HardNegOT.IO;

namespace HardNegOT.Data;

/// <summary>
/// Thrown when a raw binary image or label file (CIFAR-10's data batches, STL-10's *_X.bin and *_y.bin) has the wrong
/// size or holds an invalid label.
/// </summary>
public sealed class BinaryImageFormatException : DataFileFormatException
{
    /// <summary>Creates the exception for <paramref name="path"/> in <paramref name="format"/> (e.g. "CIFAR-10 binary").</summary>
    public BinaryImageFormatException(string format, string path, string problem, Exception? innerException = null)
        : base(format, path, problem, innerException)
    {
    }
}
