using System.Numerics;

namespace HardNegOT.Assignment;

/// <summary>
/// δ-approximate minimum-cost assignment of an n×n cost matrix by a Gauss–Seidel forward auction (after Bertsekas;
/// ε-scaling only for fine δ), with per-row candidate lists so that most bids look at a few columns instead of n.
/// </summary>
/// <remarks>
/// <para>
/// <b>What δ bounds.</b> δ is in the units of the costs and bounds the optimal-transport cost with uniform marginals 1/n,
/// i.e. the mean cost per matched pair: (1/n)·Σ_i C[i, σ(i)] ≤ (1/n)·Σ_i C[i, σ*(i)] + δ for an optimal σ*, equivalently
/// <see cref="AssignmentResult.TotalCost"/> ≤ optimal total + n·δ (<see cref="AssignmentResult.AdditiveBound"/> = n·δ).
/// No rescaling by max C happens: a cost matrix in [0, 4] with δ = 0.01 is good to 1/400 of its range per pair.
/// </para>
/// <para>
/// <b>Why it holds.</b> Rows bid for columns whose prices p only rise; every assigned row i holds a column within ε of its
/// best, C[i, σ(i)] + p[σ(i)] ≤ min_j (C_ij + p_j) + ε (ε-complementary slackness). Summing over rows, TotalCost ≤
/// Σ_i min_j (C_ij + p_j) − Σ_j p_j + n·ε, and that middle term is the value of the feasible duals
/// u_i = min_j (C_ij + p_j), v_j = −p_j, hence at most the optimum. One phase at ε = δ suffices and, measured on dense
/// random costs, beats ε-scaling (each new phase re-bids most rows); only when range/δ exceeds 4096 does ε start at
/// range/4096 and shrink 8-fold per phase, stopping at ε = δ or earlier once a dual lower bound certifies
/// TotalCost − bound ≤ n·δ.
/// The returned duals are recomputed exactly at the end, so <see cref="AssignmentResult.CertifiedGap"/> is the tightest
/// certificate these prices give.
/// </para>
/// <para>
/// <b>Candidate lists.</b> Each row keeps the 8 columns that were cheapest when the list was
/// built and the next value as a threshold. Prices only rise, so every other column still costs at least the threshold:
/// while the best candidate is below it, that candidate is the row's true best, and min(second candidate, threshold) is
/// a lower bound on the second best. Bidding with that bound raises the price by no more than the exact bid, which keeps
/// ε-slackness; a full O(n) scan rebuilds the list only when the threshold is passed.
/// </para>
/// <para>
/// When δ is below about 1e-9 of the cost magnitudes the bids would drown in rounding, so the exact solver runs instead
/// (its result satisfies every δ).
/// </para>
/// </remarks>
public static class ApproximateAssignment
{
    /// <summary>Columns remembered per row between full scans.</summary>
    internal const int CandidateCount = 8;

    /// <summary>
    /// Largest range/δ solved in a single phase at ε = δ. A phase from scratch can take about range/ε bids per row,
    /// so finer δ first runs phases from ε = range / this, which bound the work of the next.
    /// </summary>
    private const double SinglePhaseRatio = 4096;

    /// <summary>ε shrinks by this factor from phase to phase when ε-scaling runs.</summary>
    private const double Reduction = 8;

    /// <summary>Smallest δ, relative to the cost magnitudes, that the auction resolves; below it the exact solver runs.</summary>
    internal const double RelativePrecisionFloor = 1e-9;

