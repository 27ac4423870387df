using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using HardNegOT.Costs;
using HardNegOT.Geometry;
using HardNegOT.Problems;
using HardNegOT.Solvers;

namespace HardNegOT.Kernels.Runner;

/// <summary>
/// GPU runner: checks the CUDA kernels against double-precision references on fixed seeds, then times
/// <see cref="KernelSinkhorn"/> at large N, writing <c>kernels-cuda.json</c> into the output folder.
/// Usage: <c>HardNegOT.Kernels.Runner [--out DIR] [--device cuda|auto|cpu] [--sizes 4096,16384,65536] [--dim 128]</c>.
/// </summary>
public static class Program
{
    private const double Epsilon = 0.1;

    /// <summary>Runs the checks and timings; exit 0 when every check passed, 1 when one failed, 2 without a device.</summary>
    /// <param name="args">Command-line arguments (see the class summary).</param>
    /// <returns>The exit code.</returns>
    public static int Main(string[] args)
    {
        string outDir = Option(args, "--out") ?? Environment.GetEnvironmentVariable("OUT") ?? ".";
        string device = Option(args, "--device") ?? "cuda";
        int[] sizes = (Option(args, "--sizes") ?? "4096,16384,65536").Split(',').Select(int.Parse).ToArray();
        int[] checkSizes = (Option(args, "--check-sizes") ?? "256,512,1024").Split(',').Select(int.Parse).ToArray();
        int dim = int.Parse(Option(args, "--dim") ?? "128");
        Directory.CreateDirectory(outDir);
        string path = Path.Combine(outDir, "kernels-cuda.json");
        var report = new JsonObject { ["device"] = device, ["d"] = dim, ["epsilon"] = Epsilon, ["cost"] = "sqeuclid (2-2s), two-view mask" };

        KernelAccelerator session;
        try
        {
            session = AcceleratorFactory.Create(AcceleratorFactory.ParseBackend(device));
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException)
        {
            report["error"] = ex.Message;
            Save(path, report);
            Console.Error.WriteLine($"error: {ex.Message}");
            return 2;
        }

        using (session)
        {
            report["selection"] = session.Selection;
            Console.WriteLine(session.Selection);
            using var solver = new KernelSinkhorn(session);
            bool ok = true;
            var checks = new JsonArray();
            report["checks"] = checks;
            foreach (int n in checkSizes)
                foreach (int seed in new[] { 1, 2, 3 })
                {
                    var check = Check(solver, n, dim, seed);
                    ok &= check["pass"]!.GetValue<bool>();
                    checks.Add(check);
                    Console.WriteLine(check.ToJsonString());
                    Save(path, report); // Partial results survive a timeout.
                }

            var timings = new JsonArray();
            report["timings"] = timings;
            foreach (int n in sizes)
            {
                var timing = Time(solver, n, dim);
                timings.Add(timing);
                Console.WriteLine(timing.ToJsonString());
                Save(path, report);
            }
            report["pass"] = ok;
            Save(path, report);
            return ok ? 0 : 1;
        }
    }

    private static JsonObject Check(KernelSinkhorn solver, int n, int d, int seed)
    {
        var geometry = Geometry(n, d, seed);
        var random = new Random(seed);
        var potential = Enumerable.Range(0, n).Select(_ => random.NextDouble() - 0.5).ToArray();
        var logMarginal = Enumerable.Repeat(-Math.Log(n), n).ToArray();
        var expected = ReferenceHalfStep(geometry, Epsilon, potential, logMarginal);
        var actual = solver.HalfStep(geometry, Epsilon, potential, logMarginal);
        double halfStepError = 0;
        for (int i = 0; i < n; i++)
            halfStepError = Math.Max(halfStepError, Math.Abs(actual[i] - expected[i]) / Math.Max(1, Math.Abs(expected[i])));

        var result = new JsonObject { ["n"] = n, ["seed"] = seed, ["halfStepMaxRelError"] = halfStepError };
        bool pass = halfStepError <= 1e-4;
        // A full solve against the double reference only at the smallest size: the reference is O(N²) per iteration on the host.
        if (n <= 256)
        {
            var problem = new EntropicProblem(geometry, Epsilon);
            var options = new SinkhornOptions { Tolerance = SinkhornOptions.ReferenceTolerance, MaxIterations = 5000 };
            var reference = new ReferenceSinkhorn().Solve(problem, options);
            solver.CheckEvery = 1;
            var kernel = solver.Solve(problem, options);
            solver.CheckEvery = KernelSinkhorn.DefaultCheckEvery;
            int[] anchors = Enumerable.Range(0, n).ToArray();
            var w = solver.ConditionalRows(kernel, anchors);
            var wRef = reference.ConditionalMatrix();
            double weightError = 0;
            for (int i = 0; i < w.Length; i++) weightError = Math.Max(weightError, Math.Abs(w[i] - wRef[i]));
            var sums = solver.WeightedNegativeSums(reference, 0.1);
            double sumError = 0;
            for (int i = 0; i < n; i++)
            {
                double e = 0;
                for (int j = 0; j < n; j++)
                    if (!geometry.IsMasked(i, j)) e += wRef[i * n + j] * Math.Exp(geometry.Similarity(i, j) / 0.1);
                sumError = Math.Max(sumError, Math.Abs(sums[i] - e) / e);
            }
            result["solveConverged"] = kernel.Converged;
            result["solveIterations"] = kernel.Iterations;
            result["referenceIterations"] = reference.Iterations;
            result["conditionalMaxAbsError"] = weightError;
            result["weightedNegativeSumMaxRelError"] = sumError;
            pass &= kernel.Converged && weightError <= 1e-4 && sumError <= 1e-4;
        }
        result["pass"] = pass;
        return result;
    }

