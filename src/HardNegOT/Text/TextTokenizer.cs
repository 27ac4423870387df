namespace HardNegOT.Text;

/// <summary>
/// Turns texts into fixed-length id sequences: [CLS] w₁ … wₖ [EOS] [PAD] …, with the words from
/// <see cref="WordSplitter"/>, unknown words as [UNK], and the words cut to <see cref="MaxLength"/> − 2 so [EOS]
/// always closes the sequence. The attention mask is 1 on [CLS], the words and [EOS], 0 on padding.
/// </summary>
public sealed class TextTokenizer
{
    /// <summary>Creates a tokenizer.</summary>
    /// <param name="vocabulary">The token ↔ id map.</param>
    /// <param name="maxLength">Sequence length L ≥ 3 (room for [CLS], one word and [EOS]).</param>
    public TextTokenizer(Vocabulary vocabulary, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 3);
        Vocabulary = vocabulary;
        MaxLength = maxLength;
    }

    /// <summary>The token ↔ id map.</summary>
    public Vocabulary Vocabulary { get; }

    /// <summary>Length of every encoded sequence.</summary>
    public int MaxLength { get; }

    /// <summary>Encodes one text into <see cref="MaxLength"/> ids and mask values.</summary>
    /// <param name="text">The text.</param>
    /// <param name="ids">Receives the ids; length <see cref="MaxLength"/>.</param>
    /// <param name="mask">Receives 1 for real tokens, 0 for padding; length <see cref="MaxLength"/>.</param>
    /// <returns>True when words were cut off.</returns>
    public bool Encode(string text, Span<long> ids, Span<long> mask)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (ids.Length != MaxLength || mask.Length != MaxLength)
            throw new ArgumentException($"ids and mask must have length {MaxLength}; got {ids.Length} and {mask.Length}.");
        var words = WordSplitter.Split(text);
        int kept = Math.Min(words.Count, MaxLength - 2);
        ids.Fill(Vocabulary.PadId);
        mask.Clear();
        ids[0] = Vocabulary.ClsId;
        for (int i = 0; i < kept; i++) ids[1 + i] = Vocabulary.IdOf(words[i]);
        ids[kept + 1] = Vocabulary.EosId;
        mask[..(kept + 2)].Fill(1);
        return kept < words.Count;
    }

    /// <summary>Encodes a batch of texts.</summary>
    /// <param name="texts">The texts, none null.</param>
    public TokenizedBatch EncodeBatch(IReadOnlyList<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var ids = new long[texts.Count * MaxLength];
        var mask = new long[texts.Count * MaxLength];
        int truncated = 0;
        for (int i = 0; i < texts.Count; i++)
        {
            if (texts[i] is null) throw new ArgumentException($"Text {i} is null.", nameof(texts));
            if (Encode(texts[i], ids.AsSpan(i * MaxLength, MaxLength), mask.AsSpan(i * MaxLength, MaxLength))) truncated++;
        }
        return new TokenizedBatch(texts.Count, MaxLength, ids, mask, truncated);
    }

    /// <summary>The tokens of an id sequence, without [CLS], [EOS] and padding, joined by spaces.</summary>
    /// <param name="ids">Ids as <see cref="Encode"/> writes them.</param>
    public string Decode(ReadOnlySpan<long> ids)
    {
        var words = new List<string>();
        foreach (long id in ids)
        {
            if (id == Vocabulary.EosId) break;
            if (id is Vocabulary.ClsId or Vocabulary.PadId) continue;
            if (id < 0 || id >= Vocabulary.Count)
                throw new ArgumentOutOfRangeException(nameof(ids), id, $"The vocabulary has ids 0..{Vocabulary.Count - 1}.");
            words.Add(Vocabulary.TokenOf((int)id));
        }
        return string.Join(' ', words);
    }
}

/// <summary>A batch of encoded texts: N rows of L ids and L mask values, row-major.</summary>
/// <param name="Count">Number of texts N.</param>
/// <param name="MaxLength">Sequence length L.</param>
/// <param name="Ids">N×L token ids.</param>
/// <param name="Mask">N×L attention mask: 1 for real tokens, 0 for padding.</param>
/// <param name="Truncated">How many texts lost words to the length limit.</param>
public sealed record TokenizedBatch(int Count, int MaxLength, long[] Ids, long[] Mask, int Truncated)
{
    /// <summary>The ids of row <paramref name="index"/>.</summary>
    /// <param name="index">Zero-based row.</param>
    public ReadOnlySpan<long> IdsOf(int index) => Ids.AsSpan(index * MaxLength, MaxLength);

    /// <summary>The mask of row <paramref name="index"/>.</summary>
    /// <param name="index">Zero-based row.</param>
    public ReadOnlySpan<long> MaskOf(int index) => Mask.AsSpan(index * MaxLength, MaxLength);
}
