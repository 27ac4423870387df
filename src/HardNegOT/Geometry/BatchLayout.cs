namespace HardNegOT.Geometry;

/// <summary>
/// Which rows of a batch are positives of each other. A row's positive and the row itself get no
/// transport mass (the paper's c = ∞ entries); every other row is a candidate negative.
/// </summary>
public sealed class BatchLayout
{
    private readonly int[] _positiveOf;
    private int[][]? _maskedColumns;

    private BatchLayout(int[] positiveOf, string name, bool masksSelf = true)
    {
        _positiveOf = positiveOf;
        Name = name;
        MasksSelf = masksSelf;
    }

    /// <summary>Number of rows in the batch.</summary>
    public int Count => _positiveOf.Length;

    /// <summary>Short description of the layout ("two-view", "unpaired", "explicit", "unmasked").</summary>
    public string Name { get; }

    /// <summary>
    /// True (every layout but <see cref="Unmasked"/>) when a row never transports to itself. The fused device
    /// kernels assume it.
    /// </summary>
    public bool MasksSelf { get; }

    /// <summary>
    /// The two-view layout [view 1; view 2] of a batch of <paramref name="batchSize"/> samples:
    /// N = 2B rows and the positive of row i is i ± B.
    /// </summary>
    public static BatchLayout TwoView(int batchSize)
    {
        if (batchSize < 2)
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize,
                "The two-view layout needs at least 2 samples (N = 2B ≥ 4) so that every row keeps a negative.");
        var positives = new int[2 * batchSize];
        for (int i = 0; i < batchSize; i++)
        {
            positives[i] = i + batchSize;
            positives[i + batchSize] = i;
        }
        return new BatchLayout(positives, "two-view");
    }

    /// <summary>A batch without positive pairs: only self-coupling is excluded.</summary>
    public static BatchLayout Unpaired(int count)
    {
        RequireCount(count, nameof(count));
        var positives = new int[count];
        Array.Fill(positives, -1);
        return new BatchLayout(positives, "unpaired");
    }

    /// <summary>
    /// No mask at all, not even i = j: ordinary OT between weighted point sets (e.g. the self terms OT_ε(α, α) of
    /// a Sinkhorn divergence), not a contrastive batch. Any count ≥ 1.
    /// </summary>
    public static BatchLayout Unmasked(int count)
    {
        if (count < 1)
            throw new ArgumentOutOfRangeException(nameof(count), count, "A layout needs at least one row.");
        var positives = new int[count];
        Array.Fill(positives, -1);
        return new BatchLayout(positives, "unmasked", masksSelf: false);
    }

    /// <summary>
    /// An explicit positive-index map: <c>positiveOf[i]</c> is the positive of row i, or −1 for none.
    /// The relation is made symmetric: if j is the positive of i, i is excluded from j's negatives too.
    /// </summary>
    public static BatchLayout FromPositives(ReadOnlySpan<int> positiveOf)
    {
        RequireCount(positiveOf.Length, nameof(positiveOf));
        var map = positiveOf.ToArray();
        for (int i = 0; i < map.Length; i++)
        {
            int p = map[i];
            if (p < -1 || p >= map.Length)
                throw new ArgumentOutOfRangeException(nameof(positiveOf), p,
                    $"positiveOf[{i}] = {p} is not a row index in [0, {map.Length}) nor −1.");
            if (p == i)
                throw new ArgumentException($"positiveOf[{i}] = {i}: a row cannot be its own positive.", nameof(positiveOf));
        }
        var layout = new BatchLayout(map, "explicit");
        for (int i = 0; i < map.Length; i++)
            if (layout.NegativeCount(i) == 0)
                throw new ArgumentException($"Row {i} has no unmasked negative left in the layout.", nameof(positiveOf));
        return layout;
    }

    /// <summary>The positive of row <paramref name="i"/>, or −1 when it has none.</summary>
    public int PositiveOf(int i) => _positiveOf[i];

    /// <summary>True when (i, j) carries no mass: the diagonal (unless <see cref="Unmasked"/>) and positive pairs in either direction.</summary>
    public bool IsMasked(int i, int j) => (i == j && MasksSelf) || _positiveOf[i] == j || _positiveOf[j] == i;

    /// <summary>
    /// The columns row <paramref name="i"/> excludes: itself, its positive, and every row that names it
    /// as positive. At most a handful, so solvers mask a materialised row in O(1) instead of testing N pairs.
    /// </summary>
    public ReadOnlySpan<int> MaskedColumns(int i) => (_maskedColumns ??= BuildMaskedColumns())[i];

    /// <summary>Number of unmasked negatives of row <paramref name="i"/>.</summary>
    public int NegativeCount(int i) => Count - MaskedColumns(i).Length;

    /// <summary>The same layout with rows permuted: row <c>k</c> of the result is row <c>permutation[k]</c> of this one.</summary>
    public BatchLayout Permute(ReadOnlySpan<int> permutation)
    {
        if (permutation.Length != Count)
            throw new ArgumentException($"permutation has length {permutation.Length}, expected {Count}.", nameof(permutation));
        var inverse = new int[Count];
        Array.Fill(inverse, -1);
        for (int k = 0; k < Count; k++)
        {
            int r = permutation[k];
            if ((uint)r >= (uint)Count || inverse[r] >= 0)
                throw new ArgumentException($"permutation[{k}] = {r} makes it not a permutation of 0..{Count - 1}.", nameof(permutation));
            inverse[r] = k;
        }
        var map = new int[Count];
        for (int k = 0; k < Count; k++)
        {
            int p = _positiveOf[permutation[k]];
            map[k] = p < 0 ? -1 : inverse[p];
        }
        return new BatchLayout(map, Name, MasksSelf);
    }

    private int[][] BuildMaskedColumns()
    {
        var lists = new List<int>[Count];
        for (int i = 0; i < Count; i++) lists[i] = MasksSelf ? [i] : [];
        for (int i = 0; i < Count; i++)
        {
            int p = _positiveOf[i];
            if (p < 0) continue;
            if (!lists[i].Contains(p)) lists[i].Add(p);
            if (!lists[p].Contains(i)) lists[p].Add(i);
        }
        return Array.ConvertAll(lists, l => l.ToArray());
    }

    private static void RequireCount(int count, string paramName)
    {
        if (count < 3)
            throw new ArgumentOutOfRangeException(paramName, count, "A batch needs at least 3 rows to leave every row a negative.");
    }
}
