using TorchSharp;

namespace HardNegOT.Torch.Negatives;

/// <summary>The conditional OT negative weights of a batch and the diagnostics of the solve that made them.</summary>
public sealed class OtNegativeWeightsResult : IDisposable
{
    internal OtNegativeWeightsResult(torch.Tensor weights, OtSolveDiagnostics diagnostics)
    {
        Weights = weights;
        Diagnostics = diagnostics;
    }

    /// <summary>
    /// N×N float32 CPU tensor, row i = P*(x⁻ = j | xᵢ): each row sums to 1, self and positive
    /// entries are exactly 0. Detached (requires_grad = false), as in the paper's code.
    /// </summary>
    public torch.Tensor Weights { get; }

    /// <summary>Iterations, marginal error, convergence, solver and warm-start savings.</summary>
    public OtSolveDiagnostics Diagnostics { get; }

    /// <summary>Disposes <see cref="Weights"/>.</summary>
    public void Dispose() => Weights.Dispose();
}
