using FsCheck;
using FsCheck.Fluent;
using HardNegOT.Data;

namespace HardNegOT.Tests.Data;

public class RandomResizedCropTests
{
    [Fact]
    public void Full_box_resamples_to_the_identity()
    {
        var rng = new Random(1);
        var image = Enumerable.Range(0, 3 * 7 * 5).Select(_ => (float)rng.NextDouble()).ToArray();
        var output = new float[image.Length];
        RandomResizedCrop.Resample(image, output, 3, 7, 5, new CropBox(0, 0, 7, 5));
        Assert.Equal(image, output);
    }

    [Fact]
    public void Left_half_of_a_horizontal_ramp_stretches_to_the_whole_width()
    {
        // value = column index: the left-half crop of an 8-wide ramp spans 0..3.5 after resampling, monotone.
        const int rows = 4, columns = 8;
        var image = new float[rows * columns];
        for (int r = 0; r < rows; r++) for (int c = 0; c < columns; c++) image[r * columns + c] = c;
        var output = new float[image.Length];
        RandomResizedCrop.Resample(image, output, 1, rows, columns, new CropBox(0, 0, rows, columns / 2.0));
        for (int r = 0; r < rows; r++)
        {
            var row = output.AsSpan(r * columns, columns).ToArray();
            Assert.Equal(0f, row[0]);
            Assert.True(row.Max() <= 3.5f, $"row {r} reaches {row.Max()}");
            for (int c = 1; c < columns; c++) Assert.True(row[c] >= row[c - 1]);
            // Output centre c + ½ samples source x = (c + ½)/2 − ½.
            Assert.Equal(Math.Max(0, (5 + 0.5) / 2 - 0.5), row[5], 5);
        }
    }

    [Fact]
    public void Sampled_boxes_fit_the_image_with_area_and_ratio_in_range()
    {
        var crop = new RandomResizedCrop(minScale: 0.2, maxScale: 0.9);
        Prop.ForAll(Arb.From(Gen.Choose(0, int.MaxValue)), Arb.From(Gen.Choose(4, 96)), Arb.From(Gen.Choose(4, 96)), (seed, rows, columns) =>
        {
            var box = crop.Sample(new Random(seed), rows, columns);
            const double slack = 1e-9;
            Assert.True(box.Top >= 0 && box.Left >= 0 && box.Top + box.Height <= rows + slack && box.Left + box.Width <= columns + slack, $"{box} in {rows}×{columns}");
            double ratio = box.Width / box.Height;
            Assert.True(ratio >= crop.MinRatio - slack && ratio <= crop.MaxRatio + slack, $"ratio {ratio}");
            double fraction = box.Width * box.Height / (rows * columns);
            // Drawn boxes have area in range; the centred fallback is at most the whole image.
            Assert.True(fraction <= 1 + slack && fraction > 0, $"area fraction {fraction}");
        }).QuickCheckThrowOnFailure();
        // On a square image the first draw always fits, so the area is in range.
        for (int seed = 0; seed < 200; seed++)
        {
            var box = crop.Sample(new Random(seed), 32, 32);
            double fraction = box.Width * box.Height / (32.0 * 32);
            if (box.Width <= 32 && fraction < 0.999) Assert.InRange(fraction, 0.2 - 1e-9, 0.9 + 1e-9);
        }
    }

    [Fact]
    public void Colour_default_crops_per_sample_and_grey_default_does_not()
    {
        var colour = ImageAugmentation.Default(3, 32, 32);
        Assert.NotNull(colour.Crop);
        Assert.Null(ImageAugmentation.Default(1, 28, 28).Crop);
        var a = colour.Sample(new Random(5));
        var b = colour.Sample(new Random(5));
        var c = colour.Sample(new Random(6));
        Assert.Equal(a, b);
        Assert.NotEqual(a.Crop, c.Crop);
        var image = Enumerable.Range(0, colour.ValuesPerImage).Select(i => (float)(i % 97) / 97f).ToArray();
        var first = new float[image.Length];
        var second = new float[image.Length];
        colour.Apply(image, first, a);
        colour.Apply(image, second, b);
        Assert.Equal(first, second);
        Assert.All(first, v => Assert.InRange(v, 0f, 1f));
    }

    [Fact]
    public void Bad_ranges_are_rejected()
    {
        Assert.Equal("minScale", Assert.Throws<ArgumentOutOfRangeException>(() => new RandomResizedCrop(minScale: 0)).ParamName);
        Assert.Equal("minScale", Assert.Throws<ArgumentOutOfRangeException>(() => new RandomResizedCrop(minScale: 0.5, maxScale: 0.4)).ParamName);
        Assert.Equal("minRatio", Assert.Throws<ArgumentOutOfRangeException>(() => new RandomResizedCrop(minRatio: 2, maxRatio: 1)).ParamName);
    }
}
