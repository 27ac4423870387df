using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;

namespace HardNegOT.Kernels;

/// <summary>Which ILGPU backend to run kernels on.</summary>
public enum AcceleratorBackend
{
    /// <summary>The best available: CUDA, then OpenCL, then the CPU simulator.</summary>
    Auto,

    /// <summary>ILGPU's CPU accelerator (a warp simulator; correct but slow, meant for tests and debugging).</summary>
    Cpu,

    /// <summary>An NVIDIA GPU through the CUDA driver.</summary>
    Cuda,

    /// <summary>
    /// An OpenCL device that ILGPU can target: OpenCL C 2.0 or newer with generic address space support.
    /// Many OpenCL 1.2/3.0 drivers (including NVIDIA's) do not qualify.
    /// </summary>
    OpenCL,
}

/// <summary>Whether a backend can be used on this machine, and why (not).</summary>
/// <param name="Backend">The backend probed (never <see cref="AcceleratorBackend.Auto"/>).</param>
/// <param name="Available">True when at least one usable device was found.</param>
/// <param name="Detail">The device that would be used, or why none can be.</param>
public sealed record BackendAvailability(AcceleratorBackend Backend, bool Available, string Detail);

/// <summary>
/// An ILGPU <see cref="ILGPU.Context"/> and one <see cref="ILGPU.Runtime.Accelerator"/> created on it, owned together.
/// Dispose it once every kernel host using <see cref="Accelerator"/> is done.
/// </summary>
public sealed class KernelAccelerator : IDisposable
{
    internal KernelAccelerator(
        Context context, Accelerator accelerator, AcceleratorBackend requested, AcceleratorBackend backend, string selection)
    {
        Context = context;
        Accelerator = accelerator;
        Requested = requested;
        Backend = backend;
        Selection = selection;
    }

    /// <summary>The ILGPU context; disposed with this object.</summary>
    public Context Context { get; }

    /// <summary>The accelerator kernels run on; disposed with this object.</summary>
    public Accelerator Accelerator { get; }

    /// <summary>The backend that was asked for (possibly <see cref="AcceleratorBackend.Auto"/>).</summary>
    public AcceleratorBackend Requested { get; }

    /// <summary>The backend actually chosen (never <see cref="AcceleratorBackend.Auto"/>).</summary>
    public AcceleratorBackend Backend { get; }

    /// <summary>
    /// How the choice was made, e.g. <c>"auto → cpu: CPUAccelerator (cuda: no device found; opencl: no device found)"</c>,
    /// suitable for logs and benchmark headers.
    /// </summary>
    public string Selection { get; }

    /// <inheritdoc/>
    public override string ToString() => Selection;

    /// <summary>Disposes the accelerator, then the context.</summary>
    public void Dispose()
    {
        Accelerator.Dispose();
        Context.Dispose();
    }
}

/// <summary>
/// Creates an ILGPU context and accelerator for an explicit backend or the best available one
/// (CUDA &gt; OpenCL &gt; CPU). Machines without a CUDA driver or a suitable OpenCL runtime are handled:
/// <see cref="AcceleratorBackend.Auto"/> falls back, and an explicit request fails with a message saying why.
/// </summary>
public static class AcceleratorFactory
{
    /// <summary>
    /// Parses <c>auto</c>, <c>cpu</c>, <c>cuda</c> or <c>opencl</c> (case-insensitive; <c>cl</c> is accepted for OpenCL).
    /// </summary>
    /// <param name="name">The backend name, e.g. from a command-line option.</param>
    /// <exception cref="ArgumentException"><paramref name="name"/> is not a known backend.</exception>
    public static AcceleratorBackend ParseBackend(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.Trim().ToLowerInvariant() switch
        {
            "auto" => AcceleratorBackend.Auto,
            "cpu" => AcceleratorBackend.Cpu,
            "cuda" => AcceleratorBackend.Cuda,
            "opencl" or "cl" => AcceleratorBackend.OpenCL,
            _ => throw new ArgumentException(
                $"Unknown accelerator backend '{name}'; expected auto, cpu, cuda or opencl.", nameof(name)),
        };
    }

    /// <summary>
    /// Reports whether <paramref name="backend"/> has a usable device here, without creating an accelerator.
    /// Never throws for a missing driver; the reason ends up in <see cref="BackendAvailability.Detail"/>.
    /// </summary>
    /// <param name="backend">Cpu, Cuda or OpenCL.</param>
    /// <exception cref="ArgumentException"><paramref name="backend"/> is <see cref="AcceleratorBackend.Auto"/>.</exception>
    public static BackendAvailability Probe(AcceleratorBackend backend)
    {
        if (backend == AcceleratorBackend.Auto)
            throw new ArgumentException("Probe a concrete backend (cpu, cuda or opencl), not auto.", nameof(backend));
        var notes = new List<string>();
        using var context = CreateContext(backend, notes);
        var device = BestDevice(context, backend);
        if (device is not null)
            return new BackendAvailability(backend, true, Describe(device));
        NoteMissing(backend, notes);
        return new BackendAvailability(backend, false, string.Join("; ", notes));
    }

