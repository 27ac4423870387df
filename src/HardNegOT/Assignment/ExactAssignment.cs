using System.Numerics;

namespace HardNegOT.Assignment;

/// <summary>
/// Exact minimum-cost assignment of an n×n cost matrix (optimal transport between two uniform measures of n points)
/// by shortest augmenting paths in the style of Jonker and Volgenant: column reduction, augmenting row reduction, then
/// one Dijkstra search per remaining free row over reduced costs C_ij − u_i − v_j ≥ 0, with the column potentials
/// updated once per search. O(n³) time (each search makes at most n vectorised O(n) passes), O(n) memory beyond the costs.
/// </summary>
/// <remarks>
/// Internally the column potentials are kept as prices p = −v, so a reduced cost reads C_ij + p_j − u_i. Invariant
/// between steps: every matched row i satisfies C[i, σ(i)] + p[σ(i)] = min_j (C_ij + p_j) =: u_i, i.e. the duals are
/// feasible and tight on the matching; once every row is matched the matching is optimal (complementary slackness).
/// </remarks>
public static class ExactAssignment
{
    /// <summary>Passes of augmenting row reduction after the column reduction (Jonker and Volgenant use two).</summary>
    private const int RowReductionPasses = 2;

    /// <summary>Finds a matching of minimum total cost.</summary>
    /// <param name="cost">Row-major costs: entry (i, j) at i·columns + j. Any finite values (negative allowed).</param>
    /// <param name="rows">Number of rows n.</param>
    /// <param name="columns">Number of columns; must equal <paramref name="rows"/>.</param>
    /// <returns>The optimal permutation, its total cost and optimal duals (<see cref="AssignmentResult.AdditiveBound"/> = 0).</returns>
    /// <exception cref="ArgumentException">The matrix is not square, its length does not match, or an entry is NaN or infinite.</exception>
    public static AssignmentResult Solve(ReadOnlySpan<double> cost, int rows, int columns)
    {
        int n = AssignmentInput.Validate(cost, rows, columns, nameof(cost));
        var price = new double[n];
        var rowOfColumn = new int[n];
        var columnOfRow = new int[n];
        ReduceColumns(cost, n, price, rowOfColumn, columnOfRow);
        for (int pass = 0; pass < RowReductionPasses; pass++)
            ReduceRows(cost, n, price, rowOfColumn, columnOfRow);

        var work = new Workspace(n);
        for (int j = 0; j < n; j++)
        {
            if (rowOfColumn[j] < 0) work.FreeColumns.Add(j);
        }

        for (int f = 0; f < n; f++)
        {
            if (columnOfRow[f] < 0) Augment(cost, n, f, price, rowOfColumn, columnOfRow, work);
        }

        return Finish(cost, n, columnOfRow, price, additiveBound: 0);
    }

    /// <summary>
    /// p_j = −min_i C_ij, and each column is matched to its minimising row when that row is still free. Reduced costs are
    /// then non-negative and zero on the matching, which is the invariant the later steps need.
    /// </summary>
    private static void ReduceColumns(ReadOnlySpan<double> cost, int n, double[] price, int[] rowOfColumn, int[] columnOfRow)
    {
        Array.Fill(columnOfRow, -1);
        Array.Fill(rowOfColumn, -1);
        if (n == 0) return;
        var argmin = new int[n];
        var minimum = cost[..n].ToArray();
        // Row by row keeps the reads sequential.
        for (int i = 1; i < n; i++)
        {
            var row = cost.Slice(i * n, n);
            for (int j = 0; j < n; j++)
            {
                if (row[j] < minimum[j])
                {
                    minimum[j] = row[j];
                    argmin[j] = i;
                }
            }
        }

        for (int j = n - 1; j >= 0; j--)
        {
            price[j] = -minimum[j];
            int i = argmin[j];
            if (columnOfRow[i] < 0)
            {
                columnOfRow[i] = j;
                rowOfColumn[j] = i;
            }
        }
    }

