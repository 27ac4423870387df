using HardNegOT.IO;

namespace HardNegOT.Text;

/// <summary>A vocabulary JSON file that is malformed: not JSON, wrong format tag or version, or bad tokens.</summary>
public sealed class VocabularyFormatException : DataFileFormatException
{
    /// <summary>Creates the exception for <paramref name="path"/>.</summary>
    /// <param name="path">The vocabulary file.</param>
    /// <param name="problem">What is wrong with it.</param>
    /// <param name="innerException">The parser's error, if any.</param>
    public VocabularyFormatException(string path, string problem, Exception? innerException = null)
        : base("vocabulary", path, problem, innerException)
    {
    }
}
