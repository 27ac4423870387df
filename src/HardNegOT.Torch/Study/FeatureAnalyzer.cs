using HardNegOT.Costs;
using HardNegOT.Couplings;
using HardNegOT.Data;
using HardNegOT.Geometry;
using HardNegOT.Problems;
using HardNegOT.Solvers;
using HardNegOT.Torch.Encoders;
using HardNegOT.Torch.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace HardNegOT.Torch.Study;

/// <summary>
/// A fixed two-view batch of query images for the hardness and anchor analyses: the same B images and augmentations
/// for every run, so differences come from the encoder alone.
/// </summary>
public sealed class AnalysisBatch
{
    /// <summary>Seed of the batch's shuffle and augmentations (independent of the runs' seeds).</summary>
    public const int Seed = 0;

    /// <summary>Draws the first two-view batch of <paramref name="queryPixels"/> with <see cref="Seed"/>.</summary>
    /// <param name="queryPixels">Query images, row-major.</param>
    /// <param name="batchSize">B; the batch has 2B rows [view 1; view 2].</param>
    public AnalysisBatch(float[] queryPixels, int batchSize)
    {
        var batch = new TwoViewBatchLoader(queryPixels, batchSize, Seed).Batch(0, 0);
        BatchSize = batchSize;
        Pixels = [.. batch.View1, .. batch.View2];
    }

    /// <summary>B.</summary>
    public int BatchSize { get; }

    /// <summary>Both views stacked, 2B × 784.</summary>
    public float[] Pixels { get; }
}

/// <summary>
/// Measurements of an encoder's features for the study's figures: how hard OT and HCL negatives are on a fixed batch,
/// one anchor's OT conditional against similarity, and how often the r-th nearest neighbour shares the label.
/// </summary>
public static class FeatureAnalyzer
{
    /// <summary>ε values at which OT hardness is measured (both costs); they include every ε of the grid.</summary>
    public static IReadOnlyList<double> HardnessEpsilons { get; } = [0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0];

    private static readonly CpuSinkhorn Solver = new();

