using System.Runtime.InteropServices;
using HardNegOT.Reference;
using ILGPU;
using ILGPU.Runtime;
using Half = System.Half;

namespace HardNegOT.Kernels;

/// <summary>
/// Host side of <see cref="NormalizedSimilarityKernels"/>: validates a row-major N×d float32 batch, uploads it,
/// runs the kernels on a caller-supplied accelerator and returns the results as float32 arrays.
/// The double-precision twin is <see cref="NormalizedSimilarityReference"/>.
/// </summary>
/// <remarks>
/// The instance owns no global state: the caller owns <see cref="Accelerator"/> and must keep it alive
/// while this object is used (the loaded kernels belong to it). Device buffers are allocated and freed
/// per call. Not thread-safe: calls launch on the accelerator's default stream.
/// </remarks>
public sealed class NormalizedSimilarity
{
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, int> _normalizeRows;
    private readonly Action<Index1D, ArrayView<ILGPU.Half>, ArrayView<float>, int>? _normalizeRowsHalf;
    private readonly Action<Index1D, ArrayView<ushort>, ArrayView<float>, int> _normalizeRowsBFloat16;
    private readonly Action<Index1D, ArrayView<ushort>, ArrayView<float>, int> _normalizeRowsHalfBits;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, int, int> _similarityRow;
    private readonly Action<Index2D, ArrayView<float>, ArrayView<float>, int, int, int> _similarityBlock;

