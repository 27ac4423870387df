using FsCheck.Fluent;

namespace HardNegOT.Kernels.Tests;

/// <summary>
/// The kernels on real CUDA / OpenCL devices against the reference. Reported as skipped, with the probe's
/// reason, on machines without such a device (e.g. CPU-only CI).
/// </summary>
public sealed class DeviceTests
{
    // Fixed seed: the same batches on every run and device, so a device-only failure is reproducible.
    private static IEnumerable<EmbeddingBatch> Batches() =>
        EmbeddingBatches.BatchGen().Sample(0, new FsCheck.Rnd(20260101UL), 20);

    private static void RunAgainstReference(AcceleratorBackend backend)
    {
        using var session = AcceleratorFactory.Create(backend);
        Assert.Equal(backend, session.Backend);
        var similarity = new NormalizedSimilarity(session.Accelerator);
        foreach (var batch in Batches())
            KernelAgreement.AssertMatchesReference(similarity, batch);
    }

    [SkipUnlessCudaFact]
    public void Cuda_kernels_match_double_reference() => RunAgainstReference(AcceleratorBackend.Cuda);

    [SkipUnlessOpenCLFact]
    public void OpenCL_kernels_match_double_reference() => RunAgainstReference(AcceleratorBackend.OpenCL);
}
