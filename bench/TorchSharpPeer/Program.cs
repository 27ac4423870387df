// The TorchSharp peer of the Sinkhorn benchmarks: log-domain Sinkhorn on TorchSharp tensors, written the way a .NET
// user would port the usual PyTorch loop (bench/peers/sinkhorn_peers.py, torch_log): same workload files, same
// two-view mask, cost built inside the timed region, alternating g then f updates, L1 column error checked every 10
// iterations against the same tolerance. Prints one JSON line per (workload, ε) in the peers' format.
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using HardNegOT.IO;
using HardNegOT.Torch;
using TorchSharp;
using static TorchSharp.torch;

double tolerance = 1e-4;
int maxIterations = 1000, repeats = 3, threads = 2;
double[] epsilons = [0.1, 0.5];
var workloads = new List<string>();
for (int k = 0; k < args.Length; k++)
{
    switch (args[k])
    {
        case "--epsilons": epsilons = args[++k].Split(',').Select(e => double.Parse(e, CultureInfo.InvariantCulture)).ToArray(); break;
        case "--tolerance": tolerance = double.Parse(args[++k], CultureInfo.InvariantCulture); break;
        case "--max-iterations": maxIterations = int.Parse(args[++k], CultureInfo.InvariantCulture); break;
        case "--repeats": repeats = int.Parse(args[++k], CultureInfo.InvariantCulture); break;
        case "--threads": threads = int.Parse(args[++k], CultureInfo.InvariantCulture); break;
        default: workloads.Add(args[k]); break;
    }
}
if (workloads.Count == 0)
{
    Console.Error.WriteLine("usage: HardNegOT.Bench.TorchSharpPeer WORKLOAD.npy... [--epsilons 0.1,0.5] [--tolerance T] [--max-iterations M] [--repeats R] [--threads T]");
    return 2;
}

TorchRuntime.EnsureLoaded();
torch.set_num_threads(threads);
foreach (var path in workloads)
{
    var array = NpyFile.ReadMatrixAsFloat32(path);
    var (points, n, d) = (array.Data, array.Rows, array.Columns);
    string name = Path.GetFileNameWithoutExtension(path);
    foreach (var eps in epsilons)
    {
        double best = double.PositiveInfinity;
        (int Iterations, double Error) result = default;
        for (int r = 0; r < repeats; r++)
        {
            var clock = Stopwatch.StartNew();
            result = Solve(points, n, d, eps, tolerance, maxIterations);
            best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }
        Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["peer"] = "torchsharp-log", ["workload"] = name, ["n"] = n, ["epsilon"] = eps, ["seconds"] = best,
            ["iterations"] = result.Iterations, ["l1Error"] = result.Error, ["iterationsExact"] = true,
            ["converged"] = result.Error <= tolerance, ["notes"] = Array.Empty<string>(),
        }));
    }
}
return 0;

static (int Iterations, double Error) Solve(float[] points, int n, int d, double eps, double tolerance, int maxIterations)
{
    using var outer = NewDisposeScope();
    var x = nn.functional.normalize(tensor(points, new long[] { n, d }), p: 2, dim: 1);
    long b = n / 2;
    var index = arange(n);
    var mask = zeros(n, n, ScalarType.Bool);
    mask[index, index] = tensor(true);
    mask[index, (index + b).remainder(n)] = tensor(true);
    var m = (2.0 - 2.0 * x.mm(x.t())).clamp_min(0).masked_fill(mask, double.PositiveInfinity);
    var logA = full(n, -Math.Log(n));
    var f = zeros(n);
    var g = zeros(n);
    int iteration = 0;
    for (iteration = 1; iteration <= maxIterations; iteration++)
    {
        // Each iteration's temporaries are freed with its scope; only the new potentials leave it.
        using var step = NewDisposeScope();
        g = (-eps * ((f.unsqueeze(1) - m) / eps + logA.unsqueeze(1)).logsumexp(0)).MoveToOuterDisposeScope();
        f = (-eps * ((g.unsqueeze(0) - m) / eps + logA.unsqueeze(0)).logsumexp(1)).MoveToOuterDisposeScope();
        if (iteration % 10 == 0 && ColumnError(f, g, m, logA, eps, n) <= tolerance)
            break;
    }
    iteration = Math.Min(iteration, maxIterations);
    using var plan = ((f.unsqueeze(1) + g.unsqueeze(0) - m) / eps + logA.unsqueeze(1) + logA.unsqueeze(0)).exp().to_type(ScalarType.Float64);
    double rows = (plan.sum(1) - 1.0 / n).abs().sum().item<double>();
    double columns = (plan.sum(new long[] { 0 }) - 1.0 / n).abs().sum().item<double>();
    return (iteration, Math.Max(rows, columns));
}

static double ColumnError(Tensor f, Tensor g, Tensor m, Tensor logA, double eps, int n)
{
    using var scope = NewDisposeScope();
    var plan = ((f.unsqueeze(1) + g.unsqueeze(0) - m) / eps + logA.unsqueeze(1) + logA.unsqueeze(0)).exp();
    return (plan.sum(new long[] { 0 }) - 1.0f / n).abs().sum().item<float>();
}
