namespace HardNegOT.Torch.Negatives;

/// <summary>What one OT negative-weight solve did.</summary>
/// <param name="Iterations">Sinkhorn iterations of this solve.</param>
/// <param name="MarginalError">L1 marginal error of the returned duals.</param>
/// <param name="Converged">True when the tolerance was met before the iteration cap.</param>
/// <param name="Solver">Name of the Sinkhorn backend ("cpu").</param>
/// <param name="WarmStarted">True when the solve started from the previous step's potential.</param>
/// <param name="ColdIterations">
/// Iterations of the cold solve that started the sampler's current warm-start chain; equal to
/// <paramref name="Iterations"/> for a cold solve and for the stateless op.
/// </param>
public sealed record OtSolveDiagnostics(
    int Iterations,
    double MarginalError,
    bool Converged,
    string Solver,
    bool WarmStarted,
    int ColdIterations)
{
    /// <summary>Iterations saved versus the cold solve (<see cref="ColdIterations"/> − <see cref="Iterations"/>; may be negative).</summary>
    public int IterationsSaved => ColdIterations - Iterations;
}