    /// <summary>Analyses <paramref name="model"/> (which the caller has put in evaluation mode).</summary>
    /// <param name="model">The encoder; the loss's projections feed the OT analyses, backbone features the neighbours.</param>
    /// <param name="batch">The fixed analysis batch.</param>
    /// <param name="data">Bank and query images with labels.</param>
    /// <param name="k">Neighbour ranks to measure (capped at the bank size).</param>
    /// <param name="kappa">κ of the exp cost.</param>
    public static FeatureAnalysis Analyze(ContrastiveEncoder model, AnalysisBatch batch, TrainingData data, int k, double kappa)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(data);
        float[] z;
        int dimension;
        using (var scope = NewDisposeScope())
        {
            var projections = Evaluation.Features(x => model.forward(x).Projection, batch.Pixels, FashionMnist.PixelsPerImage);
            dimension = (int)projections.shape[1];
            z = projections.to_type(ScalarType.Float32).contiguous().data<float>().ToArray();
        }
        var hardness = Hardness(z, batch.BatchSize, dimension, kappa);
        var anchor = Anchor(z, batch.BatchSize, dimension, "sqeuclid", StudyGrid.ScatterEpsilon, kappa);
        double[] ranks;
        using (var scope = NewDisposeScope())
        {
            Tensor Extract(Tensor x) => model.Backbone.forward(x);
            var bank = Evaluation.Features(Extract, data.BankPixels, FashionMnist.PixelsPerImage);
            var queries = Evaluation.Features(Extract, data.QueryPixels, FashionMnist.PixelsPerImage);
            ranks = SameLabelByRank(bank, data.BankLabels, queries, data.QueryLabels, k);
        }
        return new FeatureAnalysis(hardness, [.. ranks.Select(Round)], anchor);
    }

    /// <summary>
    /// Hardness E_P[s] − E_uniform[s] of the OT conditionals for every cost of the grid and ε in
    /// <see cref="HardnessEpsilons"/>, and of HCL's e^{βs} for every β of the grid (HCL is the row-constrained plan of
    /// the squared-Euclidean cost at ε = 2/β).
    /// </summary>
    /// <param name="embeddings">Two-view batch [view 1; view 2], row-major 2B × d (normalised here).</param>
    /// <param name="batchSize">B.</param>
    /// <param name="dimension">d.</param>
    /// <param name="kappa">κ of the exp cost.</param>
    public static IReadOnlyList<HardnessPoint> Hardness(float[] embeddings, int batchSize, int dimension, double kappa)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        var points = new List<HardnessPoint>();
        foreach (var cost in StudyGrid.Costs)
        {
            var geometry = Geometry(embeddings, batchSize, dimension, cost, kappa);
            foreach (double epsilon in HardnessEpsilons)
            {
                var coupling = Solver.Solve(new EntropicProblem(geometry, epsilon), SinkhornOptions.Fast);
                var h = coupling.Hardness();
                points.Add(new HardnessPoint($"ot-{cost}", epsilon, Round(h.Gain), Round(h.EffectiveNegatives), coupling.Converged));
            }
        }
        var squared = Geometry(embeddings, batchSize, dimension, "sqeuclid", kappa);
        foreach (double beta in StudyGrid.HclBetas)
        {
            var h = Coupling.RowConstrainedOnly(new EntropicProblem(squared, 2.0 / beta)).Hardness();
            points.Add(new HardnessPoint("hcl", beta, Round(h.Gain), Round(h.EffectiveNegatives), true));
        }
        return points;
    }

    /// <summary>Anchor <paramref name="anchor"/>'s OT conditional against the similarity of each of its negatives.</summary>
    /// <param name="embeddings">Two-view batch, row-major 2B × d.</param>
    /// <param name="batchSize">B.</param>
    /// <param name="dimension">d.</param>
    /// <param name="cost">Ground cost name.</param>
    /// <param name="epsilon">ε of the plan.</param>
    /// <param name="kappa">κ of the exp cost.</param>
    /// <param name="anchor">Row of the anchor.</param>
    public static AnchorRow Anchor(float[] embeddings, int batchSize, int dimension, string cost, double epsilon, double kappa, int anchor = 0)
    {
        var geometry = Geometry(embeddings, batchSize, dimension, cost, kappa);
        var coupling = Solver.Solve(new EntropicProblem(geometry, epsilon), SinkhornOptions.Fast);
        int n = geometry.Count;
        var row = new double[n];
        coupling.ConditionalRow(anchor, row);
        var similarity = new List<double>();
        var weight = new List<double>();
        for (int j = 0; j < n; j++)
        {
            if (geometry.IsMasked(anchor, j)) continue;
            similarity.Add(geometry.Similarity(anchor, j));
            weight.Add(row[j]);
        }
        int negatives = weight.Count;
        return new AnchorRow(cost, epsilon, [.. similarity.Select(Round)], [.. weight.Select(w => Round(w * negatives))]);
    }

    /// <summary>
    /// For r = 1..k, the fraction of queries whose r-th most cosine-similar bank row has the query's label.
    /// </summary>
    /// <param name="bank">Bank features, M × d.</param>
    /// <param name="bankLabels">Bank labels.</param>
    /// <param name="queries">Query features, Q × d.</param>
    /// <param name="queryLabels">Query labels.</param>
    /// <param name="k">Ranks (capped at M).</param>
    public static double[] SameLabelByRank(Tensor bank, int[] bankLabels, Tensor queries, int[] queryLabels, int k)
    {
        ArgumentNullException.ThrowIfNull(bank);
        ArgumentNullException.ThrowIfNull(bankLabels);
        ArgumentNullException.ThrowIfNull(queries);
        ArgumentNullException.ThrowIfNull(queryLabels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        if (bank.dim() != 2 || bank.shape[0] != bankLabels.Length || bankLabels.Length == 0)
            throw new ArgumentException($"bank has shape [{string.Join(", ", bank.shape)}]; expected {bankLabels.Length}×d with at least one row.", nameof(bank));
        if (queries.dim() != 2 || queries.shape[0] != queryLabels.Length || queryLabels.Length == 0 || queries.shape[1] != bank.shape[1])
            throw new ArgumentException($"queries have shape [{string.Join(", ", queries.shape)}]; expected {queryLabels.Length}×{bank.shape[1]}.", nameof(queries));
        int kk = Math.Min(k, bankLabels.Length);
        var counts = new long[kk];
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var b = nn.functional.normalize(bank.to_type(ScalarType.Float32), dim: 1);
        var q = nn.functional.normalize(queries.to_type(ScalarType.Float32), dim: 1);
        for (int start = 0; start < queryLabels.Length; start += 256)
        {
            int n = Math.Min(256, queryLabels.Length - start);
            using var inner = NewDisposeScope();
            var (_, index) = q.narrow(0, start, n).matmul(b.t()).topk(kk, dim: 1, largest: true, sorted: true);
            var neighbours = index.data<long>().ToArray();
            for (int i = 0; i < n; i++)
                for (int r = 0; r < kk; r++)
                    if (bankLabels[neighbours[i * kk + r]] == queryLabels[start + i]) counts[r]++;
        }
        return [.. counts.Select(c => (double)c / queryLabels.Length)];
    }

    private static PointCloudGeometry Geometry(float[] embeddings, int batchSize, int dimension, string cost, double kappa) =>
        new(embeddings, 2 * batchSize, dimension, GroundCost.Parse(cost, kappa), BatchLayout.TwoView(batchSize));

    // Six decimals keep runs.jsonl readable; every figure is far coarser.
    private static double Round(double value) => Math.Round(value, 6);
}
