using System.Text.Json;
using System.Text.Json.Nodes;

namespace HardNegOT.Text;

/// <summary>
/// A token ↔ id map whose first four ids are the specials <see cref="Pad"/> (0), <see cref="Unknown"/> (1),
/// <see cref="Cls"/> (2) and <see cref="Eos"/> (3); the corpus tokens follow. Saved as JSON
/// <c>{"format": "hardnegot-vocabulary", "version": 1, "tokens": [...]}</c> with the token of id i at index i.
/// </summary>
public sealed class Vocabulary
{
    /// <summary>Padding token; its id is <see cref="PadId"/>.</summary>
    public const string Pad = "[PAD]";

    /// <summary>Token standing in for words not in the vocabulary; its id is <see cref="UnknownId"/>.</summary>
    public const string Unknown = "[UNK]";

    /// <summary>Start-of-sequence token; its id is <see cref="ClsId"/>.</summary>
    public const string Cls = "[CLS]";

    /// <summary>End-of-sequence token; its id is <see cref="EosId"/>.</summary>
    public const string Eos = "[EOS]";

    /// <summary>Id of <see cref="Pad"/>.</summary>
    public const int PadId = 0;

    /// <summary>Id of <see cref="Unknown"/>.</summary>
    public const int UnknownId = 1;

    /// <summary>Id of <see cref="Cls"/>.</summary>
    public const int ClsId = 2;

    /// <summary>Id of <see cref="Eos"/>.</summary>
    public const int EosId = 3;

    /// <summary>Value of the "format" field of a saved vocabulary.</summary>
    public const string FormatName = "hardnegot-vocabulary";

    private static readonly string[] Specials = [Pad, Unknown, Cls, Eos];

    private readonly string[] _tokens;
    private readonly Dictionary<string, int> _ids;

    private Vocabulary(string[] tokens)
    {
        _tokens = tokens;
        _ids = new Dictionary<string, int>(tokens.Length, StringComparer.Ordinal);
        for (int i = 0; i < tokens.Length; i++) _ids[tokens[i]] = i;
    }

    /// <summary>Number of tokens, specials included.</summary>
    public int Count => _tokens.Length;

    /// <summary>The tokens in id order.</summary>
    public IReadOnlyList<string> Tokens => _tokens;

    /// <summary>The id of <paramref name="token"/>, or <see cref="UnknownId"/> when it is not in the vocabulary.</summary>
    /// <param name="token">A token as <see cref="WordSplitter"/> produces it.</param>
    public int IdOf(string token) => _ids.GetValueOrDefault(token, UnknownId);

    /// <summary>Whether <paramref name="token"/> has its own id.</summary>
    /// <param name="token">A token.</param>
    public bool Contains(string token) => _ids.ContainsKey(token);

    /// <summary>The token of <paramref name="id"/>.</summary>
    /// <param name="id">An id in [0, <see cref="Count"/>).</param>
    public string TokenOf(int id)
    {
        if ((uint)id >= (uint)_tokens.Length)
            throw new ArgumentOutOfRangeException(nameof(id), id, $"The vocabulary has ids 0..{_tokens.Length - 1}.");
        return _tokens[id];
    }

