using System.Diagnostics.CodeAnalysis;
using System.Text;
using HardNegOT.Assignment;

namespace HardNegOT.CrossModal;

/// <summary>
/// Cross-modal plans of past windows (training steps, batches), keyed by window index, so that later windows can consult
/// them for negatives. Bounded by a plan count and a byte budget (<see cref="SmoothedPlan.SizeInBytes"/>); when either is
/// exceeded, plans are evicted by the <see cref="PlanEvictionPolicy"/> until both hold. Counts hits and misses, and saves
/// to and loads from a binary stream so that a checkpoint can carry it. Not thread-safe.
/// </summary>
public sealed class PlanCache
{
    private static readonly byte[] Magic = "HNOTPLAN"u8.ToArray();
    // 2: plans may lack the assignment (a flag byte before it); version 1 streams still load.
    private const int FormatVersion = 2;

    private readonly Dictionary<long, LinkedListNode<Entry>> _entries = [];

    // Least recently used first.
    private readonly LinkedList<Entry> _recency = new();

    /// <summary>Creates an empty cache.</summary>
    /// <param name="maxPlans">At most this many plans are kept (≥ 1).</param>
    /// <param name="maxBytes">At most this many bytes of plan arrays are kept (≥ 1; unbounded by default).</param>
    /// <param name="policy">Which plan goes first when a bound is exceeded.</param>
    /// <exception cref="ArgumentOutOfRangeException">A bound is below 1 or the policy is unknown.</exception>
    public PlanCache(int maxPlans, long maxBytes = long.MaxValue, PlanEvictionPolicy policy = PlanEvictionPolicy.LeastRecentlyUsed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPlans, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBytes, 1L);
        if (!Enum.IsDefined(policy))
            throw new ArgumentOutOfRangeException(nameof(policy), policy, "Unknown eviction policy.");
        MaxPlans = maxPlans;
        MaxBytes = maxBytes;
        Policy = policy;
    }

    /// <summary>The plan-count bound.</summary>
    public int MaxPlans { get; }

    /// <summary>The byte bound.</summary>
    public long MaxBytes { get; }

    /// <summary>The eviction policy.</summary>
    public PlanEvictionPolicy Policy { get; }

    /// <summary>Plans held now.</summary>
    public int Count => _entries.Count;

    /// <summary>Bytes of the plans held now (the sum of their <see cref="SmoothedPlan.SizeInBytes"/>).</summary>
    public long Bytes { get; private set; }

    /// <summary>Lookups that found a plan: one per <see cref="TryGet"/> success and one per plan <see cref="PlansBefore"/> returns.</summary>
    public long Hits { get; private set; }

    /// <summary>Lookups that found nothing: a failed <see cref="TryGet"/>, or a <see cref="PlansBefore"/> that returned no plan.</summary>
    public long Misses { get; private set; }

    /// <summary>Plans dropped to keep within the bounds (replacements of a window's plan are not counted).</summary>
    public long Evictions { get; private set; }

    /// <summary>The windows held, in eviction order: the next victim first.</summary>
    public IReadOnlyList<long> Windows => Policy == PlanEvictionPolicy.LeastRecentlyUsed
        ? _recency.Select(e => e.Window).ToList()
        : _entries.Keys.Order().ToList();

    /// <summary>
    /// Stores <paramref name="plan"/> as the plan of <paramref name="window"/> (replacing any earlier one, and counting as
    /// a use), then evicts until both bounds hold.
    /// </summary>
    /// <returns>
    /// Whether the plan is still held: false only under <see cref="PlanEvictionPolicy.OldestWindowFirst"/> when the new
    /// window is older than every held one and the cache is full.
    /// </returns>
    /// <exception cref="ArgumentException">The plan alone is larger than <see cref="MaxBytes"/>.</exception>
    public bool Add(long window, SmoothedPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        long size = plan.SizeInBytes;
        if (size > MaxBytes)
            throw new ArgumentException(
                $"The plan of window {window} takes {size} bytes, more than the cache's whole budget of {MaxBytes} bytes.", nameof(plan));

        Remove(window);
        var node = _recency.AddLast(new Entry(window, plan, size));
        _entries[window] = node;
        Bytes += size;
        while (Count > MaxPlans || Bytes > MaxBytes)
        {
            Remove(NextVictim());
            Evictions++;
        }

        return _entries.ContainsKey(window);
    }

    /// <summary>Looks up the plan of one window, counting a hit or a miss; a hit counts as a use.</summary>
    public bool TryGet(long window, [MaybeNullWhen(false)] out SmoothedPlan plan)
    {
        if (_entries.TryGetValue(window, out var node))
        {
            Touch(node);
            Hits++;
            plan = node.Value.Plan;
            return true;
        }

        Misses++;
        plan = null;
        return false;
    }

    /// <summary>Whether a plan of <paramref name="window"/> is held (no counters, no use).</summary>
    public bool Contains(long window) => _entries.ContainsKey(window);

    /// <summary>
    /// The held plans of windows before <paramref name="window"/>, newest first, at most <paramref name="maxCount"/>: the
    /// old plans a window consults for negatives. Each returned plan counts as a hit and a use; none returned counts a miss.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxCount"/> is negative.</exception>
    public IReadOnlyList<KeyValuePair<long, SmoothedPlan>> PlansBefore(long window, int maxCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxCount);
        var found = _entries.Keys.Where(w => w < window).OrderDescending().Take(maxCount).ToList();
        if (found.Count == 0)
        {
            Misses++;
            return [];
        }

        var result = new List<KeyValuePair<long, SmoothedPlan>>(found.Count);
        foreach (long w in found)
        {
            var node = _entries[w];
            Touch(node);
            result.Add(new(w, node.Value.Plan));
        }

        Hits += found.Count;
        return result;
    }

    /// <summary>Drops every plan; the counters stay.</summary>
    public void Clear()
    {
        _entries.Clear();
        _recency.Clear();
        Bytes = 0;
    }

    /// <summary>
    /// Writes the bounds, policy, counters and every plan (in recency order, so that LRU order survives) to
    /// <paramref name="stream"/>, little-endian. The stream is left open.
    /// </summary>
    public void Save(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        writer.Write(Magic);
        writer.Write(FormatVersion);
        writer.Write((int)Policy);
        writer.Write(MaxPlans);
        writer.Write(MaxBytes);
        writer.Write(Hits);
        writer.Write(Misses);
        writer.Write(Evictions);
        writer.Write(Count);
        foreach (var entry in _recency)
        {
            writer.Write(entry.Window);
            WritePlan(writer, entry.Plan);
        }
    }

    /// <summary>Reads a cache written by <see cref="Save"/>. The stream is left open.</summary>
    /// <exception cref="InvalidDataException">The stream is not a plan cache, is of another version, truncated or inconsistent.</exception>
    public static PlanCache Load(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        try
        {
            var magic = reader.ReadBytes(Magic.Length);
            if (!magic.AsSpan().SequenceEqual(Magic))
                throw new InvalidDataException("Not a plan cache: the stream does not start with 'HNOTPLAN'.");
            int version = reader.ReadInt32();
            if (version is not (1 or FormatVersion))
                throw new InvalidDataException($"Plan cache format version {version} is not supported (expected 1 or {FormatVersion}).");

            var policy = (PlanEvictionPolicy)reader.ReadInt32();
            int maxPlans = reader.ReadInt32();
            long maxBytes = reader.ReadInt64();
            PlanCache cache;
            try
            {
                cache = new PlanCache(maxPlans, maxBytes, policy);
            }
            catch (ArgumentException ex)
            {
                throw new InvalidDataException($"Plan cache header is invalid: {ex.Message}", ex);
            }

            long hits = reader.ReadInt64(), misses = reader.ReadInt64(), evictions = reader.ReadInt64();
            int count = reader.ReadInt32();
            if (count < 0 || count > maxPlans)
                throw new InvalidDataException($"Plan cache holds {count} plans but its bound is {maxPlans}.");
            for (int k = 0; k < count; k++)
            {
                long window = reader.ReadInt64();
                if (cache.Contains(window))
                    throw new InvalidDataException($"Plan cache holds window {window} twice.");
                var plan = ReadPlan(reader, version);
                bool held;
                try
                {
                    held = cache.Add(window, plan);
                }
                catch (ArgumentException ex)
                {
                    throw new InvalidDataException($"Plan cache entry of window {window} does not fit its bounds: {ex.Message}", ex);
                }

                if (!held || cache.Evictions > 0)
                    throw new InvalidDataException($"Plan cache entries exceed its bounds at window {window}.");
            }

            cache.Hits = hits;
            cache.Misses = misses;
            cache.Evictions = evictions;
            return cache;
        }
        catch (EndOfStreamException ex)
        {
            throw new InvalidDataException("Plan cache stream is truncated.", ex);
        }
    }

    private LinkedListNode<Entry> NextVictim() => Policy == PlanEvictionPolicy.LeastRecentlyUsed
        ? _recency.First!
        : _entries[_entries.Keys.Min()];

    private void Remove(LinkedListNode<Entry> node)
    {
        _recency.Remove(node);
        _entries.Remove(node.Value.Window);
        Bytes -= node.Value.Size;
    }

    private void Remove(long window)
    {
        if (_entries.TryGetValue(window, out var node)) Remove(node);
    }

    private void Touch(LinkedListNode<Entry> node)
    {
        _recency.Remove(node);
        _recency.AddLast(node);
    }

    private static void WritePlan(BinaryWriter writer, SmoothedPlan plan)
    {
        writer.Write(plan.Count);
        writer.Write(plan.Dimension);
        writer.Write(plan.Epsilon);
        writer.Write(plan.PlanCost);
        writer.Write(plan.SinkhornIterations);
        writer.Write(plan.MarginalError);
        writer.Write(plan.Converged);
        writer.Write(plan.Assignment is not null);
        if (plan.Assignment is { } assignment)
        {
            foreach (int j in assignment.Permutation) writer.Write(j);
            writer.Write(assignment.TotalCost);
            WriteDoubles(writer, assignment.RowPotentials);
            WriteDoubles(writer, assignment.ColumnPotentials);
            writer.Write(assignment.AdditiveBound);
        }
        WriteDoubles(writer, plan.Plan);
        WriteDoubles(writer, plan.ProjectedV);
        WriteDoubles(writer, plan.ProjectedT);
    }

    private static SmoothedPlan ReadPlan(BinaryReader reader, int version)
    {
        int n = reader.ReadInt32(), d = reader.ReadInt32();
        if (n < 1 || d < 1)
            throw new InvalidDataException($"Plan cache entry has n = {n}, d = {d}; both must be positive.");
        // Refuse sizes the rest of the stream cannot hold before allocating for them.
        long needed = 8L * ((long)n * n + 2L * n * d);
        if (reader.BaseStream.CanSeek && needed > reader.BaseStream.Length - reader.BaseStream.Position)
            throw new InvalidDataException($"Plan cache stream is truncated: an n = {n}, d = {d} plan needs {needed} more bytes.");

        double epsilon = reader.ReadDouble(), planCost = reader.ReadDouble();
        int iterations = reader.ReadInt32();
        double marginalError = reader.ReadDouble();
        bool converged = reader.ReadBoolean();
        bool hasAssignment = version == 1 || reader.ReadBoolean();
        var assignment = hasAssignment ? ReadAssignment(reader, n) : null;
        var plan = ReadDoubles(reader, n * n);
        var projectedV = ReadDoubles(reader, n * d);
        var projectedT = ReadDoubles(reader, n * d);
        try
        {
            return new SmoothedPlan(n, d, epsilon, assignment, plan, projectedV, projectedT, planCost, iterations, marginalError, converged);
        }
        catch (ArgumentException ex)
        {
            throw new InvalidDataException($"Plan cache entry is inconsistent: {ex.Message}", ex);
        }
    }

    private static AssignmentResult ReadAssignment(BinaryReader reader, int n)
    {
        var permutation = new int[n];
        var seen = new bool[n];
        for (int i = 0; i < n; i++)
        {
            int j = reader.ReadInt32();
            if ((uint)j >= (uint)n || seen[j])
                throw new InvalidDataException($"Plan cache entry's assignment is not a permutation (row {i} → {j}).");
            seen[j] = true;
            permutation[i] = j;
        }

        double totalCost = reader.ReadDouble();
        var u = ReadDoubles(reader, n);
        var v = ReadDoubles(reader, n);
        double additiveBound = reader.ReadDouble();
        try
        {
            return new AssignmentResult(permutation, totalCost, u, v, additiveBound);
        }
        catch (ArgumentException ex)
        {
            throw new InvalidDataException($"Plan cache entry's assignment is inconsistent: {ex.Message}", ex);
        }
    }

    private static void WriteDoubles(BinaryWriter writer, double[] values)
    {
        foreach (double x in values) writer.Write(x);
    }

    private static double[] ReadDoubles(BinaryReader reader, int count)
    {
        var values = new double[count];
        for (int k = 0; k < count; k++) values[k] = reader.ReadDouble();
        return values;
    }

    private sealed record Entry(long Window, SmoothedPlan Plan, long Size);
}