    /// <summary>
    /// Augmenting row reduction: each free row takes its cheapest column j1 and raises p[j1] by the gap to its second
    /// cheapest, so the row is tight; a displaced row bids next. This is an auction with zero increment: it keeps the
    /// invariant and matches most rows cheaply. Steps are capped at 2n per pass, since equal bids can cycle.
    /// </summary>
    private static void ReduceRows(ReadOnlySpan<double> cost, int n, double[] price, int[] rowOfColumn, int[] columnOfRow)
    {
        if (n < 2) return; // the column reduction matched the single row
        var free = new List<int>();
        for (int i = 0; i < n; i++)
        {
            if (columnOfRow[i] < 0) free.Add(i);
        }

        int steps = 2 * n;
        for (int k = 0; k < free.Count && steps > 0; k++)
        {
            int i = free[k];
            while (i >= 0 && steps-- > 0)
            {
                int j1 = RowMinima.BestTwo(cost.Slice(i * n, n), price, out double u1, out double u2, out int j2);
                int previous = rowOfColumn[j1];
                bool raised = u1 < u2;
                if (raised)
                {
                    price[j1] += u2 - u1;
                }
                else if (previous >= 0)
                {
                    // A tie: take the other cheapest column rather than displace a matched row.
                    j1 = j2;
                    previous = rowOfColumn[j1];
                }

                if (previous >= 0) columnOfRow[previous] = -1;
                rowOfColumn[j1] = i;
                columnOfRow[i] = j1;
                if (previous < 0)
                {
                    i = -1;
                }
                else if (raised)
                {
                    // The displaced row bids at once: a strictly raised price cannot bring it straight back.
                    i = previous;
                }
                else
                {
                    free.Add(previous);
                    i = -1;
                }
            }
        }
    }

    /// <summary>
    /// One Dijkstra search from free row <paramref name="start"/> to the nearest free column, then the price update and
    /// the flip of the path. A column is made final by setting its price and distance to +∞ for the rest of the search,
    /// so each step is one branch-free vectorised pass over the row: relax every distance and find the next minimum.
    /// </summary>
    private static void Augment(
        ReadOnlySpan<double> cost, int n, int start, double[] price, int[] rowOfColumn, int[] columnOfRow, Workspace work)
    {
        var distance = work.Distance;
        var predecessor = work.Predecessor;
        Array.Fill(distance, double.PositiveInfinity);
        int next = Relax(cost.Slice(start * n, n), price, 0, start, distance, predecessor);
        int count = 0;
        double mu;
        while (true)
        {
            mu = distance[next];
            int i = rowOfColumn[next];
            if (i < 0) break;

            // On a plateau of equal distances any free column ends the search: finding it now saves scanning the plateau.
            int freeAtMinimum = work.FreeColumnWithin(distance, mu);
            if (freeAtMinimum >= 0)
            {
                next = freeAtMinimum;
                break;
            }

            work.Final[count] = next;
            work.FinalDistance[count] = mu;
            work.FinalPrice[count] = price[next];
            count++;
            // Path lengths through row i: C_ij + p_j − (C[i, next] + p[next]) + mu, where the bracket is u_i.
            double offset = cost[i * n + next] + price[next] - mu;
            price[next] = double.PositiveInfinity;
            distance[next] = double.PositiveInfinity;
            next = Relax(cost.Slice(i * n, n), price, offset, i, distance, predecessor);
        }

        // Final columns are closer than mu: raising their prices by the difference keeps every reduced cost ≥ 0.
        for (int k = 0; k < count; k++)
            price[work.Final[k]] = work.FinalPrice[k] + (mu - work.FinalDistance[k]);

        work.FreeColumns.Remove(next);
        int column = next;
        while (true)
        {
            int i = (int)predecessor[column];
            rowOfColumn[column] = i;
            int previous = columnOfRow[i];
            columnOfRow[i] = column;
            if (i == start) break;
            column = previous;
        }
    }

