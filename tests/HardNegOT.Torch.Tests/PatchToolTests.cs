namespace HardNegOT.Torch.Tests;

/// <summary>build/torch-native/torch_native.py on scratch copies in a temp folder.</summary>
public sealed partial class PatchToolTests : IDisposable
{
    private const int NoNeedExit = 3;
    private readonly string _dir = Directory.CreateTempSubdirectory("torchnative-test-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Patch_sets_only_the_weak_flag_and_a_second_run_changes_nothing()
    {
        var original = File.ReadAllBytes(PackageLikeCopy());
        var target = Path.Combine(_dir, NativeEnvironment.TorchSharpLibrary);
        File.WriteAllBytes(target, original);
        var mtime = new DateTime(2024, 1, 2, 3, 4, 5, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(target, mtime);

        var first = NativeEnvironment.RunPatchTool(null, "patch", target);
        Assert.Equal(0, first.ExitCode);
        Assert.StartsWith("patched: ", first.Output);
        var once = File.ReadAllBytes(target);
        Assert.True(ElfVersionNeeds.Read(once).Single(n => n.Version == NativeEnvironment.MissingVersion).IsWeak);
        Assert.Single(Enumerable.Range(0, once.Length), i => once[i] != original[i]);
        // Timestamps are kept so MSBuild's copy-local does not recopy over the patch.
        Assert.Equal(mtime, File.GetLastWriteTimeUtc(target));

        var second = NativeEnvironment.RunPatchTool(null, "patch", target);
        Assert.Equal(0, second.ExitCode);
        Assert.StartsWith("already-weak: ", second.Output);
        Assert.Equal(once, File.ReadAllBytes(target));
    }

    [Fact]
    public void A_library_without_that_version_need_is_left_untouched()
    {
        // libc10.so ships in the same package set but needs nothing newer than GLIBCXX_3.4.26.
        var source = Path.Combine(Path.GetDirectoryName(PackageLikeCopy())!, "libc10.so");
        Assert.DoesNotContain(ElfVersionNeeds.Read(source), n => n.Version == NativeEnvironment.MissingVersion);
        var target = Path.Combine(_dir, "libc10.so");
        File.Copy(source, target);
        var before = File.ReadAllBytes(target);

        var (exit, output) = NativeEnvironment.RunPatchTool(null, "patch", target);

        Assert.Equal(NoNeedExit, exit);
        Assert.StartsWith("no-need: ", output);
        Assert.Equal(before, File.ReadAllBytes(target));
    }

    [Fact]
    public void A_file_that_is_not_ELF_is_refused_and_left_untouched()
    {
        var target = Path.Combine(_dir, "not-elf.so");
        File.WriteAllText(target, "GLIBCXX_3.4.32 but no ELF header");

        var (exit, output) = NativeEnvironment.RunPatchTool(null, "patch", target);

        Assert.Equal(1, exit);
        Assert.Contains("not an ELF file", output);
        Assert.Equal("GLIBCXX_3.4.32 but no ELF header", File.ReadAllText(target));
    }

    [Fact]
    public void A_file_inside_the_NuGet_package_folder_is_refused()
    {
        var packages = Path.Combine(_dir, "packages");
        var target = Path.Combine(packages, "torchsharp", NativeEnvironment.TorchSharpLibrary);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        File.Copy(PackageLikeCopy(), target);
        var before = File.ReadAllBytes(target);

        var (exit, output) = NativeEnvironment.RunPatchTool(
            new Dictionary<string, string> { ["NUGET_PACKAGES"] = packages }, "patch", target);

        Assert.Equal(1, exit);
        Assert.Contains("NuGet package folder", output);
        Assert.Equal(before, File.ReadAllBytes(target));
    }

    [Fact]
    public void Patching_a_hard_link_leaves_the_other_name_untouched()
    {
        // Copy-local may hard-link into the NuGet cache; the patch must not write through.
        var shared = Path.Combine(_dir, "shared.so");
        File.Copy(PackageLikeCopy(), shared);
        var before = File.ReadAllBytes(shared);
        var link = Path.Combine(_dir, NativeEnvironment.TorchSharpLibrary);
        Assert.Equal(0, Native.link(shared, link));
        Assert.Equal("2", LinkCount(shared)); // really one inode, two names

        var (exit, _) = NativeEnvironment.RunPatchTool(null, "patch", link);

        Assert.Equal(0, exit);
        Assert.Equal(before, File.ReadAllBytes(shared));
        Assert.True(ElfVersionNeeds.Read(link).Single(n => n.Version == NativeEnvironment.MissingVersion).IsWeak);
    }

    // A fresh, unpatched libLibTorchSharp.so: copied (read-only access) from the NuGet package.
    private string PackageLikeCopy()
    {
        var copy = Path.Combine(_dir, "source", NativeEnvironment.TorchSharpLibrary);
        if (!File.Exists(copy))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            File.Copy(NativeEnvironment.PackagedTorchSharpLibrary(), copy);
            // libtorch's own libraries are never patched, so the output copy is pristine.
            var outputNative = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native");
            File.Copy(Path.Combine(outputNative, "libc10.so"), Path.Combine(_dir, "source", "libc10.so"));
        }

        return copy;
    }

    private static string LinkCount(string path)
    {
        var start = new System.Diagnostics.ProcessStartInfo("stat", ["-c", "%h", path]) { RedirectStandardOutput = true };
        using var p = System.Diagnostics.Process.Start(start)!;
        var text = p.StandardOutput.ReadToEnd().Trim();
        p.WaitForExit();
        return text;
    }

    private static partial class Native
    {
        [System.Runtime.InteropServices.LibraryImport("libc", StringMarshalling = System.Runtime.InteropServices.StringMarshalling.Utf8)]
        internal static partial int link(string oldPath, string newPath);
    }
}
