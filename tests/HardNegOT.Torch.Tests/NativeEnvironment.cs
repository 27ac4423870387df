using System.Diagnostics;
using System.Reflection;
using System.Text;

namespace HardNegOT.Torch.Tests;

/// <summary>Facts about this machine and this test's output folder, found without the build's tool.</summary>
internal static class NativeEnvironment
{
    public const string TorchSharpLibrary = "libLibTorchSharp.so";
    public const string MissingVersion = "GLIBCXX_3.4.32";

    /// <summary>Repository root (the folder holding HardNegOT.Kernels.sln).</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string PatchTool => Path.Combine(RepoRoot, "build", "torch-native", "torch_native.py");

    /// <summary>Every libLibTorchSharp.so in this test's output folder (runtimes/..., cpu/, root).</summary>
    public static string[] OutputCopies() =>
        Directory.GetFiles(AppContext.BaseDirectory, TorchSharpLibrary, SearchOption.AllDirectories);

    /// <summary>The libLibTorchSharp.so inside the TorchSharp NuGet package (read it, never write it).</summary>
    public static string PackagedTorchSharpLibrary()
    {
        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
        if (string.IsNullOrEmpty(packages))
        {
            packages = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        }

        // The package version is TorchSharp's informational version without any +commit suffix.
        var version = typeof(TorchSharp.torch).Assembly
            .GetCustomAttribute<AssemblyInformationalVersionAttribute>()!
            .InformationalVersion.Split('+')[0];
        return Path.Combine(packages, "torchsharp", version, "runtimes", "linux-x64", "native", TorchSharpLibrary);
    }

    /// <summary>The libstdc++ this very process has mapped (the .NET runtime links it).</summary>
    public static string LoadedLibStdCxx() =>
        MappedFiles().FirstOrDefault(p => Path.GetFileName(p).StartsWith("libstdc++.so", StringComparison.Ordinal))
        ?? throw new InvalidOperationException("libstdc++ is not mapped into the test process");

    /// <summary>Whether the loaded libstdc++ lacks GLIBCXX_3.4.32, i.e. whether the fix must be in place.</summary>
    public static bool FixNeeded()
    {
        var bytes = File.ReadAllBytes(LoadedLibStdCxx());
        return bytes.AsSpan().IndexOf(Encoding.ASCII.GetBytes(MissingVersion + "\0")) < 0;
    }

    /// <summary>Paths of files mapped into this process, from /proc/self/maps.</summary>
    public static IEnumerable<string> MappedFiles() =>
        File.ReadLines("/proc/self/maps")
            .Select(line => line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length == 6 && f[5].StartsWith('/'))
            .Select(f => f[5].Trim())
            .Distinct();

    public static (int ExitCode, string Output) RunPatchTool(IReadOnlyDictionary<string, string>? env, params string[] args)
    {
        var start = new ProcessStartInfo("python3")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(PatchTool);
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        foreach (var (k, v) in env ?? new Dictionary<string, string>())
        {
            start.Environment[k] = v;
        }

        using var p = Process.Start(start) ?? throw new InvalidOperationException("could not start python3");
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout + stderr.Result);
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "HardNegOT.Kernels.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("repository root not found above " + AppContext.BaseDirectory);
    }
}
