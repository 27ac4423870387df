using HardNegOT.Text;
using HardNegOT.Torch.Multimodal;
using HardNegOT.Torch.Tests.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace HardNegOT.Torch.Tests.Multimodal;

public sealed class TwoTowerCheckpointTests : IDisposable
{
    private readonly TempDir _dir = new();

    public TwoTowerCheckpointTests() => TorchRuntime.EnsureLoaded();

    public void Dispose() => _dir.Dispose();

    private static (TwoTowerModel Model, TextTokenizer Tokenizer) Trained()
    {
        var tokenizer = new TextTokenizer(Vocabulary.Build(["a dark coat", "a light wide bag", "small trouser"]), 8);
        var options = TwoTowerModelTests.Tiny() with { Text = TwoTowerModelTests.Tiny().Text with { VocabularySize = tokenizer.Vocabulary.Count } };
        var model = new TwoTowerModel(options);
        model.ResetParameters(3);
        // One training step moves BatchNorm statistics and the temperature off their initial values.
        using var optimizer = optim.Adam(model.parameters(), 0.05);
        var batch = tokenizer.EncodeBatch(["a dark coat", "a light wide bag", "small trouser", "a bag"]);
        using (var scope = NewDisposeScope())
        {
            var (image, text) = model.forward(torch.rand(4, 784, generator: new torch.Generator(1)), Ids(batch), Mask(batch));
            ClipLoss.Symmetric(image, text, model.InverseTemperature()).backward();
            optimizer.step();
        }
        model.eval();
        return (model, tokenizer);
    }

    private static Tensor Ids(TokenizedBatch b) => torch.tensor(b.Ids, new long[] { b.Count, b.MaxLength });

    private static Tensor Mask(TokenizedBatch b) => torch.tensor(b.Mask, new long[] { b.Count, b.MaxLength });

    private static void AssertSameOutputs(TwoTowerModel a, TwoTowerModel b, TextTokenizer tokenizer)
    {
        using var images = torch.rand(3, 784, generator: new torch.Generator(7));
        var batch = tokenizer.EncodeBatch(["a dark bag", "small wide coat", "unknown words here"]);
        var (ia, ta) = a.forward(images, Ids(batch), Mask(batch));
        var (ib, tb) = b.forward(images, Ids(batch), Mask(batch));
        Assert.True(ia.eq(ib).all().item<bool>(), "image embeddings differ");
        Assert.True(ta.eq(tb).all().item<bool>(), "text embeddings differ");
        Assert.Equal(a.Temperature, b.Temperature);
    }

    [Fact]
    public void Checkpoint_round_trip_restores_model_and_tokenizer()
    {
        var (model, tokenizer) = Trained();
        Assert.NotEqual(0.1, model.Temperature, 6); // trained, so the round trip must carry it
        TwoTowerCheckpoint.Save(_dir.Path, model, tokenizer);
        var loaded = TwoTowerCheckpoint.Load(_dir.Path);
        Assert.Equal(model.Options, loaded.Model.Options);
        Assert.Equal(tokenizer.Vocabulary.Tokens, loaded.Tokenizer.Vocabulary.Tokens);
        Assert.Equal(tokenizer.MaxLength, loaded.Tokenizer.MaxLength);
        Assert.False(loaded.Model.training);
        AssertSameOutputs(model, loaded.Model, tokenizer);
    }

    [Fact]
    public void User_supplied_weights_load_into_a_model_of_the_same_options()
    {
        var (model, tokenizer) = Trained();
        string path = Path.Combine(_dir.Path, "mine.bin");
        model.save(path);
        var entries = StateDictFile.ReadEntries(path);
        Assert.Equal(model.state_dict().Keys.Order(), entries.Select(e => e.Name).Order());
        Assert.Contains(entries, e => e.Name == "imageBackbone.bn1.running_mean" && e.Shape.SequenceEqual(new long[] { 32 }));
        Assert.All(entries.Where(e => e.DType != ScalarType.Int64), e => Assert.Equal(ScalarType.Float32, e.DType));
        using var loaded = TwoTowerCheckpoint.LoadWeights(model.Options, path);
        AssertSameOutputs(model, loaded, tokenizer);
    }

