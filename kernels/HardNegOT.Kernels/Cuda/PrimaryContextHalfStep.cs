using System.Runtime.InteropServices;
using System.Text;
using ILGPU;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;

namespace HardNegOT.Kernels.Cuda;

/// <summary>
/// <see cref="FusedSinkhornKernels.HalfStep"/> compiled to PTX by ILGPU's PTX backend and launched through the CUDA
/// driver in the device's <em>primary</em> context, on caller-provided device pointers: libtorch allocates in the
/// primary context, so tensor storage can be used in place (zero-copy), which ILGPU's own CudaAccelerator (a private
/// context) cannot do.
/// </summary>
/// <remarks>
/// <para>Kernel parameter ABI (read off the generated PTX's <c>.param</c> list, checked by the tests): the entry is
/// <see cref="EntryName"/> with <see cref="ParameterCount"/> parameters in the C# order. ILGPU passes each
/// <c>ArrayView&lt;T&gt;</c> as a 16-byte, 8-aligned struct <c>{ u64 pointer, i64 length }</c>
/// (<see cref="ViewParameter"/>); int and float scalars are 4-byte <c>.b32</c>/<c>.f32</c>. The kernel is explicitly
/// grouped, so there is no index parameter; its tile lives in dynamic shared memory (<c>__dyn_shared_alloca</c>, sized
/// by the launch's sharedMemBytes = tileCount·d·4).</para>
/// <para>Not thread-safe; every call pushes the primary context and pops it again.</para>
/// </remarks>
public sealed class PrimaryContextHalfStep : IDisposable
{
    /// <summary>The PTX entry name ILGPU gives the kernel.</summary>
    public const string EntryName = "Kernel_HalfStep";

    /// <summary>Number of PTX parameters of the entry (5 views, 6 scalars).</summary>
    public const int ParameterCount = 11;

    /// <summary>Threads per block of a launch.</summary>
    public const int BlockSize = 128;

    private const int SharedBudgetBytes = 32 * 1024;
    private static readonly Lazy<string> Ptx = new(CompilePtx);

    private readonly int _device;
    private readonly IntPtr _context;
    private IntPtr _module;
    private readonly IntPtr _function;

    /// <summary>How ILGPU lays out an <c>ArrayView&lt;T&gt;</c> kernel parameter: device pointer, then element count.</summary>
    /// <param name="Pointer">CUdeviceptr of element 0.</param>
    /// <param name="Length">Number of elements.</param>
    [StructLayout(LayoutKind.Sequential, Pack = 8)]
    public readonly record struct ViewParameter(ulong Pointer, long Length);

    /// <summary>The PTX module text of the half-step (compiled once, without a GPU).</summary>
    public static string HalfStepPtx => Ptx.Value;

    /// <summary>Retains device <paramref name="ordinal"/>'s primary context and loads the module into it.</summary>
    /// <param name="ordinal">CUDA device ordinal.</param>
    /// <exception cref="CudaDriverException">A driver call failed.</exception>
    /// <exception cref="DllNotFoundException">No libcuda.so.1 on this machine.</exception>
    public PrimaryContextHalfStep(int ordinal = 0)
    {
        CudaDriver.Check(CudaDriver.cuInit(0), nameof(CudaDriver.cuInit));
        CudaDriver.Check(CudaDriver.cuDeviceGet(out _device, ordinal), nameof(CudaDriver.cuDeviceGet));
        CudaDriver.Check(CudaDriver.cuDevicePrimaryCtxRetain(out _context, _device), nameof(CudaDriver.cuDevicePrimaryCtxRetain));
        try
        {
            using var scope = Enter();
            var image = Encoding.ASCII.GetBytes(HalfStepPtx + "\0");
            CudaDriver.Check(CudaDriver.cuModuleLoadData(out _module, image), nameof(CudaDriver.cuModuleLoadData));
            CudaDriver.Check(CudaDriver.cuModuleGetFunction(out _function, _module, EntryName), nameof(CudaDriver.cuModuleGetFunction));
        }
        catch
        {
            CudaDriver.cuDevicePrimaryCtxRelease(_device);
            throw;
        }
    }

    /// <summary>The primary context (CUcontext) the module is loaded in.</summary>
    public IntPtr Context => _context;

    /// <summary>Makes the primary context current until the returned scope is disposed (for allocations and copies).</summary>
    /// <returns>A scope that pops the context.</returns>
    public IDisposable Enter()
    {
        CudaDriver.Check(CudaDriver.cuCtxPushCurrent(_context), nameof(CudaDriver.cuCtxPushCurrent));
        return new PopScope();
    }

