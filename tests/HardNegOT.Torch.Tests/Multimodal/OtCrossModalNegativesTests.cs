using HardNegOT.CrossModal;
using HardNegOT.Data;
using HardNegOT.Text;
using HardNegOT.Torch.Multimodal;
using TorchSharp;
using static TorchSharp.torch;

namespace HardNegOT.Torch.Tests.Multimodal;

public class OtCrossModalNegativesTests
{
    private const int D = 5;
    private static readonly ImageCaptionSet Data = MultimodalTrainerTests.Blocks(4, 1);

    public OtCrossModalNegativesTests() => TorchRuntime.EnsureLoaded();

    // A batch of seeded unit embeddings; the source only reads the embeddings and indices.
    private static CrossModalBatch Batch(int step, int[] indices)
    {
        var generator = new Generator(1000 + (ulong)step);
        var images = nn.functional.normalize(randn(indices.Length, D, generator: generator), dim: 1);
        var texts = nn.functional.normalize(images + 0.5 * randn(indices.Length, D, generator: generator), dim: 1);
        return new CrossModalBatch(0, step, indices, images, texts, tensor(10f), Data);
    }

    private static int[] Fresh(int step, int b = 4) => Enumerable.Range(step * b, b).ToArray();

    private static float[] Floats(Tensor? x) => x is null ? [] : x.contiguous().data<float>().ToArray();

    private static float[] Rows(double[] values, IEnumerable<int> rows) =>
        rows.SelectMany(r => values.Skip(r * D).Take(D)).Select(x => (float)x).ToArray();

    [Fact]
    public void A_plan_is_computed_exactly_every_delta_batches()
    {
        var source = new OtCrossModalNegatives(new OtCrossModalOptions { Window = 3, CacheSize = 10 });
        for (int step = 0; step < 10; step++)
        {
            source.Negatives(Batch(step, Fresh(step)));
            Assert.Equal((step + 1) / 3, source.PlansComputed);
        }
        Assert.Equal([0L, 1L, 2L], source.Cache.Windows);
        Assert.Equal(Enumerable.Range(12, 12), source.IndicesOf(1)!);
        Assert.Equal(10, source.Steps);
    }

    [Fact]
    public void Old_plans_supply_the_negatives_newest_first_and_are_counted_as_hits()
    {
        // Sinkhorn-only plans keep their natural row order, so the expected rows are the stored projections in order.
        var options = new OtCrossModalOptions { Window = 1, CacheSize = 5, MaxExtraNegatives = 100, Solver = CrossModalPlanSolver.Sinkhorn, ExtraPositives = false };
        var source = new OtCrossModalNegatives(options);
        Assert.Null(source.Negatives(Batch(0, Fresh(0))));
        for (int step = 1; step < 3; step++) source.Negatives(Batch(step, Fresh(step)));
        long hits = source.CacheHits;
        // Window 3 reuses pair 1 of window 0: its row must not come back as a negative of itself.
        var extra = source.Negatives(Batch(3, [1, 100, 101, 102]))!;
        Assert.Equal(hits + 3, source.CacheHits);
        var plans = new[] { 2L, 1L, 0L }.Select(w => { Assert.True(source.Cache.TryGet(w, out var p)); return p!; }).ToArray();
        int[][] rows = [[0, 1, 2, 3], [0, 1, 2, 3], [0, 2, 3]];
        var expectedImages = plans.Zip(rows).SelectMany(e => Rows(e.First.ProjectedV, e.Second)).ToArray();
        var expectedTexts = plans.Zip(rows).SelectMany(e => Rows(e.First.ProjectedT, e.Second)).ToArray();
        Assert.Equal(new long[] { 11, D }, extra.ExtraImages!.shape);
        Assert.Equal(expectedImages, Floats(extra.ExtraImages));
        Assert.Equal(expectedTexts, Floats(extra.ExtraTexts!));
        Assert.Equal(11 + 4 + 8, source.ExtraNegativesUsed); // steps 1, 2, 3 saw 4, 8 and 11 rows
    }

