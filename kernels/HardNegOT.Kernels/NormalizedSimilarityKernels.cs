using ILGPU;
// System.Half (implicit usings) and ILGPU.Half share the IEEE binary16 layout; kernels need ILGPU's.
using Half = ILGPU.Half;

namespace HardNegOT.Kernels;

/// <summary>
/// ILGPU kernels for unit-L2 row normalisation and cosine similarity of a row-major N×d float32 batch.
/// Each public static method is one implicitly grouped kernel; launch them through
/// <see cref="NormalizedSimilarity"/>, which validates inputs on the host first.
/// </summary>
/// <remarks>
/// Preconditions the kernels do not check (the host does): every entry is finite, no row is all zeros,
/// and every index fits in <see cref="int"/>. The double-precision twin is
/// <c>HardNegOT.Reference.NormalizedSimilarityReference</c>.
/// </remarks>
public static class NormalizedSimilarityKernels
{
    /// <summary>How a kernel widens one stored element to float32.</summary>
    /// <remarks>Implemented by structs, so ILGPU specialises <see cref="NormalizeRow"/> per format with no call left.</remarks>
    /// <typeparam name="TElement">The stored element type.</typeparam>
    private interface IWidening<TElement> where TElement : unmanaged
    {
        /// <summary>The element as float32, exactly.</summary>
        /// <param name="value">The stored element.</param>
        /// <returns>Its float32 value.</returns>
        float ToSingle(TElement value);
    }

    private readonly struct SingleWidening : IWidening<float>
    {
        public float ToSingle(float value) => value;
    }

    private readonly struct HalfWidening : IWidening<Half>
    {
        public float ToSingle(Half value) => (float)value;
    }

    private readonly struct HalfBitsWidening : IWidening<ushort>
    {
        public float ToSingle(ushort value) => HalfBitsToSingle(value);
    }

    private readonly struct BFloat16Widening : IWidening<ushort>
    {
        public float ToSingle(ushort value) => BFloat16ToSingle(value);
    }

    // The one body of the normalise kernels: every format is widened on load, then all arithmetic is
    // float32, so each kernel's output equals normalising the float32 upcast exactly.
    private static void NormalizeRow<TElement, TWidening>(int row, ArrayView<TElement> x, ArrayView<float> xHat, int d)
        where TElement : unmanaged
        where TWidening : struct, IWidening<TElement>
    {
        var widening = default(TWidening);
        int offset = row * d;
        float maxAbs = 0f;
        for (int k = 0; k < d; k++)
            maxAbs = IntrinsicMath.Max(maxAbs, IntrinsicMath.Abs(widening.ToSingle(x[offset + k])));

        // Every term is ≤ 1 and the largest is exactly 1, so sumSquares ∈ [1, d].
        float sumSquares = 0f;
        for (int k = 0; k < d; k++)
        {
            float v = widening.ToSingle(x[offset + k]) / maxAbs;
            sumSquares += v * v;
        }

        float inverseNorm = 1f / MathF.Sqrt(sumSquares);
        for (int k = 0; k < d; k++)
            xHat[offset + k] = widening.ToSingle(x[offset + k]) / maxAbs * inverseNorm;
    }

    /// <summary>
    /// One thread per row: writes row <paramref name="row"/> of <paramref name="x"/> scaled to unit L2 norm
    /// into <paramref name="xHat"/>, accumulating in float32.
    /// </summary>
    /// <remarks>
    /// The row is first divided by its largest magnitude m, so the sum of squares lies in [1, d] and
    /// cannot overflow (entries ≳ 1.8e19 would square to +Inf) or underflow (entries ≲ 1e-19 would square
    /// to subnormals or zero). Division rather than multiplying by 1/m keeps subnormal m from turning into +Inf.
    /// </remarks>
    /// <param name="row">The row index, in [0, N).</param>
    /// <param name="x">Input embeddings, N·d values.</param>
    /// <param name="xHat">Output, N·d values; may not alias <paramref name="x"/>.</param>
    /// <param name="d">Row dimension d.</param>
    [KernelEntryPoint]
    public static void NormalizeRows(Index1D row, ArrayView<float> x, ArrayView<float> xHat, int d)
        => NormalizeRow<float, SingleWidening>(row.X, x, xHat, d);

    /// <summary>
    /// <see cref="NormalizeRows"/> for IEEE binary16 (fp16) input: each entry is widened to float32 on load and
    /// every operation after that is the float32 kernel's, so the output equals normalising the fp32 upcast exactly.
    /// </summary>
    /// <param name="row">The row index, in [0, N).</param>
    /// <param name="x">Input embeddings, N·d fp16 values (ILGPU's <see cref="Half"/> has System.Half's bit layout).</param>
    /// <param name="xHat">Output, N·d float32 values.</param>
    /// <param name="d">Row dimension d.</param>
    [KernelEntryPoint]
    public static void NormalizeRowsHalf(Index1D row, ArrayView<Half> x, ArrayView<float> xHat, int d)
        => NormalizeRow<Half, HalfWidening>(row.X, x, xHat, d);

