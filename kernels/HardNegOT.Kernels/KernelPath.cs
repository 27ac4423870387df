namespace HardNegOT.Kernels;

/// <summary>Which half-step <see cref="KernelSinkhorn"/> runs.</summary>
public enum KernelPath
{
    /// <summary>Choose by size and accelerator (<see cref="KernelSinkhorn.MaterializedMaxCount"/>).</summary>
    Auto,

    /// <summary>Recompute the cost tile by tile every half-step: O(N·d + N) memory, any N.</summary>
    Fused,

    /// <summary>Cache the N×N cost once and read it every half-step (<see cref="MaterializedSinkhornKernels"/>).</summary>
    Materialized,
}
