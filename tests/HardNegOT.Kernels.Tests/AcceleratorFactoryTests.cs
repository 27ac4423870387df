namespace HardNegOT.Kernels.Tests;

public sealed class AcceleratorFactoryTests
{
    [Theory]
    [InlineData("auto", AcceleratorBackend.Auto)]
    [InlineData("CPU", AcceleratorBackend.Cpu)]
    [InlineData(" cuda ", AcceleratorBackend.Cuda)]
    [InlineData("OpenCL", AcceleratorBackend.OpenCL)]
    [InlineData("cl", AcceleratorBackend.OpenCL)]
    public void ParseBackend_accepts_known_names(string name, AcceleratorBackend expected) =>
        Assert.Equal(expected, AcceleratorFactory.ParseBackend(name));

    [Fact]
    public void ParseBackend_rejects_unknown_names_naming_the_value()
    {
        var ex = Assert.Throws<ArgumentException>(() => AcceleratorFactory.ParseBackend("vulkan"));
        Assert.Equal("name", ex.ParamName);
        Assert.Contains("'vulkan'", ex.Message);
    }

    [Fact]
    public void Cpu_is_always_available() =>
        Assert.True(AcceleratorFactory.Probe(AcceleratorBackend.Cpu).Available);

    [Fact]
    public void Probe_rejects_auto() =>
        Assert.Throws<ArgumentException>(() => AcceleratorFactory.Probe(AcceleratorBackend.Auto));

    [Fact]
    public void Auto_picks_cuda_then_opencl_then_cpu_and_says_so()
    {
        var expected =
            DeviceProbe.Cuda.Available ? AcceleratorBackend.Cuda
            : DeviceProbe.OpenCL.Available ? AcceleratorBackend.OpenCL
            : AcceleratorBackend.Cpu;

        using var session = AcceleratorFactory.Create();

        Assert.Equal(AcceleratorBackend.Auto, session.Requested);
        Assert.Equal(expected, session.Backend);
        Assert.StartsWith($"auto → {expected.ToString().ToLowerInvariant()}: ", session.Selection);
        if (expected == AcceleratorBackend.Cpu)
        {
            // The fallback explains why each GPU backend was passed over.
            Assert.Contains("cuda:", session.Selection);
            Assert.Contains("opencl:", session.Selection);
        }
    }

    [Theory]
    [InlineData(AcceleratorBackend.Cuda)]
    [InlineData(AcceleratorBackend.OpenCL)]
    public void Explicit_gpu_backend_is_created_or_refused_with_a_reason(AcceleratorBackend backend)
    {
        var probe = AcceleratorFactory.Probe(backend);
        if (probe.Available)
        {
            using var session = AcceleratorFactory.Create(backend);
            Assert.Equal(backend, session.Backend);
        }
        else
        {
            // No silent fallback to the CPU when a GPU backend was asked for by name.
            var ex = Assert.Throws<InvalidOperationException>(() => AcceleratorFactory.Create(backend));
            Assert.Contains(backend.ToString().ToLowerInvariant(), ex.Message);
            Assert.Contains(probe.Detail, ex.Message);
        }
    }
}
