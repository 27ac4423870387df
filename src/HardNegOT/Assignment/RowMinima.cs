using System.Numerics;

namespace HardNegOT.Assignment;

/// <summary>The two smallest values of row[j] + price[j]: the bidding step of the auction and of the row reduction.</summary>
internal static class RowMinima
{
    /// <summary>
    /// Returns a column minimising row[j] + price[j] and writes that minimum, the second smallest value over the other
    /// columns (equal to the minimum on a tie) and that column's index; +∞ and −1 when the row has one entry.
    /// </summary>
    /// <remarks>Vectorised over <see cref="Vector{T}"/> lanes: each lane keeps its own best two, merged at the end.</remarks>
    public static int BestTwo(ReadOnlySpan<double> row, ReadOnlySpan<double> price, out double best, out double second, out int secondIndex)
    {
        int n = row.Length, k = 0, i1 = -1, i2 = -1;
        double w1 = double.PositiveInfinity, w2 = double.PositiveInfinity;
        int width = Vector<double>.Count;
        if (Vector.IsHardwareAccelerated && n >= 2 * width)
        {
            var m1 = new Vector<double>(double.PositiveInfinity);
            var m2 = m1;
            var index1 = new Vector<long>(-1);
            var index2 = index1;
            Span<long> start = stackalloc long[width];
            for (int l = 0; l < width; l++) start[l] = l;
            var lane = new Vector<long>(start);
            var step = new Vector<long>(width);
            for (; k <= n - width; k += width)
            {
                var x = new Vector<double>(row.Slice(k, width)) + new Vector<double>(price.Slice(k, width));
                var belowFirst = Vector.LessThan(x, m1);
                var belowSecond = Vector.LessThan(x, m2);
                // Below the first: the old first moves down. Between the two: x replaces the second.
                m2 = Vector.ConditionalSelect(belowFirst, m1, Vector.ConditionalSelect(belowSecond, x, m2));
                index2 = Vector.ConditionalSelect(belowFirst, index1, Vector.ConditionalSelect(belowSecond, lane, index2));
                m1 = Vector.ConditionalSelect(belowFirst, x, m1);
                index1 = Vector.ConditionalSelect(belowFirst, lane, index1);
                lane += step;
            }

            for (int l = 0; l < width; l++)
            {
                Merge(m1[l], (int)index1[l], ref w1, ref i1, ref w2, ref i2);
                Merge(m2[l], (int)index2[l], ref w1, ref i1, ref w2, ref i2);
            }
        }

        for (; k < n; k++) Merge(row[k] + price[k], k, ref w1, ref i1, ref w2, ref i2);

        best = w1;
        second = w2;
        secondIndex = i2;
        return i1;
    }

    private static void Merge(double x, int index, ref double w1, ref int i1, ref double w2, ref int i2)
    {
        if (x < w1)
        {
            w2 = w1;
            i2 = i1;
            w1 = x;
            i1 = index;
        }
        else if (x < w2)
        {
            w2 = x;
            i2 = index;
        }
    }
}