    [Fact]
    public void The_cap_takes_the_newest_window_first_and_sigma_mismatches_lead_each_plan()
    {
        var options = new OtCrossModalOptions { Window = 1, CacheSize = 4, MaxExtraNegatives = 6, ExtraPositives = false, Epsilon = 0.05 };
        var source = new OtCrossModalNegatives(options);
        for (int step = 0; step < 3; step++) source.Negatives(Batch(step, Fresh(step)));
        var extra = source.Negatives(Batch(3, Fresh(3)))!;
        Assert.Equal(6, extra.ExtraImages!.shape[0]);
        Assert.True(source.Cache.TryGet(2, out var newest));
        Assert.True(source.Cache.TryGet(1, out var older));
        var sigma = newest!.Assignment!.Permutation;
        var order = Enumerable.Range(0, 4).OrderBy(r => sigma[r] == r ? 1 : 0).ToArray(); // stable: mismatches first
        var olderSigma = older!.Assignment!.Permutation;
        var olderOrder = Enumerable.Range(0, 4).OrderBy(r => olderSigma[r] == r ? 1 : 0).Take(2);
        Assert.Equal(Rows(newest.ProjectedV, order).Concat(Rows(older.ProjectedV, olderOrder)), Floats(extra.ExtraImages));
        Assert.NotNull(source.LastAssignmentAccuracy);
    }

    [Fact]
    public void Pairs_seen_in_a_cached_window_get_their_transported_positives()
    {
        var options = new OtCrossModalOptions { Window = 2, CacheSize = 4, MaxExtraNegatives = 0 };
        var source = new OtCrossModalNegatives(options);
        Assert.Null(source.Negatives(Batch(0, Fresh(0))));
        Assert.Null(source.Negatives(Batch(1, Fresh(1))));
        // Pairs 5 (window 0, row 5) and 2 (row 2) come back at positions 1 and 3.
        var extra = source.Negatives(Batch(2, [50, 5, 51, 2]))!;
        Assert.Null(extra.ExtraImages);
        Assert.Equal(new long[] { 1, 3 }, extra.ExtraPositiveImageTargets!.data<long>().ToArray());
        Assert.True(source.Cache.TryGet(0, out var plan));
        Assert.Equal(Rows(plan!.ProjectedV, [5, 2]), Floats(extra.ExtraPositiveImages!));
        Assert.Equal(Rows(plan.ProjectedT, [5, 2]), Floats(extra.ExtraPositiveTexts!));
        Assert.Equal(2, source.ExtraPositivesUsed);
    }

    [Theory]
    [InlineData(CrossModalPlanSolver.Exact, 1)]
    [InlineData(CrossModalPlanSolver.Approximate, 2)]
    [InlineData(CrossModalPlanSolver.Sinkhorn, 1)]
    public void Real_training_steps_with_each_solver_reduce_the_loss(CrossModalPlanSolver solver, int window)
    {
        // Two batches per epoch, so the other batch's window supplies negatives.
        var train = MultimodalTrainerTests.Blocks(32, 1);
        var heldOut = MultimodalTrainerTests.Blocks(8, 2);
        var tokenizer = new TextTokenizer(Vocabulary.Build(train.Captions), 16);
        var source = new OtCrossModalNegatives(new OtCrossModalOptions { Window = window, Solver = solver, ApproximateDelta = 0.05, MaxExtraNegatives = 32 });
        var options = new MultimodalTrainerOptions
        {
            Model = TwoTowerModelTests.Tiny(), BatchSize = 16, Epochs = 6, LearningRate = 3e-3, Seed = 4, RecallKs = [1], EvalEvery = 100,
        };
        var result = new MultimodalTrainer(options, train, heldOut, tokenizer, source).Run();
        using var model = result.Model;
        Assert.Equal(12 / window, source.PlansComputed);
        Assert.True(source.ExtraNegativesUsed > 0 && source.ExtraPositivesUsed > 0 && source.CacheHits > 0);
        Assert.Equal(solver != CrossModalPlanSolver.Sinkhorn, source.LastAssignmentAccuracy is not null);
        // From the first step that has a cached plan (earlier steps are plain CLIP, a smaller loss).
        double first = result.StepLosses.Skip(window).Take(2).Average(), last = result.StepLosses.TakeLast(2).Average();
        Assert.True(last < 0.8 * first, $"{solver}: losses {string.Join(", ", result.StepLosses)}");
    }

