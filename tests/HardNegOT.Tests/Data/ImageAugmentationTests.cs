using HardNegOT.Data;

namespace HardNegOT.Tests.Data;

/// <summary>Flip and translation of 28×28 images: exact pixel bookkeeping and per-seed determinism.</summary>
public sealed class ImageAugmentationTests
{
    private static readonly ImageAugmentation Augmentation = new();

    /// <summary>An image whose every pixel value is distinct (value = 1 + index), so any misplaced pixel shows.</summary>
    private static float[] Distinct()
    {
        var image = new float[784];
        for (int k = 0; k < image.Length; k++) image[k] = 1 + k;
        return image;
    }

    /// <summary>Random content inside a border of <paramref name="border"/> zero pixels, like a padded Fashion-MNIST image.</summary>
    private static float[] Padded(int border, int seed)
    {
        var random = new Random(seed);
        var image = new float[784];
        for (int r = border; r < 28 - border; r++)
            for (int c = border; c < 28 - border; c++)
                image[r * 28 + c] = (float)random.NextDouble();
        return image;
    }

    [Fact]
    public void Flip_mirrors_each_row_and_is_an_involution()
    {
        var image = Distinct();
        var flipped = new float[784];
        var back = new float[784];
        Augmentation.FlipHorizontal(image, flipped);
        Assert.Equal(28f, flipped[0]);          // pixel (0, 27) moved to (0, 0)
        Assert.Equal(1f, flipped[27]);
        Assert.Equal(29f + 27f, flipped[28]);   // pixel (1, 27) moved to (1, 0)
        Assert.NotEqual(image, flipped);
        Augmentation.FlipHorizontal(flipped, back);
        Assert.Equal(image, back);
    }

    [Theory]
    [InlineData(2, 0)]
    [InlineData(0, -2)]
    [InlineData(-1, 2)]
    [InlineData(-2, -2)]
    public void Translation_moves_pixels_and_zero_fills(int dy, int dx)
    {
        var image = Distinct();
        var shifted = new float[784];
        Augmentation.Translate(image, shifted, dy, dx);
        for (int r = 0; r < 28; r++)
            for (int c = 0; c < 28; c++)
            {
                int sr = r - dy, sc = c - dx;
                float expected = sr is >= 0 and < 28 && sc is >= 0 and < 28 ? image[sr * 28 + sc] : 0f;
                Assert.Equal(expected, shifted[r * 28 + c]);
            }
    }

    [Theory]
    [InlineData(2, 2)]
    [InlineData(-2, 1)]
    [InlineData(0, -2)]
    public void Translation_within_the_zero_border_keeps_every_pixel_and_is_undone_by_the_opposite_shift(int dy, int dx)
    {
        var image = Padded(border: 2, seed: dy * 10 + dx);
        var shifted = new float[784];
        var back = new float[784];
        Augmentation.Translate(image, shifted, dy, dx);
        Assert.Equal(image.Sum(), shifted.Sum(), 4);
        Assert.Equal(image.OrderBy(v => v), shifted.OrderBy(v => v));
        Augmentation.Translate(shifted, back, -dy, -dx);
        Assert.Equal(image, back);
    }

    [Fact]
    public void Translation_past_the_border_loses_exactly_the_pixels_pushed_out()
    {
        var image = Distinct();
        var shifted = new float[784];
        Augmentation.Translate(image, shifted, 0, 2);
        double lost = 0;
        for (int r = 0; r < 28; r++) lost += image[r * 28 + 26] + image[r * 28 + 27];
        Assert.Equal(image.Sum(v => (double)v) - lost, shifted.Sum(v => (double)v), 6);
        Assert.Equal(28 * 2, shifted.Count(v => v == 0));
    }

    [Fact]
    public void A_shift_larger_than_the_image_leaves_it_blank()
    {
        var shifted = new float[784];
        Augmentation.Translate(Distinct(), shifted, 0, 28);
        Assert.All(shifted, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Parameters_stay_in_range_and_both_flip_outcomes_occur()
    {
        var random = new Random(1);
        var draws = Enumerable.Range(0, 2000).Select(_ => Augmentation.Sample(random)).ToList();
        Assert.All(draws, p =>
        {
            Assert.InRange(p.ShiftRows, -2, 2);
            Assert.InRange(p.ShiftColumns, -2, 2);
        });
        Assert.Equal(5, draws.Select(p => p.ShiftRows).Distinct().Count());
        Assert.Equal(5, draws.Select(p => p.ShiftColumns).Distinct().Count());
        Assert.InRange(draws.Count(p => p.FlipHorizontal), 900, 1100);
    }

    [Fact]
    public void The_same_seed_gives_the_same_view_and_other_seeds_differ()
    {
        var image = Padded(border: 0, seed: 3);
        float[] View(int seed)
        {
            var view = new float[784];
            Augmentation.Apply(image, view, new Random(seed));
            return view;
        }

        Assert.Equal(View(7), View(7));
        var distinctViews = Enumerable.Range(0, 20).Select(s => string.Join(",", View(s))).Distinct().Count();
        Assert.True(distinctViews > 10, $"only {distinctViews} distinct views from 20 seeds");
    }

    [Fact]
    public void Apply_flips_then_translates()
    {
        var image = Distinct();
        var expected = new float[784];
        var flipped = new float[784];
        Augmentation.FlipHorizontal(image, flipped);
        Augmentation.Translate(flipped, expected, 1, -2);
        var actual = new float[784];
        Augmentation.Apply(image, actual, new AugmentationParameters(1, -2, FlipHorizontal: true));
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Derived_seeds_are_stable_and_distinct_per_sample_and_view()
    {
        Assert.Equal(ImageAugmentation.SeedFor(42, 3, 1), ImageAugmentation.SeedFor(42, 3, 1));
        var seeds = new HashSet<int>();
        for (int sample = 0; sample < 500; sample++)
            for (int view = 0; view < 2; view++)
                Assert.True(seeds.Add(ImageAugmentation.SeedFor(42, sample, view)), $"collision at sample {sample}, view {view}");
        Assert.NotEqual(ImageAugmentation.SeedFor(1, 0, 0), ImageAugmentation.SeedFor(2, 0, 0));
        Assert.All(seeds, s => Assert.True(s >= 0));
    }

    [Fact]
    public void Wrong_sizes_and_overlapping_buffers_are_rejected()
    {
        var image = new float[784];
        Assert.Throws<ArgumentException>(() => Augmentation.FlipHorizontal(new float[783], new float[784]));
        Assert.Throws<ArgumentException>(() => Augmentation.Translate(image, new float[100], 1, 1));
        Assert.Throws<ArgumentException>(() => Augmentation.Translate(image, image, 1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ImageAugmentation(flipProbability: 1.5));
    }
}