    /// <summary>
    /// <see cref="NormalizeRows"/> for bfloat16 input passed as raw 16-bit patterns (bf16 is the high half of a
    /// float32, so widening is exact: the bits move to the top of a 32-bit pattern). Float32 accumulation; the
    /// output equals normalising the fp32 upcast exactly.
    /// </summary>
    /// <param name="row">The row index, in [0, N).</param>
    /// <param name="x">Input embeddings, N·d bf16 bit patterns.</param>
    /// <param name="xHat">Output, N·d float32 values.</param>
    /// <param name="d">Row dimension d.</param>
    [KernelEntryPoint]
    public static void NormalizeRowsBFloat16(Index1D row, ArrayView<ushort> x, ArrayView<float> xHat, int d)
        => NormalizeRow<ushort, BFloat16Widening>(row.X, x, xHat, d);

    /// <summary>
    /// <see cref="NormalizeRowsHalf"/> for devices without fp16 support (many OpenCL drivers): the fp16 values come
    /// as raw bit patterns and are widened in integer arithmetic (<see cref="HalfBitsToSingle"/>), which is exact,
    /// so the output is the same as the native-conversion kernel's.
    /// </summary>
    /// <param name="row">The row index, in [0, N).</param>
    /// <param name="x">Input embeddings, N·d fp16 bit patterns.</param>
    /// <param name="xHat">Output, N·d float32 values.</param>
    /// <param name="d">Row dimension d.</param>
    [KernelEntryPoint]
    public static void NormalizeRowsHalfBits(Index1D row, ArrayView<ushort> x, ArrayView<float> xHat, int d)
        => NormalizeRow<ushort, HalfBitsWidening>(row.X, x, xHat, d);

    /// <summary>Widens an IEEE binary16 bit pattern to float32 exactly, in integer arithmetic (host and device).</summary>
    /// <param name="bits">The 16 bits (sign, 5 exponent bits, 10 mantissa bits).</param>
    /// <returns>The same value as float32 (subnormals, ±∞ and NaN included).</returns>
    public static float HalfBitsToSingle(ushort bits)
    {
        uint sign = (uint)(bits & 0x8000) << 16;
        uint exponent = (uint)(bits >> 10) & 0x1F;
        uint mantissa = (uint)bits & 0x3FF;
        if (exponent == 0x1F)
            return Interop.IntAsFloat(sign | 0x7F800000u | (mantissa << 13));
        if (exponent == 0)
        {
            // Subnormal (or zero): mantissa·2⁻²⁴, exact in float32.
            // Via int: uint→float compiles through double (conv.r.un), which baseline OpenCL lacks.
            float magnitude = (int)mantissa * 5.9604644775390625e-8f;
            return sign != 0 ? -magnitude : magnitude;
        }
        // Rebias the exponent from 15 to 127.
        return Interop.IntAsFloat(sign | ((exponent + 112u) << 23) | (mantissa << 13));
    }

    /// <summary>Widens a bfloat16 bit pattern to the float32 it denotes (exact; usable on host and device).</summary>
    /// <param name="bits">The 16 bits of the bf16 value (sign, 8 exponent bits, 7 mantissa bits).</param>
    /// <returns>The same value as float32.</returns>
    public static float BFloat16ToSingle(ushort bits) => Interop.IntAsFloat((uint)bits << 16);

    /// <summary>
    /// One thread per column j: <c>s[j] = x̂_anchor · x̂_j</c> over unit-norm rows, accumulating in float32.
    /// </summary>
    /// <remarks>Values are not clamped to [-1, 1]; rounding can leave them a few ulps outside.</remarks>
    /// <param name="j">The column (other row) index, in [0, N).</param>
    /// <param name="xHat">Unit-norm rows from <see cref="NormalizeRows"/>, N·d values.</param>
    /// <param name="s">Output similarities, N values.</param>
    /// <param name="d">Row dimension d.</param>
    /// <param name="anchor">The anchor row, in [0, N).</param>
    [KernelEntryPoint]
    public static void SimilarityRow(Index1D j, ArrayView<float> xHat, ArrayView<float> s, int d, int anchor)
    {
        int a = anchor * d;
        int b = j.X * d;
        float dot = 0f;
        for (int k = 0; k < d; k++)
            dot += xHat[a + k] * xHat[b + k];
        s[j] = dot;
    }

    /// <summary>
    /// One thread per (anchor, column) pair: a row-major block <c>s[r·N + j] = x̂_(anchorStart+r) · x̂_j</c>
    /// for the anchors [anchorStart, anchorStart + block height).
    /// </summary>
    /// <remarks>
    /// <c>index.X</c> is the column j and <c>index.Y</c> the anchor offset r, so neighbouring threads write
    /// neighbouring outputs. This is the straightforward form; a shared-memory tiled variant belongs with
    /// the fused Sinkhorn kernels, which need the block without storing it.
    /// </remarks>
    /// <param name="index">(X = column j in [0, N), Y = anchor offset r in [0, block height)).</param>
    /// <param name="xHat">Unit-norm rows from <see cref="NormalizeRows"/>, N·d values.</param>
    /// <param name="s">Output block, (block height)·N values.</param>
    /// <param name="n">Number of rows N (the block's row stride).</param>
    /// <param name="d">Row dimension d.</param>
    /// <param name="anchorStart">Row of the block's first anchor.</param>
    [KernelEntryPoint]
    public static void SimilarityBlock(
        Index2D index, ArrayView<float> xHat, ArrayView<float> s, int n, int d, int anchorStart)
    {
        int j = index.X;
        int r = index.Y;
        int a = (anchorStart + r) * d;
        int b = j * d;
        float dot = 0f;
        for (int k = 0; k < d; k++)
            dot += xHat[a + k] * xHat[b + k];
        s[r * n + j] = dot;
    }
}