    /// <summary>
    /// Creates a context and an accelerator for <paramref name="backend"/>. For
    /// <see cref="AcceleratorBackend.Auto"/>, CUDA is tried first, then OpenCL, then the CPU accelerator,
    /// and a device whose accelerator fails to start is skipped; <see cref="KernelAccelerator.Selection"/> says what happened.
    /// </summary>
    /// <param name="backend">The backend to use, or <see cref="AcceleratorBackend.Auto"/>.</param>
    /// <returns>The context and accelerator; the caller owns and must dispose it.</returns>
    /// <exception cref="InvalidOperationException">An explicitly requested backend has no usable device.</exception>
    public static KernelAccelerator Create(AcceleratorBackend backend = AcceleratorBackend.Auto)
    {
        var notes = new List<string>();
        var context = CreateContext(backend, notes);
        try
        {
            var order = backend == AcceleratorBackend.Auto
                ? new[] { AcceleratorBackend.Cuda, AcceleratorBackend.OpenCL, AcceleratorBackend.Cpu }
                : new[] { backend };
            foreach (var candidate in order)
            {
                var device = BestDevice(context, candidate);
                if (device is null)
                {
                    NoteMissing(candidate, notes);
                    continue;
                }
                Accelerator accelerator;
                try
                {
                    accelerator = device.CreateAccelerator(context);
                }
                catch (Exception ex) when (backend == AcceleratorBackend.Auto && candidate != AcceleratorBackend.Cpu)
                {
                    // A present but broken driver must not stop auto mode from falling back.
                    notes.Add($"{Name(candidate)}: {Describe(device)} failed to start ({ex.GetType().Name}: {ex.Message})");
                    continue;
                }
                string prefix = backend == AcceleratorBackend.Auto ? "auto → " : "";
                string skipped = notes.Count == 0 ? "" : $" ({string.Join("; ", notes)})";
                return new KernelAccelerator(
                    context, accelerator, backend, candidate, $"{prefix}{Name(candidate)}: {Describe(device)}{skipped}");
            }
            throw new InvalidOperationException(
                $"No usable {Name(backend)} device: {string.Join("; ", notes)}. Use auto or cpu on this machine.");
        }
        catch
        {
            context.Dispose();
            throw;
        }
    }

    private static Context CreateContext(AcceleratorBackend backend, List<string> notes)
    {
        bool all = backend == AcceleratorBackend.Auto;
        return Context.Create(builder =>
        {
            // XMath and the other ILGPU.Algorithms intrinsics need this; cheap when unused.
            builder.EnableAlgorithms();
            if (all || backend == AcceleratorBackend.Cpu)
                builder.DefaultCPU();
            // ILGPU swallows most driver-discovery errors itself; the guards catch what it lets through
            // (e.g. a native library that loads but crashes on init) so that auto mode still reaches the CPU.
            if (all || backend == AcceleratorBackend.Cuda)
                TryRegister(() => builder.Cuda(), AcceleratorBackend.Cuda, notes);
            if (all || backend == AcceleratorBackend.OpenCL)
                TryRegister(() => builder.OpenCL(), AcceleratorBackend.OpenCL, notes);
        });
    }

    private static void TryRegister(Action register, AcceleratorBackend backend, List<string> notes)
    {
        try
        {
            register();
        }
        catch (Exception ex)
        {
            notes.Add($"{Name(backend)}: discovery failed ({ex.GetType().Name}: {ex.Message})");
        }
    }

    private static Device? BestDevice(Context context, AcceleratorBackend backend) => backend switch
    {
        AcceleratorBackend.Cpu => ToList(context.GetCPUDevices()).FirstOrDefault(),
        AcceleratorBackend.Cuda => ToList(context.GetCudaDevices()).MaxBy(d => d.MemorySize),
        // ILGPU's OpenCL() builder already drops devices without OpenCL C 2.0 + generic address space.
        AcceleratorBackend.OpenCL => ToList(context.GetCLDevices())
            .OrderByDescending(d => d.DeviceType == CLDeviceType.CL_DEVICE_TYPE_GPU)
            .ThenByDescending(d => d.MemorySize)
            .FirstOrDefault(),
        _ => null,
    };

    // DeviceCollection only offers a struct enumerator, not IEnumerable<T>.
    private static List<T> ToList<T>(Context.DeviceCollection<T> devices)
        where T : Device
    {
        var list = new List<T>();
        foreach (var device in devices) list.Add(device);
        return list;
    }

    // Adds "<backend>: no device found …" unless discovery already left a more specific note.
    private static void NoteMissing(AcceleratorBackend backend, List<string> notes)
    {
        string prefix = Name(backend) + ":";
        if (notes.Any(n => n.StartsWith(prefix, StringComparison.Ordinal)))
            return;
        notes.Add(backend switch
        {
            AcceleratorBackend.Cuda => "cuda: no device found (no NVIDIA driver/libcuda or no GPU)",
            AcceleratorBackend.OpenCL =>
                "opencl: no device found with OpenCL C 2.0 and generic address space (ILGPU's requirement)",
            _ => $"{Name(backend)}: no device found",
        });
    }

    private static string Describe(Device device) => device switch
    {
        CudaDevice cuda => $"{cuda.Name} (sm {cuda.Architecture?.ToString() ?? "?"}, {cuda.MemorySize >> 20} MiB)",
        CLDevice cl => $"{cl.Name} ({cl.PlatformName}, {cl.DeviceVersion}, {cl.MemorySize >> 20} MiB)",
        _ => device.Name,
    };

    private static string Name(AcceleratorBackend backend) => backend.ToString().ToLowerInvariant();
}
