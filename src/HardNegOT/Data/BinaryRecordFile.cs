namespace HardNegOT.Data;

/// <summary>Checks and reads files made of fixed-size records with no header (CIFAR-10, STL-10).</summary>
internal static class BinaryRecordFile
{
    /// <summary>
    /// The number of records in <paramref name="path"/>, after checking that it exists, is not empty and is a whole
    /// number of <paramref name="recordSize"/>-byte records.
    /// </summary>
    public static long CountRecords(string format, string path, int recordSize, string recordDescription, string installHint)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"{format} file '{path}' was not found. {installHint}", path);
        long length = new FileInfo(path).Length;
        if (length == 0)
            throw new BinaryImageFormatException(format, path, $"the file is empty; expected {recordDescription} of {recordSize} bytes each.");
        if (length % recordSize != 0)
        {
            throw new BinaryImageFormatException(format, path,
                $"its size {length} bytes is not a multiple of the {recordSize}-byte record ({recordDescription}): " +
                $"{length / recordSize} whole records and {length % recordSize} bytes left over. Is the file truncated or of another format?");
        }
        return length / recordSize;
    }

    /// <summary>Fills <paramref name="destination"/> from the start of <paramref name="path"/>.</summary>
    public static void ReadPrefix(string path, Span<byte> destination)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        file.ReadExactly(destination);
    }

    /// <summary>The directory itself, or its <paramref name="archiveFolder"/> subfolder when that holds the files (as unpacked from the archive).</summary>
    public static string Resolve(string format, string directory, string archiveFolder, string probeFile, string installHint)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (!Directory.Exists(directory))
            throw new DirectoryNotFoundException($"{format} directory '{directory}' does not exist. {installHint}");
        string nested = Path.Combine(directory, archiveFolder);
        return !File.Exists(Path.Combine(directory, probeFile)) && File.Exists(Path.Combine(nested, probeFile)) ? nested : directory;
    }
}
