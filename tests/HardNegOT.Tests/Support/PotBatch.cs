using System.Text.Json;
using HardNegOT.IO;

namespace HardNegOT.Tests.Support;

/// <summary>
/// One POT process for a whole set of cross-check cases: the script reads the inputs the fixture wrote to
/// <c>directory</c>, writes each case's plan to <c>{name}.P.npy</c> and prints, per case name, its final error
/// (<c>err</c>) and iteration count (<c>niter</c>) as JSON.
/// </summary>
public static class PotBatch
{
    /// <summary>Runs <paramref name="script"/> on the cases and reads back their errors, iteration counts and plans.</summary>
    public static (Dictionary<string, (double Error, int Iterations)> Runs, Dictionary<string, double[]> Plans) Run(
        string script, string directory, object payload, IEnumerable<string> names)
    {
        string stdout = Python.Run(["-c", script, directory, JsonSerializer.Serialize(payload)], timeout: TimeSpan.FromMinutes(5));
        using var doc = JsonDocument.Parse(stdout);
        var runs = doc.RootElement.EnumerateObject().ToDictionary(
            p => p.Name, p => (Error: p.Value.GetProperty("err").GetDouble(), Iterations: p.Value.GetProperty("niter").GetInt32()));
        var plans = names.ToDictionary(name => name, name => NpyFile.ReadMatrixAsFloat64(Path.Combine(directory, $"{name}.P.npy")).Data);
        return (runs, plans);
    }

    /// <summary>The largest |x_k − y_k| and where it is.</summary>
    public static (double Worst, int At) MaxAbsDifference(double[] x, double[] y)
    {
        Assert.Equal(x.Length, y.Length);
        double worst = 0;
        int at = 0;
        for (int k = 0; k < x.Length; k++)
        {
            double delta = Math.Abs(x[k] - y[k]);
            if (delta > worst) (worst, at) = (delta, k);
        }

        return (worst, at);
    }
}
