using System.Reflection;
using ILGPU;
using ILGPU.Backends;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.OpenCL;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;

namespace HardNegOT.Kernels.Tests;

/// <summary>
/// Every method marked <see cref="KernelEntryPointAttribute"/> in the kernels assembly compiles for CUDA (PTX)
/// and OpenCL C without any device, so GPU-only compile errors surface on CPU-only CI.
/// </summary>
public sealed class KernelCompilationTests
{
    private static readonly Type[] IndexTypes =
    [
        typeof(Index1D), typeof(Index2D), typeof(Index3D),
        typeof(LongIndex1D), typeof(LongIndex2D), typeof(LongIndex3D),
    ];

    private static IEnumerable<MethodInfo> EntryPoints() =>
        typeof(KernelEntryPointAttribute).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .Where(m => m.IsDefined(typeof(KernelEntryPointAttribute)));

    // Names, not MethodInfos, so that xunit lists (and reports) one test case per kernel.
    public static TheoryData<string> KernelNames()
    {
        var data = new TheoryData<string>();
        foreach (var method in EntryPoints()) data.Add($"{method.DeclaringType!.FullName}.{method.Name}");
        return data;
    }

    private static MethodInfo Resolve(string name) =>
        EntryPoints().Single(m => $"{m.DeclaringType!.FullName}.{m.Name}" == name);

    private static EntryPointDescription Describe(MethodInfo kernel)
    {
        var attribute = kernel.GetCustomAttribute<KernelEntryPointAttribute>()!;
        var parameters = kernel.GetParameters();
        bool takesIndex = parameters.Length > 0 && IndexTypes.Contains(parameters[0].ParameterType);
        // The attribute must agree with the signature, or the host would load the kernel the wrong way.
        Assert.True(
            attribute.ExplicitlyGrouped != takesIndex,
            $"{kernel.Name}: ExplicitlyGrouped = {attribute.ExplicitlyGrouped}, but its first parameter " +
            $"{(takesIndex ? "is" : "is not")} an ILGPU index.");
        return attribute.ExplicitlyGrouped
            ? EntryPointDescription.FromExplicitlyGroupedKernel(kernel)
            : EntryPointDescription.FromImplicitlyGroupedKernel(kernel);
    }

    [Fact]
    public void Kernel_discovery_finds_the_known_kernels()
    {
        // Guards the reflection above: if the attribute stopped being found, the theories would silently run nothing.
        var names = EntryPoints().Select(m => m.Name).ToHashSet();
        Assert.Superset(
            new HashSet<string>
            {
                nameof(NormalizedSimilarityKernels.NormalizeRows),
                nameof(NormalizedSimilarityKernels.SimilarityRow),
                nameof(NormalizedSimilarityKernels.SimilarityBlock),
            },
            names);
        Assert.All(EntryPoints(), m => Assert.True(m.IsStatic && m.ReturnType == typeof(void), $"{m.Name} must be static void"));
    }

    [Theory]
    [MemberData(nameof(KernelNames))]
    public void Kernel_compiles_to_PTX_for_sm_90_without_a_GPU(string kernelName)
    {
        var kernel = Resolve(kernelName);
        using var context = Context.Create(builder => builder.DefaultCPU().EnableAlgorithms());
        using var backend = new PTXBackend(context, CudaArchitecture.SM_90, CudaInstructionSet.ISA_80, nvvmAPI: null!); // no libNVVM: ILGPU emits PTX itself

        var compiled = backend.Compile(Describe(kernel), KernelSpecialization.Empty);

        var ptx = Assert.IsType<PTXCompiledKernel>(compiled).PTXAssembly;
        Assert.Contains(".entry", ptx);
        Assert.Contains(kernel.Name, ptx);
        // ILGPU 1.5.3 writes ".target sm_80" even when asked for SM_90 (the driver JITs it up), so only
        // the presence of a target is checked.
        Assert.Contains(".target sm_", ptx);
    }

    [Theory]
    [MemberData(nameof(KernelNames))]
    public void Kernel_compiles_to_OpenCL_C_without_a_device(string kernelName)
    {
        var kernel = Resolve(kernelName);
        using var context = Context.Create(builder => builder.DefaultCPU().EnableAlgorithms());
        // The minimum ILGPU accepts at run time: OpenCL C 2.0 with generic address space, nothing optional.
        // fp16 kernels are the exception: hosts load them only where the device has fp16 (else the *Bits twin).
        bool usesHalf = kernel.GetParameters().Any(p => p.ParameterType == typeof(ArrayView<ILGPU.Half>));
        var capabilities = new CLCapabilityContext(
            float16: usesHalf, float64: false, genericAddressSpace: true, int64_Atomics: false, subGroups: false);
        using var backend = new CLBackend(context, capabilities, CLDeviceVendor.Other, CLCVersion.CL20);

        var compiled = backend.Compile(Describe(kernel), KernelSpecialization.Empty);

        var source = Assert.IsType<CLCompiledKernel>(compiled).Source;
        Assert.Contains("kernel void", source);
        Assert.Contains(kernel.Name, source);
    }
}
