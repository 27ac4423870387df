using HardNegOT.Torch.Training;
using TorchSharp;

namespace HardNegOT.Torch.Tests.Training;

public class TrainerObserverTests
{
    public TrainerObserverTests()
    {
        TorchRuntime.EnsureLoaded();
        // One thread: reductions in a fixed order, so two runs can be compared exactly.
        torch.set_num_threads(1);
    }

    [Fact]
    public void Observer_sees_every_metrics_row_in_eval_mode_and_does_not_change_training()
    {
        var options = TrainingTestData.TinyOptions() with { Epochs = 2, StepsPerEpoch = 2 };
        var seen = new List<(int Epoch, bool Training)>();
        var observed = new ContrastiveTrainer(options, TrainingTestData.Tiny())
        {
            Observer = (row, model) =>
            {
                seen.Add((row.Epoch, model.training));
                // Inspecting the features must not disturb the run (eval mode: BatchNorm statistics stay put).
                using var scope = torch.NewDisposeScope();
                using var noGrad = torch.no_grad();
                model.forward(torch.ones(4, 784));
            },
        }.Run();
        var plain = new ContrastiveTrainer(options, TrainingTestData.Tiny()).Run();

        Assert.Equal([(0, false), (1, false), (2, false)], seen);
        Assert.Equal(plain.StepLosses, observed.StepLosses);
        Assert.Equal(plain.FinalKnnTop1, observed.FinalKnnTop1);
        Assert.Equal(plain.FinalLinearTop1, observed.FinalLinearTop1);
    }
}