    /// <summary>
    /// distance[j] = min(distance[j], row[j] + price[j] − offset), recording <paramref name="rowIndex"/> as predecessor
    /// where it improves, and returns a column of least distance (the lowest index among ties).
    /// </summary>
    internal static int Relax(ReadOnlySpan<double> row, ReadOnlySpan<double> price, double offset, int rowIndex, double[] distance, long[] predecessor)
    {
        int n = row.Length, k = 0, bestIndex = -1;
        double best = double.PositiveInfinity;
        int width = Vector<double>.Count;
        if (Vector.IsHardwareAccelerated && n >= 2 * width)
        {
            var shift = new Vector<double>(offset);
            var source = new Vector<long>(rowIndex);
            var m = new Vector<double>(double.PositiveInfinity);
            var index = new Vector<long>(-1);
            Span<long> first = stackalloc long[width];
            for (int l = 0; l < width; l++) first[l] = l;
            var lane = new Vector<long>(first);
            var step = new Vector<long>(width);
            var distances = distance.AsSpan();
            var predecessors = predecessor.AsSpan();
            for (; k <= n - width; k += width)
            {
                var x = new Vector<double>(row.Slice(k, width)) + new Vector<double>(price.Slice(k, width)) - shift;
                var d = new Vector<double>(distances.Slice(k, width));
                var better = Vector.LessThan(x, d);
                // Late in a search few distances improve: skip the stores then.
                if (!Vector.EqualsAll(better, Vector<long>.Zero))
                {
                    d = Vector.ConditionalSelect(better, x, d);
                    d.CopyTo(distances.Slice(k, width));
                    Vector.ConditionalSelect(better, source, new Vector<long>(predecessors.Slice(k, width))).CopyTo(predecessors.Slice(k, width));
                }

                var lower = Vector.LessThan(d, m);
                m = Vector.ConditionalSelect(lower, d, m);
                index = Vector.ConditionalSelect(lower, lane, index);
                lane += step;
            }

            for (int l = 0; l < width; l++)
            {
                if (m[l] < best || (m[l] == best && index[l] < bestIndex))
                {
                    best = m[l];
                    bestIndex = (int)index[l];
                }
            }
        }

        for (; k < n; k++)
        {
            double x = row[k] + price[k] - offset;
            if (x < distance[k])
            {
                distance[k] = x;
                predecessor[k] = rowIndex;
            }

            if (distance[k] < best)
            {
                best = distance[k];
                bestIndex = k;
            }
        }

        return bestIndex;
    }

    /// <summary>Scratch arrays of the searches, allocated once per solve.</summary>
    private sealed class Workspace(int n)
    {
        public double[] Distance { get; } = new double[n];

        public long[] Predecessor { get; } = new long[n];

        public int[] Final { get; } = new int[n];

        public double[] FinalDistance { get; } = new double[n];

        public double[] FinalPrice { get; } = new double[n];

        /// <summary>Columns no row holds yet: as many as the free rows, which the row reductions leave few.</summary>
        public HashSet<int> FreeColumns { get; } = [];

        /// <summary>A free column at distance ≤ <paramref name="mu"/>, or −1.</summary>
        public int FreeColumnWithin(double[] distance, double mu)
        {
            foreach (int j in FreeColumns)
            {
                if (distance[j] <= mu) return j;
            }

            return -1;
        }
    }

    /// <summary>Duals v = −p, u_i = C[i, σ(i)] − v[σ(i)], and the total cost of the matching.</summary>
    private static AssignmentResult Finish(ReadOnlySpan<double> cost, int n, int[] columnOfRow, double[] price, double additiveBound)
    {
        var u = new double[n];
        var v = new double[n];
        double total = 0;
        for (int j = 0; j < n; j++) v[j] = -price[j];
        for (int i = 0; i < n; i++)
        {
            int j = columnOfRow[i];
            double c = cost[i * n + j];
            total += c;
            u[i] = c - v[j];
        }

        return new AssignmentResult(columnOfRow, total, u, v, additiveBound);
    }
}
