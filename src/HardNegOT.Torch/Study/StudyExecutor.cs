using System.Diagnostics;
using System.Globalization;
using HardNegOT.Torch.Training;

namespace HardNegOT.Torch.Study;

/// <summary>Trains and measures one study run.</summary>
public interface IStudyRunExecutor
{
    /// <summary>Runs <paramref name="spec"/> and returns its record.</summary>
    /// <param name="spec">Negatives, loss and seed.</param>
    /// <param name="progress">Called after every training step.</param>
    /// <param name="cancellationToken">Stops the run after the current step.</param>
    StudyRunRecord Execute(StudyRunSpec spec, Action<TrainingProgress>? progress, CancellationToken cancellationToken);
}

/// <summary>
/// The real executor: trains with <see cref="ContrastiveTrainer"/> under the study's budget and analyses the encoder
/// through the trainer's <see cref="ContrastiveTrainer.Observer"/> (trained encoder for every run; the untrained one
/// for the run of each seed with uniform negatives and the figure loss — every run of a seed starts from the same weights).
/// </summary>
public sealed class StudyExecutor : IStudyRunExecutor
{
    private readonly string? _dataDirectory;

    /// <summary>Loads Fashion-MNIST for <paramref name="budget"/> (throws when the files are missing).</summary>
    /// <param name="budget">The study's budget.</param>
    /// <param name="dataDirectory">Fashion-MNIST directory, or null for the default.</param>
    public StudyExecutor(StudyBudget budget, string? dataDirectory)
        : this(budget, TrainingData.LoadFashionMnist(Checked(budget).BaseOptions(dataDirectory)))
    {
        _dataDirectory = dataDirectory;
    }

    /// <summary>Uses images already in memory.</summary>
    /// <param name="budget">The study's budget.</param>
    /// <param name="data">Training, bank and query images.</param>
    public StudyExecutor(StudyBudget budget, TrainingData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        Budget = Checked(budget);
        Data = data;
        Batch = new AnalysisBatch(data.QueryPixels, budget.BatchSize);
    }

    /// <summary>The study's budget.</summary>
    public StudyBudget Budget { get; }

    /// <summary>The images.</summary>
    public TrainingData Data { get; }

    /// <summary>The fixed analysis batch.</summary>
    public AnalysisBatch Batch { get; }

    /// <inheritdoc />
    public StudyRunRecord Execute(StudyRunSpec spec, Action<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var options = spec.ToOptions(Budget, _dataDirectory);
        bool keepUntrained = spec.Negatives.Sampling == NegativeSampling.Uniform && spec.Loss == StudyGrid.FigureLoss;
        FeatureAnalysis? untrained = null, trained = null;
        var trainer = new ContrastiveTrainer(options, Data)
        {
            Observer = (row, model) =>
            {
                if (row.Epoch == 0 && keepUntrained) untrained = FeatureAnalyzer.Analyze(model, Batch, Data, Budget.KnnK, Budget.Kappa);
                if (row.Epoch == options.Epochs) trained = FeatureAnalyzer.Analyze(model, Batch, Data, Budget.KnnK, Budget.Kappa);
            },
        };
        var clock = Stopwatch.StartNew();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var result = trainer.Run(progress: progress, cancellationToken: cancellationToken);
        double cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
        var evaluations = result.Metrics
            .Where(m => m.KnnTop1 is not null)
            .Select(m => new EpochPoint(m.Epoch, m.Step, m.KnnTop1!.Value, m.LinearTop1!.Value, m.Loss))
            .ToList();
        return new StudyRunRecord(spec, result.FinalKnnTop1, result.FinalLinearTop1, result.UntrainedKnnTop1, result.UntrainedLinearTop1,
            evaluations, result.MeanSinkhornIterations, clock.Elapsed.TotalSeconds, cpuSeconds,
            DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture), trained, untrained);
    }

    private static StudyBudget Checked(StudyBudget budget)
    {
        ArgumentNullException.ThrowIfNull(budget);
        budget.Validate();
        return budget;
    }
}
