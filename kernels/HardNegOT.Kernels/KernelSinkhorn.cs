using HardNegOT.Costs;
using HardNegOT.Couplings;
using HardNegOT.Geometry;
using HardNegOT.Problems;
using HardNegOT.Solvers;
using ILGPU;
using ILGPU.Runtime;

namespace HardNegOT.Kernels;

/// <summary>
/// Log-domain Sinkhorn on an ILGPU accelerator with the fused half-step of <see cref="FusedSinkhornKernels"/>:
/// the cost is recomputed from the embeddings every half-step, so device memory is O(N·d + N) and no N×N
/// buffer is ever allocated. Float32 throughout; the iteration and stopping rule are those of the CPU
/// solvers (alternating g ← T_a(f), f ← T_b(g), or the relaxed symmetric f ← f + ω(T(f) − f)).
/// </summary>
/// <remarks>
/// The whole iteration stays on the device; the host reads one float (the row-marginal error) every
/// <see cref="CheckEvery"/> iterations. Not thread-safe: solves launch on the accelerator's default stream.
/// </remarks>
public sealed class KernelSinkhorn : ISinkhornSolver, IDisposable
{
    /// <summary>Default <see cref="CheckEvery"/>: reading the error back stalls the device, so do it rarely.</summary>
    public const int DefaultCheckEvery = 10;

    // 48 KiB is the dynamic shared memory every CUDA device grants without an opt-in; the tile stays well under it.
    private const int SharedBudgetBytes = 32 * 1024;
    private const int MaxTileCount = 256;
    private const int MaxGroupSize = 128;
    private const int MaxReductionGroupSize = 256;

    private readonly KernelAccelerator? _owned;
    private readonly int _groupSize;
    private readonly int _reductionGroupSize;

    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>,
        ArrayView<float>, int, int, int, float, int, float> _halfStep;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>,
        ArrayView<int>, ArrayView<float>, int, int, int, int, float, int, float> _anchorRowLse;
    private readonly Action<Index2D, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>,
        ArrayView<int>, ArrayView<float>, ArrayView<float>, int, int, float, int, float> _anchorWeights;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
        int, float> _rowMarginalError;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, float> _relax;

    /// <summary>Creates an accelerator for <paramref name="backend"/> and owns it (disposed with this solver).</summary>
    /// <param name="backend">The backend, or <see cref="AcceleratorBackend.Auto"/> for the best available.</param>
    /// <exception cref="InvalidOperationException">An explicitly requested backend has no usable device.</exception>
    public KernelSinkhorn(AcceleratorBackend backend = AcceleratorBackend.Auto)
        : this(AcceleratorFactory.Create(backend), owned: true)
    {
    }

    /// <summary>Runs on <paramref name="session"/>'s accelerator; the caller keeps ownership and disposes it.</summary>
    /// <param name="session">An accelerator from <see cref="AcceleratorFactory.Create"/>.</param>
    public KernelSinkhorn(KernelAccelerator session)
        : this(session, owned: false)
    {
    }

