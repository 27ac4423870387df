using static TorchSharp.torch;

namespace HardNegOT.Torch.Tests.Encoders;

internal static class TensorComparison
{
    /// <summary>Same type, same shape and equal values everywhere (TorchSharp's equal is element-wise).</summary>
    public static bool SameAs(this Tensor a, Tensor b)
    {
        if (a.dtype != b.dtype || !a.shape.SequenceEqual(b.shape)) return false;
        using var equal = a.eq(b);
        using var all = equal.all();
        return all.item<bool>();
    }
}
