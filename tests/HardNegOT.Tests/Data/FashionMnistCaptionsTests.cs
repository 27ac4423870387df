using HardNegOT.Data;
using HardNegOT.Text;

namespace HardNegOT.Tests.Data;

public class FashionMnistCaptionsTests
{
    private const int Ppi = FashionMnist.PixelsPerImage;

    /// <summary>A 28×28 image: background 0 with a block of <paramref name="value"/> over rows [r0, r1) and columns [c0, c1).</summary>
    private static float[] Block(float value, int r0, int r1, int c0, int c1)
    {
        var image = new float[Ppi];
        for (int r = r0; r < r1; r++)
            for (int c = c0; c < c1; c++)
                image[r * 28 + c] = value;
        return image;
    }

    private static (float[] Pixels, int[] Labels) RandomImages(int n, int seed)
    {
        var random = new Random(seed);
        var pixels = new float[n * Ppi];
        var labels = new int[n];
        for (int i = 0; i < n; i++)
        {
            labels[i] = random.Next(10);
            Block((float)(0.2 + 0.8 * random.NextDouble()), random.Next(0, 10), random.Next(14, 28), random.Next(0, 10), random.Next(12, 28))
                .CopyTo(pixels, i * Ppi);
        }
        return (pixels, labels);
    }

    [Fact]
    public void Describe_measures_the_foreground_of_a_block()
    {
        // 20 rows × 8 columns of 0.3, plus faint noise below the foreground threshold that must be ignored.
        var image = Block(0.3f, 4, 24, 10, 18);
        image[0] = 0.05f;
        image[783] = 0.09f;
        var a = FashionMnistCaptions.Describe(image);
        Assert.Equal(0.3, a.MeanIntensity, 6);
        Assert.Equal(160.0 / 784, a.Fill, 12);
        Assert.Equal(8, a.ColumnSpan);
        Assert.Equal(("dark", "small", "narrow"), (a.BrightnessWord, a.SizeWord, a.WidthWord));

        var big = FashionMnistCaptions.Describe(Block(0.9f, 0, 28, 2, 26));
        Assert.Equal(24, big.ColumnSpan);
        Assert.Equal(("light", "large", "wide"), (big.BrightnessWord, big.SizeWord, big.WidthWord));

        var empty = FashionMnistCaptions.Describe(new float[Ppi]);
        Assert.Equal(new ImageAttributes(0, 0, 0), empty);
    }

    [Theory]
    [InlineData(0.59f, "dark")]
    [InlineData(0.61f, "light")]
    public void Brightness_word_switches_at_the_threshold(float value, string expected)
    {
        Assert.Equal(expected, FashionMnistCaptions.Describe(Block(value, 0, 10, 0, 10)).BrightnessWord);
    }

    [Theory]
    [InlineData(0, "t-shirt/top")]
    [InlineData(1, "trouser")]
    [InlineData(9, "ankle boot")]
    public void Every_template_names_the_class_and_the_three_attributes(int label, string noun)
    {
        var image = Block(0.3f, 4, 24, 10, 18);
        for (int t = 0; t < FashionMnistCaptions.Templates.Count; t++)
        {
            string caption = FashionMnistCaptions.Caption(image, label, t);
            Assert.Contains(noun, caption);
            var words = WordSplitter.Split(caption);
            Assert.Contains("dark", words);
            Assert.Contains("small", words);
            Assert.Contains("narrow", words);
            Assert.DoesNotContain("light", words);
            Assert.DoesNotContain("large", words);
            Assert.DoesNotContain("wide", words);
            Assert.DoesNotContain("{", caption);
        }
    }

    [Fact]
    public void Captions_are_a_function_of_the_seed_and_the_seed_changes_only_the_wording()
    {
        var (pixels, labels) = RandomImages(60, 3);
        var a = FashionMnistCaptions.Build(pixels, labels, seed: 5);
        var b = FashionMnistCaptions.Build(pixels, labels, seed: 5);
        var c = FashionMnistCaptions.Build(pixels, labels, seed: 6);
        Assert.Equal(a.Captions, b.Captions);
        Assert.NotEqual(a.Captions, c.Captions);
        Assert.Equal(a.Groups, c.Groups);
        // All templates occur, and the same content word set is present whatever the wording.
        Assert.Equal(FashionMnistCaptions.Templates.Count, Enumerable.Range(0, 60).Select(i => FashionMnistCaptions.TemplateOf(5, i)).Distinct().Count());
        string[] content = ["dark", "light", "small", "large", "narrow", "wide"];
        for (int i = 0; i < 60; i++)
        {
            var wa = WordSplitter.Split(a.Captions[i]).Where(content.Contains).Order();
            var wc = WordSplitter.Split(c.Captions[i]).Where(content.Contains).Order();
            Assert.Equal(wa, wc);
        }
    }

