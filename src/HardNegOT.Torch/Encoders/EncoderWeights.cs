using System.Text;
using HardNegOT.IO;
using static TorchSharp.torch;

namespace HardNegOT.Torch.Encoders;

/// <summary>One tensor of a weights file: its state-dict name, element type and shape.</summary>
/// <param name="Name">State-dict key, e.g. "backbone.layer1.0.conv1.weight".</param>
/// <param name="DType">Element type.</param>
/// <param name="Shape">Dimensions.</param>
public sealed record WeightsEntry(string Name, ScalarType DType, long[] Shape)
{
    /// <summary>The shape and type as text, e.g. "64×3×3×3 Float32".</summary>
    public string Describe() => (Shape.Length == 0 ? "scalar" : string.Join("×", Shape)) + " " + DType;
}

/// <summary>Thrown when a weights file is malformed or does not fit the module it is loaded into.</summary>
public sealed class WeightsFormatException : DataFileFormatException
{
    /// <summary>Creates the exception for <paramref name="path"/> with a description of what is wrong.</summary>
    public WeightsFormatException(string path, string problem, Exception? innerException = null)
        : base(EncoderWeights.FormatName, path, problem, innerException)
    {
    }
}

/// <summary>
/// Saves and loads the state dict (parameters and BatchNorm buffers) of an encoder, or of any module, in TorchSharp's
/// own format (<c>Module.save</c> / <c>Module.load</c>; PyTorch models can be exported to it with TorchSharp's
/// exportsd.py). Loading checks every name, type and shape against the module first, so a file for another
/// architecture is rejected with the differences listed and the module is left untouched.
/// </summary>
/// <remarks>
/// The format: an unsigned LEB128 entry count, then per entry the key (a .NET BinaryWriter string: 7-bit-encoded byte
/// length, UTF-8), the element type, the rank and each dimension (unsigned LEB128 each), and the raw little-endian data.
/// </remarks>
public static class EncoderWeights
{
    /// <summary>Name of the format in error messages.</summary>
    public const string FormatName = "TorchSharp weights";

    private const int MaxReportedPerKind = 4;

