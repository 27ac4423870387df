using HardNegOT.Torch.Study;
using HardNegOT.Torch.Tests.Training;
using HardNegOT.Torch.Training;

namespace HardNegOT.Torch.Tests.Study;

public class StudyRunnerTests
{
    private static readonly StudyBudget Budget = StudyBudget.Default with { Epochs = 1, StepsPerEpoch = 3 };

    private static StudyPlan Plan(int seeds = 1) =>
        new("test", StudyGrid.Runs([NegativeConfig.Uniform, NegativeConfig.Ot("sqeuclid", 0.5)], seeds), Budget, "hardnegot study");

    private static string RunsFile(string dir) => Path.Combine(dir, StudyStore.RunsFileName);

    [Fact]
    public void Interrupted_study_resumes_with_only_the_unfinished_runs()
    {
        using var dir = new TempDir();
        var plan = Plan();
        Assert.Equal(6, plan.Runs.Count);
        var third = plan.Runs[2];
        var first = new FakeExecutor(spec => spec == third);
        Assert.Throws<OperationCanceledException>(() => StudyRunner.Run(plan, dir.Path, first));
        Assert.Equal(plan.Runs.Take(2), first.Executed);
        Assert.Equal(2, File.ReadAllLines(RunsFile(dir.Path)).Length);

        var second = new FakeExecutor();
        var outcome = StudyRunner.Run(plan, dir.Path, second);
        Assert.Equal(plan.Runs.Skip(2), second.Executed);
        Assert.Equal(2, outcome.Skipped);
        Assert.Equal(4, outcome.Executed);
        Assert.Equal(plan.Runs, outcome.Records.Select(r => r.Spec));
        Assert.Equal(6, File.ReadAllLines(RunsFile(dir.Path)).Length);

        // A finished study only rewrites its report.
        var third2 = new FakeExecutor();
        Assert.Equal(6, StudyRunner.Run(plan, dir.Path, third2).Skipped);
        Assert.Empty(third2.Executed);
    }

    [Fact]
    public void Records_survive_the_round_trip_through_runs_jsonl()
    {
        using var dir = new TempDir();
        var plan = Plan();
        StudyRunner.Run(plan, dir.Path, new FakeExecutor());
        var loaded = StudyStore.Open(dir.Path, Budget).Load();
        foreach (var spec in plan.Runs)
        {
            var expected = FakeExecutor.Record(spec, 0.51, 0.71);
            var r = loaded[spec.Key];
            Assert.Equal(spec, r.Spec);
            Assert.Equal(expected.KnnTop1, r.KnnTop1);
            Assert.Equal(expected.LinearTop1, r.LinearTop1);
            Assert.Equal(expected.MeanSinkhornIterations, r.MeanSinkhornIterations);
            Assert.Equal(expected.Evaluations, r.Evaluations);
        }
        var csv = File.ReadAllLines(Path.Combine(dir.Path, StudyStore.CsvFileName));
        Assert.Equal(StudyStore.CsvHeader, csv[0]);
        Assert.Equal(plan.Runs.Count, csv.Length - 1);
        Assert.StartsWith("ot-sqeuclid-eps0.5/dcl/seed1,ot,,sqeuclid,0.5,dcl,1,0.51,0.71,0.4,0.6,1.5,12,0.4;0.51,", csv.Single(l => l.StartsWith("ot-sqeuclid-eps0.5/dcl/", StringComparison.Ordinal)));
        Assert.True(File.Exists(Path.Combine(dir.Path, StudyReport.FileName)));
    }

    [Fact]
    public void A_line_cut_short_by_an_interruption_is_dropped_and_its_run_redone()
    {
        using var dir = new TempDir();
        var plan = Plan();
        StudyRunner.Run(plan, dir.Path, new FakeExecutor());
        var lines = File.ReadAllLines(RunsFile(dir.Path));
        File.WriteAllText(RunsFile(dir.Path), string.Join('\n', lines[..^1]) + "\n" + lines[^1][..40]);

        var executor = new FakeExecutor();
        StudyRunner.Run(plan, dir.Path, executor);
        Assert.Equal([plan.Runs[^1]], executor.Executed);
        Assert.Equal(plan.Runs.Count, File.ReadAllLines(RunsFile(dir.Path)).Length);
    }

    [Fact]
    public void A_damaged_line_before_the_last_is_an_error_naming_the_file()
    {
        using var dir = new TempDir();
        StudyRunner.Run(Plan(), dir.Path, new FakeExecutor());
        var lines = File.ReadAllLines(RunsFile(dir.Path));
        lines[1] = "{ not json";
        File.WriteAllLines(RunsFile(dir.Path), lines);
        var ex = Assert.Throws<StudyStoreException>(() => StudyRunner.Run(Plan(), dir.Path, new FakeExecutor()));
        Assert.Contains("line 2", ex.Message);
        Assert.Contains(StudyStore.RunsFileName, ex.Message);
    }

    [Fact]
    public void A_directory_of_another_budget_is_refused()
    {
        using var dir = new TempDir();
        StudyRunner.Run(Plan(), dir.Path, new FakeExecutor());
        var other = Plan() with { Budget = Budget with { StepsPerEpoch = 4 } };
        var executor = new FakeExecutor();
        var ex = Assert.Throws<StudyStoreException>(() => StudyRunner.Run(other, dir.Path, executor));
        Assert.Contains("another budget", ex.Message);
        Assert.Empty(executor.Executed);
    }

    [Fact]
    public void More_seeds_in_the_same_directory_only_run_the_new_seeds()
    {
        using var dir = new TempDir();
        StudyRunner.Run(Plan(seeds: 1), dir.Path, new FakeExecutor());
        var executor = new FakeExecutor();
        var outcome = StudyRunner.Run(Plan(seeds: 2), dir.Path, executor);
        Assert.All(executor.Executed, s => Assert.Equal(2, s.Seed));
        Assert.Equal(6, outcome.Skipped);
        var summary = StudyAggregate.Find(StudyAggregate.Summarize(outcome.Records), NegativeConfig.Uniform, ContrastiveLoss.Dcl)!;
        Assert.Equal(2, summary.Knn.Count);
        Assert.Equal(0.515, summary.Knn.Mean, 12);
    }
}
