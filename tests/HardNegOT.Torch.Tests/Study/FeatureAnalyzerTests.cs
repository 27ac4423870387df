using HardNegOT.Torch.Study;
using TorchSharp;

namespace HardNegOT.Torch.Tests.Study;

public class FeatureAnalyzerTests
{
    public FeatureAnalyzerTests() => TorchRuntime.EnsureLoaded();

    private static torch.Tensor Angles(params double[] degrees) =>
        torch.tensor(degrees.SelectMany(d => new[] { (float)Math.Cos(d * Math.PI / 180), (float)Math.Sin(d * Math.PI / 180) }).ToArray(), new long[] { degrees.Length, 2 });

    [Fact]
    public void Same_label_fractions_follow_the_neighbour_order()
    {
        // Bank on the circle: 0° A, 10° B, 20° A, 90° B.
        using var bank = Angles(0, 10, 20, 90);
        int[] bankLabels = [0, 1, 0, 1];
        // Query at 1° (A) sees 0°, 10°, 20°, 90° → same, other, same, other.
        // Query at 12° (B) sees 10°, 20°, 0°, 90° → same, other, other, same.
        using var queries = Angles(1, 12);
        int[] queryLabels = [0, 1];
        Assert.Equal([1.0, 0.0, 0.5, 0.5], FeatureAnalyzer.SameLabelByRank(bank, bankLabels, queries, queryLabels, 10));
        Assert.Equal([1.0, 0.0], FeatureAnalyzer.SameLabelByRank(bank, bankLabels, queries, queryLabels, 2));
    }

    [Fact]
    public void Same_label_rejects_mismatched_shapes()
    {
        using var bank = Angles(0, 10);
        using var queries = Angles(1);
        Assert.Throws<ArgumentException>(() => FeatureAnalyzer.SameLabelByRank(bank, [0], queries, [0], 1));
        Assert.Throws<ArgumentException>(() => FeatureAnalyzer.SameLabelByRank(bank, [0, 1], queries, [0, 1], 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => FeatureAnalyzer.SameLabelByRank(bank, [0, 1], queries, [0], 0));
    }

    private static float[] RandomBatch(int batchSize, int dimension, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, 2 * batchSize * dimension).Select(_ => (float)(random.NextDouble() * 2 - 1))];
    }

    private static double Cosine(float[] z, int d, int i, int j)
    {
        double dot = 0, ni = 0, nj = 0;
        for (int k = 0; k < d; k++)
        {
            dot += z[i * d + k] * (double)z[j * d + k];
            ni += z[i * d + k] * (double)z[i * d + k];
            nj += z[j * d + k] * (double)z[j * d + k];
        }
        return dot / Math.Sqrt(ni * nj);
    }

    [Fact]
    public void Hcl_hardness_matches_exponential_tilting_computed_by_hand()
    {
        const int b = 5, d = 4;
        var z = RandomBatch(b, d, 3);
        var points = FeatureAnalyzer.Hardness(z, b, d, kappa: 1);
        Assert.Equal(StudyGrid.Costs.Count * FeatureAnalyzer.HardnessEpsilons.Count + StudyGrid.HclBetas.Count, points.Count);
        foreach (double beta in StudyGrid.HclBetas)
        {
            // Per anchor: Σ_j e^{βs} s / Σ_j e^{βs} − mean_j s over j ≠ i and j ≠ i ± B; averaged over anchors.
            double gain = 0;
            for (int i = 0; i < 2 * b; i++)
            {
                double num = 0, den = 0, sum = 0;
                int count = 0;
                for (int j = 0; j < 2 * b; j++)
                {
                    if (j == i || j == (i + b) % (2 * b)) continue;
                    double s = Cosine(z, d, i, j);
                    num += Math.Exp(beta * s) * s;
                    den += Math.Exp(beta * s);
                    sum += s;
                    count++;
                }
                gain += (num / den - sum / count) / (2 * b);
            }
            var point = Assert.Single(points, p => p.Method == "hcl" && p.Parameter == beta);
            Assert.Equal(gain, point.Gain, 1e-5);
        }
    }

    [Fact]
    public void Ot_hardness_is_positive_converged_and_vanishes_for_large_epsilon()
    {
        const int b = 8, d = 6;
        var z = RandomBatch(b, d, 5);
        var points = FeatureAnalyzer.Hardness(z, b, d, kappa: 1);
        foreach (var cost in StudyGrid.Costs)
        {
            var ot = points.Where(p => p.Method == $"ot-{cost}").OrderBy(p => p.Parameter).ToList();
            Assert.Equal(FeatureAnalyzer.HardnessEpsilons, ot.Select(p => p.Parameter));
            Assert.All(ot, p => Assert.True(p.Converged && p.Gain > 0, $"{cost} ε = {p.Parameter}: gain {p.Gain}"));
            // The smallest ε concentrates on harder negatives than the largest.
            Assert.True(ot[0].Gain > ot[^1].Gain, $"{cost}: {ot[0].Gain} vs {ot[^1].Gain}");
            Assert.True(ot[0].EffectiveNegatives < ot[^1].EffectiveNegatives);
        }
    }

    [Fact]
    public void Anchor_row_lists_every_negative_once_with_weights_averaging_one()
    {
        const int b = 6, d = 3;
        var z = RandomBatch(b, d, 9);
        var row = FeatureAnalyzer.Anchor(z, b, d, "sqeuclid", 1.0, 1.0, anchor: 2);
        Assert.Equal(2 * b - 2, row.Similarity.Count);
        Assert.Equal(2 * b - 2, row.ScaledWeight.Count);
        // P*(·|x) sums to 1, so P* × (number of negatives) averages 1.
        Assert.Equal(1.0, row.ScaledWeight.Average(), 1e-5);
        var expected = Enumerable.Range(0, 2 * b).Where(j => j != 2 && j != 2 + b).Select(j => Cosine(z, d, 2, j)).ToList();
        for (int k = 0; k < expected.Count; k++) Assert.Equal(expected[k], row.Similarity[k], 1e-5);
    }
}
