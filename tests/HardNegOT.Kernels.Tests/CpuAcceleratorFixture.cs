namespace HardNegOT.Kernels.Tests;

/// <summary>
/// One ILGPU CPU accelerator (and the kernels loaded on it) shared by every test in the
/// <see cref="CpuAcceleratorCollection"/>: creating contexts and compiling kernels dominates the cost,
/// and the CPU accelerator is not meant to be driven from several test threads at once.
/// </summary>
public sealed class CpuAcceleratorFixture : IDisposable
{
    public CpuAcceleratorFixture()
    {
        Session = AcceleratorFactory.Create(AcceleratorBackend.Cpu);
        Similarity = new NormalizedSimilarity(Session.Accelerator);
    }

    public KernelAccelerator Session { get; }

    public NormalizedSimilarity Similarity { get; }

    public void Dispose() => Session.Dispose();
}

[CollectionDefinition(Name)]
public sealed class CpuAcceleratorCollection : ICollectionFixture<CpuAcceleratorFixture>
{
    public const string Name = "ILGPU CPU accelerator";
}