    /// <summary>Finds a matching whose mean cost is within <paramref name="delta"/> of the optimal mean cost.</summary>
    /// <param name="cost">Row-major costs: entry (i, j) at i·columns + j. Any finite values (negative allowed).</param>
    /// <param name="rows">Number of rows n.</param>
    /// <param name="columns">Number of columns; must equal <paramref name="rows"/>.</param>
    /// <param name="delta">Accuracy δ &gt; 0 per matched pair, in cost units: TotalCost ≤ optimal total + n·δ.</param>
    /// <returns>
    /// The permutation, its total cost, feasible duals whose <see cref="AssignmentResult.DualBound"/> certifies the actual gap,
    /// and <see cref="AssignmentResult.AdditiveBound"/> = n·δ.
    /// </returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="delta"/> is not positive and finite.</exception>
    /// <exception cref="ArgumentException">The matrix is not square, its length does not match, or an entry is NaN or infinite.</exception>
    public static AssignmentResult Solve(ReadOnlySpan<double> cost, int rows, int columns, double delta)
    {
        if (!(delta > 0) || !double.IsFinite(delta))
            throw new ArgumentOutOfRangeException(nameof(delta), delta, "delta (δ, the accuracy per matched pair) must be positive and finite.");
        int n = AssignmentInput.Validate(cost, rows, columns, nameof(cost), out double min, out double max);
        double range = max - min;
        if (delta < RelativePrecisionFloor * Math.Max(range, Math.Max(Math.Abs(min), Math.Abs(max))))
            return ExactAssignment.Solve(cost, rows, columns);

        var auction = new Auction(n);
        double additiveBound = n * delta;
        double epsilon = Math.Max(range / SinglePhaseRatio, delta);
        while (true)
        {
            auction.Run(cost, epsilon);
            if (epsilon <= delta || auction.CheapGap(cost) <= additiveBound) break;
            epsilon = Math.Max(epsilon / Reduction, delta);
            auction.ReleaseRowsBeyond(cost, epsilon);
        }

        return auction.Result(cost, additiveBound);
    }

    /// <summary>The state of one auction: prices, the matching and the candidate lists.</summary>
    private sealed class Auction
    {
        private readonly int _n;
        private readonly int _k;
        private readonly double[] _price;
        private readonly int[] _ownerOfColumn;
        private readonly int[] _columnOfRow;
        private readonly int[] _free;
        private readonly int[] _candidates;
        private readonly double[] _threshold;
        private readonly double[] _candidateValues;

        public Auction(int n)
        {
            _n = n;
            _k = Math.Min(CandidateCount, n);
            _price = new double[n];
            _ownerOfColumn = new int[n];
            _columnOfRow = new int[n];
            _free = new int[n];
            _candidates = new int[n * _k];
            _threshold = new double[n];
            _candidateValues = new double[_k + 1];
            Array.Fill(_ownerOfColumn, -1);
            Array.Fill(_columnOfRow, -1);
            // Empty lists: the first bid of every row scans its row.
            Array.Fill(_threshold, double.NegativeInfinity);
        }

        /// <summary>Bids until every row holds a column, keeping ε-slackness for every holder.</summary>
        public void Run(ReadOnlySpan<double> cost, double epsilon)
        {
            int freeCount = 0;
            for (int i = 0; i < _n; i++)
            {
                if (_columnOfRow[i] < 0) _free[freeCount++] = i;
            }

            while (freeCount > 0)
            {
                int i = _free[--freeCount];
                int j = BestTwo(cost, i, out double best, out double second);
                // Raise the price until the second-best column (or a lower bound on it) is as good, plus ε.
                _price[j] += (_n > 1 ? second - best : 0) + epsilon;
                int previous = _ownerOfColumn[j];
                _ownerOfColumn[j] = i;
                _columnOfRow[i] = j;
                if (previous >= 0)
                {
                    _columnOfRow[previous] = -1;
                    _free[freeCount++] = previous;
                }
            }
        }

        /// <summary>TotalCost minus a dual lower bound built from the candidate lists: O(n·k), at least the true gap.</summary>
        public double CheapGap(ReadOnlySpan<double> cost)
        {
            double gap = 0;
            for (int i = 0; i < _n; i++)
            {
                int j = _columnOfRow[i];
                gap += cost[i * _n + j] + _price[j] - RowLowerBound(cost, i);
            }

            return gap;
        }

        /// <summary>Frees the rows that may be more than <paramref name="epsilon"/> above their best column.</summary>
        public void ReleaseRowsBeyond(ReadOnlySpan<double> cost, double epsilon)
        {
            for (int i = 0; i < _n; i++)
            {
                int j = _columnOfRow[i];
                if (cost[i * _n + j] + _price[j] > RowLowerBound(cost, i) + epsilon)
                {
                    _columnOfRow[i] = -1;
                    _ownerOfColumn[j] = -1;
                }
            }
        }

