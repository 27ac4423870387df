using HardNegOT.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace HardNegOT.Torch.Multimodal;

/// <summary>One tensor of a saved state dict: its name, element type and shape.</summary>
/// <param name="Name">Parameter or buffer name, e.g. "textEncoder.tokens.weight".</param>
/// <param name="DType">Element type.</param>
/// <param name="Shape">Dimensions.</param>
public sealed record StateDictEntry(string Name, ScalarType DType, long[] Shape)
{
    /// <summary>"name dtype [d0, d1, …]".</summary>
    public override string ToString() => $"{Name} {DType} [{string.Join(", ", Shape)}]";
}

/// <summary>A weights file that cannot be read or does not fit the model it is loaded into.</summary>
public sealed class ModelWeightsException : DataFileFormatException
{
    /// <summary>Creates the exception for <paramref name="path"/>.</summary>
    /// <param name="path">The weights file.</param>
    /// <param name="problem">What is wrong.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public ModelWeightsException(string path, string problem, Exception? innerException = null)
        : base("TorchSharp weights", path, problem, innerException)
    {
    }
}

/// <summary>
/// Reads and checks TorchSharp's state-dict files (<c>Module.save</c>; PyTorch state dicts convert to it with
/// TorchSharp's <c>exportsd.py</c>): a LEB128 entry count, then per entry a length-prefixed UTF-8 name, the LEB128
/// element type, rank and dimensions, and the raw little-endian data. Reading the table first turns TorchSharp's
/// generic "mismatched state_dict" errors into messages that name the entries at fault.
/// </summary>
public static class StateDictFile
{
    /// <summary>The entries of a state-dict file, in file order, without loading the data.</summary>
    /// <param name="path">The file.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="ModelWeightsException">The file is truncated or not a TorchSharp state dict.</exception>
    public static IReadOnlyList<StateDictEntry> ReadEntries(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"Weights file '{path}' does not exist.", path);
        TorchRuntime.EnsureLoaded();
        using var stream = File.OpenRead(path);
        using var reader = new BinaryReader(stream);
        var entries = new List<StateDictEntry>();
        try
        {
            long count = Leb128(reader);
            // Every entry takes at least 4 bytes: a name length, a type, a rank and one data byte.
            if (count < 0 || count > stream.Length / 4)
                throw new ModelWeightsException(path, $"the header claims {count} entries, impossible for a {stream.Length}-byte file; is it a TorchSharp state dict?");
            for (long i = 0; i < count; i++)
            {
                string name = reader.ReadString();
                long type = Leb128(reader);
                if (!Enum.IsDefined(typeof(ScalarType), (sbyte)type) || type > sbyte.MaxValue)
                    throw new ModelWeightsException(path, $"entry {i} ('{name}') has unknown element type {type}.");
                var dtype = (ScalarType)(sbyte)type;
                long rank = Leb128(reader);
                if (rank > 16) throw new ModelWeightsException(path, $"entry {i} ('{name}') claims {rank} dimensions.");
                var shape = new long[rank];
                long elements = 1;
                for (int d = 0; d < rank; d++)
                {
                    shape[d] = Leb128(reader);
                    elements = checked(elements * shape[d]);
                }
                long bytes = checked(elements * ElementSize(dtype));
                if (stream.Position + bytes > stream.Length)
                    throw new ModelWeightsException(path, $"entry {i} ('{name}', [{string.Join(", ", shape)}]) runs past the end of the file; it is truncated.");
                stream.Seek(bytes, SeekOrigin.Current);
                entries.Add(new StateDictEntry(name, dtype, shape));
            }
            if (stream.Position != stream.Length)
                throw new ModelWeightsException(path, $"{stream.Length - stream.Position} bytes follow the last of the {count} entries.");
        }
        catch (Exception ex) when (ex is EndOfStreamException or FormatException and not ModelWeightsException or OverflowException)
        {
            throw new ModelWeightsException(path, $"the file ends or breaks off inside entry {entries.Count} ({ex.Message}); is it a TorchSharp state dict?", ex);
        }
        return entries;
    }

    /// <summary>
    /// Checks that the file holds exactly the model's state dict (same names, shapes and element types) and loads it.
    /// </summary>
    /// <param name="model">The module to load into.</param>
    /// <param name="path">The weights file.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="ModelWeightsException">The file is unreadable or does not fit the model; the message lists the differences.</exception>
    public static void Load(nn.Module model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        var file = ReadEntries(path).ToDictionary(e => e.Name, StringComparer.Ordinal);
        var expected = model.state_dict();
        var problems = new List<string>();
        var missing = expected.Keys.Where(k => !file.ContainsKey(k)).ToList();
        var unexpected = file.Keys.Where(k => !expected.ContainsKey(k)).ToList();
        if (missing.Count > 0) problems.Add($"missing {Listed(missing)}");
        if (unexpected.Count > 0) problems.Add($"unexpected {Listed(unexpected)}");
        foreach (var (name, tensor) in expected)
        {
            if (!file.TryGetValue(name, out var entry)) continue;
            if (!entry.Shape.SequenceEqual(tensor.shape))
                problems.Add($"'{name}' has shape [{string.Join(", ", entry.Shape)}] but the model's is [{string.Join(", ", tensor.shape)}]");
            else if (entry.DType != tensor.dtype)
                problems.Add($"'{name}' is {entry.DType} but the model's is {tensor.dtype}");
        }
        if (problems.Count > 0)
            throw new ModelWeightsException(path, $"the weights do not fit this model ({string.Join("; ", problems.Take(8))}{(problems.Count > 8 ? $"; and {problems.Count - 8} more" : "")}); were they saved from a model with the same options?");
        try
        {
            model.load(path, strict: true);
        }
        catch (Exception ex) when (ex is ArgumentException or IOException or InvalidOperationException)
        {
            throw new ModelWeightsException(path, ex.Message, ex);
        }
    }

    private static string Listed(List<string> names) =>
        $"{names.Count} entr{(names.Count == 1 ? "y" : "ies")}: {string.Join(", ", names.Take(6).Select(n => $"'{n}'"))}{(names.Count > 6 ? ", …" : "")}";

    private static long ElementSize(ScalarType dtype)
    {
        using var probe = torch.empty(0, dtype: dtype);
        return probe.ElementSize;
    }

    private static long Leb128(BinaryReader reader)
    {
        long value = 0;
        for (int shift = 0; shift < 63; shift += 7)
        {
            byte b = reader.ReadByte();
            value |= (long)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return value;
        }
        throw new FormatException("a LEB128 number is longer than 9 bytes");
    }
}
