using ILGPU;

namespace HardNegOT.Kernels;

/// <summary>
/// The materialised alternative to <see cref="FusedSinkhornKernels"/> for small N: the ground cost is computed once into
/// an N×N buffer (stored transposed, so the threads of a row-parallel half-step read consecutive addresses), and every
/// half-step then reads it instead of recomputing d-term dot products. Costs N² floats of device memory; the
/// <see cref="KernelPath"/> switch of <see cref="KernelSinkhorn"/> chooses between the two by size.
/// </summary>
public static class MaterializedSinkhornKernels
{
    /// <summary>
    /// <c>costTransposed[k·N + r] = C_rk</c>, +∞ on masked pairs (the same mask and clamped cost as the fused kernels).
    /// </summary>
    /// <param name="index">(X = r, Y = k), both in [0, N).</param>
    /// <param name="points">Unit-norm rows, N·d floats.</param>
    /// <param name="positiveOf">Positive of each row or −1, N ints.</param>
    /// <param name="costTransposed">Output, N·N floats.</param>
    /// <param name="n">Number of rows N.</param>
    /// <param name="d">Row dimension d.</param>
    /// <param name="costKind">Which ground cost (see <see cref="FusedSinkhornKernels"/>).</param>
    /// <param name="costParameter">The cost's parameter (scale or κ).</param>
    [KernelEntryPoint]
    public static void CostMatrix(
        Index2D index, ArrayView<float> points, ArrayView<int> positiveOf, ArrayView<float> costTransposed,
        int n, int d, int costKind, float costParameter)
    {
        int r = index.X;
        int k = index.Y;
        float cost = float.PositiveInfinity;
        if (!FusedSinkhornKernels.IsMasked(r, k, positiveOf))
        {
            float dot = 0f;
            for (int c = 0; c < d; c++)
                dot += points[r * d + c] * points[k * d + c];
            cost = FusedSinkhornKernels.Cost(dot, costKind, costParameter);
        }
        costTransposed[k * n + r] = cost;
    }

    /// <summary>
    /// One log-domain half-step from the cached cost: <c>output[r] = −ε·LSE_k[(potential[k] − C_rk)/ε + logMarginal[k]]</c>
    /// over the k with finite cost, one thread per row; +∞ for a row that reaches nothing.
    /// </summary>
    /// <param name="r">The row, in [0, N).</param>
    /// <param name="costTransposed">The cost from <see cref="CostMatrix"/>.</param>
    /// <param name="potential">The potential being transformed, N floats.</param>
    /// <param name="logMarginal">log of the marginal on the summed side, N floats.</param>
    /// <param name="output">The new potential, N floats; may not alias <paramref name="potential"/>.</param>
    /// <param name="n">Number of rows N.</param>
    /// <param name="epsilon">Entropic regularisation ε &gt; 0.</param>
    [KernelEntryPoint]
    public static void HalfStep(
        Index1D r, ArrayView<float> costTransposed, ArrayView<float> potential, ArrayView<float> logMarginal,
        ArrayView<float> output, int n, float epsilon)
    {
        var lse = FusedSinkhornKernels.OnlineLogSumExp.Empty;
        for (int k = 0; k < n; k++)
            lse.Add((potential[k] - costTransposed[k * n + r]) / epsilon + logMarginal[k]);
        output[r] = lse.IsEmpty ? float.PositiveInfinity : -epsilon * lse.Value;
    }
}
