using HardNegOT.Torch.Training;
using TorchSharp;

namespace HardNegOT.Torch.Tests.Training;

public class EvaluationTests
{
    public EvaluationTests() => TorchRuntime.EnsureLoaded();

    // Two well separated clusters on the circle around (1, 0) and (0, 1).
    private static (torch.Tensor Features, int[] Labels) Clusters(int n, int seed)
    {
        var random = new Random(seed);
        var data = new float[n * 2];
        var labels = new int[n];
        for (int i = 0; i < n; i++)
        {
            labels[i] = i % 2;
            data[2 * i] = (float)((labels[i] == 0 ? 1 : 0) + 0.05 * random.NextDouble());
            data[2 * i + 1] = (float)((labels[i] == 1 ? 1 : 0) + 0.05 * random.NextDouble());
        }
        return (torch.tensor(data, new long[] { n, 2 }), labels);
    }

    [Fact]
    public void Knn_on_separated_clusters_is_perfect()
    {
        var (bank, bankLabels) = Clusters(100, 1);
        var (queries, queryLabels) = Clusters(40, 2);
        Assert.Equal(1.0, Evaluation.KnnTop1(bank, bankLabels, queries, queryLabels, 2, k: 20));
        // k = 200 exceeds the bank: capped at M, and the e^{s/0.5} weights still favour the own cluster.
        Assert.Equal(1.0, Evaluation.KnnTop1(bank, bankLabels, queries, queryLabels, 2));
    }

    [Fact]
    public void Knn_with_permuted_bank_labels_is_near_chance()
    {
        // Ten noisy clusters in 16-d: each query's 20 neighbours come from its own cluster but vary per query,
        // so once the bank labels are shuffled the votes are random and accuracy falls to about 1/10.
        var random = new Random(3);
        (torch.Tensor, int[]) Make(int n)
        {
            var data = new float[n * 16];
            var labels = new int[n];
            for (int i = 0; i < n; i++)
            {
                labels[i] = i % 10;
                for (int j = 0; j < 16; j++) data[i * 16 + j] = (float)((j == labels[i] ? 3.0 : 0.0) + 0.5 * (random.NextDouble() - 0.5));
            }
            return (torch.tensor(data, new long[] { n, 16 }), labels);
        }
        var (bank, bankLabels) = Make(1000);
        var (queries, queryLabels) = Make(500);
        Assert.Equal(1.0, Evaluation.KnnTop1(bank, bankLabels, queries, queryLabels, 10, k: 20));
        var shuffled = bankLabels.ToArray();
        new Random(5).Shuffle(shuffled);
        double accuracy = Evaluation.KnnTop1(bank, shuffled, queries, queryLabels, 10, k: 20);
        Assert.InRange(accuracy, 0.03, 0.2);
    }

    [Fact]
    public void Linear_readout_separates_clusters_and_returns_a_fraction()
    {
        var (train, trainLabels) = Clusters(100, 6);
        var (test, testLabels) = Clusters(50, 7);
        double accuracy = Evaluation.LinearTop1(train, trainLabels, test, testLabels, 2, epochs: 50);
        Assert.Equal(1.0, accuracy);
    }
}