    /// <summary>Compiles and loads the kernels on <paramref name="accelerator"/> (once, here).</summary>
    /// <param name="accelerator">The accelerator to run on; the caller keeps ownership and disposes it.</param>
    /// <exception cref="ArgumentNullException"><paramref name="accelerator"/> is null.</exception>
    public NormalizedSimilarity(Accelerator accelerator)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        Accelerator = accelerator;
        _normalizeRows = accelerator.LoadAutoGroupedStreamKernel<
            Index1D, ArrayView<float>, ArrayView<float>, int>(NormalizedSimilarityKernels.NormalizeRows);
        // Devices without fp16 (many OpenCL drivers) cannot compile a Half kernel; they widen the bits in software.
        if (HalfPrecision.SupportsFloat16(accelerator))
            _normalizeRowsHalf = accelerator.LoadAutoGroupedStreamKernel<
                Index1D, ArrayView<ILGPU.Half>, ArrayView<float>, int>(NormalizedSimilarityKernels.NormalizeRowsHalf);
        _normalizeRowsHalfBits = accelerator.LoadAutoGroupedStreamKernel<
            Index1D, ArrayView<ushort>, ArrayView<float>, int>(NormalizedSimilarityKernels.NormalizeRowsHalfBits);
        _normalizeRowsBFloat16 = accelerator.LoadAutoGroupedStreamKernel<
            Index1D, ArrayView<ushort>, ArrayView<float>, int>(NormalizedSimilarityKernels.NormalizeRowsBFloat16);
        _similarityRow = accelerator.LoadAutoGroupedStreamKernel<
            Index1D, ArrayView<float>, ArrayView<float>, int, int>(NormalizedSimilarityKernels.SimilarityRow);
        _similarityBlock = accelerator.LoadAutoGroupedStreamKernel<
            Index2D, ArrayView<float>, ArrayView<float>, int, int, int>(NormalizedSimilarityKernels.SimilarityBlock);
    }

    /// <summary>The accelerator the kernels run on (owned by the caller).</summary>
    public Accelerator Accelerator { get; }

    /// <summary>Returns the rows of <paramref name="embeddings"/> scaled to unit L2 norm, row-major N×d.</summary>
    /// <param name="embeddings">Row-major N×d embeddings.</param>
    /// <param name="n">Number of rows N.</param>
    /// <param name="d">Row dimension d.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="n"/> or <paramref name="d"/> is not positive.</exception>
    /// <exception cref="ArgumentException">
    /// <c>embeddings.Length != n·d</c>, an entry is NaN or ±Inf, or a row is all zeros (the message names the row and value).
    /// </exception>
    public float[] Normalize(ReadOnlySpan<float> embeddings, int n, int d)
    {
        NormalizedSimilarityReference.Validate(embeddings, n, d, nameof(embeddings));
        using var x = Upload(embeddings);
        using var xHat = Accelerator.Allocate1D<float>(embeddings.Length);
        _normalizeRows(n, x.View, xHat.View, d);
        return xHat.GetAsArray1D();
    }

    /// <summary>
    /// Normalises fp16 rows on the device with float32 accumulation (<see cref="NormalizedSimilarityKernels.NormalizeRowsHalf"/>):
    /// the result equals <see cref="Normalize(ReadOnlySpan{float}, int, int)"/> of the float32 upcast, while only
    /// half the bytes cross the bus.
    /// </summary>
    /// <param name="embeddings">Row-major N×d fp16 embeddings.</param>
    /// <param name="n">Number of rows N.</param>
    /// <param name="d">Row dimension d.</param>
    /// <returns>Unit-norm rows, row-major N×d float32.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="n"/> or <paramref name="d"/> is not positive.</exception>
    /// <exception cref="ArgumentException">Shape mismatch, a NaN/±Inf entry, or an all-zero row.</exception>
    public float[] Normalize(ReadOnlySpan<Half> embeddings, int n, int d)
    {
        NormalizedSimilarityReference.Validate(HalfPrecision.Widen(embeddings), n, d, nameof(embeddings));
        using var xHat = Accelerator.Allocate1D<float>(embeddings.Length);
        if (_normalizeRowsHalf is { } native)
        {
            using var x = HalfPrecision.Upload(Accelerator, embeddings);
            native(n, x.View, xHat.View, d);
        }
        else
        {
            using var x = HalfPrecision.UploadBits(Accelerator, embeddings);
            _normalizeRowsHalfBits(n, x.View, xHat.View, d);
        }
        return xHat.GetAsArray1D();
    }

    /// <summary>
    /// Normalises bfloat16 rows, given as raw 16-bit patterns, on the device with float32 accumulation
    /// (<see cref="NormalizedSimilarityKernels.NormalizeRowsBFloat16"/>); equals normalising the float32 upcast.
    /// </summary>
    /// <param name="bits">Row-major N×d bf16 bit patterns (e.g. a torch.bfloat16 tensor's storage viewed as int16).</param>
    /// <param name="n">Number of rows N.</param>
    /// <param name="d">Row dimension d.</param>
    /// <returns>Unit-norm rows, row-major N×d float32.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="n"/> or <paramref name="d"/> is not positive.</exception>
    /// <exception cref="ArgumentException">Shape mismatch, a NaN/±Inf entry, or an all-zero row.</exception>
    public float[] NormalizeBFloat16(ReadOnlySpan<ushort> bits, int n, int d)
    {
        NormalizedSimilarityReference.Validate(HalfPrecision.WidenBFloat16(bits), n, d, nameof(bits));
        using var x = Accelerator.Allocate1D<ushort>(bits.Length);
        x.View.CopyFromCPU(ref MemoryMarshal.GetReference(bits), bits.Length);
        using var xHat = Accelerator.Allocate1D<float>(bits.Length);
        _normalizeRowsBFloat16(n, x.View, xHat.View, d);
        return xHat.GetAsArray1D();
    }

    /// <summary>
    /// Cosine similarities <c>s[j] = x̂_anchor · x̂_j</c> for every row j (N values, not clamped to [-1, 1]).
    /// </summary>
    /// <param name="embeddings">Row-major N×d embeddings (normalised on the device first).</param>
    /// <param name="n">Number of rows N.</param>
    /// <param name="d">Row dimension d.</param>
    /// <param name="anchor">The anchor row, in [0, N).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="n"/>, <paramref name="d"/> or <paramref name="anchor"/> is out of range.</exception>
    /// <exception cref="ArgumentException">Shape mismatch, a NaN/±Inf entry, or an all-zero row.</exception>
    public float[] SimilarityRow(ReadOnlySpan<float> embeddings, int n, int d, int anchor)
    {
        NormalizedSimilarityReference.Validate(embeddings, n, d, nameof(embeddings));
        NormalizedSimilarityReference.ValidateAnchors(n, anchor, 1, nameof(anchor));
        using var x = Upload(embeddings);
        using var xHat = Accelerator.Allocate1D<float>(embeddings.Length);
        using var s = Accelerator.Allocate1D<float>(n);
        _normalizeRows(n, x.View, xHat.View, d);
        _similarityRow(n, xHat.View, s.View, d, anchor);
        return s.GetAsArray1D();
    }

    /// <summary>
    /// Cosine similarities of <paramref name="anchorCount"/> consecutive anchors against every row: a row-major
    /// anchorCount×N block with <c>[r, j] = x̂_(anchorStart+r) · x̂_j</c>. Pass anchorStart 0 and anchorCount N for the full matrix.
    /// </summary>
    /// <param name="embeddings">Row-major N×d embeddings (normalised on the device first).</param>
    /// <param name="n">Number of rows N.</param>
    /// <param name="d">Row dimension d.</param>
    /// <param name="anchorStart">First anchor row, in [0, N).</param>
    /// <param name="anchorCount">Number of anchors, in [1, N − anchorStart].</param>
    /// <exception cref="ArgumentOutOfRangeException">A size or the anchor range is out of range, or the block exceeds 2³¹−1 values.</exception>
    /// <exception cref="ArgumentException">Shape mismatch, a NaN/±Inf entry, or an all-zero row.</exception>
    public float[] SimilarityBlock(ReadOnlySpan<float> embeddings, int n, int d, int anchorStart, int anchorCount)
    {
        NormalizedSimilarityReference.Validate(embeddings, n, d, nameof(embeddings));
        NormalizedSimilarityReference.ValidateAnchors(n, anchorStart, anchorCount, nameof(anchorStart));
        // The kernels index with int; keep the output addressable.
        if ((long)anchorCount * n > int.MaxValue)
            throw new ArgumentOutOfRangeException(
                nameof(anchorCount), anchorCount, $"anchorCount·n = {(long)anchorCount * n} exceeds {int.MaxValue}; request fewer anchors.");
        using var x = Upload(embeddings);
        using var xHat = Accelerator.Allocate1D<float>(embeddings.Length);
        using var s = Accelerator.Allocate1D<float>(anchorCount * n);
        _normalizeRows(n, x.View, xHat.View, d);
        _similarityBlock(new Index2D(n, anchorCount), xHat.View, s.View, n, d, anchorStart);
        return s.GetAsArray1D();
    }

    private MemoryBuffer1D<float, Stride1D.Dense> Upload(ReadOnlySpan<float> values)
    {
        var buffer = Accelerator.Allocate1D<float>(values.Length);
        try
        {
            // CopyFromCPU only reads through the reference; the span is never written.
            buffer.View.CopyFromCPU(ref MemoryMarshal.GetReference(values), values.Length);
            return buffer;
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
    }
}