    /// <summary>Writes <paramref name="module"/>'s state dict to <paramref name="path"/>, creating its directory.</summary>
    /// <param name="module">The encoder, backbone or any module (it must live on the CPU).</param>
    /// <param name="path">The destination file; overwritten if it exists.</param>
    public static void Save(nn.Module module, string path)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentException.ThrowIfNullOrEmpty(path);
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory)) Directory.CreateDirectory(directory);
        module.save(path);
    }

    /// <summary>Lists the tensors in a weights file without loading their data.</summary>
    /// <param name="path">The weights file.</param>
    /// <returns>The entries in file order.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="WeightsFormatException">The file is truncated, over-long or malformed.</exception>
    public static IReadOnlyList<WeightsEntry> ReadEntries(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"Weights file '{path}' does not exist.", path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        using var reader = new BinaryReader(stream, Encoding.UTF8);
        try
        {
            long count = ReadLeb128(reader, path, "entry count");
            // Every entry takes at least 4 bytes (empty key, type, rank 0, data), which bounds a garbage count.
            if (count < 0 || count > stream.Length / 4)
                throw new WeightsFormatException(path, $"the entry count {count} is implausible for a file of {stream.Length} bytes.");
            var entries = new List<WeightsEntry>((int)count);
            for (long i = 0; i < count; i++)
            {
                string name = reader.ReadString();
                long type = ReadLeb128(reader, path, $"type of '{name}'");
                if (type > sbyte.MaxValue || !Enum.IsDefined(typeof(ScalarType), (sbyte)type) || ElementSize((ScalarType)(sbyte)type) == 0)
                    throw new WeightsFormatException(path, $"entry {i} ('{name}') has the unknown element type code {type}.");
                var dtype = (ScalarType)(sbyte)type;
                long rank = ReadLeb128(reader, path, $"rank of '{name}'");
                if (rank > 16) throw new WeightsFormatException(path, $"entry {i} ('{name}') has the implausible rank {rank}.");
                var shape = new long[rank];
                long elements = 1;
                for (int d = 0; d < rank; d++)
                {
                    shape[d] = ReadLeb128(reader, path, $"dimension {d} of '{name}'");
                    elements = shape[d] == 0 ? 0 : elements * shape[d];
                    if (shape[d] < 0 || elements > stream.Length)
                        throw new WeightsFormatException(path, $"entry {i} ('{name}') has the implausible shape {string.Join("×", shape[..(d + 1)])}.");
                }
                long bytes = elements * ElementSize(dtype);
                if (stream.Position + bytes > stream.Length)
                {
                    throw new WeightsFormatException(path,
                        $"truncated: entry {i} ('{name}', {string.Join("×", shape)} {dtype}) needs {bytes} data bytes but only {stream.Length - stream.Position} remain.");
                }
                stream.Seek(bytes, SeekOrigin.Current);
                entries.Add(new WeightsEntry(name, dtype, shape));
            }
            if (stream.Position != stream.Length)
                throw new WeightsFormatException(path, $"{stream.Length - stream.Position} bytes follow the last of the {count} entries.");
            return entries;
        }
        catch (EndOfStreamException ex)
        {
            throw new WeightsFormatException(path, "truncated: the file ends inside an entry header.", ex);
        }
    }

    /// <summary>
    /// Loads a weights file into <paramref name="module"/> after checking that it holds exactly the module's state-dict
    /// names with the same types and shapes.
    /// </summary>
    /// <param name="module">The encoder, backbone or any module the file was saved from (or an identical one).</param>
    /// <param name="path">The weights file.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="WeightsFormatException">
    /// The file is malformed, or its names, types or shapes differ from the module's (the message lists them); the
    /// module is then unchanged.
    /// </exception>
    public static void Load(nn.Module module, string path)
    {
        ArgumentNullException.ThrowIfNull(module);
        var entries = ReadEntries(path);
        var expected = module.state_dict();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        List<string> duplicated = [], unexpected = [], mismatched = [], missing = [];
        foreach (var entry in entries)
        {
            if (!seen.Add(entry.Name)) duplicated.Add($"'{entry.Name}'");
            else if (!expected.TryGetValue(entry.Name, out var tensor)) unexpected.Add($"'{entry.Name}' ({entry.Describe()})");
            else if (tensor.dtype != entry.DType || !tensor.shape.SequenceEqual(entry.Shape))
                mismatched.Add($"'{entry.Name}' is {entry.Describe()} in the file but {new WeightsEntry(entry.Name, tensor.dtype, tensor.shape).Describe()} in the model");
        }
        foreach (var (name, tensor) in expected)
        {
            if (!seen.Contains(name)) missing.Add($"'{name}' ({new WeightsEntry(name, tensor.dtype, tensor.shape).Describe()})");
        }
        var problems = new[]
            {
                (mismatched, "differ"), (missing, "are missing from the file"), (unexpected, "are not in the model"), (duplicated, "appear twice"),
            }
            .Where(g => g.Item1.Count > 0)
            .Select(g => $"{g.Item1.Count} {g.Item2}: {string.Join("; ", g.Item1.Take(MaxReportedPerKind))}{(g.Item1.Count > MaxReportedPerKind ? "; ..." : "")}")
            .ToList();
        if (problems.Count > 0)
        {
            throw new WeightsFormatException(path,
                $"it does not fit this {module.GetName()} ({expected.Count} tensors; the file has {entries.Count}). " +
                string.Join(". ", problems) + ". Was it saved from another encoder or input-channel count?");
        }
        module.load(path, strict: true);
    }

    private static long ReadLeb128(BinaryReader reader, string path, string what)
    {
        long result = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            byte b = reader.ReadByte();
            result |= (long)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return result;
        }
        throw new WeightsFormatException(path, $"the {what} is not a valid LEB128 number.");
    }

    private static int ElementSize(ScalarType type) => type switch
    {
        ScalarType.Byte or ScalarType.Int8 or ScalarType.Bool => 1,
        ScalarType.Int16 or ScalarType.Float16 or ScalarType.BFloat16 => 2,
        ScalarType.Int32 or ScalarType.Float32 => 4,
        ScalarType.Int64 or ScalarType.Float64 or ScalarType.ComplexFloat32 => 8,
        ScalarType.ComplexFloat64 => 16,
        _ => 0,
    };
}
