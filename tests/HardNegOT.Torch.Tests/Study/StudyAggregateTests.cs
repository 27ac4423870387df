using HardNegOT.Torch.Study;
using HardNegOT.Torch.Training;

namespace HardNegOT.Torch.Tests.Study;

public class StudyAggregateTests
{
    [Fact]
    public void Mean_and_sample_std_match_hand_computation()
    {
        // Mean 0.7; squared deviations 0.01 + 0 + 0.01 over n − 1 = 2 → std 0.1.
        var m = MeanStd.Of([0.6, 0.7, 0.8]);
        Assert.Equal(0.7, m.Mean, 12);
        Assert.Equal(0.1, m.Std!.Value, 12);
        Assert.Equal(3, m.Count);
        // 1, 2, 3, 6: mean 3, deviations 4 + 1 + 0 + 9 = 14, /3.
        Assert.Equal(Math.Sqrt(14.0 / 3), MeanStd.Of([1.0, 2.0, 3.0, 6.0]).Std!.Value, 12);
    }

    [Fact]
    public void One_value_has_no_std()
    {
        var m = MeanStd.Of([0.42]);
        Assert.Equal(0.42, m.Mean);
        Assert.Null(m.Std);
    }

    [Fact]
    public void Empty_or_non_finite_values_are_refused()
    {
        Assert.Throws<ArgumentException>(() => MeanStd.Of([]));
        Assert.Throws<ArgumentException>(() => MeanStd.Of([0.5, double.NaN]));
    }

    [Fact]
    public void Summaries_group_seeds_of_one_configuration()
    {
        var ot = NegativeConfig.Ot("exp", 0.5);
        var records = new[]
        {
            FakeExecutor.Record(new StudyRunSpec(NegativeConfig.Uniform, ContrastiveLoss.Dcl, 1), 0.6, 0.80),
            FakeExecutor.Record(new StudyRunSpec(ot, ContrastiveLoss.Dcl, 1), 0.5, 0.70),
            FakeExecutor.Record(new StudyRunSpec(NegativeConfig.Uniform, ContrastiveLoss.Dcl, 2), 0.7, 0.82),
            FakeExecutor.Record(new StudyRunSpec(ot, ContrastiveLoss.Dcl, 2), 0.9, 0.74),
            FakeExecutor.Record(new StudyRunSpec(NegativeConfig.Uniform, ContrastiveLoss.Dcl, 3), 0.8, 0.84),
            FakeExecutor.Record(new StudyRunSpec(NegativeConfig.Uniform, ContrastiveLoss.Nce, 1), 0.1, 0.2),
        };
        var summaries = StudyAggregate.Summarize(records);
        Assert.Equal(3, summaries.Count);
        var uniform = StudyAggregate.Find(summaries, NegativeConfig.Uniform, ContrastiveLoss.Dcl)!;
        Assert.Equal(3, uniform.Knn.Count);
        Assert.Equal(0.7, uniform.Knn.Mean, 12);
        Assert.Equal(0.1, uniform.Knn.Std!.Value, 12);
        Assert.Equal(0.82, uniform.Linear.Mean, 12);
        var exp = StudyAggregate.Find(summaries, NegativeConfig.Ot("exp", 0.5), ContrastiveLoss.Dcl)!;
        Assert.Equal(0.7, exp.Knn.Mean, 12);
        // Two values 0.5, 0.9: std = |0.9 − 0.5| / √2.
        Assert.Equal(0.4 / Math.Sqrt(2), exp.Knn.Std!.Value, 12);
        Assert.Null(StudyAggregate.Find(summaries, NegativeConfig.Ot("sqeuclid", 0.5), ContrastiveLoss.Dcl));
    }

    [Fact]
    public void Report_shows_mean_and_std_in_percent_with_uniform_listed_once_and_no_cost()
    {
        var specs = StudyGrid.Runs([NegativeConfig.Uniform, NegativeConfig.Hcl(1), NegativeConfig.Ot("sqeuclid", 0.5), NegativeConfig.Ot("exp", 0.5)], 3);
        var knn = new Dictionary<string, double[]>
        {
            ["uniform"] = [0.60, 0.70, 0.80],
            ["hcl-beta1"] = [0.61, 0.71, 0.81],
            ["ot-sqeuclid-eps0.5"] = [0.62, 0.72, 0.82],
            ["ot-exp-eps0.5"] = [0.63, 0.73, 0.83],
        };
        var records = specs.Select(s => FakeExecutor.Record(s, knn[s.Negatives.Key][s.Seed - 1], 0.8)).ToList();
        var plan = new StudyPlan("test", specs, StudyBudget.Default, "hardnegot study --seeds 3");
        var md = StudyReport.Render(plan, records, [], new DateTime(2025, 1, 2, 3, 4, 0, DateTimeKind.Utc), "2 cores");

        Assert.Contains("`hardnegot study --seeds 3`", md);
        Assert.Contains("2025-01-02 03:04 UTC", md);
        Assert.Contains("2 cores", md);
        Assert.Contains("80 Adam steps", md);
        var uniformRows = md.Split('\n').Where(l => l.StartsWith("| uniform |", StringComparison.Ordinal)).ToList();
        var row = Assert.Single(uniformRows);
        Assert.StartsWith("| uniform | — | 70.00 ± 10.00 | **80.00 ± 0.00** |", row);
        Assert.Single(md.Split('\n'), l => l.StartsWith("| HCL β = 1 | — |", StringComparison.Ordinal));
        // The best kNN mean of a column (exp, 73.00) is bold; the linear column is a four-way tie.
        Assert.Contains("| OT ε = 0.5 | exp | **73.00 ± 10.00** | **80.00 ± 0.00** |", md);
        Assert.Contains("| OT ε = 0.5 | sqeuclid | 72.00 ± 10.00 |", md);
        // exp is one point ahead of sqeuclid for each loss.
        Assert.Contains("exp ahead in 3 of 3 comparisons, mean Δ = +1.00 points", md);
    }
}
