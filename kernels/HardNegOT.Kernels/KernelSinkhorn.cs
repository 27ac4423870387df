using HardNegOT.Costs;
using HardNegOT.Couplings;
using HardNegOT.Geometry;
using HardNegOT.Problems;
using HardNegOT.Solvers;
using ILGPU;
using ILGPU.Runtime;
using Half = System.Half;

namespace HardNegOT.Kernels;

/// <summary>
/// Log-domain Sinkhorn on an ILGPU accelerator with the fused half-step of <see cref="FusedSinkhornKernels"/>:
/// the cost is recomputed from the embeddings every half-step, so device memory is O(N·d + N) and no N×N
/// buffer is ever allocated. Float32 throughout; the iteration and stopping rule are those of the CPU
/// solvers (alternating g ← T_a(f), f ← T_b(g), or the relaxed symmetric f ← f + ω(T(f) − f)).
/// Unbalanced problems scale each half-step by τ = ρ/(ρ + ε) in a tiny O(N) kernel
/// (<see cref="FusedSinkhornKernels.Scale"/>) and stop on the dual change, as the CPU solvers do.
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
    private readonly Action<Index1D, ArrayView<float>, float> _scale;
    private Action<KernelConfig, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>,
        ArrayView<float>, int, int, int, float, int, float, float>? _weightedNegativeSums;

    // The materialised path's kernels, loaded on first use.
    private Action<Index2D, ArrayView<float>, ArrayView<int>, ArrayView<float>, int, int, int, float>? _costMatrix;
    private Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float>? _materializedHalfStep;

    // Normalise kernels for raw-embedding entry points; loaded on first use so plain solves do not compile them.
    private Action<Index1D, ArrayView<float>, ArrayView<float>, int>? _normalize;
    private Action<Index1D, ArrayView<ILGPU.Half>, ArrayView<float>, int>? _normalizeHalf;
    private Action<Index1D, ArrayView<ushort>, ArrayView<float>, int>? _normalizeBFloat16;
    private Action<Index1D, ArrayView<ushort>, ArrayView<float>, int>? _normalizeHalfBits;

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
        : this(accelerator, owned: null)
    {
    }

    private KernelSinkhorn(KernelAccelerator session, bool owned)
        : this((session ?? throw new ArgumentNullException(nameof(session))).Accelerator, owned ? session : null)
    {
    }

    private KernelSinkhorn(Accelerator accelerator, KernelAccelerator? owned)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        Accelerator = accelerator;
        _owned = owned;
        try
        {
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
            _scale = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, float>(FusedSinkhornKernels.Scale);
        }
        catch
        {
            // A session this solver created would otherwise outlive the failed construction.
            owned?.Dispose();
            throw;
        }
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

    /// <summary>Fused (default choice for any N), materialised, or <see cref="KernelPath.Auto"/> by size.</summary>
    public KernelPath Path
    {
        get;
        set => field = Enum.IsDefined(value) ? value
            : throw new ArgumentOutOfRangeException(nameof(Path), value, "Unknown kernel path.");
    } = KernelPath.Auto;

    /// <summary>The path the last <see cref="Solve"/> ran (Fused or Materialized).</summary>
    public KernelPath LastPath { get; private set; }

    /// <summary>
    /// Largest N for which <see cref="KernelPath.Auto"/> materialises the cost on this accelerator, or 0 for never.
    /// From the crossover benchmark (bench: KernelPathBenchmarks); only ILGPU's CPU accelerator has been measured, so
    /// CUDA and OpenCL keep the fused path until a GPU run decides.
    /// </summary>
    public int MaterializedMaxCount => Accelerator.AcceleratorType == AcceleratorType.CPU ? CpuMaterializedMaxCount : 0;

    // On ILGPU's CPU accelerator the materialised path won at every measured N ≥ 32 (2–5× at d = 128,
    // docs/benchmarks/kernel-path.md): it reads one float where the fused path recomputes a d-term dot product. The
    // cap keeps the cached cost at 16 MiB.
    private const int CpuMaterializedMaxCount = 2048;

    /// <summary>Total bytes of the device buffers the last <see cref="Solve"/>, <see cref="HalfStep(PointCloudGeometry, double, ReadOnlySpan{double}, ReadOnlySpan{double})"/> or
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
        SinglePrecision.RequireResolvable(problem, Name);
        var update = options.ResolvePlainUpdate(problem);
        // Accelerated schemes (Anderson, over-relaxation) are host-side driver features not ported to the device;
        // refuse them rather than silently running plain alternating updates.
        if (update is not (SinkhornUpdate.Symmetric or SinkhornUpdate.Alternating))
            throw new NotSupportedException($"{Name} runs the symmetric and alternating updates only, not {update}.");
        bool symmetric = update == SinkhornUpdate.Symmetric;
        float eps = (float)problem.Epsilon;
        float omega = (float)options.Relaxation;
        // τ = 1 (balanced) skips the scaling launches, so balanced solves run exactly as before.
        float tauA = (float)problem.TauA, tauB = (float)problem.TauB;

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
        var cost = ResolvePath(n) == KernelPath.Materialized ? Materialize(buffers, geometry) : null;
        LastPath = cost is null ? KernelPath.Fused : KernelPath.Materialized;
        LastAllocatedBytes = buffers.Bytes;

        for (int iteration = 1; ; iteration++)
        {
            if (symmetric)
            {
                LaunchHalfStep(geometry, cost, f, logA, next, eps);
                ScaleIfRelaxed(next, n, tauA);
            }
            else
            {
                LaunchHalfStep(geometry, cost, f, logA, g!, eps);
                ScaleIfRelaxed(g!, n, tauB);
                LaunchHalfStep(geometry, cost, g!, logB, next, eps);
                ScaleIfRelaxed(next, n, tauA);
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
                    if (problem.IsBalanced)
                        return new Coupling(problem, fHost, gHost, iteration, marginalError, converged, Name);
                    // The device error is the dual change; the true row error needs T_b(g) = next/τ_a, here in double.
                    double rowError = RelaxedRowError(problem, fHost, next.GetAsArray1D(), tauA);
                    return new Coupling(problem, fHost, gHost, iteration, rowError, converged, Name, convergenceError: marginalError);
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
    /// One fused half-step from raw float32 embeddings: rows are normalised on the device
    /// (<see cref="NormalizedSimilarityKernels.NormalizeRows"/>, float32) and fed to the half-step. The baseline the
    /// 16-bit overloads are compared with.
    /// </summary>
    /// <param name="embeddings">Row-major N×d embeddings (N = <paramref name="layout"/>.Count).</param>
    /// <param name="d">Row dimension d.</param>
    /// <param name="cost">Ground cost on the unit sphere.</param>
    /// <param name="layout">Positives and mask.</param>
    /// <param name="epsilon">Entropic regularisation ε &gt; 0.</param>
    /// <param name="potential">The potential to transform, N values.</param>
    /// <param name="logMarginal">log of the marginal summed over, N values.</param>
    /// <returns>The N outputs.</returns>
    /// <exception cref="ArgumentException">A shape or length mismatch, a non-finite entry, an all-zero row, or a bad ε.</exception>
    public double[] HalfStep(ReadOnlySpan<float> embeddings, int d, GroundCost cost, BatchLayout layout, double epsilon,
        ReadOnlySpan<double> potential, ReadOnlySpan<double> logMarginal)
    {
        int n = ValidateEmbeddings(embeddings, d, layout);
        using var buffers = new DeviceBuffers(Accelerator);
        var x = buffers.Upload(embeddings.ToArray());
        var points = buffers.Allocate<float>(x.Length);
        _normalize ??= Accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int>(
            NormalizedSimilarityKernels.NormalizeRows);
        _normalize(n, x.View, points.View, d);
        return HalfStepOnDevice(buffers, points, n, d, cost, layout, epsilon, potential, logMarginal);
    }

    /// <summary>
    /// One fused half-step from fp16 embeddings: the device widens them to float32 while normalising
    /// (<see cref="NormalizedSimilarityKernels.NormalizeRowsHalf"/>), so the result equals the float32 overload on
    /// the upcast input while the upload is half the size.
    /// </summary>
    /// <param name="embeddings">Row-major N×d fp16 embeddings (N = <paramref name="layout"/>.Count).</param>
    /// <param name="d">Row dimension d.</param>
    /// <param name="cost">Ground cost on the unit sphere.</param>
    /// <param name="layout">Positives and mask.</param>
    /// <param name="epsilon">Entropic regularisation ε &gt; 0.</param>
    /// <param name="potential">The potential to transform, N values.</param>
    /// <param name="logMarginal">log of the marginal summed over, N values.</param>
    /// <returns>The N outputs.</returns>
    /// <exception cref="ArgumentException">A shape or length mismatch, a non-finite entry, an all-zero row, or a bad ε.</exception>
    public double[] HalfStep(ReadOnlySpan<Half> embeddings, int d, GroundCost cost, BatchLayout layout, double epsilon,
        ReadOnlySpan<double> potential, ReadOnlySpan<double> logMarginal)
    {
        int n = ValidateEmbeddings(HalfPrecision.Widen(embeddings), d, layout);
        using var buffers = new DeviceBuffers(Accelerator);
        var points = buffers.Allocate<float>(embeddings.Length);
        if (HalfPrecision.SupportsFloat16(Accelerator))
        {
            var x = buffers.Adopt(HalfPrecision.Upload(Accelerator, embeddings));
            _normalizeHalf ??= Accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<ILGPU.Half>, ArrayView<float>, int>(
                NormalizedSimilarityKernels.NormalizeRowsHalf);
            _normalizeHalf(n, x.View, points.View, d);
        }
        else
        {
            // No fp16 on the device (many OpenCL drivers): widen the bits in integer arithmetic, same result.
            var x = buffers.Adopt(HalfPrecision.UploadBits(Accelerator, embeddings));
            _normalizeHalfBits ??= Accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<ushort>, ArrayView<float>, int>(
                NormalizedSimilarityKernels.NormalizeRowsHalfBits);
            _normalizeHalfBits(n, x.View, points.View, d);
        }
        return HalfStepOnDevice(buffers, points, n, d, cost, layout, epsilon, potential, logMarginal);
    }

    /// <summary>
    /// One fused half-step from bfloat16 embeddings given as raw 16-bit patterns, widened to float32 on the device
    /// (<see cref="NormalizedSimilarityKernels.NormalizeRowsBFloat16"/>); equals the float32 overload on the upcast input.
    /// </summary>
    /// <param name="bits">Row-major N×d bf16 bit patterns (N = <paramref name="layout"/>.Count).</param>
    /// <param name="d">Row dimension d.</param>
    /// <param name="cost">Ground cost on the unit sphere.</param>
    /// <param name="layout">Positives and mask.</param>
    /// <param name="epsilon">Entropic regularisation ε &gt; 0.</param>
    /// <param name="potential">The potential to transform, N values.</param>
    /// <param name="logMarginal">log of the marginal summed over, N values.</param>
    /// <returns>The N outputs.</returns>
    /// <exception cref="ArgumentException">A shape or length mismatch, a non-finite entry, an all-zero row, or a bad ε.</exception>
    public double[] HalfStepBFloat16(ReadOnlySpan<ushort> bits, int d, GroundCost cost, BatchLayout layout, double epsilon,
        ReadOnlySpan<double> potential, ReadOnlySpan<double> logMarginal)
    {
        int n = ValidateEmbeddings(HalfPrecision.WidenBFloat16(bits), d, layout);
        using var buffers = new DeviceBuffers(Accelerator);
        var x = buffers.Upload(bits.ToArray());
        var points = buffers.Allocate<float>(x.Length);
        _normalizeBFloat16 ??= Accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<ushort>, ArrayView<float>, int>(
            NormalizedSimilarityKernels.NormalizeRowsBFloat16);
        _normalizeBFloat16(n, x.View, points.View, d);
        return HalfStepOnDevice(buffers, points, n, d, cost, layout, epsilon, potential, logMarginal);
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

    /// <summary>
    /// The OT-weighted NCE negative term of every row, <c>Σ_j P*(j|i)·e^{s_ij/τ}</c> over the unmasked j, computed on
    /// the device from <paramref name="coupling"/>'s column potential in one tiled pass
    /// (<see cref="FusedSinkhornKernels.WeightedNegativeSums"/>): neither the plan nor the similarities are stored,
    /// so memory stays O(N·d + N).
    /// </summary>
    /// <param name="coupling">A solved coupling (from any solver).</param>
    /// <param name="temperature">The NCE temperature τ &gt; 0 (s is the clamped cosine similarity).</param>
    /// <returns>N float32 sums (0 for a row with no unmasked column).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="temperature"/> is not positive and finite.</exception>
    public float[] WeightedNegativeSums(Coupling coupling, double temperature)
    {
        ArgumentNullException.ThrowIfNull(coupling);
        if (!(temperature > 0) || !double.IsFinite(temperature))
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "The temperature τ must be a positive finite number.");
        var problem = coupling.Problem;
        int n = problem.Count;
        using var buffers = new DeviceBuffers(Accelerator);
        var geometry = UploadGeometry(buffers, problem.Geometry);
        var g = buffers.Upload(ToSingle(coupling.G));
        var logB = buffers.Upload(LogOf(problem.B));
        var output = buffers.Allocate<float>(n);
        LastAllocatedBytes = buffers.Bytes;
        _weightedNegativeSums ??= Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<int>, ArrayView<float>,
            ArrayView<float>, ArrayView<float>, int, int, int, float, int, float, float>(FusedSinkhornKernels.WeightedNegativeSums);
        int groups = (n + _groupSize - 1) / _groupSize;
        _weightedNegativeSums(new KernelConfig(groups, _groupSize, SharedMemoryConfig.RequestDynamic<float>(geometry.TileCount * geometry.D)),
            geometry.Points.View, geometry.PositiveOf.View, g.View, logB.View, output.View, n, geometry.D, geometry.TileCount,
            (float)problem.Epsilon, geometry.CostKind, geometry.CostParameter, (float)(1.0 / temperature));
        return output.GetAsArray1D();
    }

    /// <summary>Disposes the accelerator if this solver created it; a caller-supplied one is left alone.</summary>
    public void Dispose() => _owned?.Dispose();

    private KernelPath ResolvePath(int n) => Path switch
    {
        KernelPath.Auto => n <= MaterializedMaxCount ? KernelPath.Materialized : KernelPath.Fused,
        var explicitPath => explicitPath,
    };

    // The N×N transposed cost, computed once per solve.
    private MemoryBuffer1D<float, Stride1D.Dense> Materialize(DeviceBuffers buffers, UploadedGeometry geometry)
    {
        int n = geometry.N;
        if ((long)n * n > int.MaxValue)
            throw new NotSupportedException($"N² = {(long)n * n} exceeds {int.MaxValue}: the materialised path indexes with int; use KernelPath.Fused.");
        _costMatrix ??= Accelerator.LoadAutoGroupedStreamKernel<Index2D, ArrayView<float>, ArrayView<int>, ArrayView<float>, int, int, int, float>(
            MaterializedSinkhornKernels.CostMatrix);
        var cost = buffers.Allocate<float>((long)n * n);
        _costMatrix(new Index2D(n, n), geometry.Points.View, geometry.PositiveOf.View, cost.View, n, geometry.D, geometry.CostKind, geometry.CostParameter);
        return cost;
    }

    private void LaunchHalfStep(
        UploadedGeometry geometry, MemoryBuffer1D<float, Stride1D.Dense>? materializedCost, MemoryBuffer1D<float, Stride1D.Dense> potential,
        MemoryBuffer1D<float, Stride1D.Dense> logMarginal, MemoryBuffer1D<float, Stride1D.Dense> output, float eps)
    {
        if (materializedCost is not null)
        {
            _materializedHalfStep ??= Accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>,
                ArrayView<float>, int, float>(MaterializedSinkhornKernels.HalfStep);
            _materializedHalfStep(geometry.N, materializedCost.View, potential.View, logMarginal.View, output.View, geometry.N, eps);
            return;
        }
        LaunchHalfStep(geometry, potential, logMarginal, output, eps);
    }

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

    private void ScaleIfRelaxed(MemoryBuffer1D<float, Stride1D.Dense> x, int n, float tau)
    {
        if (tau != 1f) _scale(n, x.View, tau);
    }

    // Row i of P(f, g) sums to a_i·exp((f_i − T_b(g)_i)/ε) and the device holds next = τ_a·T_b(g).
    private static double RelaxedRowError(EntropicProblem problem, double[] f, float[] next, float tauA)
    {
        double eps = problem.Epsilon, error = 0;
        var a = problem.A;
        for (int i = 0; i < f.Length; i++)
            if (a[i] > 0) error += a[i] * Math.Abs(Math.Exp((f[i] - next[i] / (double)tauA) / eps) - 1.0);
        return error;
    }

    private static int ValidateEmbeddings(ReadOnlySpan<float> embeddings, int d, BatchLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        int n = layout.Count;
        HardNegOT.Reference.NormalizedSimilarityReference.Validate(embeddings, n, d, nameof(embeddings));
        return n;
    }

    private double[] HalfStepOnDevice(
        DeviceBuffers buffers, MemoryBuffer1D<float, Stride1D.Dense> points, int n, int d, GroundCost cost, BatchLayout layout,
        double epsilon, ReadOnlySpan<double> potential, ReadOnlySpan<double> logMarginal)
    {
        ArgumentNullException.ThrowIfNull(cost);
        if (!(epsilon > 0) || !double.IsFinite(epsilon))
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "ε must be a positive finite number.");
        RequireLength(potential.Length, n, nameof(potential));
        RequireLength(logMarginal.Length, n, nameof(logMarginal));
        var uploaded = UploadGeometry(buffers, points, n, d, cost, layout);
        var p = buffers.Upload(ToSingle(potential));
        var m = buffers.Upload(ToSingle(logMarginal));
        var output = buffers.Allocate<float>(n);
        LastAllocatedBytes = buffers.Bytes;
        LaunchHalfStep(uploaded, p, m, output, (float)epsilon);
        return ToDouble(output.GetAsArray1D());
    }

    private UploadedGeometry UploadGeometry(DeviceBuffers buffers, PointCloudGeometry geometry)
    {
        int n = geometry.Count, d = geometry.Dimension;
        if ((long)n * d > int.MaxValue)
            throw new NotSupportedException($"N·d = {(long)n * d} exceeds {int.MaxValue}: the kernels index with int.");
        return UploadGeometry(buffers, buffers.Upload(geometry.PointsSingle.ToArray()), n, d, geometry.Cost, geometry.Layout);
    }

    private UploadedGeometry UploadGeometry(
        DeviceBuffers buffers, MemoryBuffer1D<float, Stride1D.Dense> points, int n, int d, GroundCost groundCost, BatchLayout layout)
    {
        var (kind, parameter) = EncodeCost(groundCost);
        // The kernels skip k = r unconditionally; a layout that transports i to itself would be solved wrongly.
        if (!layout.MasksSelf)
            throw new NotSupportedException($"The fused kernels always mask i = j; the '{layout.Name}' layout needs the reference or cpu solver.");
        long sharedBytes = Math.Min(SharedBudgetBytes, Accelerator.MaxSharedMemoryPerGroup);
        int requested = TileRows == 0 ? MaxTileCount : TileRows;
        int tileCount = (int)Math.Min(Math.Min(requested, n), sharedBytes / (sizeof(float) * (long)d));
        if (tileCount < 1)
            throw new NotSupportedException(
                $"d = {d} does not fit one row into {sharedBytes} bytes of shared memory; the fused half-step needs d ≤ {sharedBytes / sizeof(float)}.");
        var positives = new int[n];
        for (int i = 0; i < n; i++) positives[i] = layout.PositiveOf(i);
        return new UploadedGeometry(points, buffers.Upload(positives), n, d, tileCount, kind, parameter);
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

        public MemoryBuffer1D<T, Stride1D.Dense> Adopt<T>(MemoryBuffer1D<T, Stride1D.Dense> buffer)
            where T : unmanaged
        {
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
