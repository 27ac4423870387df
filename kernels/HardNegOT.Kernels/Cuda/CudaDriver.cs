using System.Runtime.InteropServices;

namespace HardNegOT.Kernels.Cuda;

/// <summary>A CUDA driver API call returned an error.</summary>
/// <param name="call">The driver function.</param>
/// <param name="code">Its CUresult.</param>
public sealed class CudaDriverException(string call, int code)
    : Exception($"{call} failed with CUresult {code} ({CudaDriver.ErrorName(code)}).")
{
    /// <summary>The CUresult code.</summary>
    public int Code { get; } = code;
}

/// <summary>
/// Minimal P/Invoke bindings to the CUDA driver (libcuda.so.1) for launching ILGPU-compiled PTX in the device's
/// primary context, the one libtorch uses, so tensors can be passed by device pointer without copies.
/// Pointers are CUdeviceptr (64-bit); contexts, modules, functions and streams are opaque handles.
/// </summary>
public static class CudaDriver
{
    private const string Library = "libcuda.so.1";

    /// <summary>Throws <see cref="CudaDriverException"/> for a non-zero CUresult.</summary>
    /// <param name="code">The CUresult.</param>
    /// <param name="call">The driver function, for the message.</param>
    public static void Check(int code, string call)
    {
        if (code != 0) throw new CudaDriverException(call, code);
    }

    /// <summary>The driver's name for a CUresult, or "?" when the driver cannot say.</summary>
    /// <param name="code">The CUresult.</param>
    /// <returns>E.g. CUDA_ERROR_INVALID_VALUE.</returns>
    public static string ErrorName(int code)
    {
        try
        {
            return cuGetErrorName(code, out var name) == 0 && name != IntPtr.Zero ? Marshal.PtrToStringAnsi(name) ?? "?" : "?";
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return "?";
        }
    }

    /// <summary>cuInit.</summary>
    [DllImport(Library)] public static extern int cuInit(uint flags);

    /// <summary>cuDeviceGet.</summary>
    [DllImport(Library)] public static extern int cuDeviceGet(out int device, int ordinal);

    /// <summary>cuDevicePrimaryCtxRetain.</summary>
    [DllImport(Library)] public static extern int cuDevicePrimaryCtxRetain(out IntPtr context, int device);

    /// <summary>cuDevicePrimaryCtxRelease (the _v2 entry point of CUDA ≥ 11).</summary>
    [DllImport(Library, EntryPoint = "cuDevicePrimaryCtxRelease_v2")] public static extern int cuDevicePrimaryCtxRelease(int device);

    /// <summary>cuCtxPushCurrent.</summary>
    [DllImport(Library, EntryPoint = "cuCtxPushCurrent_v2")] public static extern int cuCtxPushCurrent(IntPtr context);

    /// <summary>cuCtxPopCurrent.</summary>
    [DllImport(Library, EntryPoint = "cuCtxPopCurrent_v2")] public static extern int cuCtxPopCurrent(out IntPtr context);

    /// <summary>cuModuleLoadData (a NUL-terminated PTX image).</summary>
    [DllImport(Library)] public static extern int cuModuleLoadData(out IntPtr module, byte[] image);

    /// <summary>cuModuleUnload.</summary>
    [DllImport(Library)] public static extern int cuModuleUnload(IntPtr module);

    /// <summary>cuModuleGetFunction.</summary>
    [DllImport(Library)] public static extern int cuModuleGetFunction(out IntPtr function, IntPtr module, [MarshalAs(UnmanagedType.LPStr)] string name);

    /// <summary>cuLaunchKernel; <paramref name="kernelParams"/> points to an array of pointers, one per kernel parameter.</summary>
    [DllImport(Library)]
    public static extern int cuLaunchKernel(
        IntPtr function, uint gridX, uint gridY, uint gridZ, uint blockX, uint blockY, uint blockZ,
        uint sharedMemBytes, IntPtr stream, IntPtr kernelParams, IntPtr extra);

    /// <summary>cuMemAlloc.</summary>
    [DllImport(Library, EntryPoint = "cuMemAlloc_v2")] public static extern int cuMemAlloc(out ulong pointer, nuint bytes);

    /// <summary>cuMemFree.</summary>
    [DllImport(Library, EntryPoint = "cuMemFree_v2")] public static extern int cuMemFree(ulong pointer);

    /// <summary>cuMemcpyHtoD.</summary>
    [DllImport(Library, EntryPoint = "cuMemcpyHtoD_v2")] public static extern int cuMemcpyHtoD(ulong destination, IntPtr source, nuint bytes);

    /// <summary>cuMemcpyDtoH.</summary>
    [DllImport(Library, EntryPoint = "cuMemcpyDtoH_v2")] public static extern int cuMemcpyDtoH(IntPtr destination, ulong source, nuint bytes);

    /// <summary>cuStreamSynchronize (stream 0 is the legacy default stream).</summary>
    [DllImport(Library)] public static extern int cuStreamSynchronize(IntPtr stream);

    [DllImport(Library)] private static extern int cuGetErrorName(int code, out IntPtr name);

    /// <summary>Copies host floats/ints to device memory (the current context must own <paramref name="destination"/>).</summary>
    /// <typeparam name="T">An unmanaged element type.</typeparam>
    /// <param name="destination">Device pointer.</param>
    /// <param name="source">Host values.</param>
    public static unsafe void CopyToDevice<T>(ulong destination, ReadOnlySpan<T> source)
        where T : unmanaged
    {
        fixed (T* p = source)
            Check(cuMemcpyHtoD(destination, (IntPtr)p, (nuint)(source.Length * sizeof(T))), nameof(cuMemcpyHtoD));
    }

    /// <summary>Copies device memory to host values (the current context must own <paramref name="source"/>).</summary>
    /// <typeparam name="T">An unmanaged element type.</typeparam>
    /// <param name="destination">Host values.</param>
    /// <param name="source">Device pointer.</param>
    public static unsafe void CopyToHost<T>(Span<T> destination, ulong source)
        where T : unmanaged
    {
        fixed (T* p = destination)
            Check(cuMemcpyDtoH((IntPtr)p, source, (nuint)(destination.Length * sizeof(T))), nameof(cuMemcpyDtoH));
    }
}
