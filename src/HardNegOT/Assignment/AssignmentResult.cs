namespace HardNegOT.Assignment;

/// <summary>
/// A perfect matching of an n×n cost matrix: row i goes to column <see cref="Permutation"/>[i], with dual potentials
/// u (rows) and v (columns) that satisfy u_i + v_j ≤ C_ij for every entry (up to rounding), so that
/// <see cref="DualBound"/> = Σu + Σv is a certified lower bound on the optimal total cost (weak LP duality).
/// </summary>
public sealed class AssignmentResult
{
    /// <summary>Wraps a solver's output (the arrays are not copied).</summary>
    /// <param name="permutation">Row i → column permutation[i]; a permutation of 0..n−1.</param>
    /// <param name="totalCost">Σ_i C[i, permutation[i]].</param>
    /// <param name="rowPotentials">Dual potentials u of the rows.</param>
    /// <param name="columnPotentials">Dual potentials v of the columns.</param>
    /// <param name="additiveBound">
    /// The a-priori guarantee on <see cref="TotalCost"/> − optimum: 0 for an exact solve, n·δ for the δ-approximate solver.
    /// </param>
    /// <exception cref="ArgumentException">The arrays have different lengths or the bound is negative or not finite.</exception>
    public AssignmentResult(int[] permutation, double totalCost, double[] rowPotentials, double[] columnPotentials, double additiveBound)
    {
        ArgumentNullException.ThrowIfNull(permutation);
        ArgumentNullException.ThrowIfNull(rowPotentials);
        ArgumentNullException.ThrowIfNull(columnPotentials);
        if (rowPotentials.Length != permutation.Length || columnPotentials.Length != permutation.Length)
            throw new ArgumentException(
                $"The permutation has {permutation.Length} entries but the potentials have {rowPotentials.Length} (rows) and {columnPotentials.Length} (columns).",
                nameof(rowPotentials));
        if (!(additiveBound >= 0) || !double.IsFinite(additiveBound))
            throw new ArgumentOutOfRangeException(nameof(additiveBound), additiveBound, "The additive bound must be finite and non-negative.");

        Permutation = permutation;
        TotalCost = totalCost;
        RowPotentials = rowPotentials;
        ColumnPotentials = columnPotentials;
        AdditiveBound = additiveBound;
        double bound = 0;
        for (int i = 0; i < rowPotentials.Length; i++) bound += rowPotentials[i] + columnPotentials[i];
        DualBound = bound;
    }

    /// <summary>The matrix size n.</summary>
    public int Size => Permutation.Length;

    /// <summary>Row i is matched to column <c>Permutation[i]</c>.</summary>
    public int[] Permutation { get; }

    /// <summary>Σ_i C[i, Permutation[i]].</summary>
    public double TotalCost { get; }

    /// <summary>TotalCost / n: the optimal-transport cost ⟨C, P⟩ of the plan P = permutation matrix / n (0 when n = 0).</summary>
    public double MeanCost => Size == 0 ? 0 : TotalCost / Size;

    /// <summary>Dual potentials u of the rows (u_i + v_j ≤ C_ij).</summary>
    public double[] RowPotentials { get; }

    /// <summary>Dual potentials v of the columns (u_i + v_j ≤ C_ij).</summary>
    public double[] ColumnPotentials { get; }

    /// <summary>Σu + Σv: a lower bound on the optimal total cost, so the optimum lies in [DualBound, TotalCost].</summary>
    public double DualBound { get; }

    /// <summary>TotalCost − DualBound: how far from optimal the matching can be, certified by the duals (≈ 0 when exact).</summary>
    public double CertifiedGap => TotalCost - DualBound;

    /// <summary>The solver's a-priori guarantee: TotalCost ≤ optimum + AdditiveBound (0 for the exact solver).</summary>
    public double AdditiveBound { get; }

    /// <summary>The matching as a 64-bit vector (for an int64 .npy file).</summary>
    public long[] PermutationAsInt64()
    {
        var result = new long[Permutation.Length];
        for (int i = 0; i < result.Length; i++) result[i] = Permutation[i];
        return result;
    }
}
