using HardNegOT.Torch.Training;

namespace HardNegOT.Torch.Tests.Training;

public class TwoViewBatchLoaderTests
{
    private static readonly float[] Pixels = TrainingTestData.Blocks(20, 3).Pixels;

    [Fact]
    public void Same_seed_gives_identical_batches()
    {
        var a = new TwoViewBatchLoader(Pixels, 4, seed: 5).Epoch(1).ToList();
        var b = new TwoViewBatchLoader(Pixels, 4, seed: 5).Epoch(1).ToList();
        Assert.Equal(5, a.Count);
        for (int i = 0; i < a.Count; i++)
        {
            Assert.Equal(a[i].Indices, b[i].Indices);
            Assert.Equal(a[i].View1, b[i].View1);
            Assert.Equal(a[i].View2, b[i].View2);
        }
    }

    [Fact]
    public void Different_seeds_and_epochs_shuffle_differently_and_each_epoch_is_a_permutation()
    {
        var loader = new TwoViewBatchLoader(Pixels, 4, seed: 5);
        Assert.NotEqual(loader.Permutation(0), loader.Permutation(1));
        Assert.NotEqual(loader.Permutation(0), new TwoViewBatchLoader(Pixels, 4, seed: 6).Permutation(0));
        var seen = loader.Epoch(0).SelectMany(b => b.Indices).OrderBy(i => i).ToArray();
        Assert.Equal(Enumerable.Range(0, 20).ToArray(), seen);
    }

    [Fact]
    public void A_batch_can_be_regenerated_from_its_position_and_views_differ()
    {
        var loader = new TwoViewBatchLoader(Pixels, 4, seed: 9);
        var third = loader.Epoch(2).ElementAt(3);
        var again = loader.Batch(2, 3);
        var resumed = loader.Epoch(2, startStep: 3).First();
        Assert.Equal(third.View1, again.View1);
        Assert.Equal(third.View2, resumed.View2);
        Assert.NotEqual(third.View1, third.View2);
    }

    [Fact]
    public void Steps_are_capped_and_the_incomplete_tail_is_dropped()
    {
        var loader = new TwoViewBatchLoader(Pixels, 6, seed: 1);
        Assert.Equal(3, loader.BatchesPerEpoch);
        Assert.Equal(2, loader.Epoch(0, maxSteps: 2).Count());
        Assert.All(loader.Epoch(0), b => Assert.Equal(6, b.Indices.Length));
    }
}