    [Fact]
    public void Attribute_words_agree_with_the_pixels_of_each_image()
    {
        var (pixels, labels) = RandomImages(80, 4);
        var set = FashionMnistCaptions.Build(pixels, labels, seed: 1);
        Assert.Equal(80, set.Count);
        Assert.Equal(labels, set.Labels);
        for (int i = 0; i < set.Count; i++)
        {
            // Recomputed here from the block the image holds: its value and extent.
            var image = set.Image(i).ToArray();
            var fg = Enumerable.Range(0, Ppi).Where(p => image[p] >= 0.1f).ToArray();
            float value = image[fg[0]];
            int span = fg.Max(p => p % 28) - fg.Min(p => p % 28) + 1;
            var words = WordSplitter.Split(set.Captions[i]);
            Assert.Contains(value < 0.6f ? "dark" : "light", words);
            Assert.Contains(fg.Length < 0.45 * Ppi ? "small" : "large", words);
            Assert.Contains(span < 18 ? "narrow" : "wide", words);
            Assert.Contains(FashionMnist.ClassNames[labels[i]].ToLowerInvariant(), set.Captions[i]);
        }
        // Same group ⇔ same class and same three words.
        for (int i = 0; i < set.Count; i++)
            for (int j = 0; j < set.Count; j++)
            {
                var a = FashionMnistCaptions.Describe(set.Image(i));
                var b = FashionMnistCaptions.Describe(set.Image(j));
                bool same = labels[i] == labels[j] && a.BrightnessWord == b.BrightnessWord && a.SizeWord == b.SizeWord && a.WidthWord == b.WidthWord;
                Assert.Equal(same, set.Groups![i] == set.Groups[j]);
            }
    }

    [Fact]
    public void Installed_dataset_captions_mention_the_class_and_trousers_read_as_narrow()
    {
        Assert.True(Directory.Exists(FashionMnist.DefaultDirectory),
            $"Fashion-MNIST is not installed in {FashionMnist.DefaultDirectory}: run `apt-get install dataset-fashion-mnist`.");
        var split = FashionMnist.Load(FashionMnistSplit.Test);
        var set = FashionMnistCaptions.Build(split, seed: 0, count: 2000);
        Assert.Equal(2000, set.Count);
        Assert.Equal(split.Images.Pixels[783 * 3] / 255f, set.Pixels[783 * 3]);
        int trousers = 0, narrowTrousers = 0, footwear = 0, wideFootwear = 0;
        for (int i = 0; i < set.Count; i++)
        {
            Assert.Contains(split.ClassNameOf(i).ToLowerInvariant(), set.Captions[i]);
            var words = WordSplitter.Split(set.Captions[i]);
            if (set.Labels![i] == 1) { trousers++; if (words.Contains("narrow")) narrowTrousers++; }
            if (set.Labels[i] is 5 or 7 or 9) { footwear++; if (words.Contains("wide")) wideFootwear++; }
        }
        // Trousers are two thin legs; sandals, sneakers and boots fill the image width.
        Assert.True(narrowTrousers > 0.9 * trousers, $"{narrowTrousers}/{trousers} trousers narrow");
        Assert.True(wideFootwear > 0.9 * footwear, $"{wideFootwear}/{footwear} footwear wide");
    }

    [Fact]
    public void Bad_inputs_are_refused()
    {
        Assert.Throws<ArgumentException>(() => FashionMnistCaptions.Describe(new float[10]));
        var nan = new float[Ppi];
        nan[5] = float.NaN;
        Assert.Contains("Pixel 5", Assert.Throws<ArgumentException>(() => FashionMnistCaptions.Describe(nan)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => FashionMnistCaptions.ClassNoun(10));
        Assert.Throws<ArgumentOutOfRangeException>(() => FashionMnistCaptions.Caption(new float[Ppi], 0, 4));
        Assert.Throws<ArgumentException>(() => FashionMnistCaptions.Build(new float[Ppi], [0, 1], 0));
    }
}

public class ImageCaptionSetTests
{
    private static ImageCaptionSet Numbered(int n) =>
        new(Enumerable.Range(0, n * 4).Select(v => (float)(v / 4)).ToArray(), 2, 2,
            Enumerable.Range(0, n).Select(i => $"caption {i}").ToArray(), labels: Enumerable.Range(0, n).ToArray());

    [Fact]
    public void Split_partitions_the_pairs_and_keeps_images_with_their_captions()
    {
        var set = Numbered(20);
        var (train, held) = set.Split(5, seed: 9);
        Assert.Equal(15, train.Count);
        Assert.Equal(5, held.Count);
        Assert.Equal(Enumerable.Range(0, 20), train.Labels!.Concat(held.Labels!).Order());
        foreach (var part in new[] { train, held })
            for (int i = 0; i < part.Count; i++)
            {
                Assert.Equal($"caption {part.Labels![i]}", part.Captions[i]);
                Assert.All(part.Image(i).ToArray(), v => Assert.Equal(part.Labels[i], v));
            }
        Assert.Equal(held.Labels, set.Split(5, seed: 9).HeldOut.Labels);
        Assert.NotEqual(held.Labels, set.Split(5, seed: 10).HeldOut.Labels);
    }

    [Fact]
    public void Mismatched_parts_are_refused()
    {
        Assert.Throws<ArgumentException>(() => new ImageCaptionSet(new float[7], 2, 2, ["a", "b"]));
        Assert.Throws<ArgumentException>(() => new ImageCaptionSet(new float[8], 2, 2, ["a", "b"], labels: [1]));
        Assert.Throws<ArgumentException>(() => new ImageCaptionSet(new float[8], 2, 2, ["a", null!]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Numbered(3).Split(3, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Numbered(3).Subset([3]));
    }
}
