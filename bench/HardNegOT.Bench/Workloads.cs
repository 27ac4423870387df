using HardNegOT.Data;
using HardNegOT.IO;

namespace HardNegOT.Bench;

/// <summary>
/// A fixed, seeded benchmark input: 2B×d two-view embeddings ([view 1; view 2], the positive of row i
/// is i ± B). Every runner — BenchmarkDotNet suites and the Python peers — reads the same .npy file.
/// </summary>
public sealed record Workload(string Kind, int Count, int Dimension, int Seed = 17)
{
    /// <summary>Folder the workload files are written to.</summary>
    public static string Directory => Environment.GetEnvironmentVariable("HARDNEGOT_BENCH_DATA")
        ?? Path.Combine(AppContext.BaseDirectory, "workloads");

    public string Name => $"{Kind}-n{Count}-d{Dimension}";

    public string FilePath => Path.Combine(Directory, Name + ".npy");

    public override string ToString() => Name;

    /// <summary>The embeddings, generated once and cached as a file.</summary>
    public float[] Load()
    {
        if (File.Exists(FilePath)) return NpyFile.ReadMatrixAsFloat32(FilePath).Data;
        var data = Generate();
        System.IO.Directory.CreateDirectory(Directory);
        NpyFile.WriteFloat32(FilePath, data, Count, Dimension);
        return data;
    }

    private float[] Generate()
    {
        var rng = new Random(Seed);
        int b = Count / 2, d = Dimension;
        var data = new float[Count * d];
        double Normal() => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
        switch (Kind)
        {
            case "isotropic":
                for (int k = 0; k < data.Length; k++) data[k] = (float)Normal();
                break;
            case "clustered10":
            case "clustered50":
                int clusters = Kind == "clustered10" ? 10 : 50;
                var centres = new double[clusters * d];
                for (int k = 0; k < centres.Length; k++) centres[k] = Normal();
                for (int i = 0; i < b; i++)
                {
                    int c = rng.Next(clusters);
                    for (int k = 0; k < d; k++)
                    {
                        double anchor = centres[c * d + k] + 0.4 * Normal();
                        data[i * d + k] = (float)anchor;
                        // The positive is a small perturbation of its anchor, as two augmented views are.
                        data[(i + b) * d + k] = (float)(anchor + 0.1 * Normal());
                    }
                }
                break;
            case "fmnist-projection":
                var batch = TwoViewImageBatch.Create(FashionMnist.Load(FashionMnistSplit.Test), b, Seed);
                new RandomProjection(FashionMnist.PixelsPerImage, d, seed: 1).ProjectRows(batch.Views, Count).CopyTo(data, 0);
                break;
            default:
                throw new ArgumentException($"Unknown workload kind '{Kind}'.", nameof(Kind));
        }
        return data;
    }
}
