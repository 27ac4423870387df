using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchSharp;

namespace HardNegOT.Torch;

/// <summary>
/// Makes TorchSharp's native backend loadable and initialises it for the CPU.
/// </summary>
/// <remarks>
/// TorchSharp 0.107's <c>libLibTorchSharp.so</c> needs <c>GLIBCXX_3.4.32</c>, which older
/// libstdc++ (e.g. Debian 12) lacks. Where that is so, the build (build/torch-native) marks
/// the need weak in the copied library and places <see cref="ShimFileName"/> next to it;
/// this class loads that shim with <c>RTLD_GLOBAL</c> before TorchSharp loads its backend,
/// so the versioned symbol resolves. Without a shim it only initialises TorchSharp.
/// </remarks>
public static partial class TorchRuntime
{
    /// <summary>File name of the GLIBCXX_3.4.32 shim the build places next to the output.</summary>
    public const string ShimFileName = "libhardnegot_glibcxx_shim.so";

    private const int RtldNow = 0x2;
    private const int RtldGlobal = 0x100;

    private static readonly Lock Gate = new();
    private static volatile bool s_initialised;
    private static string? s_shimPath;

    /// <summary>
    /// Full path of the shim loaded into this process, or <see langword="null"/> when none was
    /// found (the build only ships it where the system libstdc++ lacks GLIBCXX_3.4.32).
    /// </summary>
    public static string? LoadedShimPath
    {
        get
        {
            lock (Gate)
            {
                return s_shimPath;
            }
        }
    }

    /// <summary>
    /// Loads the shim if present and initialises TorchSharp for the CPU. Idempotent and
    /// thread-safe; cheap after the first successful call.
    /// </summary>
    /// <exception cref="InvalidOperationException">The shim exists but could not be loaded.</exception>
    public static void EnsureLoaded()
    {
        if (s_initialised)
        {
            return;
        }

        lock (Gate)
        {
            if (s_initialised)
            {
                return;
            }

            LoadShimLocked(throwOnFailure: true);
            torch.InitializeDeviceType(DeviceType.CPU);
            s_initialised = true;
        }
    }

    // Runs before any code in this assembly, so callers that touch torch.* directly after
    // using any HardNegOT.Torch type still get the shim. Loading TorchSharp itself is left to
    // EnsureLoaded: a throwing module initializer would make the whole assembly unusable.
    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255:The 'ModuleInitializer' attribute should not be used in libraries",
        Justification = "Native preload must precede any TorchSharp use from this assembly; it never throws.")]
    internal static void PreloadShim()
    {
        try
        {
            lock (Gate)
            {
                LoadShimLocked(throwOnFailure: false);
            }
        }
        catch (Exception)
        {
            // Best effort only; EnsureLoaded retries and reports the real error.
        }
    }

    private static void LoadShimLocked(bool throwOnFailure)
    {
        if (s_shimPath is not null || !OperatingSystem.IsLinux())
        {
            return;
        }

        var candidate = FindShim();
        if (candidate is null)
        {
            return;
        }

        // NativeLibrary.Load uses RTLD_LOCAL, which would hide the symbol from
        // libLibTorchSharp.so; only a global dlopen puts it in the lookup scope.
        var error = Dl.Open(candidate, RtldNow | RtldGlobal);
        if (error is null)
        {
            s_shimPath = candidate;
        }
        else if (throwOnFailure)
        {
            throw new InvalidOperationException($"Could not load the TorchSharp libstdc++ shim '{candidate}': {error}");
        }
    }

    private static string? FindShim()
    {
        // Framework-dependent builds keep natives in runtimes/<rid>/native; RID-specific builds
        // and publish flatten them into the app folder.
        var roots = new[]
        {
            AppContext.BaseDirectory,
            Path.GetDirectoryName(typeof(TorchRuntime).Assembly.Location),
            Path.GetDirectoryName(typeof(torch).Assembly.Location),
        };
        foreach (var root in roots.Where(r => !string.IsNullOrEmpty(r)).Distinct())
        {
            foreach (var sub in new[] { "", Path.Combine("runtimes", "linux-x64", "native") })
            {
                var path = Path.GetFullPath(Path.Combine(root!, sub, ShimFileName));
                if (File.Exists(path))
                {
                    return path;
                }
            }
        }

        return null;
    }

    /// <summary>dlopen via libc (glibc 2.34+), falling back to libdl for older glibc.</summary>
    private static partial class Dl
    {
        public static string? Open(string path, int flags)
        {
            try
            {
                return Libc.dlopen(path, flags) != 0 ? null : ErrorText(Libc.dlerror());
            }
            catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
            {
                // Before glibc 2.34 dlopen lived in libdl.
            }

            try
            {
                return Libdl.dlopen(path, flags) != 0 ? null : ErrorText(Libdl.dlerror());
            }
            catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
            {
                return "no dlopen found in libc.so.6 or libdl.so.2: " + e.Message;
            }
        }

        private static string ErrorText(nint message) =>
            Marshal.PtrToStringUTF8(message) ?? "dlopen failed";

        private static partial class Libc
        {
            [LibraryImport("libc.so.6", StringMarshalling = StringMarshalling.Utf8)]
            internal static partial nint dlopen(string path, int flags);

            [LibraryImport("libc.so.6")]
            internal static partial nint dlerror();
        }

        private static partial class Libdl
        {
            [LibraryImport("libdl.so.2", StringMarshalling = StringMarshalling.Utf8)]
            internal static partial nint dlopen(string path, int flags);

            [LibraryImport("libdl.so.2")]
            internal static partial nint dlerror();
        }
    }
}
