namespace HardNegOT.Torch.Tests;

/// <summary>The build's effect on this test project's own output folder.</summary>
public class NativePatchTests
{
    [Fact]
    public void Output_holds_libLibTorchSharp()
    {
        Assert.Contains(
            Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", NativeEnvironment.TorchSharpLibrary),
            NativeEnvironment.OutputCopies());
    }

    [Fact]
    public void Every_output_copy_has_a_weak_GLIBCXX_3_4_32_need_and_a_shim_beside_it_exactly_when_needed()
    {
        var needed = NativeEnvironment.FixNeeded();
        var copies = NativeEnvironment.OutputCopies();
        Assert.NotEmpty(copies);

        foreach (var copy in copies)
        {
            var needs = ElfVersionNeeds.Read(copy);
            var need = Assert.Single(needs, n => n.Version == NativeEnvironment.MissingVersion);
            Assert.Equal("libstdc++.so.6", need.File);
            Assert.Equal(needed, need.IsWeak);
            // Only that one need may change; every other one stays strong.
            Assert.All(needs.Where(n => n.Version != NativeEnvironment.MissingVersion), n => Assert.False(n.IsWeak, n.Version));

            var shim = Path.Combine(Path.GetDirectoryName(copy)!, TorchRuntime.ShimFileName);
            Assert.Equal(needed, File.Exists(shim));
            if (needed)
            {
                // The shim must define the symbol under the version the .so asks for.
                var shimBytes = File.ReadAllBytes(shim).AsSpan();
                Assert.True(shimBytes.IndexOf("_ZSt21ios_base_library_initv\0"u8) >= 0);
                Assert.True(shimBytes.IndexOf("GLIBCXX_3.4.32\0"u8) >= 0);
            }
        }
    }

    [Fact]
    public void Patched_copy_differs_from_the_package_file_only_in_that_flag()
    {
        var copy = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", NativeEnvironment.TorchSharpLibrary);
        var original = NativeEnvironment.PackagedTorchSharpLibrary();
        Assert.True(File.Exists(original), original);

        var a = File.ReadAllBytes(original);
        var b = File.ReadAllBytes(copy);
        Assert.Equal(a.Length, b.Length);
        var diffs = Enumerable.Range(0, a.Length).Where(i => a[i] != b[i]).ToList();

        Assert.False(ElfVersionNeeds.Read(a).Single(n => n.Version == NativeEnvironment.MissingVersion).IsWeak);
        if (NativeEnvironment.FixNeeded())
        {
            var at = Assert.Single(diffs);
            Assert.Equal(VersionNeed.WeakFlag, b[at] ^ a[at]);
        }
        else
        {
            Assert.Empty(diffs);
        }
    }

    [Fact]
    public void Patch_tool_detection_agrees_with_the_libstdcxx_this_process_loaded()
    {
        var (exit, output) = NativeEnvironment.RunPatchTool(null, "needed");

        Assert.Equal(0, exit);
        Assert.StartsWith(NativeEnvironment.FixNeeded() ? "needed " : "not-needed ", output);
    }
}
