using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using HardNegOT.Assignment;
using HardNegOT.CrossModal;

namespace HardNegOT.Tests.CrossModal;

/// <summary>Eviction order, bounds, counters, the negatives lookup and the binary round trip of <see cref="PlanCache"/>.</summary>
public sealed class PlanCacheTests
{
    /// <summary>A plan with seeded arbitrary contents (the cache does not care what the numbers mean).</summary>
    private static SmoothedPlan MakePlan(int n, int d, int seed)
    {
        var rng = new Random(seed);
        double[] Random(int length) => Enumerable.Range(0, length).Select(_ => rng.NextDouble() - 0.5).ToArray();
        var cost = Random(n * n);
        var assignment = ExactAssignment.Solve(cost, n, n);
        return new SmoothedPlan(n, d, 0.1 + seed % 5, assignment, Random(n * n), Random(n * d), Random(n * d),
            planCost: rng.NextDouble(), sinkhornIterations: seed % 100, marginalError: rng.NextDouble() * 1e-6, converged: seed % 2 == 0);
    }

    private static long SizeOf(int n, int d) => MakePlan(n, d, 0).SizeInBytes;

    [Fact]
    public void Least_recently_used_goes_first_and_lookups_count_as_use()
    {
        var cache = new PlanCache(maxPlans: 3);
        cache.Add(1, MakePlan(3, 2, 1));
        cache.Add(2, MakePlan(3, 2, 2));
        cache.Add(3, MakePlan(3, 2, 3));
        Assert.True(cache.TryGet(1, out _));
        Assert.Equal([2, 3, 1], cache.Windows);

        Assert.True(cache.Add(4, MakePlan(3, 2, 4)));
        Assert.Equal([3, 1, 4], cache.Windows);
        Assert.False(cache.Contains(2));
        Assert.Equal(1, cache.Evictions);
    }

    [Fact]
    public void Oldest_window_goes_first_whatever_its_use()
    {
        var cache = new PlanCache(maxPlans: 3, policy: PlanEvictionPolicy.OldestWindowFirst);
        cache.Add(5, MakePlan(3, 2, 1));
        cache.Add(3, MakePlan(3, 2, 2));
        cache.Add(7, MakePlan(3, 2, 3));
        Assert.True(cache.TryGet(3, out _));
        Assert.True(cache.Add(8, MakePlan(3, 2, 4)));
        Assert.Equal([5, 7, 8], cache.Windows);

        // A window older than every held one is itself the oldest: it is not kept.
        Assert.False(cache.Add(1, MakePlan(3, 2, 5)));
        Assert.Equal([5, 7, 8], cache.Windows);
        Assert.Equal(2, cache.Evictions);
    }

    [Fact]
    public void Byte_budget_bounds_the_plans_held()
    {
        long size = SizeOf(4, 3);
        var cache = new PlanCache(maxPlans: 100, maxBytes: size * 5 / 2);
        for (int w = 0; w < 6; w++)
        {
            cache.Add(w, MakePlan(4, 3, w));
            Assert.True(cache.Bytes <= cache.MaxBytes);
        }

        Assert.Equal(2, cache.Count);
        Assert.Equal(2 * size, cache.Bytes);
        Assert.Equal([4, 5], cache.Windows);
    }

