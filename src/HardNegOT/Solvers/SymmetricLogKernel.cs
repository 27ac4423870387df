using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using HardNegOT.Numerics;
using HardNegOT.Problems;

namespace HardNegOT.Solvers;

/// <summary>
/// The materialised float32 log-kernel K = −C/ε of a self-coupling and the LSE half-step over it.
/// K is symmetric, so the row and the column update both read rows. Each row keeps the log-sum-exp of
/// its previous pass as the shift of the next, which makes a pass one sweep of exp(K_rk + s_k − shift_r)
/// over the row instead of a max sweep then an exp sweep: the row's memory is read once. A row whose
/// sum leaves the safe range (first pass, or potentials that moved a lot) is redone with its exact max.
/// </summary>
internal sealed class SymmetricLogKernel
{
    // exp(K + s − shift) sums inside [2^-60, 2^60] neither overflowed nor lost the terms that matter:
    // the largest term is at least sum/N, tens of e-folds above float's underflow.
    private const float MinimumSafeSum = 8.67e-19f;
    private const float MaximumSafeSum = 1.15e18f;

    private readonly float[] _values;
    private readonly float[] _rowShift;
    private readonly float[] _shifted;

    private SymmetricLogKernel(float[] values, int count, double epsilon)
    {
        _values = values;
        Count = count;
        Epsilon = epsilon;
        _rowShift = new float[count];
        Array.Fill(_rowShift, float.NaN);
        _shifted = new float[count];
    }

    /// <summary>N, the side of the kernel.</summary>
    public int Count { get; }

    /// <summary>The ε of the problem the kernel was built for.</summary>
    public double Epsilon { get; }

    /// <summary>K_ij = −C_ij/ε in float32, −∞ for masked pairs; exactly symmetric.</summary>
    public static SymmetricLogKernel Build(EntropicProblem problem)
    {
        var geometry = problem.Geometry;
        int n = geometry.Count;
        var kernel = new float[(long)n * n];
        GramMatrix.Compute(geometry.PointsSingle, n, geometry.Dimension, kernel);
        float negativeInverseEps = (float)(-1.0 / problem.Epsilon);
        Parallel.ForEach(RowRanges(n), range =>
        {
            for (int i = range.Start; i < range.End; i++)
            {
                var row = kernel.AsSpan(i * n, n);
                // Rounding can put s a hair outside [−1, 1]; the costs assume it does not.
                TensorPrimitives.Min(row, 1f, row);
                TensorPrimitives.Max(row, -1f, row);
                geometry.Cost.FromSimilarity(row, row);
                TensorPrimitives.Multiply(row, negativeInverseEps, row);
                foreach (int j in geometry.Layout.MaskedColumns(i)) row[j] = float.NegativeInfinity;
            }
        });
        return new SymmetricLogKernel(kernel, n, problem.Epsilon);
    }

    /// <summary>
    /// One half-step: output_r = −ε·LSE_k(K_rk + potential_k/ε + logMarginal_k) for every row r.
    /// Not thread-safe: the row shifts are state of this kernel.
    /// </summary>
    public void HalfStep(double[] potential, double[] logMarginal, double[] output)
    {
        int n = Count;
        double eps = Epsilon;
        for (int k = 0; k < n; k++) _shifted[k] = (float)(potential[k] / eps + logMarginal[k]);
        Parallel.ForEach(RowRanges(n), range =>
        {
            for (int r = range.Start; r < range.End; r++)
                output[r] = -eps * RowLogSumExp(_values.AsSpan(r * n, n), _shifted, ref _rowShift[r]);
        });
    }

    /// <summary>log Σ_k exp(row_k + shifted_k), updating <paramref name="shift"/> to it for the next pass.</summary>
    private static double RowLogSumExp(ReadOnlySpan<float> row, ReadOnlySpan<float> shifted, ref float shift)
    {
        if (float.IsFinite(shift))
        {
            float warm = SumExp(row, shifted, shift);
            if (warm is >= MinimumSafeSum and <= MaximumSafeSum) return Remember(shift + Math.Log(warm), ref shift);
        }
        float max = MaxOfSum(row, shifted);
        // Every term masked or carrying zero marginal: the row has no mass to move.
        if (float.IsNegativeInfinity(max)) return double.NegativeInfinity;
        return Remember(max + Math.Log(SumExp(row, shifted, max)), ref shift);
    }

    private static double Remember(double logSumExp, ref float shift)
    {
        shift = (float)logSumExp;
        return logSumExp;
    }

    /// <summary>Σ_k exp(row_k + shifted_k − shift) in one vectorised sweep; −∞ terms give exactly 0.</summary>
    private static float SumExp(ReadOnlySpan<float> row, ReadOnlySpan<float> shifted, float shift)
    {
        int width = Vector<float>.Count, k = 0;
        var offset = new Vector<float>(shift);
        Vector<float> sum0 = default, sum1 = default;
        ref float rowStart = ref Unsafe.AsRef(in row[0]);
        ref float shiftedStart = ref Unsafe.AsRef(in shifted[0]);
        // Two accumulators keep two exps in flight.
        for (; k <= row.Length - 2 * width; k += 2 * width)
        {
            sum0 += Vector.Exp(Load(ref rowStart, k) + Load(ref shiftedStart, k) - offset);
            sum1 += Vector.Exp(Load(ref rowStart, k + width) + Load(ref shiftedStart, k + width) - offset);
        }
        float sum = Vector.Sum(sum0 + sum1);
        for (; k < row.Length; k++) sum += MathF.Exp(row[k] + shifted[k] - shift);
        return sum;
    }

    private static float MaxOfSum(ReadOnlySpan<float> row, ReadOnlySpan<float> shifted)
    {
        int width = Vector<float>.Count, k = 0;
        var max = new Vector<float>(float.NegativeInfinity);
        ref float rowStart = ref Unsafe.AsRef(in row[0]);
        ref float shiftedStart = ref Unsafe.AsRef(in shifted[0]);
        for (; k <= row.Length - width; k += width)
            max = Vector.Max(max, Load(ref rowStart, k) + Load(ref shiftedStart, k));
        float result = float.NegativeInfinity;
        for (int lane = 0; lane < width; lane++) result = Math.Max(result, max[lane]);
        for (; k < row.Length; k++) result = Math.Max(result, row[k] + shifted[k]);
        return result;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> Load(ref float start, int offset) => Vector.LoadUnsafe(ref start, (nuint)offset);

    // Contiguous chunks of rows: a few per core keeps the load balanced without per-row scheduling.
    private static IEnumerable<(int Start, int End)> RowRanges(int n)
    {
        int chunks = Math.Min(n, Environment.ProcessorCount * 4);
        for (int c = 0; c < chunks; c++)
            yield return ((int)((long)n * c / chunks), (int)((long)n * (c + 1) / chunks));
    }
}
