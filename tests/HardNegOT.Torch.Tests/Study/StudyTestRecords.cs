using HardNegOT.Torch.Study;
using HardNegOT.Torch.Training;

namespace HardNegOT.Torch.Tests.Study;

/// <summary>Synthetic run records and an executor that makes them without training.</summary>
internal sealed class FakeExecutor(Func<StudyRunSpec, bool>? interruptAt = null) : IStudyRunExecutor
{
    public List<StudyRunSpec> Executed { get; } = [];

    public StudyRunRecord Execute(StudyRunSpec spec, Action<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        if (interruptAt?.Invoke(spec) == true) throw new OperationCanceledException($"interrupted before {spec.Key}");
        Executed.Add(spec);
        return Record(spec, 0.5 + 0.01 * spec.Seed, 0.7 + 0.01 * spec.Seed);
    }

    public static StudyRunRecord Record(StudyRunSpec spec, double knn, double linear) =>
        new(spec, knn, linear, 0.4, 0.6,
            [new EpochPoint(0, 0, 0.4, 0.6, null), new EpochPoint(1, 3, knn, linear, 1.5)],
            spec.Negatives.Sampling == NegativeSampling.Ot ? 12 : null, 2.5, 2.0, "2025-01-01T00:00:00Z", null, null);
}
