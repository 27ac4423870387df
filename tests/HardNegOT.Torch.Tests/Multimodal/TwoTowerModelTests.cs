using HardNegOT.Text;
using HardNegOT.Torch.Multimodal;
using TorchSharp;
using static TorchSharp.torch;

namespace HardNegOT.Torch.Tests.Multimodal;

public class TwoTowerModelTests
{
    public TwoTowerModelTests() => TorchRuntime.EnsureLoaded();

    internal static TwoTowerOptions Tiny(bool learnTemperature = true, TextPooling pooling = TextPooling.MaskedMean) => new()
    {
        Text = new TextEncoderOptions { VocabularySize = 20, MaxLength = 8, ModelDimension = 16, Heads = 2, Layers = 1, FeedForwardDimension = 32, Pooling = pooling },
        EmbeddingDimension = 12,
        ImageFeatureDimension = 16,
        ImageHiddenDimension = 24,
        InitialTemperature = 0.1,
        LearnTemperature = learnTemperature,
    };

    private static (Tensor Ids, Tensor Mask) Tokens(long[][] rows, int length = 8)
    {
        var ids = new long[rows.Length * length];
        var mask = new long[rows.Length * length];
        for (int i = 0; i < rows.Length; i++)
            for (int j = 0; j < rows[i].Length; j++)
            {
                ids[i * length + j] = rows[i][j];
                mask[i * length + j] = 1;
            }
        return (torch.tensor(ids, new long[] { rows.Length, length }), torch.tensor(mask, new long[] { rows.Length, length }));
    }

    [Fact]
    public void Both_towers_give_unit_norm_embeddings_of_the_shared_dimension()
    {
        using var model = new TwoTowerModel(Tiny());
        model.ResetParameters(1);
        model.eval();
        using var images = torch.rand(3, 784);
        var (ids, mask) = Tokens([[2, 5, 6, 3], [2, 7, 3], [2, 3]]);
        var (image, text) = model.forward(images, ids, mask);
        Assert.Equal(new long[] { 3, 12 }, image.shape);
        Assert.Equal(new long[] { 3, 12 }, text.shape);
        Assert.True(((image * image).sum(1) - 1).abs().max().item<float>() < 1e-5);
        Assert.True(((text * text).sum(1) - 1).abs().max().item<float>() < 1e-5);
        Assert.Equal(0.1, model.Temperature, 6);
    }

    [Theory]
    [InlineData(TextPooling.MaskedMean)]
    [InlineData(TextPooling.Cls)]
    public void Padding_positions_do_not_change_a_text_embedding_but_real_tokens_do(TextPooling pooling)
    {
        using var model = new TwoTowerModel(Tiny(pooling: pooling));
        model.ResetParameters(2);
        model.eval();
        var (ids, mask) = Tokens([[2, 5, 6, 3]]);
        using var a = model.EncodeTexts(ids, mask);
        var junk = ids.clone();
        junk[0, 5] = torch.tensor(11L);
        junk[0, 7] = torch.tensor(19L);
        using var b = model.EncodeTexts(junk, mask);
        Assert.True((a - b).abs().max().item<float>() < 1e-6, "padding leaked into the embedding");
        var changed = ids.clone();
        changed[0, 2] = torch.tensor(9L);
        using var c = model.EncodeTexts(changed, mask);
        Assert.True((a - c).abs().max().item<float>() > 1e-3, "a real token made no difference");
        // Shorter inputs (L < MaxLength) are accepted and give the same result when only padding was dropped.
        using var d = model.EncodeTexts(ids.narrow(1, 0, 4), mask.narrow(1, 0, 4));
        Assert.True((a - d).abs().max().item<float>() < 1e-5);
    }

