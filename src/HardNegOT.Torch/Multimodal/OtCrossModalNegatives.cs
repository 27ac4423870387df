using System.Diagnostics;
using System.Text;
using HardNegOT.CrossModal;
using HardNegOT.Solvers;
using TorchSharp;
using static TorchSharp.torch;

namespace HardNegOT.Torch.Multimodal;

/// <summary>
/// OT negatives from plans cached over windows of Δ batches. The detached unit embeddings of Δ consecutive batches are
/// accumulated; after the Δ-th a <see cref="SmoothedPlan"/> between the window's images V and texts T is computed (σ exact or
/// δ-approximate then the entropic plan, or the entropic plan alone) and stored in a <see cref="PlanCache"/> under the
/// window's index, with the window's dataset indices. Each step then gets:
/// <list type="bullet">
/// <item>extra negatives: the projections v′ (as images) and t′ (as texts) of the cached windows before the current one,
/// newest first, up to <see cref="OtCrossModalOptions.MaxExtraNegatives"/>, skipping rows of pairs in the current batch
/// (they would be false negatives); with σ, the rows σ mismatched (σ(r) ≠ r, the pairs OT confuses) come first in each
/// plan;</item>
/// <item>extra positives (v′ᵢ, tᵢ) and (vᵢ, t′ᵢ) for batch pairs that appear in a cached window (their newest row).</item>
/// </list>
/// Projections are of earlier model states, constant to the loss (no gradient), like a memory bank. Not thread-safe.
/// </summary>
public sealed class OtCrossModalNegatives : ICrossModalNegativeSource
{
    private static readonly byte[] Magic = "HNOTOTNG"u8.ToArray();
    private const int FormatVersion = 1;

    private readonly ISinkhornSolver _solver;
    private readonly List<(int[] Indices, float[] Images, float[] Texts)> _pending = [];
    private readonly Dictionary<long, int[]> _windowIndices = [];
    private readonly Dictionary<int, (long Window, int Row)> _newestRow = [];
    private int _batchSize = -1, _dimension = -1;

    /// <summary>Creates a source with an empty cache; the options are validated here.</summary>
    /// <param name="options">Window, ε, solver, cache and cap.</param>
    /// <param name="solver">The Sinkhorn solver of the entropic plan; <see cref="CpuSinkhorn"/> when null.</param>
    public OtCrossModalNegatives(OtCrossModalOptions options, ISinkhornSolver? solver = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        _solver = solver ?? new CpuSinkhorn();
        Cache = NewCache();
    }

    /// <summary>The settings.</summary>
    public OtCrossModalOptions Options { get; }

    /// <summary>The plans of past windows, keyed by window index (step / Δ).</summary>
    public PlanCache Cache { get; private set; }

    /// <summary>Steps (batches) seen.</summary>
    public long Steps { get; private set; }

    /// <summary>Plans computed: one per completed window of Δ batches.</summary>
    public long PlansComputed { get; private set; }

    /// <summary>Cached plans consulted (the cache's hit counter).</summary>
    public long CacheHits => Cache.Hits;

    /// <summary>Extra negative rows handed out, per modality, summed over steps.</summary>
    public long ExtraNegativesUsed { get; private set; }

    /// <summary>Extra positive pairs handed out, per direction, summed over steps.</summary>
    public long ExtraPositivesUsed { get; private set; }

    /// <summary>Seconds spent computing plans.</summary>
    public double PlanSeconds { get; private set; }

    /// <summary>Fraction of the newest plan's rows that σ matched to their own pair (null before a plan or without σ).</summary>
    public double? LastAssignmentAccuracy { get; private set; }

    /// <summary>The dataset indices of a cached window's rows (null when the window is not cached).</summary>
    public IReadOnlyList<int>? IndicesOf(long window) => Cache.Contains(window) ? _windowIndices[window] : null;

