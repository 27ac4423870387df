namespace HardNegOT.CrossModal;

/// <summary>Which plan a full <see cref="PlanCache"/> drops first.</summary>
public enum PlanEvictionPolicy
{
    /// <summary>The plan least recently added or looked up (<see cref="PlanCache.TryGet"/>, <see cref="PlanCache.PlansBefore"/>).</summary>
    LeastRecentlyUsed,

    /// <summary>The plan of the smallest window index, whatever its use: a sliding window over training steps.</summary>
    OldestWindowFirst,
}