    /// <summary>Runs on <paramref name="accelerator"/>; the caller keeps ownership and keeps it alive while this solver is used.</summary>
    /// <param name="accelerator">The accelerator to compile and launch the kernels on.</param>
    public KernelSinkhorn(Accelerator accelerator)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        Accelerator = accelerator;
        Name = "kernel-" + accelerator.AcceleratorType switch
        {
            AcceleratorType.CPU => "cpu",
            AcceleratorType.Cuda => "cuda",
            AcceleratorType.OpenCL => "opencl",
            var other => other.ToString().ToLowerInvariant(),
        };
        _groupSize = PowerOfTwoAtMost(Math.Min(MaxGroupSize, accelerator.MaxNumThreadsPerGroup));
        _reductionGroupSize = PowerOfTwoAtMost(Math.Min(MaxReductionGroupSize, accelerator.MaxNumThreadsPerGroup));
        _halfStep = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>,
            ArrayView<float>, int, int, int, float, int, float>(FusedSinkhornKernels.HalfStep);
        _anchorRowLse = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>,
            ArrayView<int>, ArrayView<float>, int, int, int, int, float, int, float>(FusedSinkhornKernels.AnchorRowLogSumExp);
        _anchorWeights = accelerator.LoadAutoGroupedStreamKernel<Index2D, ArrayView<float>, ArrayView<int>, ArrayView<float>,
            ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, int, int, float, int, float>(
            FusedSinkhornKernels.AnchorConditionalWeights);
        _rowMarginalError = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>,
            ArrayView<float>, int, float>(FusedSinkhornKernels.RowMarginalError);
        _relax = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, float>(
            FusedSinkhornKernels.Relax);
    }

    private KernelSinkhorn(KernelAccelerator session, bool owned)
        : this((session ?? throw new ArgumentNullException(nameof(session))).Accelerator)
    {
        if (owned) _owned = session;
    }

    /// <inheritdoc />
    /// <remarks>"kernel-cpu", "kernel-cuda" or "kernel-opencl".</remarks>
    public string Name { get; }

    /// <summary>The accelerator the kernels run on.</summary>
    public Accelerator Accelerator { get; }

    /// <summary>
    /// Read the marginal error back (and test for convergence) every this many iterations, and always at the
    /// cap. 1 reproduces the CPU solvers' iteration counts; larger values keep the device busy but may run up
    /// to CheckEvery − 1 iterations past convergence.
    /// </summary>
    public int CheckEvery
    {
        get;
        set => field = value > 0 ? value
            : throw new ArgumentOutOfRangeException(nameof(CheckEvery), value, "CheckEvery must be positive.");
    } = DefaultCheckEvery;

    /// <summary>
    /// Rows per shared-memory tile of the half-step (each tile holds TileRows·d floats); 0, the default, picks
    /// the largest tile (at most 256 rows) that fits 32 KiB. Set it to exercise or tune the tiling; it is capped
    /// at N and at what fits the budget.
    /// </summary>
    public int TileRows
    {
        get;
        set => field = value >= 0 ? value
            : throw new ArgumentOutOfRangeException(nameof(TileRows), value, "TileRows must be 0 (automatic) or positive.");
    }

    /// <summary>Total bytes of the device buffers the last <see cref="Solve"/>, <see cref="HalfStep"/> or
    /// <see cref="ConditionalRows"/> call allocated (all freed before it returned).</summary>
    public long LastAllocatedBytes { get; private set; }

    /// <inheritdoc />
    /// <exception cref="ArgumentNullException"><paramref name="problem"/> is null.</exception>
    /// <exception cref="ArgumentException">A bad warm start, or the symmetric update for a ≠ b.</exception>
    /// <exception cref="NotSupportedException">An update other than symmetric or alternating (after resolving
    /// Auto), a cost other than squared-Euclidean, exponential or cosine, or a d too large for one shared-memory row.</exception>
    /// <exception cref="InvalidOperationException">The marginal error became NaN (ε too small for float32).</exception>
    public Coupling Solve(EntropicProblem problem, SinkhornOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(problem);
        options ??= SinkhornOptions.Fast;
        int n = problem.Count;
        ValidateWarmStart(options.WarmStart, n);
        var update = options.ResolveUpdate(problem);
        // Accelerated schemes (Anderson, over-relaxation) are host-side driver features not ported to the device;
        // refuse them rather than silently running plain alternating updates.
        if (update is not (SinkhornUpdate.Symmetric or SinkhornUpdate.Alternating))
            throw new NotSupportedException($"{Name} runs the symmetric and alternating updates only, not {update}.");
        bool symmetric = update == SinkhornUpdate.Symmetric;
        float eps = (float)problem.Epsilon;
        float omega = (float)options.Relaxation;

        using var buffers = new DeviceBuffers(Accelerator);
        var geometry = UploadGeometry(buffers, problem.Geometry);
        var a = buffers.Upload(ToSingle(problem.A));
        var logA = buffers.Upload(LogOf(problem.A));
        // The symmetric scheme only ever sums against a (= b).
        var logB = symmetric ? logA : buffers.Upload(LogOf(problem.B));
        var f = options.WarmStart is { } warm ? buffers.Upload(ToSingle(warm)) : buffers.Zeros(n);
        var g = symmetric ? null : buffers.Allocate<float>(n);
        var next = buffers.Allocate<float>(n);
        var error = buffers.Allocate<float>(1);
        LastAllocatedBytes = buffers.Bytes;

        for (int iteration = 1; ; iteration++)
        {
            if (symmetric)
            {
                LaunchHalfStep(geometry, f, logA, next, eps);
            }
            else
            {
                LaunchHalfStep(geometry, f, logA, g!, eps);
                LaunchHalfStep(geometry, g!, logB, next, eps);
            }

            if (iteration % CheckEvery == 0 || iteration == options.MaxIterations)
            {
                _rowMarginalError(new KernelConfig(1, _reductionGroupSize, SharedMemoryConfig.RequestDynamic<float>(_reductionGroupSize)),
                    a.View, f.View, next.View, error.View, n, eps);
                double marginalError = error.GetAsArray1D()[0];
                // Same rule as the CPU driver: NaN never converges and would only burn the remaining iterations.
                if (double.IsNaN(marginalError))
                    throw new InvalidOperationException(
                        $"{Name}: the potentials became non-finite by iteration {iteration} (ε = {problem.Epsilon:G4}); the problem is beyond float32 precision.");
                bool converged = marginalError <= options.Tolerance;
                if (converged || iteration == options.MaxIterations)
                {
                    var fHost = ToDouble(f.GetAsArray1D());
                    var gHost = symmetric ? (double[])fHost.Clone() : ToDouble(g!.GetAsArray1D());
                    return new Coupling(problem, fHost, gHost, iteration, marginalError, converged, Name);
                }
            }

            if (symmetric)
                _relax(n, f.View, next.View, omega);
            else
                (f, next) = (next, f);
        }
    }

    /// <summary>
    /// One fused half-step on the device: <c>output_r = −ε·LSE_k[(potential_k − C_rk)/ε + logMarginal_k]</c> over
    /// the unmasked k, in float32 (inputs are rounded to float). For checking the kernel against a reference and
    /// for benchmarks.
    /// </summary>
    /// <param name="geometry">Points, cost and mask.</param>
    /// <param name="epsilon">Entropic regularisation ε &gt; 0.</param>
    /// <param name="potential">The potential to transform, N values.</param>
    /// <param name="logMarginal">log of the marginal summed over, N values (−∞ allowed).</param>
    /// <returns>The N outputs (+∞ for a row whose every term is −∞).</returns>
    /// <exception cref="ArgumentException">A length is not N, or ε is not positive and finite.</exception>
    public double[] HalfStep(PointCloudGeometry geometry, double epsilon, ReadOnlySpan<double> potential, ReadOnlySpan<double> logMarginal)
    {
        ArgumentNullException.ThrowIfNull(geometry);
        if (!(epsilon > 0) || !double.IsFinite(epsilon))
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "ε must be a positive finite number.");
        RequireLength(potential.Length, geometry.Count, nameof(potential));
        RequireLength(logMarginal.Length, geometry.Count, nameof(logMarginal));
        using var buffers = new DeviceBuffers(Accelerator);
        var uploaded = UploadGeometry(buffers, geometry);
        var p = buffers.Upload(ToSingle(potential));
        var m = buffers.Upload(ToSingle(logMarginal));
        var output = buffers.Allocate<float>(geometry.Count);
        LastAllocatedBytes = buffers.Bytes;
        LaunchHalfStep(uploaded, p, m, output, (float)epsilon);
        return ToDouble(output.GetAsArray1D());
    }

    /// <summary>
    /// The conditional negative distributions P*(j | i) ∝ b_j exp((g_j − C_ij)/ε) of the given anchors, computed
    /// on the device from <paramref name="coupling"/>'s column potential (float32): a row LSE pass, then the
    /// weights. Masked entries are exactly 0 and each row sums to 1 up to float rounding.
    /// </summary>
    /// <param name="coupling">A solved coupling (from any solver).</param>
    /// <param name="anchors">Anchor rows, each in [0, N).</param>
    /// <returns>Row-major (anchors.Length)×N weights.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An anchor is outside [0, N), or the block exceeds 2³¹−1 values.</exception>
    public double[] ConditionalRows(Coupling coupling, ReadOnlySpan<int> anchors)
    {
        ArgumentNullException.ThrowIfNull(coupling);
        var problem = coupling.Problem;
        int n = problem.Count;
        if (anchors.IsEmpty) return [];
        foreach (int anchor in anchors)
            if ((uint)anchor >= (uint)n)
                throw new ArgumentOutOfRangeException(nameof(anchors), anchor, $"Anchor {anchor} is not a row index in [0, {n}).");
        if ((long)anchors.Length * n > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(anchors), anchors.Length,
                $"anchors·N = {(long)anchors.Length * n} exceeds {int.MaxValue}; request fewer anchors.");
        float eps = (float)problem.Epsilon;
        using var buffers = new DeviceBuffers(Accelerator);
        var geometry = UploadGeometry(buffers, problem.Geometry);
        var g = buffers.Upload(ToSingle(coupling.G));
        var logB = buffers.Upload(LogOf(problem.B));
        var anchorBuffer = buffers.Upload(anchors.ToArray());
        var rowLse = buffers.Allocate<float>(anchors.Length);
        var weights = buffers.Allocate<float>((long)anchors.Length * n);
        LastAllocatedBytes = buffers.Bytes;

        int groups = (anchors.Length + _groupSize - 1) / _groupSize;
        _anchorRowLse(new KernelConfig(groups, _groupSize, SharedMemoryConfig.RequestDynamic<float>(geometry.TileCount * geometry.D)),
            geometry.Points.View, geometry.PositiveOf.View, g.View, logB.View, anchorBuffer.View, rowLse.View,
            anchors.Length, n, geometry.D, geometry.TileCount, eps, geometry.CostKind, geometry.CostParameter);
        _anchorWeights(new Index2D(n, anchors.Length), geometry.Points.View, geometry.PositiveOf.View, g.View, logB.View,
            anchorBuffer.View, rowLse.View, weights.View, n, geometry.D, eps, geometry.CostKind, geometry.CostParameter);
        return ToDouble(weights.GetAsArray1D());
    }

    /// <summary>Disposes the accelerator if this solver created it; a caller-supplied one is left alone.</summary>
    public void Dispose() => _owned?.Dispose();

    private void LaunchHalfStep(
        UploadedGeometry geometry, MemoryBuffer1D<float, Stride1D.Dense> potential,
        MemoryBuffer1D<float, Stride1D.Dense> logMarginal, MemoryBuffer1D<float, Stride1D.Dense> output, float eps)
    {
        int n = geometry.N;
        int groups = (n + _groupSize - 1) / _groupSize;
        _halfStep(new KernelConfig(groups, _groupSize, SharedMemoryConfig.RequestDynamic<float>(geometry.TileCount * geometry.D)),
            geometry.Points.View, geometry.PositiveOf.View, potential.View, logMarginal.View, output.View,
            n, geometry.D, geometry.TileCount, eps, geometry.CostKind, geometry.CostParameter);
    }

    private UploadedGeometry UploadGeometry(DeviceBuffers buffers, PointCloudGeometry geometry)
    {
        int n = geometry.Count, d = geometry.Dimension;
        if ((long)n * d > int.MaxValue)
            throw new NotSupportedException($"N·d = {(long)n * d} exceeds {int.MaxValue}: the kernels index with int.");
        var (kind, parameter) = EncodeCost(geometry.Cost);
        long sharedBytes = Math.Min(SharedBudgetBytes, Accelerator.MaxSharedMemoryPerGroup);
        int requested = TileRows == 0 ? MaxTileCount : TileRows;
        int tileCount = (int)Math.Min(Math.Min(requested, n), sharedBytes / (sizeof(float) * (long)d));
        if (tileCount < 1)
            throw new NotSupportedException(
                $"d = {d} does not fit one row into {sharedBytes} bytes of shared memory; the fused half-step needs d ≤ {sharedBytes / sizeof(float)}.");
        var positives = new int[n];
        for (int i = 0; i < n; i++) positives[i] = geometry.Layout.PositiveOf(i);
        return new UploadedGeometry(
            buffers.Upload(geometry.PointsSingle.ToArray()), buffers.Upload(positives), n, d, tileCount, kind, parameter);
    }

    /// <summary>The kernels' cost code and float parameter for a <see cref="GroundCost"/>.</summary>
    internal static (int Kind, float Parameter) EncodeCost(GroundCost cost) => cost switch
    {
        SquaredEuclideanCost sq => (FusedSinkhornKernels.SquaredEuclideanCost, (float)sq.Scale),
        ExponentialCost exp => (FusedSinkhornKernels.ExponentialCost, (float)exp.Kappa),
        CosineCost => (FusedSinkhornKernels.CosineCost, 0f),
        _ => throw new NotSupportedException(
            $"The fused kernels know squared-Euclidean, exponential and cosine costs, not {cost.GetType().Name}."),
    };

    // SinkhornOptions.ValidateWarmStart is internal to the core library; same checks, same messages.
    private static void ValidateWarmStart(double[]? warm, int n)
    {
        if (warm is null) return;
        if (warm.Length != n)
            throw new ArgumentException($"WarmStart has {warm.Length} entries, expected N = {n}.", nameof(SinkhornOptions.WarmStart));
        for (int i = 0; i < n; i++)
            if (!double.IsFinite(warm[i]))
                throw new ArgumentException($"WarmStart[{i}] = {warm[i]}: potentials must be finite.", nameof(SinkhornOptions.WarmStart));
    }

    private static void RequireLength(int length, int n, string name)
    {
        if (length != n)
            throw new ArgumentException($"{name} has {length} entries, expected N = {n}.", name);
    }

    private static int PowerOfTwoAtMost(int value)
    {
        int p = 1;
        while (p * 2 <= value) p *= 2;
        return p;
    }

    private static float[] ToSingle(ReadOnlySpan<double> values)
    {
        var result = new float[values.Length];
        for (int i = 0; i < values.Length; i++) result[i] = (float)values[i];
        return result;
    }

    private static double[] ToDouble(float[] values) => Array.ConvertAll(values, v => (double)v);

    private static float[] LogOf(ReadOnlySpan<double> m)
    {
        var result = new float[m.Length];
        for (int i = 0; i < m.Length; i++) result[i] = (float)Math.Log(m[i]);
        return result;
    }

    private sealed record UploadedGeometry(
        MemoryBuffer1D<float, Stride1D.Dense> Points, MemoryBuffer1D<int, Stride1D.Dense> PositiveOf,
        int N, int D, int TileCount, int CostKind, float CostParameter);

    /// <summary>Every device buffer of one call: counted (for <see cref="LastAllocatedBytes"/>) and freed together.</summary>
    private sealed class DeviceBuffers(Accelerator accelerator) : IDisposable
    {
        private readonly List<MemoryBuffer> _buffers = [];

        public long Bytes { get; private set; }

        public MemoryBuffer1D<T, Stride1D.Dense> Allocate<T>(long length)
            where T : unmanaged
        {
            var buffer = accelerator.Allocate1D<T>(length);
            _buffers.Add(buffer);
            Bytes += buffer.LengthInBytes;
            return buffer;
        }

        public MemoryBuffer1D<T, Stride1D.Dense> Upload<T>(T[] values)
            where T : unmanaged
        {
            var buffer = Allocate<T>(values.Length);
            buffer.CopyFromCPU(values);
            return buffer;
        }

        public MemoryBuffer1D<float, Stride1D.Dense> Zeros(int length)
        {
            var buffer = Allocate<float>(length);
            buffer.MemSetToZero();
            return buffer;
        }

        public void Dispose()
        {
            foreach (var buffer in _buffers) buffer.Dispose();
        }
    }
}
