using TorchSharp;
using static TorchSharp.torch;

namespace HardNegOT.Torch.Multimodal;

/// <summary>Recall@k of cross-modal retrieval in both directions, as fractions in [0, 1].</summary>
/// <param name="ImageToText">Recall@k of images querying texts, by k.</param>
/// <param name="TextToImage">Recall@k of texts querying images, by k.</param>
/// <param name="Count">Number of pairs N.</param>
public sealed record RetrievalResult(IReadOnlyDictionary<int, double> ImageToText, IReadOnlyDictionary<int, double> TextToImage, int Count)
{
    /// <summary>Mean of the two directions' recall@k.</summary>
    /// <param name="k">One of the evaluated k.</param>
    public double MeanRecall(int k) => (ImageToText[k] + TextToImage[k]) / 2;
}

/// <summary>
/// Cross-modal recall@k from N×d image and text embeddings whose row i is a pair. A query's rank is the number of
/// non-matching candidates whose cosine similarity is at least that of its best match (ties count against it, so
/// constant embeddings score 0, not 1); a hit at k means rank &lt; k. Matches are the pair itself or, given
/// groups, every candidate of the same group (e.g. captions of the same content).
/// </summary>
public static class RetrievalMetrics
{
    /// <summary>The customary k.</summary>
    public static IReadOnlyList<int> DefaultKs { get; } = Array.AsReadOnly([1, 5, 10]);

    /// <summary>Computes recall@k in both directions.</summary>
    /// <param name="images">N×d image embeddings (normalised here).</param>
    /// <param name="texts">N×d text embeddings; row i pairs with image i.</param>
    /// <param name="groups">N match groups, or null so that only the pair matches.</param>
    /// <param name="ks">The k to report (default 1, 5, 10), each ≥ 1.</param>
    /// <param name="chunk">Query rows per similarity block (bounds memory at chunk × N).</param>
    public static RetrievalResult Evaluate(Tensor images, Tensor texts, IReadOnlyList<int>? groups = null,
        IReadOnlyList<int>? ks = null, int chunk = 1024)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(texts);
        ks ??= DefaultKs;
        if (ks.Count == 0 || ks.Any(k => k < 1)) throw new ArgumentException("Every k must be at least 1.", nameof(ks));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(chunk);
        if (images.dim() != 2 || images.shape[0] < 1 || images.shape[1] < 1)
            throw new ArgumentException($"images must be N×d with N, d ≥ 1; got shape [{string.Join(", ", images.shape)}].", nameof(images));
        if (texts.dim() != 2 || texts.shape[0] != images.shape[0] || texts.shape[1] != images.shape[1])
            throw new ArgumentException($"texts have shape [{string.Join(", ", texts.shape)}]; they must match images [{string.Join(", ", images.shape)}].", nameof(texts));
        int n = checked((int)images.shape[0]);
        if (groups is not null && groups.Count != n)
            throw new ArgumentException($"groups has {groups.Count} entries for {n} pairs.", nameof(groups));

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var u = Unit(images, nameof(images));
        var v = Unit(texts, nameof(texts)).to(u.device);
        var g = groups is null ? arange(n, dtype: ScalarType.Int64) : tensor(groups.Select(x => (long)x).ToArray());
        g = g.to(u.device);
        var imageRanks = Ranks(u, v, g, chunk);
        var textRanks = Ranks(v, u, g, chunk);
        return new RetrievalResult(Recall(imageRanks, ks), Recall(textRanks, ks), n);
    }

    // Rank of each query row's best match among the candidate rows.
    private static long[] Ranks(Tensor queries, Tensor candidates, Tensor groups, int chunk)
    {
        long n = queries.shape[0];
        var ranks = new long[n];
        for (long start = 0; start < n; start += chunk)
        {
            using var inner = NewDisposeScope();
            long m = Math.Min(chunk, n - start);
            var s = queries.narrow(0, start, m).matmul(candidates.t());
            var same = groups.narrow(0, start, m).unsqueeze(1).eq(groups.unsqueeze(0));
            var best = s.masked_fill(same.logical_not(), double.NegativeInfinity).amax(new long[] { 1 }, keepdim: true);
            var beaten = s.ge(best).logical_and(same.logical_not()).sum(1);
            beaten.cpu().data<long>().CopyTo(ranks.AsSpan((int)start, (int)m));
        }
        return ranks;
    }

    /// <summary>
    /// Expected recall@k of a uniformly random ranking (the chance level): a query with m matches among N candidates hits
    /// with probability 1 − C(N−m, k)/C(N, k), averaged over queries. The same in both directions.
    /// </summary>
    /// <param name="count">Number of pairs N ≥ 1.</param>
    /// <param name="groups">N match groups, or null so that only the pair matches.</param>
    /// <param name="k">k ≥ 1.</param>
    public static double ChanceRecall(int count, IReadOnlyList<int>? groups, int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        if (groups is not null && groups.Count != count)
            throw new ArgumentException($"groups has {groups.Count} entries for {count} pairs.", nameof(groups));
        var sizes = groups?.GroupBy(g => g).ToDictionary(g => g.Key, g => g.Count());
        double total = 0;
        for (int i = 0; i < count; i++)
        {
            int m = sizes is null ? 1 : sizes[groups![i]];
            double miss = 1;
            for (int j = 0; j < k && miss > 0; j++) miss *= Math.Max(0, count - m - j) / (double)(count - j);
            total += 1 - miss;
        }
        return total / count;
    }

    private static Dictionary<int, double> Recall(long[] ranks, IReadOnlyList<int> ks) =>
        ks.Distinct().ToDictionary(k => k, k => (double)ranks.Count(r => r < k) / ranks.Length);

    private static Tensor Unit(Tensor x, string name)
    {
        var d = x.to_type(ScalarType.Float32);
        if (!d.isfinite().all().item<bool>()) throw new ArgumentException($"{name} holds NaN or infinite values.", name);
        var norms = (d * d).sum(1).sqrt();
        if (!(norms.min().item<float>() > 0))
            throw new ArgumentException($"{name} has a zero row (row {norms.argmin().item<long>()}); it has no direction to compare.", name);
        return d / norms.unsqueeze(1);
    }
}
