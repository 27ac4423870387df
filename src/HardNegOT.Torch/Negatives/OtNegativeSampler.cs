using TorchSharp;

namespace HardNegOT.Torch.Negatives;

/// <summary>
/// Stateful OT negative sampler for a training loop: like <see cref="OtNegativeWeights"/>, but when
/// <see cref="OtNegativeOptions.WarmStart"/> is on it seeds each solve with the previous step's row
/// potential f (embeddings move little between steps), provided the batch size is unchanged.
/// </summary>
/// <remarks>
/// A batch of a different size starts a new cold chain, whose iteration count becomes the baseline of
/// <see cref="OtSolveDiagnostics.IterationsSaved"/>. Calls are serialised by a lock.
/// </remarks>
public sealed class OtNegativeSampler
{
    private readonly Lock _gate = new();
    private double[]? _previousF;
    private int _coldIterations;

    /// <summary>Creates a sampler with the given options.</summary>
    public OtNegativeSampler(OtNegativeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
    }

    /// <summary>The op's settings.</summary>
    public OtNegativeOptions Options { get; }

    /// <summary>Diagnostics of the most recent solve, or null before the first.</summary>
    public OtSolveDiagnostics? LastDiagnostics { get; private set; }

    /// <summary>Computes the detached conditional OT negative weights of this step's embeddings.</summary>
    /// <param name="embeddings">Same contract as <see cref="OtNegativeWeights.Compute"/>.</param>
    public OtNegativeWeightsResult Sample(torch.Tensor embeddings)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        lock (_gate)
        {
            var (count, _) = OtNegativeWeights.ValidateShape(embeddings, Options.Layout);
            double[]? warm = Options.WarmStart && _previousF is { } f && f.Length == count ? f : null;
            var (result, coupling) = OtNegativeWeights.Solve(embeddings, Options, warm, warm is null ? null : _coldIterations);
            // A solve that did not converge still leaves better-than-zero potentials; keep them.
            if (Options.WarmStart)
            {
                _previousF = coupling.F.ToArray();
                if (warm is null) _coldIterations = coupling.Iterations;
            }
            LastDiagnostics = result.Diagnostics;
            return result;
        }
    }

    /// <summary>Forgets the carried potentials: the next solve is cold.</summary>
    public void Reset()
    {
        lock (_gate)
        {
            _previousF = null;
            LastDiagnostics = null;
        }
    }
}
