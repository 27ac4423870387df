using System.Numerics;
using System.Runtime.CompilerServices;

namespace HardNegOT.Numerics;

/// <summary>
/// S = X·Xᵀ for row-major float32 X (N×d), written as a full N×N matrix. Only the upper triangle is
/// computed — four rows at a time against each later row, so every load of x_j feeds four FMAs — and
/// mirrored, which keeps S exactly symmetric.
/// </summary>
internal static class GramMatrix
{
    private const int RowBlock = 4;

    public static void Compute(ReadOnlySpan<float> points, int n, int d, float[] destination)
    {
        if (destination.Length < (long)n * n)
            throw new ArgumentException($"destination holds {destination.Length} floats, fewer than N² = {(long)n * n}.", nameof(destination));
        var x = points.ToArray();
        int blocks = (n + RowBlock - 1) / RowBlock;
        // Block b does N − 4b columns: interleave early and late blocks so threads get similar work.
        Parallel.For(0, blocks, k =>
        {
            int block = (k & 1) == 0 ? k / 2 : blocks - 1 - k / 2;
            ComputeBlock(x, n, d, block * RowBlock, destination);
        });
    }

    private static void ComputeBlock(float[] x, int n, int d, int i0, float[] s)
    {
        int rows = Math.Min(RowBlock, n - i0);
        if (rows < RowBlock)
        {
            for (int i = i0; i < n; i++)
                for (int j = i; j < n; j++)
                    Store(s, n, i, j, Dot(x.AsSpan(i * d, d), x.AsSpan(j * d, d)));
            return;
        }

        ref float x0 = ref x[i0 * d];
        ref float x1 = ref x[(i0 + 1) * d];
        ref float x2 = ref x[(i0 + 2) * d];
        ref float x3 = ref x[(i0 + 3) * d];
        int width = Vector<float>.Count;
        int vectorEnd = d - d % width;
        for (int j = i0; j < n; j++)
        {
            ref float xj = ref x[j * d];
            Vector<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (int k = 0; k < vectorEnd; k += width)
            {
                var v = Load(ref xj, k);
                a0 = Vector.FusedMultiplyAdd(Load(ref x0, k), v, a0);
                a1 = Vector.FusedMultiplyAdd(Load(ref x1, k), v, a1);
                a2 = Vector.FusedMultiplyAdd(Load(ref x2, k), v, a2);
                a3 = Vector.FusedMultiplyAdd(Load(ref x3, k), v, a3);
            }
            float d0 = Vector.Sum(a0), d1 = Vector.Sum(a1), d2 = Vector.Sum(a2), d3 = Vector.Sum(a3);
            for (int k = vectorEnd; k < d; k++)
            {
                float v = Unsafe.Add(ref xj, k);
                d0 += Unsafe.Add(ref x0, k) * v;
                d1 += Unsafe.Add(ref x1, k) * v;
                d2 += Unsafe.Add(ref x2, k) * v;
                d3 += Unsafe.Add(ref x3, k) * v;
            }
            // Pairs inside the block with j < i are the mirror of pairs already stored.
            if (j >= i0) Store(s, n, i0, j, d0);
            if (j >= i0 + 1) Store(s, n, i0 + 1, j, d1);
            if (j >= i0 + 2) Store(s, n, i0 + 2, j, d2);
            if (j >= i0 + 3) Store(s, n, i0 + 3, j, d3);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> Load(ref float start, int offset) =>
        Vector.LoadUnsafe(ref start, (nuint)offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float[] s, int n, int i, int j, float value)
    {
        s[(long)i * n + j] = value;
        s[(long)j * n + i] = value;
    }

    private static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        float sum = 0;
        for (int k = 0; k < a.Length; k++) sum += a[k] * b[k];
        return sum;
    }
}