    /// <summary>
    /// Launches the half-step on device buffers of the primary context:
    /// <c>output[r] = −ε·LSE_k[(potential[k] − C_rk)/ε + logMarginal[k]]</c> over the unmasked k.
    /// Conventions as in <see cref="FusedSinkhornKernels"/>. Asynchronous on <paramref name="stream"/> unless
    /// <paramref name="synchronize"/>.
    /// </summary>
    /// <param name="points">N·d float32 unit-norm rows.</param>
    /// <param name="positiveOf">N int32 positives (−1 for none).</param>
    /// <param name="potential">N float32.</param>
    /// <param name="logMarginal">N float32.</param>
    /// <param name="output">N float32, not aliasing <paramref name="potential"/>.</param>
    /// <param name="n">N.</param>
    /// <param name="d">d.</param>
    /// <param name="epsilon">ε &gt; 0.</param>
    /// <param name="costKind">A <see cref="FusedSinkhornKernels"/> cost constant.</param>
    /// <param name="costParameter">The cost's parameter.</param>
    /// <param name="stream">CUstream (0: the legacy default stream).</param>
    /// <param name="synchronize">Wait for the kernel to finish.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive or d does not fit shared memory.</exception>
    /// <exception cref="CudaDriverException">The launch failed.</exception>
    public unsafe void Launch(
        ulong points, ulong positiveOf, ulong potential, ulong logMarginal, ulong output, int n, int d,
        float epsilon, int costKind, float costParameter, IntPtr stream = default, bool synchronize = true)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(d);
        int tileCount = Math.Min(Math.Min(256, n), SharedBudgetBytes / (sizeof(float) * d));
        if (tileCount < 1)
            throw new ArgumentOutOfRangeException(nameof(d), d, $"d must be at most {SharedBudgetBytes / sizeof(float)}.");
        var pointsView = new ViewParameter(points, (long)n * d);
        var positivesView = new ViewParameter(positiveOf, n);
        var potentialView = new ViewParameter(potential, n);
        var logMarginalView = new ViewParameter(logMarginal, n);
        var outputView = new ViewParameter(output, n);
        // cuLaunchKernel copies each parameter from the address given for it, sized by the PTX .param declaration.
        var args = stackalloc IntPtr[ParameterCount];
        args[0] = (IntPtr)(&pointsView);
        args[1] = (IntPtr)(&positivesView);
        args[2] = (IntPtr)(&potentialView);
        args[3] = (IntPtr)(&logMarginalView);
        args[4] = (IntPtr)(&outputView);
        args[5] = (IntPtr)(&n);
        args[6] = (IntPtr)(&d);
        args[7] = (IntPtr)(&tileCount);
        args[8] = (IntPtr)(&epsilon);
        args[9] = (IntPtr)(&costKind);
        args[10] = (IntPtr)(&costParameter);
        uint grid = (uint)((n + BlockSize - 1) / BlockSize);
        using var scope = Enter();
        CudaDriver.Check(
            CudaDriver.cuLaunchKernel(_function, grid, 1, 1, BlockSize, 1, 1, (uint)(tileCount * d * sizeof(float)), stream, (IntPtr)args, IntPtr.Zero),
            nameof(CudaDriver.cuLaunchKernel));
        if (synchronize)
            CudaDriver.Check(CudaDriver.cuStreamSynchronize(stream), nameof(CudaDriver.cuStreamSynchronize));
    }

    /// <summary>Unloads the module and releases the primary context (libtorch's own retain keeps it alive).</summary>
    public void Dispose()
    {
        if (_module == IntPtr.Zero) return;
        using (Enter())
            CudaDriver.cuModuleUnload(_module);
        _module = IntPtr.Zero;
        CudaDriver.cuDevicePrimaryCtxRelease(_device);
    }

    /// <summary>Compiles the half-step with ILGPU's PTX backend, no GPU needed (the call KernelCompilationTests verifies).</summary>
    private static string CompilePtx()
    {
        using var context = ILGPU.Context.Create(builder => builder.DefaultCPU().EnableAlgorithms());
        // No libNVVM: ILGPU emits PTX itself (".target sm_80" in 1.5.3; the driver JITs it for the device).
        using var backend = new PTXBackend(context, CudaArchitecture.SM_90, CudaInstructionSet.ISA_80, nvvmAPI: null!);
        var method = typeof(FusedSinkhornKernels).GetMethod(nameof(FusedSinkhornKernels.HalfStep))!;
        var compiled = backend.Compile(EntryPointDescription.FromExplicitlyGroupedKernel(method), KernelSpecialization.Empty);
        return ((PTXCompiledKernel)compiled).PTXAssembly;
    }

    private sealed class PopScope : IDisposable
    {
        public void Dispose() => CudaDriver.cuCtxPopCurrent(out _);
    }
}
