namespace HardNegOT.Kernels.Tests;

/// <summary>
/// Probes each GPU backend once per test run. xunit v2 has no dynamic skip, so the attributes below
/// set <see cref="FactAttribute.Skip"/> during discovery when the device is missing, and the runner
/// reports the test as skipped with the probe's reason.
/// </summary>
internal static class DeviceProbe
{
    private static readonly Lazy<BackendAvailability> CudaProbe = new(() => SafeProbe(AcceleratorBackend.Cuda));
    private static readonly Lazy<BackendAvailability> OpenCLProbe = new(() => SafeProbe(AcceleratorBackend.OpenCL));

    public static BackendAvailability Cuda => CudaProbe.Value;

    public static BackendAvailability OpenCL => OpenCLProbe.Value;

    public static string? SkipReason(BackendAvailability probe) =>
        probe.Available ? null : $"No {probe.Backend} device: {probe.Detail}";

    // An exception escaping an attribute constructor breaks discovery of the whole class; report it as the skip reason.
    private static BackendAvailability SafeProbe(AcceleratorBackend backend)
    {
        try
        {
            return AcceleratorFactory.Probe(backend);
        }
        catch (Exception ex)
        {
            return new BackendAvailability(backend, false, $"probe failed ({ex.GetType().Name}: {ex.Message})");
        }
    }
}

/// <summary>A fact that runs only when ILGPU finds a CUDA device; otherwise it is reported as skipped with the reason.</summary>
public sealed class SkipUnlessCudaFactAttribute : FactAttribute
{
    public SkipUnlessCudaFactAttribute() => Skip = DeviceProbe.SkipReason(DeviceProbe.Cuda);
}

/// <summary>A theory that runs only when ILGPU finds a CUDA device; otherwise it is reported as skipped with the reason.</summary>
public sealed class SkipUnlessCudaTheoryAttribute : TheoryAttribute
{
    public SkipUnlessCudaTheoryAttribute() => Skip = DeviceProbe.SkipReason(DeviceProbe.Cuda);
}

/// <summary>
/// A fact that runs only when ILGPU finds a usable OpenCL device (OpenCL C 2.0 with generic address space);
/// otherwise it is reported as skipped with the reason.
/// </summary>
public sealed class SkipUnlessOpenCLFactAttribute : FactAttribute
{
    public SkipUnlessOpenCLFactAttribute() => Skip = DeviceProbe.SkipReason(DeviceProbe.OpenCL);
}

/// <summary>A theory that runs only when ILGPU finds a usable OpenCL device; otherwise it is reported as skipped with the reason.</summary>
public sealed class SkipUnlessOpenCLTheoryAttribute : TheoryAttribute
{
    public SkipUnlessOpenCLTheoryAttribute() => Skip = DeviceProbe.SkipReason(DeviceProbe.OpenCL);
}