        /// <summary>The matching with exact duals u_i = min_j (C_ij + p_j), v_j = −p_j (one vectorised O(n²) pass).</summary>
        public AssignmentResult Result(ReadOnlySpan<double> cost, double additiveBound)
        {
            var u = new double[_n];
            var v = new double[_n];
            double total = 0;
            for (int i = 0; i < _n; i++)
            {
                RowMinima.BestTwo(cost.Slice(i * _n, _n), _price, out u[i], out _, out _);
                total += cost[i * _n + _columnOfRow[i]];
            }

            for (int j = 0; j < _n; j++) v[j] = -_price[j];
            return new AssignmentResult(_columnOfRow, total, u, v, additiveBound);
        }

        /// <summary>min(candidate values, threshold) ≤ min_j (C_ij + p_j): prices have only risen since the list was built.</summary>
        private double RowLowerBound(ReadOnlySpan<double> cost, int i)
        {
            double bound = _threshold[i];
            var row = cost.Slice(i * _n, _n);
            var list = _candidates.AsSpan(i * _k, _k);
            foreach (int j in list) bound = Math.Min(bound, row[j] + _price[j]);
            return bound;
        }

        /// <summary>
        /// The row's best column with its value and a lower bound on the second-best value, from the candidate list
        /// when its best is still below the threshold, otherwise after rebuilding the list from a full scan.
        /// </summary>
        private int BestTwo(ReadOnlySpan<double> cost, int i, out double best, out double second)
        {
            var row = cost.Slice(i * _n, _n);
            var list = _candidates.AsSpan(i * _k, _k);
            if (_threshold[i] > double.NegativeInfinity)
            {
                int j1 = FromList(row, list, out best, out second);
                if (best <= _threshold[i])
                {
                    second = Math.Min(second, _threshold[i]);
                    return j1;
                }
            }

            _threshold[i] = Rebuild(row, list);
            int column = FromList(row, list, out best, out second);
            second = Math.Min(second, _threshold[i]);
            return column;
        }

        /// <summary>Best and second-best current value among the candidates.</summary>
        private int FromList(ReadOnlySpan<double> row, ReadOnlySpan<int> list, out double best, out double second)
        {
            double w1 = double.PositiveInfinity, w2 = double.PositiveInfinity;
            int j1 = -1;
            foreach (int j in list)
            {
                double x = row[j] + _price[j];
                if (x < w1)
                {
                    w2 = w1;
                    w1 = x;
                    j1 = j;
                }
                else if (x < w2)
                {
                    w2 = x;
                }
            }

            best = w1;
            second = w2;
            return j1;
        }

        /// <summary>Fills <paramref name="list"/> with the k cheapest columns by a full scan and returns the (k+1)-th value (+∞ if none).</summary>
        /// <remarks>
        /// Vectorised filter: a chunk of columns is looked at one by one only when one of them beats the current (k+1)-th
        /// value, which after the first few chunks is rare.
        /// </remarks>
        private double Rebuild(ReadOnlySpan<double> row, Span<int> list)
        {
            var values = _candidateValues; // k + 1 slots, sorted ascending; the last is the threshold
            Array.Fill(values, double.PositiveInfinity);
            int j = 0, width = Vector<double>.Count;
            if (Vector.IsHardwareAccelerated)
            {
                var price = _price.AsSpan();
                var limit = new Vector<double>(double.PositiveInfinity);
                for (; j <= _n - width; j += width)
                {
                    var x = new Vector<double>(row.Slice(j, width)) + new Vector<double>(price.Slice(j, width));
                    if (Vector.LessThanAny(x, limit))
                    {
                        for (int l = 0; l < width; l++) Insert(x[l], j + l, values, list);
                        limit = new Vector<double>(values[_k]);
                    }
                }
            }

            for (; j < _n; j++) Insert(row[j] + _price[j], j, values, list);
            return values[_k];
        }

        /// <summary>Insertion into the sorted k + 1 smallest values (the last slot keeps a value but no column).</summary>
        private void Insert(double x, int column, double[] values, Span<int> list)
        {
            int slot = _k;
            if (!(x < values[slot])) return;
            while (slot > 0 && values[slot - 1] > x)
            {
                values[slot] = values[slot - 1];
                if (slot < _k) list[slot] = list[slot - 1];
                slot--;
            }

            values[slot] = x;
            if (slot < _k) list[slot] = column;
        }
    }
}
