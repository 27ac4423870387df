using HardNegOT.Torch.Training;

namespace HardNegOT.Torch.Study;

/// <summary>What a study runs and how it is labelled in the report.</summary>
/// <param name="Name">"quick" or "full" (or a test's name).</param>
/// <param name="Runs">The runs, in order.</param>
/// <param name="Budget">The budget every run shares.</param>
/// <param name="Command">The command line that started the study, stamped into results.md.</param>
public sealed record StudyPlan(string Name, IReadOnlyList<StudyRunSpec> Runs, StudyBudget Budget, string Command)
{
    /// <summary>Number of seeds in <see cref="Runs"/>.</summary>
    public int Seeds => Runs.Select(r => r.Seed).Distinct().Count();
}

/// <summary>A run about to start or just finished.</summary>
/// <param name="Index">One-based position among the runs this invocation executes.</param>
/// <param name="Count">Runs this invocation executes.</param>
/// <param name="Spec">The run.</param>
/// <param name="Record">Its result, or null when it is about to start.</param>
public sealed record StudyRunEvent(int Index, int Count, StudyRunSpec Spec, StudyRunRecord? Record);

/// <summary>The outcome of <see cref="StudyRunner.Run"/>.</summary>
/// <param name="Records">One record per run of the plan, in plan order.</param>
/// <param name="Skipped">Runs already in runs.jsonl, not run again.</param>
/// <param name="Executed">Runs executed by this invocation.</param>
/// <param name="Outputs">Files written (report, table, figures).</param>
public sealed record StudyOutcome(IReadOnlyList<StudyRunRecord> Records, int Skipped, int Executed, IReadOnlyList<string> Outputs);

/// <summary>
/// Runs a study: skips runs already recorded in the output directory, executes the rest one by one (each appended to
/// runs.jsonl as it finishes), then writes results.md, runs.csv and the figures from every run of the plan.
/// </summary>
public static class StudyRunner
{
    /// <summary>Runs <paramref name="plan"/> into <paramref name="outputDirectory"/>.</summary>
    /// <param name="plan">Runs, budget and command.</param>
    /// <param name="outputDirectory">Where study.json, runs.jsonl, runs.csv, results.md and the PNGs go.</param>
    /// <param name="executor">Trains one run.</param>
    /// <param name="runEvent">Called before and after each executed run.</param>
    /// <param name="stepProgress">Called after every training step.</param>
    /// <param name="cancellationToken">Stops after the current step; finished runs stay recorded.</param>
    /// <exception cref="StudyStoreException">The directory holds a study with another budget, or unreadable records.</exception>
    public static StudyOutcome Run(StudyPlan plan, string outputDirectory, IStudyRunExecutor executor,
        Action<StudyRunEvent>? runEvent = null, Action<TrainingProgress>? stepProgress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(outputDirectory);
        ArgumentNullException.ThrowIfNull(executor);
        plan.Budget.Validate();
        var duplicate = plan.Runs.GroupBy(r => r.Key).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"The plan lists run '{duplicate.Key}' twice.", nameof(plan));

        var store = StudyStore.Open(outputDirectory, plan.Budget);
        var done = new Dictionary<string, StudyRunRecord>(store.Load());
        var pending = plan.Runs.Where(r => !done.ContainsKey(r.Key)).ToList();
        int skipped = plan.Runs.Count - pending.Count;
        for (int i = 0; i < pending.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var spec = pending[i];
            runEvent?.Invoke(new StudyRunEvent(i + 1, pending.Count, spec, null));
            var record = executor.Execute(spec, stepProgress, cancellationToken);
            if (record.Spec != spec) throw new InvalidOperationException($"The executor returned run '{record.Spec.Key}' for '{spec.Key}'.");
            store.Append(record);
            done[spec.Key] = record;
            runEvent?.Invoke(new StudyRunEvent(i + 1, pending.Count, spec, record));
        }

        var records = plan.Runs.Select(r => done[r.Key]).ToList();
        var outputs = new List<string>();
        outputs.AddRange(StudyFigures.Write(outputDirectory, plan, records));
        outputs.Add(StudyReport.Write(outputDirectory, plan, records, outputs));
        outputs.Add(Path.Combine(outputDirectory, StudyStore.CsvFileName));
        store.WriteCsv(records);
        return new StudyOutcome(records, skipped, pending.Count, outputs);
    }
}