    private static JsonObject Time(KernelSinkhorn solver, int n, int d)
    {
        var problem = new EntropicProblem(Geometry(n, d, seed: 42), Epsilon);
        solver.CheckEvery = KernelSinkhorn.DefaultCheckEvery;
        // Warm-up compiles the kernels and touches the allocator.
        Fixed(solver, problem, 2);
        // Each symmetric iteration is one LSE pass plus a tiny relax; the difference of two runs cancels uploads.
        int k1 = 5, k2 = n >= 65536 ? 25 : 55;
        double t1 = Fixed(solver, problem, k1), t2 = Fixed(solver, problem, k2);
        double perPass = (t2 - t1) / (k2 - k1);
        var clock = Stopwatch.StartNew();
        var solved = solver.Solve(problem, new SinkhornOptions { Tolerance = SinkhornOptions.FastTolerance, MaxIterations = 2000 });
        double toTolerance = clock.Elapsed.TotalSeconds;
        return new JsonObject
        {
            ["n"] = n,
            ["secondsPerLsePass"] = perPass,
            ["pairsPerSecond"] = (double)n * n / perPass,
            ["secondsToTolerance"] = toTolerance,
            ["tolerance"] = SinkhornOptions.FastTolerance,
            ["iterations"] = solved.Iterations,
            ["converged"] = solved.Converged,
            ["marginalError"] = solved.MarginalError,
            ["deviceBytes"] = solver.LastAllocatedBytes,
        };
    }

    private static double Fixed(KernelSinkhorn solver, EntropicProblem problem, int iterations)
    {
        var clock = Stopwatch.StartNew();
        // A tolerance no float32 solve reaches: exactly `iterations` passes, one read-back at the cap.
        solver.Solve(problem, new SinkhornOptions { Tolerance = 1e-30, MaxIterations = iterations });
        return clock.Elapsed.TotalSeconds;
    }

    /// <summary>Two views of N/2 random directions (the second a noisy copy of the first), fixed by the seed.</summary>
    private static PointCloudGeometry Geometry(int n, int d, int seed)
    {
        var random = new Random(seed);
        var data = new float[n * d];
        int half = n / 2;
        for (int i = 0; i < half * d; i++) data[i] = (float)Gaussian(random);
        for (int i = 0; i < half * d; i++) data[half * d + i] = data[i] + 0.3f * (float)Gaussian(random);
        return new PointCloudGeometry(data, n, d, new SquaredEuclideanCost(), BatchLayout.TwoView(half));
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    private static double[] ReferenceHalfStep(PointCloudGeometry geometry, double epsilon, double[] potential, double[] logMarginal)
    {
        int n = geometry.Count;
        var output = new double[n];
        Parallel.For(0, n, r =>
        {
            double max = double.NegativeInfinity, sum = 0;
            for (int k = 0; k < n; k++)
            {
                double v = (potential[k] - geometry.CostOrInfinity(r, k)) / epsilon + logMarginal[k];
                if (!(v > double.NegativeInfinity)) continue;
                if (v > max) { sum = sum * Math.Exp(max - v) + 1; max = v; }
                else sum += Math.Exp(v - max);
            }
            output[r] = -epsilon * (max + Math.Log(sum));
        });
        return output;
    }

    private static string? Option(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    private static void Save(string path, JsonObject report) =>
        File.WriteAllText(path, report.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
}
