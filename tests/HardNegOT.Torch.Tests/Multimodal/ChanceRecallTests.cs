using HardNegOT.Torch.Multimodal;

namespace HardNegOT.Torch.Tests.Multimodal;

public class ChanceRecallTests
{
    private static IEnumerable<int[]> Permutations(int[] items) => items.Length <= 1
        ? [items]
        : items.SelectMany((x, i) => Permutations(items.Where((_, j) => j != i).ToArray()).Select(rest => (int[])[x, .. rest]));

    // Every ordering of the candidates equally likely: a query hits at k when a match is among the first k.
    private static double Enumerated(int[] groups, int k)
    {
        int n = groups.Length;
        var orders = Permutations(Enumerable.Range(0, n).ToArray()).ToList();
        double total = 0;
        for (int q = 0; q < n; q++)
            total += orders.Count(o => o.Take(k).Any(c => groups[c] == groups[q])) / (double)orders.Count;
        return total / n;
    }

    [Theory]
    [InlineData(new[] { 0, 0, 1, 2, 2 }, 1)]
    [InlineData(new[] { 0, 0, 1, 2, 2 }, 2)]
    [InlineData(new[] { 0, 1, 1, 1, 2, 3 }, 3)]
    [InlineData(new[] { 0, 1, 2, 3 }, 5)]
    public void Equals_the_hit_rate_over_every_ordering(int[] groups, int k) =>
        Assert.Equal(Enumerated(groups, k), RetrievalMetrics.ChanceRecall(groups.Length, groups, k), 12);

    [Fact]
    public void Without_groups_recall_at_k_is_k_over_n()
    {
        Assert.Equal(0.1, RetrievalMetrics.ChanceRecall(50, null, 5), 12);
        Assert.Throws<ArgumentException>(() => RetrievalMetrics.ChanceRecall(3, [0, 1], 1));
    }
}
