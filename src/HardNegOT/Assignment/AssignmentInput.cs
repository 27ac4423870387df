namespace HardNegOT.Assignment;

/// <summary>Shape and value checks shared by the assignment solvers.</summary>
internal static class AssignmentInput
{
    /// <summary>
    /// Checks that <paramref name="cost"/> is a square <paramref name="rows"/>×<paramref name="columns"/> matrix of finite values
    /// whose spread times n stays finite (so that no potential or total can overflow). Returns n and the value range
    /// (min = max = 0 for an empty matrix).
    /// </summary>
    public static int Validate(ReadOnlySpan<double> cost, int rows, int columns, string paramName) =>
        Validate(cost, rows, columns, paramName, out _, out _);

    /// <inheritdoc cref="Validate(ReadOnlySpan{double}, int, int, string)"/>
    public static int Validate(ReadOnlySpan<double> cost, int rows, int columns, string paramName, out double min, out double max)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        if (rows != columns)
            throw new ArgumentException(
                $"{paramName} is {rows}×{columns}; an assignment needs a square matrix (equal uniform marginals).", paramName);
        if ((long)rows * columns != cost.Length)
            throw new ArgumentException(
                $"{paramName} has {cost.Length} values, which is not {rows}×{columns} = {(long)rows * columns}.", paramName);

        min = 0;
        max = 0;
        if (cost.Length == 0) return rows;
        min = double.PositiveInfinity;
        max = double.NegativeInfinity;
        for (int k = 0; k < cost.Length; k++)
        {
            double c = cost[k];
            if (!double.IsFinite(c))
                throw new ArgumentException($"{paramName}[{k / columns}, {k % columns}] = {c}: assignment costs must be finite.", paramName);
            if (c < min) min = c;
            if (c > max) max = c;
        }

        // Potentials move by at most about n·(max − min); keep that and the totals finite.
        if (!double.IsFinite((max - min) * (4.0 * rows)) || !double.IsFinite(Math.Max(Math.Abs(min), Math.Abs(max)) * (4.0 * rows)))
            throw new ArgumentException(
                $"{paramName} spans [{min:G6}, {max:G6}], too wide for double-precision potentials at n = {rows}; rescale the costs.", paramName);
        return rows;
    }
}
