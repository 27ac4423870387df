using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using HardNegOT.Geometry;

namespace HardNegOT.Tests.Geometry;

/// <summary>Which layout a <see cref="LayoutCase"/> builds.</summary>
public enum LayoutKind
{
    TwoView,
    Unpaired,
    /// <summary>A random explicit map, usually not an involution (i names j but j names someone else or nobody).</summary>
    Explicit,
}

/// <summary>A reproducible layout: it follows from (Kind, Count, Seed), and <see cref="ToString"/> prints exactly those.</summary>
public sealed record LayoutCase(LayoutKind Kind, int Count, int Seed)
{
    /// <summary>The positive map the layout was built from (−1 for none).</summary>
    public int[] Map { get; } = MakeMap(Kind, Count, Seed);

    public BatchLayout Build() => Kind switch
    {
        LayoutKind.TwoView => BatchLayout.TwoView(Count / 2),
        LayoutKind.Unpaired => BatchLayout.Unpaired(Count),
        _ => BatchLayout.FromPositives(Map),
    };

    /// <summary>A permutation of 0..Count−1 drawn from the seed.</summary>
    public int[] Permutation()
    {
        var p = Enumerable.Range(0, Count).ToArray();
        new Random(Seed ^ 0x5bd1e995).Shuffle(p);
        return p;
    }

    public override string ToString() => $"LayoutCase({Kind}, N={Count}, seed={Seed}, map=[{string.Join(", ", Map)}])";

    private static int[] MakeMap(LayoutKind kind, int n, int seed)
    {
        var map = new int[n];
        switch (kind)
        {
            case LayoutKind.TwoView:
                for (int i = 0; i < n / 2; i++) { map[i] = i + n / 2; map[i + n / 2] = i; }
                return map;
            case LayoutKind.Unpaired:
                Array.Fill(map, -1);
                return map;
        }
        var rng = new Random(seed);
        for (int attempt = 0; ; attempt++)
        {
            for (int i = 0; i < n; i++)
            {
                if (rng.Next(3) == 0) { map[i] = -1; continue; }
                int j = rng.Next(n - 1);
                map[i] = j >= i ? j + 1 : j;
            }
            if (attempt >= 20) { Array.Fill(map, -1); map[0] = 1; }
            // Keep only maps that leave every row a negative (FromPositives refuses the others).
            if (Enumerable.Range(0, n).All(i => NaiveNegatives(map, i).Count > 0)) return map;
        }
    }

    /// <summary>The negatives of row i computed straight from the map: everyone but i, i's positive, and rows naming i.</summary>
    public static HashSet<int> NaiveNegatives(int[] map, int i)
    {
        var negatives = new HashSet<int>(Enumerable.Range(0, map.Length));
        negatives.Remove(i);
        if (map[i] >= 0) negatives.Remove(map[i]);
        for (int j = 0; j < map.Length; j++)
            if (map[j] == i) negatives.Remove(j);
        return negatives;
    }
}

public static class LayoutArbitraries
{
    public static Arbitrary<LayoutCase> Layouts() =>
        (from kind in Gen.Elements(Enum.GetValues<LayoutKind>())
         from count in Gen.Choose(3, 40)
         from seed in Gen.Choose(0, int.MaxValue - 1)
         select new LayoutCase(kind, kind == LayoutKind.TwoView ? Math.Max(4, count & ~1) : count, seed)).ToArbitrary();
}

