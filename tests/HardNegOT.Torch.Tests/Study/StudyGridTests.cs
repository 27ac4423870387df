using HardNegOT.Torch.Study;
using HardNegOT.Torch.Training;

namespace HardNegOT.Torch.Tests.Study;

public class StudyGridTests
{
    [Fact]
    public void Full_grid_has_126_runs_for_three_seeds_with_unique_keys()
    {
        var runs = StudyGrid.Full(3);
        // (1 uniform + 3 HCL β + 5 ε × 2 costs) × 3 losses × 3 seeds.
        Assert.Equal((1 + 3 + 5 * 2) * 3 * 3, runs.Count);
        Assert.Equal(runs.Count, runs.Select(r => r.Key).Distinct().Count());
        Assert.Equal(9, runs.Count(r => r.Negatives.Sampling == NegativeSampling.Uniform));
        Assert.Equal(27, runs.Count(r => r.Negatives.Sampling == NegativeSampling.Hcl));
        Assert.Equal(90, runs.Count(r => r.Negatives.Sampling == NegativeSampling.Ot));
        Assert.Equal([1, 2, 3], runs.Select(r => r.Seed).Distinct().Order());
    }

    [Fact]
    public void Only_ot_carries_a_cost_so_no_configuration_is_run_twice()
    {
        var runs = StudyGrid.Full(2);
        Assert.All(runs.Where(r => r.Negatives.Sampling != NegativeSampling.Ot), r => Assert.Null(r.Negatives.Cost));
        Assert.All(runs.Where(r => r.Negatives.Sampling == NegativeSampling.Ot), r => Assert.Contains(r.Negatives.Cost, StudyGrid.Costs));
        // The trainer settings, not just the keys, differ between any two runs.
        var budget = StudyBudget.Default;
        var configs = runs.Select(r => ContrastiveTrainer.ConfigJson(r.ToOptions(budget, null))).ToList();
        Assert.Equal(configs.Count, configs.Distinct().Count());
    }

    [Fact]
    public void Quick_grid_is_a_one_seed_subset_of_the_full_grid()
    {
        var quick = StudyGrid.Quick(1);
        var full = StudyGrid.Full(3).Select(r => r.Key).ToHashSet();
        Assert.Equal(6 * 3, quick.Count);
        Assert.All(quick, r => Assert.Contains(r.Key, full));
        Assert.All(quick, r => Assert.Equal(1, r.Seed));
        // Both costs at the reference ε, and the anchor figure's run.
        foreach (var cost in StudyGrid.Costs)
            Assert.Contains(quick, r => r.Negatives == NegativeConfig.Ot(cost, StudyGrid.ReferenceEpsilon));
        Assert.Contains(quick, r => r.Negatives == NegativeConfig.Ot("sqeuclid", StudyGrid.ScatterEpsilon) && r.Loss == StudyGrid.FigureLoss);
        Assert.Equal(StudyGrid.Losses.Count, quick.Select(r => r.Loss).Distinct().Count());
    }

    [Fact]
    public void Runs_are_seed_major()
    {
        var runs = StudyGrid.Full(3);
        int perSeed = StudyGrid.FullNegatives.Count * StudyGrid.Losses.Count;
        for (int i = 0; i < runs.Count; i++) Assert.Equal(i / perSeed + 1, runs[i].Seed);
    }

    [Fact]
    public void Every_run_gets_the_same_budget_and_its_own_method_settings()
    {
        var budget = StudyBudget.Default;
        var options = StudyGrid.Full(2).Select(r => (Spec: r, Options: r.ToOptions(budget, "/data"))).ToList();
        Assert.All(options, o =>
        {
            Assert.Equal(budget.BatchSize, o.Options.BatchSize);
            Assert.Equal(budget.Epochs, o.Options.Epochs);
            Assert.Equal(budget.StepsPerEpoch, o.Options.StepsPerEpoch);
            Assert.Equal(budget.EvalBank, o.Options.EvalTrainSubset);
            Assert.Equal(budget.EvalQueries, o.Options.EvalTestSubset);
            Assert.Equal(budget.TrainSubset, o.Options.TrainSubset);
            Assert.Equal("/data", o.Options.DataDirectory);
            Assert.Equal(o.Spec.Seed, o.Options.Seed);
            Assert.Equal(o.Spec.Loss, o.Options.Loss);
            Assert.Equal(o.Spec.Negatives.Sampling, o.Options.Negatives);
            if (o.Spec.Negatives.Beta is { } beta) Assert.Equal(beta, o.Options.Beta);
            if (o.Spec.Negatives.Epsilon is { } eps) Assert.Equal(eps, o.Options.Epsilon);
            if (o.Spec.Negatives.Cost is { } cost) Assert.Equal(cost, o.Options.Cost);
            o.Options.Validate();
        });
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Fewer_than_one_seed_is_refused(int seeds)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => StudyGrid.Full(seeds));
        Assert.Equal("seeds", ex.ParamName);
    }

    [Fact]
    public void Budget_needs_the_analysis_batch_to_fit_in_the_queries()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => (StudyBudget.Default with { BatchSize = 64, EvalQueries = 32 }).Validate());
        Assert.Equal(nameof(StudyBudget.EvalQueries), ex.ParamName);
        var bank = Assert.Throws<ArgumentOutOfRangeException>(() => (StudyBudget.Default with { EvalBank = 0 }).Validate());
        Assert.Equal(nameof(StudyBudget.EvalBank), bank.ParamName);
    }
}