    [Fact]
    public void Weights_of_other_options_are_refused_naming_the_entries()
    {
        var (model, _) = Trained();
        string path = Path.Combine(_dir.Path, "mine.bin");
        model.save(path);
        var wider = model.Options with { Text = model.Options.Text with { VocabularySize = model.Options.Text.VocabularySize + 1 } };
        var error = Assert.Throws<ModelWeightsException>(() => TwoTowerCheckpoint.LoadWeights(wider, path));
        Assert.Contains(path, error.Message);
        Assert.Contains("'textEncoder.tokens.weight' has shape", error.Message);
        var deeper = model.Options with { Text = model.Options.Text with { Layers = 2 } };
        error = Assert.Throws<ModelWeightsException>(() => TwoTowerCheckpoint.LoadWeights(deeper, path));
        Assert.Contains("missing", error.Message);
        Assert.Contains("textEncoder.blocks.1.", error.Message);
    }

    [Fact]
    public void Truncated_junk_and_missing_files_are_refused_naming_the_file()
    {
        var (model, _) = Trained();
        string good = Path.Combine(_dir.Path, "good.bin");
        model.save(good);
        var bytes = File.ReadAllBytes(good);
        string truncated = Path.Combine(_dir.Path, "truncated.bin");
        File.WriteAllBytes(truncated, bytes[..(bytes.Length / 2)]);
        var error = Assert.Throws<ModelWeightsException>(() => TwoTowerCheckpoint.LoadWeights(model.Options, truncated));
        Assert.Contains(truncated, error.Message);
        Assert.Contains("truncated", error.Message);
        string junk = Path.Combine(_dir.Path, "junk.bin");
        File.WriteAllText(junk, "hello world, these are not weights");
        error = Assert.Throws<ModelWeightsException>(() => TwoTowerCheckpoint.LoadWeights(model.Options, junk));
        Assert.Contains(junk, error.Message);
        string trailing = Path.Combine(_dir.Path, "trailing.bin");
        File.WriteAllBytes(trailing, [.. bytes, 1, 2, 3]);
        Assert.Contains("3 bytes follow", Assert.Throws<ModelWeightsException>(() => StateDictFile.ReadEntries(trailing)).Message);
        string absent = Path.Combine(_dir.Path, "absent.bin");
        Assert.Contains(absent, Assert.Throws<FileNotFoundException>(() => TwoTowerCheckpoint.LoadWeights(model.Options, absent)).Message);
    }

    [Fact]
    public void Checkpoint_with_a_mismatched_vocabulary_or_missing_parts_is_refused()
    {
        var (model, tokenizer) = Trained();
        TwoTowerCheckpoint.Save(_dir.Path, model, tokenizer);
        Vocabulary.Build(["one two"]).Save(Path.Combine(_dir.Path, TwoTowerCheckpoint.VocabularyFileName));
        var error = Assert.Throws<ModelWeightsException>(() => TwoTowerCheckpoint.Load(_dir.Path));
        Assert.Contains("vocabulary has 6 tokens", error.Message);
        File.Delete(Path.Combine(_dir.Path, TwoTowerCheckpoint.ConfigFileName));
        Assert.Throws<FileNotFoundException>(() => TwoTowerCheckpoint.Load(_dir.Path));
        Assert.Throws<DirectoryNotFoundException>(() => TwoTowerCheckpoint.Load(Path.Combine(_dir.Path, "nope")));
        var small = new TextTokenizer(Vocabulary.Build(["x"]), 8);
        Assert.Throws<ArgumentException>(() => TwoTowerCheckpoint.Save(_dir.Path, model, small));
    }
}