[Properties(Arbitrary = [typeof(LayoutArbitraries)], MaxTest = 100)]
public class BatchLayoutTests
{
    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(64)]
    public void Two_view_positive_of_row_i_is_i_plus_or_minus_b(int b)
    {
        var layout = BatchLayout.TwoView(b);
        Assert.Equal(2 * b, layout.Count);
        Assert.Equal("two-view", layout.Name);
        for (int i = 0; i < b; i++)
        {
            Assert.Equal(i + b, layout.PositiveOf(i));
            Assert.Equal(i, layout.PositiveOf(i + b));
        }
        for (int i = 0; i < 2 * b; i++)
            for (int j = 0; j < 2 * b; j++)
                Assert.Equal(i == j || Math.Abs(i - j) == b, layout.IsMasked(i, j));
    }

    [Fact]
    public void Two_view_and_unpaired_negative_counts()
    {
        var twoView = BatchLayout.TwoView(5);
        var unpaired = BatchLayout.Unpaired(7);
        Assert.All(Enumerable.Range(0, 10), i => Assert.Equal(8, twoView.NegativeCount(i)));
        Assert.All(Enumerable.Range(0, 7), i => Assert.Equal(6, unpaired.NegativeCount(i)));
        Assert.All(Enumerable.Range(0, 7), i => Assert.Equal(-1, unpaired.PositiveOf(i)));
        Assert.Equal("unpaired", unpaired.Name);
        Assert.Equal(3, BatchLayout.Unpaired(3).Count);
    }

    [Fact]
    public void Explicit_map_is_made_symmetric()
    {
        // Row 3 names row 0, but row 0 names row 1: (0, 3) must still carry no mass in both directions.
        var layout = BatchLayout.FromPositives([1, -1, -1, 0, -1]);
        Assert.Equal("explicit", layout.Name);
        Assert.True(layout.IsMasked(0, 3));
        Assert.True(layout.IsMasked(3, 0));
        Assert.True(layout.IsMasked(1, 0));
        Assert.True(layout.IsMasked(0, 1));
        Assert.False(layout.IsMasked(1, 3));
        Assert.False(layout.IsMasked(2, 4));
        // The stored map is as given; only the mask is symmetrised.
        Assert.Equal(-1, layout.PositiveOf(1));
        Assert.Equal(0, layout.PositiveOf(3));
        Assert.Equal(new[] { 2, 3, 4, 3, 4 }, Enumerable.Range(0, 5).Select(layout.NegativeCount));
    }

    [Fact]
    public void Permute_by_hand()
    {
        // Rows [a, b, a', b'] reordered to [b, a', a, b'].
        var permuted = BatchLayout.TwoView(2).Permute([1, 2, 0, 3]);
        Assert.Equal("two-view", permuted.Name);
        Assert.Equal(3, permuted.PositiveOf(0)); // b ↔ b'
        Assert.Equal(2, permuted.PositiveOf(1)); // a' ↔ a
        Assert.Equal(1, permuted.PositiveOf(2));
        Assert.Equal(0, permuted.PositiveOf(3));
        // An unpaired layout stays unpaired under any permutation.
        var unpaired = BatchLayout.Unpaired(4).Permute([3, 1, 0, 2]);
        Assert.All(Enumerable.Range(0, 4), i => Assert.Equal(-1, unpaired.PositiveOf(i)));
    }

    [Property]
    public void Is_masked_is_symmetric_and_covers_the_diagonal(LayoutCase c)
    {
        var layout = c.Build();
        Assert.Equal(c.Count, layout.Count);
        for (int i = 0; i < c.Count; i++)
        {
            Assert.True(layout.IsMasked(i, i));
            for (int j = 0; j < c.Count; j++)
                Assert.Equal(layout.IsMasked(i, j), layout.IsMasked(j, i));
        }
    }

    [Property]
    public void Mask_and_negative_count_follow_the_map(LayoutCase c)
    {
        var layout = c.Build();
        for (int i = 0; i < c.Count; i++)
        {
            var negatives = LayoutCase.NaiveNegatives(c.Map, i);
            Assert.Equal(c.Map[i], layout.PositiveOf(i));
            Assert.Equal(negatives.Count, layout.NegativeCount(i));
            Assert.True(layout.NegativeCount(i) >= 1);
            for (int j = 0; j < c.Count; j++)
                Assert.Equal(!negatives.Contains(j), layout.IsMasked(i, j));
        }
    }

    [Property]
    public void Permute_moves_the_mask_with_the_rows(LayoutCase c)
    {
        var layout = c.Build();
        var perm = c.Permutation();
        var permuted = layout.Permute(perm);
        Assert.Equal(layout.Count, permuted.Count);
        Assert.Equal(layout.Name, permuted.Name);
        for (int k = 0; k < c.Count; k++)
        {
            Assert.Equal(layout.NegativeCount(perm[k]), permuted.NegativeCount(k));
            int p = permuted.PositiveOf(k);
            Assert.Equal(layout.PositiveOf(perm[k]), p < 0 ? -1 : perm[p]);
            for (int l = 0; l < c.Count; l++)
                Assert.Equal(layout.IsMasked(perm[k], perm[l]), permuted.IsMasked(k, l));
        }
    }

    [Property]
    public void Permuting_back_by_the_inverse_restores_the_layout(LayoutCase c)
    {
        var layout = c.Build();
        var perm = c.Permutation();
        var inverse = new int[perm.Length];
        for (int k = 0; k < perm.Length; k++) inverse[perm[k]] = k;
        var restored = layout.Permute(perm).Permute(inverse);
        for (int i = 0; i < c.Count; i++)
            Assert.Equal(layout.PositiveOf(i), restored.PositiveOf(i));
    }

    [Fact]
    public void The_unmasked_layout_masks_nothing_not_even_the_diagonal()
    {
        var layout = BatchLayout.Unmasked(5);
        Assert.False(layout.MasksSelf);
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal(5, layout.NegativeCount(i));
            for (int j = 0; j < 5; j++) Assert.False(layout.IsMasked(i, j));
        }
        Assert.False(layout.Permute([4, 3, 2, 1, 0]).IsMasked(2, 2));
        Assert.True(BatchLayout.Unpaired(5).MasksSelf);
        Assert.True(BatchLayout.Unpaired(5).IsMasked(2, 2));
        Assert.Single(BatchLayout.Unmasked(1).MaskedColumns(0).ToArray().Append(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => BatchLayout.Unmasked(0));
    }
}
