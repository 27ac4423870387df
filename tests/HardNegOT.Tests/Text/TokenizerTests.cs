using HardNegOT.Text;

namespace HardNegOT.Tests.Text;

public sealed class TokenizerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hardnegot-text-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Splitter_lowercases_and_separates_punctuation_but_keeps_joined_words()
    {
        Assert.Equal(["a", "t-shirt", "/", "top", ",", "don't", "fade", "!", "42"], WordSplitter.Split("A T-shirt/top,  DON'T fade!\t42"));
        // A hyphen or apostrophe not between two word characters is punctuation.
        Assert.Equal(["-", "x", "-", "'", "y"], WordSplitter.Split("-x- 'y"));
        Assert.Empty(WordSplitter.Split("   "));
    }

    [Fact]
    public void Build_puts_specials_first_then_words_by_frequency_then_ordinal()
    {
        var vocabulary = Vocabulary.Build(["b a b", "c a b"]);
        Assert.Equal([Vocabulary.Pad, Vocabulary.Unknown, Vocabulary.Cls, Vocabulary.Eos, "b", "a", "c"], vocabulary.Tokens);
        Assert.Equal(0, vocabulary.IdOf(Vocabulary.Pad));
        Assert.Equal(Vocabulary.UnknownId, vocabulary.IdOf(Vocabulary.Unknown));
        Assert.Equal(Vocabulary.ClsId, vocabulary.IdOf(Vocabulary.Cls));
        Assert.Equal(Vocabulary.EosId, vocabulary.IdOf(Vocabulary.Eos));
        // The corpus order does not matter.
        Assert.Equal(vocabulary.Tokens, Vocabulary.Build(["c a b", "b a b"]).Tokens);
    }

    [Fact]
    public void Build_honours_min_count_and_max_size()
    {
        var vocabulary = Vocabulary.Build(["x x x y y z"], minCount: 2);
        Assert.Equal(["x", "y"], vocabulary.Tokens.Skip(4));
        var capped = Vocabulary.Build(["x x x y y z"], maxSize: 5);
        Assert.Equal(["x"], capped.Tokens.Skip(4));
    }

    [Fact]
    public void Unknown_words_map_to_unk_and_decode_as_unk()
    {
        var tokenizer = new TextTokenizer(Vocabulary.Build(["a dark coat"]), 8);
        var batch = tokenizer.EncodeBatch(["a LIGHT coat"]);
        var v = tokenizer.Vocabulary;
        Assert.Equal(new long[] { Vocabulary.ClsId, v.IdOf("a"), Vocabulary.UnknownId, v.IdOf("coat"), Vocabulary.EosId, 0, 0, 0 }, batch.IdsOf(0).ToArray());
        Assert.False(v.Contains("light"));
        Assert.Equal("a [UNK] coat", tokenizer.Decode(batch.IdsOf(0)));
    }

    [Fact]
    public void Short_texts_are_padded_with_a_zero_mask()
    {
        var tokenizer = new TextTokenizer(Vocabulary.Build(["one two three"]), 6);
        var batch = tokenizer.EncodeBatch(["two", ""]);
        Assert.Equal(2, batch.Count);
        Assert.Equal(new long[] { 1, 1, 1, 0, 0, 0 }, batch.MaskOf(0).ToArray());
        Assert.Equal(new long[] { Vocabulary.ClsId, tokenizer.Vocabulary.IdOf("two"), Vocabulary.EosId, Vocabulary.PadId, Vocabulary.PadId, Vocabulary.PadId }, batch.IdsOf(0).ToArray());
        // An empty text is [CLS] [EOS].
        Assert.Equal(new long[] { 1, 1, 0, 0, 0, 0 }, batch.MaskOf(1).ToArray());
        Assert.Equal(0, batch.Truncated);
    }

    [Fact]
    public void Long_texts_are_cut_so_that_eos_still_closes_them()
    {
        var tokenizer = new TextTokenizer(Vocabulary.Build(["w1 w2 w3 w4 w5"]), 5);
        var batch = tokenizer.EncodeBatch(["w1 w2 w3 w4 w5", "w1 w2 w3"]);
        Assert.Equal(new long[] { 1, 1, 1, 1, 1 }, batch.MaskOf(0).ToArray());
        Assert.Equal(Vocabulary.EosId, batch.IdsOf(0)[4]);
        Assert.Equal("w1 w2 w3", tokenizer.Decode(batch.IdsOf(0)));
        // Exactly L − 2 words fit without truncation.
        Assert.Equal("w1 w2 w3", tokenizer.Decode(batch.IdsOf(1)));
        Assert.Equal(1, batch.Truncated);
    }

    [Fact]
    public void Saved_vocabulary_loads_back_identical_and_encodes_the_same()
    {
        var corpus = new[] { "A photo of a dark, wide coat.", "an image of a light sandal", "T-shirt/top: small" };
        var vocabulary = Vocabulary.Build(corpus);
        string path = Path.Combine(_dir, "vocab.json");
        vocabulary.Save(path);
        var loaded = Vocabulary.Load(path);
        Assert.Equal(vocabulary.Tokens, loaded.Tokens);
        var a = new TextTokenizer(vocabulary, 12).EncodeBatch(corpus);
        var b = new TextTokenizer(loaded, 12).EncodeBatch(corpus);
        Assert.Equal(a.Ids, b.Ids);
        Assert.Equal(a.Mask, b.Mask);
        Assert.Contains("\"format\": \"hardnegot-vocabulary\"", File.ReadAllText(path));
    }

    [Theory]
    [InlineData("not json", "not valid JSON")]
    [InlineData("[1, 2]", "not a JSON object")]
    [InlineData("{\"format\": \"other\", \"version\": 1, \"tokens\": []}", "\"format\"")]
    [InlineData("{\"format\": \"hardnegot-vocabulary\", \"version\": 2, \"tokens\": []}", "\"version\"")]
    [InlineData("{\"format\": \"hardnegot-vocabulary\", \"version\": 1}", "\"tokens\"")]
    [InlineData("{\"format\": \"hardnegot-vocabulary\", \"version\": 1, \"tokens\": [\"[PAD]\", \"[UNK]\", \"[EOS]\", \"[CLS]\"]}", "id 2 must be the special token")]
    [InlineData("{\"format\": \"hardnegot-vocabulary\", \"version\": 1, \"tokens\": [\"[PAD]\", \"[UNK]\", \"[CLS]\", \"[EOS]\", \"a\", \"a\"]}", "token 5 \"a\" appears twice")]
    [InlineData("{\"format\": \"hardnegot-vocabulary\", \"version\": 1, \"tokens\": [\"[PAD]\", \"[UNK]\", \"[CLS]\", \"[EOS]\", 7]}", "token 4 is not a string")]
    public void Malformed_vocabulary_files_are_refused_naming_file_and_problem(string content, string expected)
    {
        string path = Path.Combine(_dir, "bad.json");
        File.WriteAllText(path, content);
        var error = Assert.Throws<VocabularyFormatException>(() => Vocabulary.Load(path));
        Assert.Contains(path, error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void Missing_vocabulary_file_is_named()
    {
        string path = Path.Combine(_dir, "absent.json");
        var error = Assert.Throws<FileNotFoundException>(() => Vocabulary.Load(path));
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void Bad_arguments_are_refused()
    {
        var vocabulary = Vocabulary.Build(["a"]);
        Assert.Throws<ArgumentOutOfRangeException>(() => new TextTokenizer(vocabulary, 2));
        Assert.Throws<ArgumentException>(() => Vocabulary.FromTokens(["a", "a"]));
        Assert.Throws<ArgumentException>(() => Vocabulary.FromTokens([Vocabulary.Pad]));
        Assert.Throws<ArgumentOutOfRangeException>(() => vocabulary.TokenOf(99));
        Assert.Throws<ArgumentOutOfRangeException>(() => Vocabulary.Build(["a"], maxSize: 3));
    }
}