    /// <inheritdoc />
    public CrossModalNegatives? Negatives(CrossModalBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        int b = checked((int)batch.Images.shape[0]), d = checked((int)batch.Images.shape[1]);
        if (batch.Indices.Length != b)
            throw new ArgumentException($"The batch has {b} embeddings but {batch.Indices.Length} indices.", nameof(batch));
        if (_dimension >= 0 && (d != _dimension || (_pending.Count > 0 && b != _batchSize)))
            throw new ArgumentException($"The batch is {b}×{d}; this window's batches are {_batchSize}×{_dimension}.", nameof(batch));
        _batchSize = b;
        _dimension = d;

        long window = Steps / Options.Window;
        var inBatch = new HashSet<int>(batch.Indices);
        var negatives = Options.MaxExtraNegatives > 0 ? CollectNegatives(window, inBatch, d) : null;
        var positives = Options.ExtraPositives ? CollectPositives(batch.Indices, d) : null;
        Accumulate(batch, window);
        Steps++;

        if (negatives is null && positives is null) return null;
        var dtype = batch.Images.dtype;
        var device = batch.Images.device;
        Tensor Rows(float[] values, int rows) => tensor(values, new long[] { rows, d }).to_type(dtype).to(device);
        Tensor? extraImages = null, extraTexts = null, positiveImages = null, positiveTexts = null, targets = null;
        if (negatives is { } n)
        {
            extraImages = Rows(n.Images, n.Rows);
            extraTexts = Rows(n.Texts, n.Rows);
            ExtraNegativesUsed += n.Rows;
        }
        if (positives is { } p)
        {
            positiveImages = Rows(p.Images, p.Targets.Length);
            positiveTexts = Rows(p.Texts, p.Targets.Length);
            targets = tensor(p.Targets).to(device);
            ExtraPositivesUsed += p.Targets.Length;
        }
        return new CrossModalNegatives(ExtraTexts: extraTexts, ExtraImages: extraImages,
            ExtraPositiveImages: positiveImages, ExtraPositiveImageTargets: targets,
            ExtraPositiveTexts: positiveTexts, ExtraPositiveTextTargets: targets);
    }

    // v′ and t′ rows of the cached windows before this one, newest first, skipping the batch's own pairs.
    private (float[] Images, float[] Texts, int Rows)? CollectNegatives(long window, HashSet<int> inBatch, int d)
    {
        int cap = Options.MaxExtraNegatives;
        // Enough plans to fill the cap even if a window's worth of rows is skipped, and no more (each returned plan is a hit).
        int rowsPerPlan = Math.Max(1, Options.Window * _batchSize);
        int plansNeeded = (int)Math.Min(Options.CacheSize, (long)cap / rowsPerPlan + 2);
        var plans = Cache.PlansBefore(window, plansNeeded);
        var images = new List<float>();
        var texts = new List<float>();
        int rows = 0;
        foreach (var (w, plan) in plans)
        {
            if (plan.Dimension != d) continue;
            var indices = _windowIndices[w];
            foreach (int r in RowOrder(plan))
            {
                if (rows == cap) break;
                if (inBatch.Contains(indices[r])) continue;
                for (int k = 0; k < d; k++)
                {
                    images.Add((float)plan.ProjectedV[r * d + k]);
                    texts.Add((float)plan.ProjectedT[r * d + k]);
                }
                rows++;
            }
            if (rows == cap) break;
        }
        return rows == 0 ? null : (images.ToArray(), texts.ToArray(), rows);
    }

    // With σ, the rows it matched to another pair's text first: the pairs the current geometry confuses.
    private static IEnumerable<int> RowOrder(SmoothedPlan plan)
    {
        if (plan.Assignment is not { } sigma) return Enumerable.Range(0, plan.Count);
        var permutation = sigma.Permutation;
        return Enumerable.Range(0, plan.Count).Where(r => permutation[r] != r)
            .Concat(Enumerable.Range(0, plan.Count).Where(r => permutation[r] == r));
    }