    [Fact]
    public void A_plan_larger_than_the_budget_is_refused()
    {
        var cache = new PlanCache(maxPlans: 4, maxBytes: SizeOf(4, 3) - 1);
        var ex = Assert.Throws<ArgumentException>(() => cache.Add(0, MakePlan(4, 3, 0)));
        Assert.Contains("budget", ex.Message);
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void Replacing_a_window_keeps_one_plan_and_the_byte_count_right()
    {
        var cache = new PlanCache(maxPlans: 2);
        cache.Add(1, MakePlan(3, 2, 1));
        var replacement = MakePlan(5, 2, 2);
        cache.Add(1, replacement);
        Assert.Equal(1, cache.Count);
        Assert.Equal(replacement.SizeInBytes, cache.Bytes);
        Assert.True(cache.TryGet(1, out var got));
        Assert.Same(replacement, got);
        Assert.Equal(0, cache.Evictions);
    }

    [Fact]
    public void Hits_and_misses_are_counted()
    {
        var cache = new PlanCache(maxPlans: 4);
        cache.Add(10, MakePlan(3, 2, 1));
        Assert.True(cache.TryGet(10, out _));
        Assert.False(cache.TryGet(11, out var missing));
        Assert.Null(missing);
        Assert.Empty(cache.PlansBefore(10, 5));
        Assert.Single(cache.PlansBefore(11, 5));
        Assert.Equal(2, cache.Hits);
        Assert.Equal(2, cache.Misses);
        Assert.True(cache.Contains(10));
    }

    [Fact]
    public void Old_plans_are_consulted_newest_first_and_kept_alive_by_use()
    {
        var cache = new PlanCache(maxPlans: 4);
        var plans = Enumerable.Range(0, 4).Select(w => MakePlan(3, 2, w)).ToArray();
        for (int w = 0; w < 4; w++) cache.Add(w, plans[w]);

        var before = cache.PlansBefore(3, 2);
        Assert.Equal([2L, 1L], before.Select(p => p.Key));
        Assert.Same(plans[2], before[0].Value);
        Assert.Same(plans[1], before[1].Value);
        Assert.Equal(2, cache.Hits);

        // Windows 1 and 2 were just consulted, so under LRU window 0 then 3 go first.
        cache.Add(4, MakePlan(3, 2, 4));
        cache.Add(5, MakePlan(3, 2, 5));
        Assert.Equal([1, 2, 4, 5], cache.Windows.Order());
    }

    [Fact]
    public void Save_and_load_round_trip_every_plan_bit_for_bit_and_the_state()
    {
        var cache = new PlanCache(maxPlans: 3, maxBytes: 1 << 20, policy: PlanEvictionPolicy.LeastRecentlyUsed);
        for (int w = 0; w < 4; w++) cache.Add(100 + w, MakePlan(3 + w, 2 + w % 2, w));
        cache.TryGet(102, out _);
        cache.TryGet(999, out _);

        using var stream = new MemoryStream();
        cache.Save(stream);
        stream.Position = 0;
        var loaded = PlanCache.Load(stream);

        Assert.Equal(stream.Length, stream.Position);
        Assert.Equal(cache.Windows, loaded.Windows);
        Assert.Equal((cache.MaxPlans, cache.MaxBytes, cache.Policy), (loaded.MaxPlans, loaded.MaxBytes, loaded.Policy));
        Assert.Equal((cache.Hits, cache.Misses, cache.Evictions, cache.Bytes), (loaded.Hits, loaded.Misses, loaded.Evictions, loaded.Bytes));
        foreach (long w in cache.Windows)
        {
            Assert.True(cache.TryGet(w, out var a));
            Assert.True(loaded.TryGet(w, out var b));
            AssertSamePlan(a, b);
        }

        // The restored recency order drives the same next eviction.
        cache.Add(200, MakePlan(3, 2, 9));
        loaded.Add(200, MakePlan(3, 2, 9));
        Assert.Equal(cache.Windows, loaded.Windows);
    }

    [Fact]
    public void Plans_without_an_assignment_round_trip_beside_plans_with_one()
    {
        var cache = new PlanCache(maxPlans: 3);
        var full = MakePlan(4, 2, 1);
        var entropicOnly = new SmoothedPlan(4, 2, 0.5, null, full.Plan, full.ProjectedV, full.ProjectedT, 0.3, 7, 1e-7, true);
        Assert.True(entropicOnly.SizeInBytes < full.SizeInBytes);
        cache.Add(1, full);
        cache.Add(2, entropicOnly);
        using var stream = new MemoryStream();
        cache.Save(stream);
        stream.Position = 0;
        var loaded = PlanCache.Load(stream);
        Assert.Equal(stream.Length, stream.Position);
        Assert.True(loaded.TryGet(1, out var a) && a.Assignment is not null);
        Assert.True(loaded.TryGet(2, out var b) && b.Assignment is null);
        AssertSamePlan(full, a);
        AssertSamePlan(entropicOnly, b);
    }

    [Fact]
    public void Save_and_load_keep_the_oldest_window_policy()
    {
        var cache = new PlanCache(maxPlans: 2, policy: PlanEvictionPolicy.OldestWindowFirst);
        cache.Add(4, MakePlan(3, 2, 1));
        cache.Add(2, MakePlan(3, 2, 2));
        using var stream = new MemoryStream();
        cache.Save(stream);
        stream.Position = 0;
        var loaded = PlanCache.Load(stream);
        Assert.Equal(PlanEvictionPolicy.OldestWindowFirst, loaded.Policy);
        loaded.Add(9, MakePlan(3, 2, 3));
        Assert.Equal([4, 9], loaded.Windows);
    }

    [Fact]
    public void Loading_a_stream_that_is_not_a_cache_fails_clearly()
    {
        var ex = Assert.Throws<InvalidDataException>(() => PlanCache.Load(new MemoryStream("not a cache at all"u8.ToArray())));
        Assert.Contains("HNOTPLAN", ex.Message);
    }

    [Fact]
    public void Loading_a_truncated_stream_fails_clearly()
    {
        var cache = new PlanCache(maxPlans: 2);
        cache.Add(1, MakePlan(6, 3, 1));
        using var stream = new MemoryStream();
        cache.Save(stream);
        var bytes = stream.ToArray();
        foreach (int cut in new[] { 10, 40, bytes.Length / 2, bytes.Length - 1 })
        {
            var ex = Assert.Throws<InvalidDataException>(() => PlanCache.Load(new MemoryStream(bytes[..cut])));
            Assert.Contains("truncated", ex.Message);
        }
    }

    [Fact]
    public void Loading_another_version_fails_clearly()
    {
        using var stream = new MemoryStream();
        new PlanCache(maxPlans: 1).Save(stream);
        var bytes = stream.ToArray();
        bytes[8] = 99; // the version follows the 8-byte magic
        var ex = Assert.Throws<InvalidDataException>(() => PlanCache.Load(new MemoryStream(bytes)));
        Assert.Contains("version 99", ex.Message);
    }

    [Fact]
    public void Bounds_below_one_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new PlanCache(maxPlans: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PlanCache(maxPlans: 1, maxBytes: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PlanCache(maxPlans: 1, policy: (PlanEvictionPolicy)7));
    }

    /// <summary>Random add/lookup sequences against a plain list model of LRU with both bounds.</summary>
    [Property(MaxTest = 100)]
    public Property Matches_a_list_model_under_random_operations() => Prop.ForAll(
        Arb.From(
            from maxPlans in Gen.Choose(1, 5)
            from budgetPlans in Gen.Choose(1, 6)
            from ops in Gen.ListOf(
                from kind in Gen.Choose(0, 2)
                from window in Gen.Choose(0, 9)
                from n in Gen.Choose(2, 4)
                select (kind, window, n))
            select (maxPlans, budgetPlans, ops: ops.ToArray())),
        t =>
        {
            long maxBytes = t.budgetPlans * SizeOf(4, 2);
            var cache = new PlanCache(t.maxPlans, maxBytes);
            var model = new List<(long Window, long Size)>(); // least recent first
            foreach (var (kind, window, n) in t.ops)
            {
                if (kind == 0)
                {
                    var plan = MakePlan(n, 2, window);
                    cache.Add(window, plan);
                    model.RemoveAll(e => e.Window == window);
                    model.Add((window, plan.SizeInBytes));
                    while (model.Count > t.maxPlans || model.Sum(e => e.Size) > maxBytes) model.RemoveAt(0);
                }
                else
                {
                    bool found = cache.TryGet(window, out _);
                    int index = model.FindIndex(e => e.Window == window);
                    Assert.Equal(index >= 0, found);
                    if (index >= 0)
                    {
                        var entry = model[index];
                        model.RemoveAt(index);
                        model.Add(entry);
                    }
                }

                Assert.Equal(model.Select(e => e.Window), cache.Windows);
                Assert.Equal(model.Sum(e => e.Size), cache.Bytes);
                Assert.True(cache.Count <= t.maxPlans && cache.Bytes <= maxBytes);
            }
        });

    private static void AssertSamePlan(SmoothedPlan a, SmoothedPlan b)
    {
        Assert.Equal((a.Count, a.Dimension, a.Epsilon, a.PlanCost, a.SinkhornIterations, a.MarginalError, a.Converged),
            (b.Count, b.Dimension, b.Epsilon, b.PlanCost, b.SinkhornIterations, b.MarginalError, b.Converged));
        Assert.Equal(a.Plan, b.Plan);
        Assert.Equal(a.ProjectedV, b.ProjectedV);
        Assert.Equal(a.ProjectedT, b.ProjectedT);
        Assert.Equal(a.Assignment?.Permutation, b.Assignment?.Permutation);
        Assert.Equal(a.Assignment?.TotalCost, b.Assignment?.TotalCost);
        Assert.Equal(a.Assignment?.RowPotentials, b.Assignment?.RowPotentials);
        Assert.Equal(a.Assignment?.ColumnPotentials, b.Assignment?.ColumnPotentials);
        Assert.Equal(a.Assignment?.AdditiveBound, b.Assignment?.AdditiveBound);
    }
}