    [Fact]
    public void Save_and_load_continue_exactly_mid_window()
    {
        var options = new OtCrossModalOptions { Window = 2, CacheSize = 2, MaxExtraNegatives = 10 };
        var a = new OtCrossModalNegatives(options);
        for (int step = 0; step < 7; step++) a.Negatives(Batch(step, Fresh(step % 5)));
        using var stream = new MemoryStream();
        a.Save(stream);
        stream.Position = 0;
        var b = new OtCrossModalNegatives(options);
        b.Load(stream);
        Assert.Equal(stream.Length, stream.Position);
        Assert.Equal((a.Steps, a.PlansComputed, a.CacheHits, a.ExtraNegativesUsed, a.ExtraPositivesUsed, a.LastAssignmentAccuracy),
            (b.Steps, b.PlansComputed, b.CacheHits, b.ExtraNegativesUsed, b.ExtraPositivesUsed, b.LastAssignmentAccuracy));
        Assert.Equal(a.Cache.Windows, b.Cache.Windows);
        for (int step = 7; step < 10; step++)
        {
            var x = a.Negatives(Batch(step, Fresh(step % 5)))!;
            var y = b.Negatives(Batch(step, Fresh(step % 5)))!;
            Assert.Equal(Floats(x.ExtraImages), Floats(y.ExtraImages));
            Assert.NotEmpty(Floats(x.ExtraImages));
            Assert.Equal(Floats(x.ExtraPositiveTexts), Floats(y.ExtraPositiveTexts));
        }
        Assert.Equal(a.PlansComputed, b.PlansComputed);

        var other = new OtCrossModalNegatives(options with { Window = 3 });
        stream.Position = 0;
        Assert.Contains("Δ = 2", Assert.Throws<InvalidDataException>(() => other.Load(stream)).Message);
        Assert.Contains("HNOTOTNG", Assert.Throws<InvalidDataException>(() => other.Load(new MemoryStream(new byte[20]))).Message);
        Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => b.Load(new MemoryStream(stream.ToArray()[..60]))).Message);
    }

    [Theory]
    [InlineData(nameof(OtCrossModalOptions.Window))]
    [InlineData(nameof(OtCrossModalOptions.Epsilon))]
    [InlineData(nameof(OtCrossModalOptions.ApproximateDelta))]
    [InlineData(nameof(OtCrossModalOptions.CacheSize))]
    [InlineData(nameof(OtCrossModalOptions.MaxExtraNegatives))]
    [InlineData(nameof(OtCrossModalOptions.Solver))]
    public void Bad_options_are_refused_by_name(string field)
    {
        var d = new OtCrossModalOptions();
        var bad = field switch
        {
            nameof(OtCrossModalOptions.Window) => d with { Window = 0 },
            nameof(OtCrossModalOptions.Epsilon) => d with { Epsilon = -0.1 },
            nameof(OtCrossModalOptions.ApproximateDelta) => d with { ApproximateDelta = double.NaN },
            nameof(OtCrossModalOptions.CacheSize) => d with { CacheSize = 0 },
            nameof(OtCrossModalOptions.MaxExtraNegatives) => d with { MaxExtraNegatives = -1 },
            _ => d with { Solver = (CrossModalPlanSolver)9 },
        };
        Assert.Equal(field, Assert.ThrowsAny<ArgumentException>(() => new OtCrossModalNegatives(bad)).ParamName);
    }
}
