namespace HardNegOT.Torch.Study;

/// <summary>One evaluation of a run: after <paramref name="Epoch"/> epochs (0: untrained).</summary>
/// <param name="Epoch">Epochs completed.</param>
/// <param name="Step">Optimiser steps completed.</param>
/// <param name="KnnTop1">Weighted-kNN top-1 accuracy.</param>
/// <param name="LinearTop1">Linear-readout top-1 accuracy.</param>
/// <param name="Loss">Mean training loss of the epoch (null for epoch 0).</param>
public sealed record EpochPoint(int Epoch, long Step, double KnnTop1, double LinearTop1, double? Loss);

/// <summary>
/// How hard one negative distribution is on the fixed analysis batch: E_P[s] − E_uniform[s] over anchors, and how many
/// negatives effectively carry its weight.
/// </summary>
/// <param name="Method">"ot-sqeuclid", "ot-exp" (parameter ε) or "hcl" (parameter β).</param>
/// <param name="Parameter">ε for OT, β for HCL.</param>
/// <param name="Gain">E_P[s] − E_uniform[s] (cosine similarity of the projections).</param>
/// <param name="EffectiveNegatives">Mean exp(entropy) of the conditionals.</param>
/// <param name="Converged">Whether the Sinkhorn solve met its tolerance (always true for HCL).</param>
public sealed record HardnessPoint(string Method, double Parameter, double Gain, double EffectiveNegatives, bool Converged);

/// <summary>
/// One anchor's OT conditional against similarity on the fixed analysis batch: for each of its negatives j, the cosine
/// similarity s_j and P*(j | anchor) times the number of negatives (1 = uniform).
/// </summary>
/// <param name="Cost">Ground cost of the plan.</param>
/// <param name="Epsilon">ε of the plan.</param>
/// <param name="Similarity">s_j per negative.</param>
/// <param name="ScaledWeight">P*(j | anchor) · (number of negatives).</param>
public sealed record AnchorRow(string Cost, double Epsilon, IReadOnlyList<double> Similarity, IReadOnlyList<double> ScaledWeight);

/// <summary>What an encoder's features look like at one point of a run (see <see cref="FeatureAnalyzer"/>).</summary>
/// <param name="Hardness">OT hardness per (cost, ε) and HCL hardness per β on the fixed batch's projections.</param>
/// <param name="SameLabelByRank">Fraction of queries whose r-th nearest bank image (backbone features) shares its label, r = 1..k.</param>
/// <param name="Anchor">Anchor 0's OT conditional against similarity.</param>
public sealed record FeatureAnalysis(IReadOnlyList<HardnessPoint> Hardness, IReadOnlyList<double> SameLabelByRank, AnchorRow? Anchor);

/// <summary>The outcome of one study run, one line of runs.jsonl.</summary>
/// <param name="Spec">Negatives, loss and seed.</param>
/// <param name="KnnTop1">kNN top-1 after training.</param>
/// <param name="LinearTop1">Linear-readout top-1 after training.</param>
/// <param name="UntrainedKnnTop1">kNN top-1 of the untrained encoder (the same for every run of a seed).</param>
/// <param name="UntrainedLinearTop1">Linear-readout top-1 of the untrained encoder.</param>
/// <param name="Evaluations">Every evaluation, epoch 0 to the last.</param>
/// <param name="MeanSinkhornIterations">Mean Sinkhorn iterations per step (ot only).</param>
/// <param name="WallSeconds">Wall-clock seconds of the run (training, evaluations and analyses).</param>
/// <param name="CpuSeconds">Process CPU seconds spent during the run.</param>
/// <param name="FinishedUtc">When the run finished (ISO 8601, UTC).</param>
/// <param name="Trained">Analysis of the trained encoder.</param>
/// <param name="Untrained">Analysis of the untrained encoder; kept only by one run per seed (uniform negatives, the figure loss).</param>
public sealed record StudyRunRecord(
    StudyRunSpec Spec,
    double KnnTop1,
    double LinearTop1,
    double UntrainedKnnTop1,
    double UntrainedLinearTop1,
    IReadOnlyList<EpochPoint> Evaluations,
    double? MeanSinkhornIterations,
    double WallSeconds,
    double CpuSeconds,
    string FinishedUtc,
    FeatureAnalysis? Trained,
    FeatureAnalysis? Untrained);
