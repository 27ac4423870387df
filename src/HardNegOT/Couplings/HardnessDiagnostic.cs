namespace HardNegOT.Couplings;

/// <summary>
/// How hard the sampled negatives are: the expected cosine similarity of an anchor to its negatives
/// under the plan's conditionals P*(x⁻|x) versus under uniform sampling over the unmasked negatives
/// (both averaged over anchors with weights a).
/// </summary>
/// <param name="ExpectedSimilarityUnderPlan">E_i E_{j∼P*(·|i)}[s_ij].</param>
/// <param name="ExpectedSimilarityUniform">E_i E_{j∼uniform}[s_ij].</param>
/// <param name="EffectiveNegatives">Mean over anchors of exp(entropy of P*(·|i)): how many negatives effectively carry the weight.</param>
/// <param name="NegativesPerAnchor">Mean number of unmasked negatives per anchor.</param>
public sealed record HardnessDiagnostic(
    double ExpectedSimilarityUnderPlan,
    double ExpectedSimilarityUniform,
    double EffectiveNegatives,
    double NegativesPerAnchor)
{
    /// <summary>E_{P*}[s] − E_uniform[s]: positive when the plan favours harder (more similar) negatives.</summary>
    public double Gain => ExpectedSimilarityUnderPlan - ExpectedSimilarityUniform;
}
