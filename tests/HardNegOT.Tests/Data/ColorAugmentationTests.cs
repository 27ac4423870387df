using HardNegOT.Data;

namespace HardNegOT.Tests.Data;

/// <summary>Colour jitter, greyscale, RGB↔HSV and the colour path of <see cref="ImageAugmentation"/>.</summary>
public sealed class ColorAugmentationTests
{
    private const int Side = 8, Plane = Side * Side;

    /// <summary>Random RGB values in [0, 1], CHW.</summary>
    private static float[] RandomImage(int seed, int plane = Plane)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, 3 * plane).Select(_ => (float)random.NextDouble())];
    }

    private static float[] Jittered(float[] image, ColorJitterParameters parameters)
    {
        var copy = (float[])image.Clone();
        ColorJitter.Apply(copy, Plane, parameters);
        return copy;
    }

    private static void AssertClose(float[] expected, float[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"[{i}]: expected {expected[i]}, got {actual[i]}");
    }

    [Theory]
    [InlineData(1.0, 0.0, 0.0, 0.0, 1.0, 1.0)]
    [InlineData(0.0, 1.0, 0.0, 1.0 / 3, 1.0, 1.0)]
    [InlineData(0.0, 0.0, 1.0, 2.0 / 3, 1.0, 1.0)]
    [InlineData(1.0, 1.0, 0.0, 1.0 / 6, 1.0, 1.0)]
    [InlineData(1.0, 0.0, 1.0, 5.0 / 6, 1.0, 1.0)]
    [InlineData(0.5, 0.5, 0.5, 0.0, 0.0, 0.5)]
    [InlineData(0.0, 0.0, 0.0, 0.0, 0.0, 0.0)]
    [InlineData(0.2, 0.4, 0.8, 0.6111111111111112, 0.75, 0.8)]
    public void RgbToHsv_gives_the_textbook_values(double r, double g, double b, double h, double s, double v)
    {
        var (hh, ss, vv) = ColorJitter.RgbToHsv(r, g, b);
        Assert.Equal(h, hh, tolerance: 1e-12);
        Assert.Equal(s, ss, tolerance: 1e-12);
        Assert.Equal(v, vv, tolerance: 1e-12);
    }

    [Fact]
    public void HsvToRgb_inverts_RgbToHsv()
    {
        var random = new Random(4);
        for (int k = 0; k < 10_000; k++)
        {
            double r = random.NextDouble(), g = random.NextDouble(), b = random.NextDouble();
            if (k % 10 == 0) g = r; // ties between channels
            var (h, s, v) = ColorJitter.RgbToHsv(r, g, b);
            Assert.InRange(h, 0, 1 - double.Epsilon);
            var (r2, g2, b2) = ColorJitter.HsvToRgb(h, s, v);
            Assert.Equal(r, r2, tolerance: 1e-12);
            Assert.Equal(g, g2, tolerance: 1e-12);
            Assert.Equal(b, b2, tolerance: 1e-12);
        }
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    [InlineData(-1.0)]
    [InlineData(2.0)]
    public void Hue_shifts_by_whole_turns_change_nothing(double shift)
    {
        var image = RandomImage(1);
        var shifted = (float[])image.Clone();
        ColorJitter.AdjustHue(shifted, Plane, shift);
        AssertClose(image, shifted, 1e-6);
    }

    [Fact]
    public void A_third_of_a_turn_takes_red_to_green_to_blue()
    {
        float[] red = [.. Enumerable.Repeat(1f, 4), .. new float[8]];
        ColorJitter.AdjustHue(red, 4, 1.0 / 3);
        AssertClose([0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0], red, 1e-6);
        ColorJitter.AdjustHue(red, 4, 1.0 / 3);
        AssertClose([0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1], red, 1e-6);
        // Half a turn there and half back returns the image.
        var image = RandomImage(2);
        var round = (float[])image.Clone();
        ColorJitter.AdjustHue(round, Plane, 0.5);
        ColorJitter.AdjustHue(round, Plane, -0.5);
        AssertClose(image, round, 1e-5);
    }

    [Fact]
    public void Greyscale_puts_the_luma_in_all_three_channels()
    {
        var image = RandomImage(3);
        var grey = (float[])image.Clone();
        ColorJitter.ToGrayscale(grey, Plane);
        for (int p = 0; p < Plane; p++)
        {
            double luma = 0.2989 * image[p] + 0.587 * image[Plane + p] + 0.114 * image[2 * Plane + p];
            Assert.Equal(luma, grey[p], 5);
            Assert.Equal(grey[p], grey[Plane + p]);
            Assert.Equal(grey[p], grey[2 * Plane + p]);
        }
    }

    [Fact]
    public void Brightness_contrast_and_saturation_follow_their_blends()
    {
        var image = RandomImage(5);
        var dim = (float[])image.Clone();
        ColorJitter.AdjustBrightness(dim, 0.5f);
        AssertClose([.. image.Select(v => v / 2)], dim, 1e-7);

        var flat = (float[])image.Clone();
        ColorJitter.AdjustContrast(flat, Plane, 0f);
        double meanLuma = Enumerable.Range(0, Plane).Average(p => 0.2989 * image[p] + 0.587 * image[Plane + p] + 0.114 * image[2 * Plane + p]);
        Assert.All(flat, v => Assert.Equal(meanLuma, v, 5));

        var desaturated = (float[])image.Clone();
        ColorJitter.AdjustSaturation(desaturated, Plane, 0f);
        var grey = (float[])image.Clone();
        ColorJitter.ToGrayscale(grey, Plane);
        AssertClose(grey, desaturated, 1e-6);

        var bright = (float[])image.Clone();
        ColorJitter.AdjustBrightness(bright, 3f);
        Assert.All(bright, v => Assert.InRange(v, 0f, 1f));
        Assert.Contains(1f, bright);
    }

    [Fact]
    public void Zero_strengths_and_probabilities_are_the_identity()
    {
        var none = new ColorJitter(0, 0, 0, 0, probability: 1, grayscaleProbability: 0);
        var image = RandomImage(6);
        var random = new Random(1);
        for (int k = 0; k < 50; k++)
        {
            var parameters = none.Sample(random);
            Assert.True(parameters.Jitter);
            Assert.Equal((1f, 1f, 1f, 0f), (parameters.Brightness, parameters.Contrast, parameters.Saturation, parameters.Hue));
            Assert.Equal(image, Jittered(image, parameters));
        }
        var augmentation = new ImageAugmentation(Side, Side, maxShift: 0, flipProbability: 0, channels: 3, colorJitter: none);
        var view = new float[3 * Plane];
        augmentation.Apply(image, view, new Random(3));
        Assert.Equal(image, view);
        Assert.Equal(image, Jittered(image, default));
    }

    [Fact]
    public void SimClr_draws_stay_in_their_ranges_with_the_right_frequencies_and_keep_values_in_0_1()
    {
        var jitter = ColorJitter.SimClr;
        Assert.Equal((0.4, 0.4, 0.4, 0.1, 0.8, 0.2),
            (jitter.BrightnessStrength, jitter.ContrastStrength, jitter.SaturationStrength, jitter.HueStrength, jitter.Probability, jitter.GrayscaleProbability));
        var random = new Random(7);
        var draws = Enumerable.Range(0, 4000).Select(_ => jitter.Sample(random)).ToList();
        Assert.InRange(draws.Count(d => d.Jitter), 0.8 * 4000 - 120, 0.8 * 4000 + 120);
        Assert.InRange(draws.Count(d => d.Grayscale), 0.2 * 4000 - 120, 0.2 * 4000 + 120);
        Assert.All(draws, d =>
        {
            Assert.InRange(d.Brightness, 0.6f, 1.4f);
            Assert.InRange(d.Contrast, 0.6f, 1.4f);
            Assert.InRange(d.Saturation, 0.6f, 1.4f);
            Assert.InRange(d.Hue, -0.1f, 0.1f);
            Assert.Equal("bchs", string.Concat(d.Order!.Order()));
        });
        Assert.Equal(24, draws.Select(d => d.Order).Distinct().Count());

        var image = RandomImage(8);
        foreach (var d in draws.Take(300))
        {
            var result = Jittered(image, d);
            Assert.All(result, v => Assert.InRange(v, 0f, 1f));
            if (d.Grayscale)
                for (int p = 0; p < Plane; p++) Assert.True(result[p] == result[Plane + p] && result[p] == result[2 * Plane + p]);
        }
    }

    [Fact]
    public void Colour_views_are_reproducible_per_seed_and_differ_between_samples()
    {
        var augmentation = ImageAugmentation.Default(3, 32, 32);
        Assert.Equal((3, 0, 3072), (augmentation.Channels, augmentation.MaxShift, augmentation.ValuesPerImage));
        Assert.NotNull(augmentation.Crop);
        Assert.Same(ColorJitter.SimClr, augmentation.ColorJitter);
        var image = RandomImage(9, plane: 1024);
        float[] View(int sample, int view)
        {
            var result = new float[3072];
            augmentation.Apply(image, result, new Random(ImageAugmentation.SeedFor(5, sample, view)));
            return result;
        }
        Assert.Equal(View(3, 0), View(3, 0));
        var distinct = Enumerable.Range(0, 20).Select(s => string.Join(",", View(s, 0))).Distinct().Count();
        Assert.Equal(20, distinct);
        var parameters = Enumerable.Range(0, 20).Select(s => augmentation.Sample(new Random(ImageAugmentation.SeedFor(5, s, 1)))).ToList();
        Assert.True(parameters.Select(p => p.Color.Brightness).Distinct().Count() == 20, "every sample draws its own brightness");
    }

    [Fact]
    public void Flip_and_translation_act_on_every_channel_like_on_a_grey_plane()
    {
        var colour = new ImageAugmentation(Side, Side, maxShift: 2, flipProbability: 0.5, channels: 3);
        var grey = new ImageAugmentation(Side, Side, maxShift: 2, flipProbability: 0.5);
        var image = RandomImage(10);
        var parameters = new AugmentationParameters(1, -2, FlipHorizontal: true);
        var view = new float[3 * Plane];
        colour.Apply(image, view, parameters);
        for (int c = 0; c < 3; c++)
        {
            var plane = new float[Plane];
            grey.Apply(image.AsSpan(c * Plane, Plane), plane, parameters);
            Assert.Equal(plane, view.AsSpan(c * Plane, Plane).ToArray());
        }
    }

    [Fact]
    public void Grey_augmentation_draws_what_it_always_drew()
    {
        var random = new Random(11);
        var reference = new Random(11);
        for (int k = 0; k < 100; k++)
        {
            var p = new ImageAugmentation().Sample(random);
            Assert.Equal(new AugmentationParameters(reference.Next(-2, 3), reference.Next(-2, 3), reference.NextDouble() < 0.5), p);
        }
    }

    [Fact]
    public void Bad_parameters_are_rejected_by_name()
    {
        Assert.Equal("brightness", Assert.Throws<ArgumentOutOfRangeException>(() => new ColorJitter(brightness: -0.1)).ParamName);
        Assert.Equal("contrast", Assert.Throws<ArgumentOutOfRangeException>(() => new ColorJitter(contrast: double.NaN)).ParamName);
        Assert.Equal("saturation", Assert.Throws<ArgumentOutOfRangeException>(() => new ColorJitter(saturation: double.PositiveInfinity)).ParamName);
        Assert.Equal("hue", Assert.Throws<ArgumentOutOfRangeException>(() => new ColorJitter(hue: 0.6)).ParamName);
        Assert.Equal("probability", Assert.Throws<ArgumentOutOfRangeException>(() => new ColorJitter(probability: 1.5)).ParamName);
        Assert.Equal("grayscaleProbability", Assert.Throws<ArgumentOutOfRangeException>(() => new ColorJitter(grayscaleProbability: -0.2)).ParamName);
        Assert.Equal("channels", Assert.Throws<ArgumentOutOfRangeException>(() => new ImageAugmentation(channels: 2)).ParamName);
        Assert.Equal("colorJitter", Assert.Throws<ArgumentException>(() => new ImageAugmentation(colorJitter: ColorJitter.SimClr)).ParamName);
        Assert.Throws<ArgumentException>(() => ColorJitter.ToGrayscale(new float[10], 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => ColorJitter.AdjustHue(new float[12], 4, double.NaN));
        Assert.Throws<ArgumentException>(() => ColorJitter.Apply(new float[12], 4, new ColorJitterParameters(true, 1, 1, 1, 0, "bcsx", false)));
        // Colour choices cannot be applied to a grey image.
        var grey = new ImageAugmentation(Side, Side);
        Assert.Throws<ArgumentException>(() => grey.Apply(new float[Plane], new float[Plane], new AugmentationParameters(0, 0, false) { Color = new ColorJitterParameters(false, 1, 1, 1, 0, null, true) }));
    }
}

public sealed class TwoViewColourBatchTests
{
    private static ImageDataset Colour(int count, int seed)
    {
        var random = new Random(seed);
        var pixels = new byte[count * 3 * 32 * 32];
        random.NextBytes(pixels);
        var labels = Enumerable.Range(0, count).Select(i => (byte)(i % 10)).ToArray();
        return new ImageDataset("test colour", 3, 32, 32, pixels, labels, Cifar10.ClassNames, []);
    }

    [Fact]
    public void Colour_two_view_batch_has_centred_CHW_views_reproducible_from_the_seed()
    {
        var set = Colour(20, 1);
        var a = TwoViewImageBatch.Create(set, batchSize: 6, seed: 3);
        var b = TwoViewImageBatch.Create(set, batchSize: 6, seed: 3);
        var c = TwoViewImageBatch.Create(set, batchSize: 6, seed: 4);
        Assert.Equal(2 * 6 * 3072, a.Views.Length);
        Assert.Equal(a.Views, b.Views);
        Assert.Equal(a.Indices, b.Indices);
        Assert.NotEqual(a.Views, c.Views);
        Assert.Equal(6, a.Indices.Distinct().Count());
        for (int i = 0; i < 6; i++)
        {
            Assert.Equal(set.Labels![a.Indices[i]], a.Labels[i]);
            Assert.Equal(a.Labels[i], a.Labels[i + 6]);
        }
        for (int row = 0; row < 12; row++)
            Assert.Equal(0, a.Views.AsSpan(row * 3072, 3072).ToArray().Average(), 4);
        // The two views of a sample differ (independent draws).
        Assert.NotEqual(a.Views.AsSpan(0, 3072).ToArray(), a.Views.AsSpan(6 * 3072, 3072).ToArray());
    }

    [Fact]
    public void Grey_sets_and_mismatched_or_unlabelled_inputs()
    {
        var pixels = new byte[5 * 784];
        new Random(2).NextBytes(pixels);
        var grey = new ImageDataset("grey", 1, 28, 28, pixels, [0, 1, 2, 3, 4], FashionMnist.ClassNames, []);
        var batch = TwoViewImageBatch.Create(grey, 3, seed: 1);
        Assert.Equal(2 * 3 * 784, batch.Views.Length);
        Assert.Throws<ArgumentException>(() => TwoViewImageBatch.Create(grey, 3, 1, ImageAugmentation.Default(3, 28, 28)));
        var unlabelled = new ImageDataset("u", 1, 28, 28, pixels, null, FashionMnist.ClassNames, []);
        Assert.Throws<ArgumentException>(() => TwoViewImageBatch.Create(unlabelled, 3, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => TwoViewImageBatch.Create(grey, 6, 1));
    }
}
