using System.Runtime.InteropServices;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;
using Half = System.Half;

namespace HardNegOT.Kernels;

/// <summary>Host helpers for 16-bit inputs: exact widening to float32 (for validation and references) and uploads.</summary>
public static class HalfPrecision
{
    /// <summary>The float32 upcast of fp16 values (exact).</summary>
    /// <param name="values">fp16 values.</param>
    /// <returns>The same values as float32.</returns>
    public static float[] Widen(ReadOnlySpan<Half> values)
    {
        var result = new float[values.Length];
        for (int i = 0; i < values.Length; i++) result[i] = (float)values[i];
        return result;
    }

    /// <summary>The float32 upcast of bfloat16 bit patterns (exact).</summary>
    /// <param name="bits">bf16 bit patterns.</param>
    /// <returns>The same values as float32.</returns>
    public static float[] WidenBFloat16(ReadOnlySpan<ushort> bits)
    {
        var result = new float[bits.Length];
        for (int i = 0; i < bits.Length; i++) result[i] = NormalizedSimilarityKernels.BFloat16ToSingle(bits[i]);
        return result;
    }

    /// <summary>The bfloat16 bit pattern nearest to <paramref name="value"/> (round to nearest even; NaN stays NaN).</summary>
    /// <param name="value">A float32 value.</param>
    /// <returns>Its bf16 bits.</returns>
    public static ushort ToBFloat16(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value)) return (ushort)((bits >> 16) | 0x40);
        uint rounding = 0x7FFF + ((bits >> 16) & 1);
        return (ushort)((bits + rounding) >> 16);
    }

    /// <summary>Uploads fp16 values as ILGPU halves (same bit layout as <see cref="Half"/>).</summary>
    internal static MemoryBuffer1D<ILGPU.Half, Stride1D.Dense> Upload(Accelerator accelerator, ReadOnlySpan<Half> values)
    {
        var buffer = accelerator.Allocate1D<ILGPU.Half>(values.Length);
        var cast = MemoryMarshal.Cast<Half, ILGPU.Half>(values);
        buffer.View.CopyFromCPU(ref MemoryMarshal.GetReference(cast), cast.Length);
        return buffer;
    }

    /// <summary>Uploads fp16 values as their raw bit patterns (for devices without fp16 support).</summary>
    internal static MemoryBuffer1D<ushort, Stride1D.Dense> UploadBits(Accelerator accelerator, ReadOnlySpan<Half> values)
    {
        var buffer = accelerator.Allocate1D<ushort>(values.Length);
        var cast = MemoryMarshal.Cast<Half, ushort>(values);
        buffer.View.CopyFromCPU(ref MemoryMarshal.GetReference(cast), cast.Length);
        return buffer;
    }

    /// <summary>Whether <paramref name="accelerator"/> can compile kernels that use fp16 (<see cref="ILGPU.Half"/>).</summary>
    internal static bool SupportsFloat16(Accelerator accelerator) => accelerator.Capabilities switch
    {
        CudaCapabilityContext => true, // cvt.f32.f16 exists on every PTX target ILGPU emits
        CLCapabilityContext cl => cl.Float16,
        CPUCapabilityContext => true,
        _ => false,
    };
}