    // v′ and t′ of the batch pairs' newest cached rows, each with the batch position it pairs with.
    private (float[] Images, float[] Texts, long[] Targets)? CollectPositives(int[] indices, int d)
    {
        var byWindow = new Dictionary<long, List<(int Position, int Row)>>();
        for (int p = 0; p < indices.Length; p++)
        {
            if (_newestRow.TryGetValue(indices[p], out var at) && Cache.Contains(at.Window))
            {
                if (!byWindow.TryGetValue(at.Window, out var list)) byWindow[at.Window] = list = [];
                list.Add((p, at.Row));
            }
        }
        if (byWindow.Count == 0) return null;
        var images = new List<float>();
        var texts = new List<float>();
        var targets = new List<long>();
        foreach (var (w, list) in byWindow.OrderByDescending(e => e.Key))
        {
            if (!Cache.TryGet(w, out var plan) || plan.Dimension != d) continue;
            foreach (var (position, r) in list)
            {
                for (int k = 0; k < d; k++)
                {
                    images.Add((float)plan.ProjectedV[r * d + k]);
                    texts.Add((float)plan.ProjectedT[r * d + k]);
                }
                targets.Add(position);
            }
        }
        return targets.Count == 0 ? null : (images.ToArray(), texts.ToArray(), targets.ToArray());
    }

