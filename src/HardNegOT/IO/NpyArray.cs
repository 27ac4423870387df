namespace HardNegOT.IO;

/// <summary>A 2-D array read from a <c>.npy</c> file: <see cref="Rows"/> × <see cref="Columns"/> values in row-major (C) order.</summary>
/// <typeparam name="T">The element type in memory (after any conversion from the file's dtype).</typeparam>
public sealed class NpyArray<T>
    where T : unmanaged
{
    /// <summary>Wraps <paramref name="data"/> (not copied) as a <paramref name="rows"/> × <paramref name="columns"/> matrix.</summary>
    /// <param name="rows">Number of rows, at least 0.</param>
    /// <param name="columns">Number of columns, at least 0.</param>
    /// <param name="data">Row-major values; its length must be <paramref name="rows"/> × <paramref name="columns"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is negative.</exception>
    /// <exception cref="ArgumentException">The data length does not match the shape.</exception>
    public NpyArray(int rows, int columns, T[] data)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        ArgumentNullException.ThrowIfNull(data);
        if ((long)rows * columns != data.Length)
        {
            throw new ArgumentException(
                $"Data has {data.Length} elements but the shape ({rows}, {columns}) needs {(long)rows * columns}.",
                nameof(data));
        }

        Rows = rows;
        Columns = columns;
        Data = data;
    }

    /// <summary>Number of rows (the first dimension of the numpy shape).</summary>
    public int Rows { get; }

    /// <summary>Number of columns (the second dimension of the numpy shape).</summary>
    public int Columns { get; }

    /// <summary>All values in row-major order: element (r, c) is at index <c>r * Columns + c</c>.</summary>
    public T[] Data { get; }

    /// <summary>The element at row <paramref name="row"/>, column <paramref name="column"/>.</summary>
    /// <param name="row">Zero-based row index.</param>
    /// <param name="column">Zero-based column index.</param>
    public T this[int row, int column]
    {
        get
        {
            // Check both indices: a bad column would otherwise silently land in another row.
            if ((uint)row >= (uint)Rows)
            {
                throw new ArgumentOutOfRangeException(nameof(row), row, $"Row must be in [0, {Rows}).");
            }

            if ((uint)column >= (uint)Columns)
            {
                throw new ArgumentOutOfRangeException(nameof(column), column, $"Column must be in [0, {Columns}).");
            }

            return Data[(row * Columns) + column];
        }
    }

    /// <summary>The values of row <paramref name="row"/> (a view into <see cref="Data"/>, not a copy).</summary>
    /// <param name="row">Zero-based row index.</param>
    public Span<T> Row(int row)
    {
        if ((uint)row >= (uint)Rows)
        {
            throw new ArgumentOutOfRangeException(nameof(row), row, $"Row must be in [0, {Rows}).");
        }

        return Data.AsSpan(row * Columns, Columns);
    }
}