    [Fact]
    public void ResetParameters_depends_on_the_seed_alone()
    {
        using var a = new TwoTowerModel(Tiny());
        using var b = new TwoTowerModel(Tiny());
        using var c = new TwoTowerModel(Tiny());
        a.ResetParameters(5);
        using (torch.rand(100)) { } // draws from torch's generator in between must not matter
        b.ResetParameters(5);
        c.ResetParameters(6);
        var pa = a.named_parameters().ToArray();
        var pb = b.named_parameters().ToArray();
        var pc = c.named_parameters().ToArray();
        Assert.Equal(pa.Select(p => p.name), pb.Select(p => p.name));
        for (int i = 0; i < pa.Length; i++) Assert.True(pa[i].parameter.eq(pb[i].parameter).all().item<bool>(), pa[i].name);
        Assert.Contains(pa.Zip(pc), p => !p.First.parameter.eq(p.Second.parameter).all().item<bool>());
        var names = pa.Select(p => p.name).ToArray();
        Assert.Contains("textEncoder.positions", names);
        Assert.Contains("textEncoder.tokens.weight", names);
        Assert.Contains("imageBackbone.conv1.weight", names);
        Assert.True(pa.Single(p => p.name == "textEncoder.norm.weight").parameter.eq(1).all().item<bool>());
        // Linear bound 1/√fan_in: the first image head layer has fan_in 16.
        Assert.True(pa.Single(p => p.name == "imageHead.fc1.weight").parameter.abs().max().item<float>() <= 0.25f + 1e-6f);
    }

    [Fact]
    public void Temperature_is_learned_or_fixed_as_configured_and_clamped()
    {
        using var learned = new TwoTowerModel(Tiny(learnTemperature: true));
        using var fixedT = new TwoTowerModel(Tiny(learnTemperature: false));
        Assert.Contains(learned.parameters(), p => p.numel() == 1 && p.requires_grad);
        Assert.DoesNotContain(fixedT.parameters(), p => p.numel() == 1 && p.requires_grad);
        using (torch.no_grad()) learned.get_parameter("logInverseTemperature")!.fill_(Math.Log(1e6));
        Assert.Equal(learned.Options.MinTemperature, learned.Temperature, 9);
    }

    [Fact]
    public void Bad_text_inputs_and_options_are_refused()
    {
        using var model = new TwoTowerModel(Tiny());
        var (ids, mask) = Tokens([[2, 5, 3]]);
        var bad = ids.clone();
        bad[0, 1] = torch.tensor(20L);
        Assert.Contains("0..19", Assert.Throws<ArgumentException>(() => model.EncodeTexts(bad, mask)).Message);
        Assert.Contains("positions cover 8", Assert.Throws<ArgumentException>(() => model.EncodeTexts(torch.zeros(1, 9, dtype: ScalarType.Int64), torch.ones(1, 9))).Message);
        Assert.Equal("mask", Assert.Throws<ArgumentException>(() => model.EncodeTexts(ids, torch.ones(1, 7))).ParamName);
        Assert.Contains("int64", Assert.Throws<ArgumentException>(() => model.EncodeTexts(ids.to_type(ScalarType.Int32), mask)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new TwoTowerModel(Tiny() with { Text = Tiny().Text with { Heads = 3 } }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TwoTowerModel(Tiny() with { InitialTemperature = 0.001 }));
    }

    [Fact]
    public void Tokenizer_output_feeds_the_text_tower()
    {
        var tokenizer = new TextTokenizer(Vocabulary.Build(["a dark coat", "a light bag"]), 8);
        using var model = new TwoTowerModel(Tiny() with { Text = Tiny().Text with { VocabularySize = tokenizer.Vocabulary.Count } });
        var batch = tokenizer.EncodeBatch(["a dark coat", "a light bag"]);
        using var ids = torch.tensor(batch.Ids, new long[] { batch.Count, batch.MaxLength });
        using var mask = torch.tensor(batch.Mask, new long[] { batch.Count, batch.MaxLength });
        using var text = model.EncodeTexts(ids, mask);
        Assert.Equal(new long[] { 2, 12 }, text.shape);
    }
}