    private void Accumulate(CrossModalBatch batch, long window)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        float[] Host(Tensor x) => x.detach().to_type(ScalarType.Float32).cpu().contiguous().data<float>().ToArray();
        _pending.Add(((int[])batch.Indices.Clone(), Host(batch.Images), Host(batch.Texts)));
        if (_pending.Count == Options.Window) ComputePlan(window);
    }

    private void ComputePlan(long window)
    {
        int d = _dimension;
        var indices = _pending.SelectMany(p => p.Indices).ToArray();
        var v = _pending.SelectMany(p => p.Images).ToArray();
        var t = _pending.SelectMany(p => p.Texts).ToArray();
        _pending.Clear();
        int n = indices.Length;
        var clock = Stopwatch.StartNew();
        var plan = SmoothedPlan.Compute(v, t, n, d, Options.Cost, Options.Epsilon, _solver, Options.Sinkhorn,
            assignmentDelta: Options.Solver == CrossModalPlanSolver.Approximate ? Options.ApproximateDelta : null,
            withAssignment: Options.Solver != CrossModalPlanSolver.Sinkhorn);
        PlanSeconds += clock.Elapsed.TotalSeconds;
        PlansComputed++;
        LastAssignmentAccuracy = plan.Assignment is { } sigma
            ? (double)Enumerable.Range(0, n).Count(r => sigma.Permutation[r] == r) / n
            : null;
        Store(window, plan, indices);
    }

    private void Store(long window, SmoothedPlan plan, int[] indices)
    {
        Cache.Add(window, plan);
        _windowIndices[window] = indices;
        foreach (long gone in _windowIndices.Keys.Where(w => !Cache.Contains(w)).ToList()) _windowIndices.Remove(gone);
        for (int r = 0; r < indices.Length; r++) _newestRow[indices[r]] = (window, r);
    }

    private PlanCache NewCache() => new(Options.CacheSize, policy: PlanEvictionPolicy.OldestWindowFirst);

    /// <summary>
    /// Writes the source's state (counters, the unfinished window's features, the cached plans and their indices) so that a
    /// resumed run continues as if uninterrupted. The stream is left open.
    /// </summary>
    public void Save(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Magic);
            writer.Write(FormatVersion);
            writer.Write(Options.Window);
            writer.Write(_batchSize);
            writer.Write(_dimension);
            writer.Write(Steps);
            writer.Write(PlansComputed);
            writer.Write(ExtraNegativesUsed);
            writer.Write(ExtraPositivesUsed);
            writer.Write(PlanSeconds);
            writer.Write(LastAssignmentAccuracy ?? -1.0);
            writer.Write(_windowIndices.Count);
            foreach (var (w, indices) in _windowIndices.OrderBy(e => e.Key))
            {
                writer.Write(w);
                WriteInts(writer, indices);
            }
            writer.Write(_pending.Count);
            foreach (var (indices, images, texts) in _pending)
            {
                WriteInts(writer, indices);
                WriteFloats(writer, images);
                WriteFloats(writer, texts);
            }
        }
        Cache.Save(stream);
    }

    /// <summary>Replaces this source's state with one written by <see cref="Save"/> under the same window Δ.</summary>
    /// <exception cref="InvalidDataException">The stream is not such a state, is truncated, or was saved with another Δ.</exception>
    public void Load(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        try
        {
            if (!reader.ReadBytes(Magic.Length).AsSpan().SequenceEqual(Magic))
                throw new InvalidDataException("Not an OT negative-source state: the stream does not start with 'HNOTOTNG'.");
            int version = reader.ReadInt32();
            if (version != FormatVersion)
                throw new InvalidDataException($"OT negative-source state version {version} is not supported (expected {FormatVersion}).");
            int window = reader.ReadInt32();
            if (window != Options.Window)
                throw new InvalidDataException($"The state was saved with window Δ = {window}; this source has Δ = {Options.Window}.");
            int batchSize = reader.ReadInt32(), dimension = reader.ReadInt32();
            long steps = reader.ReadInt64(), plans = reader.ReadInt64(), negatives = reader.ReadInt64(), positives = reader.ReadInt64();
            double seconds = reader.ReadDouble(), accuracy = reader.ReadDouble();
            var windows = new Dictionary<long, int[]>();
            int windowCount = reader.ReadInt32();
            if (windowCount < 0) throw new InvalidDataException($"The state lists {windowCount} windows.");
            for (int k = 0; k < windowCount; k++)
            {
                long w = reader.ReadInt64();
                windows[w] = ReadInts(reader);
            }
            int pendingCount = reader.ReadInt32();
            if (pendingCount < 0 || pendingCount >= Options.Window)
                throw new InvalidDataException($"The state holds {pendingCount} pending batches; a window of {Options.Window} holds fewer.");
            var pending = new List<(int[], float[], float[])>();
            for (int k = 0; k < pendingCount; k++) pending.Add((ReadInts(reader), ReadFloats(reader), ReadFloats(reader)));
            var cache = PlanCache.Load(stream);
            foreach (long w in cache.Windows)
                if (!windows.ContainsKey(w))
                    throw new InvalidDataException($"The state has no dataset indices for the cached plan of window {w}.");

            Cache = cache;
            _batchSize = batchSize;
            _dimension = dimension;
            Steps = steps;
            PlansComputed = plans;
            ExtraNegativesUsed = negatives;
            ExtraPositivesUsed = positives;
            PlanSeconds = seconds;
            LastAssignmentAccuracy = accuracy < 0 ? null : accuracy;
            _windowIndices.Clear();
            _newestRow.Clear();
            foreach (var (w, indices) in windows.OrderBy(e => e.Key))
            {
                _windowIndices[w] = indices;
                for (int r = 0; r < indices.Length; r++) _newestRow[indices[r]] = (w, r);
            }
            _pending.Clear();
            _pending.AddRange(pending);
        }
        catch (EndOfStreamException ex)
        {
            throw new InvalidDataException("OT negative-source state is truncated.", ex);
        }
    }

    private static void WriteInts(BinaryWriter writer, int[] values)
    {
        writer.Write(values.Length);
        foreach (int x in values) writer.Write(x);
    }

    private static void WriteFloats(BinaryWriter writer, float[] values)
    {
        writer.Write(values.Length);
        foreach (float x in values) writer.Write(x);
    }

    private static int ReadLength(BinaryReader reader)
    {
        int length = reader.ReadInt32();
        if (length < 0 || (reader.BaseStream.CanSeek && 4L * length > reader.BaseStream.Length - reader.BaseStream.Position))
            throw new InvalidDataException($"OT negative-source state is truncated or corrupt (an array of {length} entries).");
        return length;
    }

    private static int[] ReadInts(BinaryReader reader)
    {
        var values = new int[ReadLength(reader)];
        for (int k = 0; k < values.Length; k++) values[k] = reader.ReadInt32();
        return values;
    }

    private static float[] ReadFloats(BinaryReader reader)
    {
        var values = new float[ReadLength(reader)];
        for (int k = 0; k < values.Length; k++) values[k] = reader.ReadSingle();
        return values;
    }
}