    /// <summary>
    /// Builds a vocabulary from the <see cref="WordSplitter"/> tokens of <paramref name="texts"/>: tokens seen at least
    /// <paramref name="minCount"/> times, most frequent first (ties in ordinal order, so the result does not depend on
    /// the order of the texts), at most <paramref name="maxSize"/> ids in all.
    /// </summary>
    /// <param name="texts">The corpus.</param>
    /// <param name="minCount">Minimum number of occurrences, ≥ 1.</param>
    /// <param name="maxSize">Cap on <see cref="Count"/> (specials included, so ≥ 4), or null for none.</param>
    public static Vocabulary Build(IEnumerable<string> texts, int minCount = 1, int? maxSize = null)
    {
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentOutOfRangeException.ThrowIfLessThan(minCount, 1);
        if (maxSize is { } cap) ArgumentOutOfRangeException.ThrowIfLessThan(cap, Specials.Length, nameof(maxSize));
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        int index = 0;
        foreach (var text in texts)
        {
            if (text is null) throw new ArgumentException($"Text {index} is null.", nameof(texts));
            foreach (var token in WordSplitter.Split(text)) counts[token] = counts.GetValueOrDefault(token) + 1;
            index++;
        }
        var words = counts
            .Where(p => p.Value >= minCount && Array.IndexOf(Specials, p.Key) < 0)
            .OrderByDescending(p => p.Value)
            .ThenBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => p.Key);
        if (maxSize is { } max) words = words.Take(max - Specials.Length);
        return new Vocabulary([.. Specials, .. words]);
    }

    /// <summary>A vocabulary of the specials followed by <paramref name="words"/> in the given order.</summary>
    /// <param name="words">Distinct, non-empty tokens other than the specials.</param>
    public static Vocabulary FromTokens(IEnumerable<string> words)
    {
        ArgumentNullException.ThrowIfNull(words);
        var tokens = Specials.Concat(words).ToArray();
        string? problem = CheckTokens(tokens);
        if (problem is not null) throw new ArgumentException(problem, nameof(words));
        return new Vocabulary(tokens);
    }

    /// <summary>Writes the vocabulary as JSON (UTF-8) to <paramref name="path"/>.</summary>
    /// <param name="path">The file to create or overwrite.</param>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var json = new JsonObject
        {
            ["format"] = FormatName,
            ["version"] = 1,
            ["tokens"] = new JsonArray(_tokens.Select(t => (JsonNode?)JsonValue.Create(t)).ToArray()),
        };
        File.WriteAllText(path, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    /// <summary>Reads a vocabulary written by <see cref="Save"/>.</summary>
    /// <param name="path">The JSON file.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="VocabularyFormatException">The file is not a valid vocabulary.</exception>
    public static Vocabulary Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"Vocabulary file '{path}' does not exist.", path);
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(path));
        }
        catch (JsonException ex)
        {
            throw new VocabularyFormatException(path, $"not valid JSON ({ex.Message}).", ex);
        }
        if (root is not JsonObject obj) throw new VocabularyFormatException(path, "the top level is not a JSON object.");
        if (obj["format"] is not JsonValue format || !format.TryGetValue(out string? name) || name != FormatName)
            throw new VocabularyFormatException(path, $"the \"format\" field is not \"{FormatName}\".");
        if (obj["version"] is not JsonValue version || !version.TryGetValue(out int v) || v != 1)
            throw new VocabularyFormatException(path, "the \"version\" field is not 1, the only version this library reads.");
        if (obj["tokens"] is not JsonArray array)
            throw new VocabularyFormatException(path, "the \"tokens\" field is missing or not an array.");
        var tokens = new string[array.Count];
        for (int i = 0; i < tokens.Length; i++)
        {
            if (array[i] is not JsonValue value || !value.TryGetValue(out string? token))
                throw new VocabularyFormatException(path, $"token {i} is not a string.");
            tokens[i] = token;
        }
        string? problem = CheckTokens(tokens);
        if (problem is not null) throw new VocabularyFormatException(path, problem);
        return new Vocabulary(tokens);
    }

    private static string? CheckTokens(string[] tokens)
    {
        for (int i = 0; i < Specials.Length; i++)
        {
            if (i >= tokens.Length || tokens[i] != Specials[i])
                return $"id {i} must be the special token \"{Specials[i]}\" (the specials {string.Join(", ", Specials)} come first).";
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < tokens.Length; i++)
        {
            if (string.IsNullOrEmpty(tokens[i])) return $"token {i} is empty.";
            if (!seen.Add(tokens[i])) return $"token {i} \"{tokens[i]}\" appears twice.";
        }
        return null;
    }
}
