using System.CommandLine;
using System.Diagnostics;
using HardNegOT.Costs;
using HardNegOT.Geometry;
using HardNegOT.IO;
using HardNegOT.Kernels;
using HardNegOT.Problems;
using HardNegOT.Solvers;

namespace HardNegOT.Cli.Commands;

/// <summary>
/// <c>hardnegot weights</c>: solves the masked entropic OT problem of a batch with itself and writes the coupling P*
/// (or the conditional negative weights P*(x⁻|x)) as a float64 N×N .npy, with diagnostics on stdout and optionally JSON.
/// <c>--rho</c> (or <c>--rho-a</c>/<c>--rho-b</c>) relaxes the marginals to KL penalties: the unbalanced problem.
/// </summary>
internal static class WeightsCommand
{
    private static readonly string[] Costs = ["sqeuclid", "sqeuclid-half", "exp", "cosine"];

    /// <summary>The parsed options of one run.</summary>
    internal sealed record Arguments(
        string Embeddings, string Layout, string Cost, double? Kappa, double Epsilon, double? Tolerance, int MaxIterations,
        string Solver, string Out, bool Conditional, string? Json, string? Labels, string? Device = null,
        double? Rho = null, double? RhoA = null, double? RhoB = null);

    public static Command Create()
    {
        var embeddings = new Option<string>("--embeddings")
        {
            Description = "N×d embeddings as .npy (float32 or float64, C order); rows are L2-normalised.",
            Required = true,
        };
        var layout = new Option<string>("--layout")
        {
            Description = "two-view: rows are [view 1; view 2] and the positive of row i is i ± N/2. none: no positives, only self-pairs are masked.",
            Required = true,
        };
        layout.AcceptOnlyFromAmong("two-view", "none");
        var cost = new Option<string>("--cost")
        {
            Description = "Ground cost: sqeuclid ‖x−y‖², sqeuclid-half ½‖x−y‖², exp e^{‖x−y‖²−κ}, cosine 1−s.",
            Required = true,
        };
        cost.AcceptOnlyFromAmong(Costs);
        var kappa = new Option<double?>("--kappa") { Description = $"κ of the exp cost (default {ExponentialCost.DefaultKappa})." };
        var epsilon = new Option<double>("--epsilon") { Description = "Entropic regularisation ε > 0 (smaller: harder negatives).", Required = true };
        var tolerance = new Option<double?>("--tolerance")
        {
            Description = $"Stop when the L1 row-marginal error (with --rho: the dual change between iterations) falls below this (default {SinkhornOptions.ReferenceTolerance:G} for reference, {SinkhornOptions.FastTolerance:G} for cpu and kernel).",
        };
        var rho = new Option<double?>("--rho")
        {
            Description = "Unbalanced OT: replace both marginal constraints by ρ·KL penalties of strength ρ > 0 (smaller: more mass may be created or destroyed; Infinity: hard).",
        };
        var rhoA = new Option<double?>("--rho-a") { Description = "Unbalanced OT: strength ρ_a > 0 of the row-marginal penalty only (the other side stays hard unless --rho-b)." };
        var rhoB = new Option<double?>("--rho-b") { Description = "Unbalanced OT: strength ρ_b > 0 of the column-marginal penalty only (the other side stays hard unless --rho-a)." };
        var maxIterations = new Option<int>("--max-iterations")
        {
            Description = "Iteration cap; reaching it exits with code 3 after writing the outputs.",
            DefaultValueFactory = _ => new SinkhornOptions().MaxIterations,
        };
        var solver = new Option<string>("--solver")
        {
            Description = "reference: double-precision log-domain Sinkhorn; cpu: fast float32 vectorised Sinkhorn; kernel: fused float32 ILGPU kernels (see --device).",
            DefaultValueFactory = _ => "cpu",
        };
        solver.AcceptOnlyFromAmong("reference", "cpu", "kernel");
        var device = new Option<string?>("--device")
        {
            Description = "Accelerator of --solver kernel: auto (CUDA, then OpenCL, then CPU; the default), cuda, opencl, or cpu (ILGPU's slow CPU simulator).",
        };
        device.AcceptOnlyFromAmong("auto", "cuda", "opencl", "cpu");
        var output = new Option<string>("--out") { Description = "Where to write the N×N float64 .npy.", Required = true };
        var conditional = new Option<bool>("--conditional")
        {
            Description = "Write the row-normalised conditional weights P*(x⁻|x) instead of the coupling P*.",
        };
        var json = new Option<string?>("--json") { Description = "Also write the diagnostics as JSON to this file." };
        var labels = new Option<string?>("--labels")
        {
            Description = "Class labels (1-D int64 .npy of length N): also report the negative weight on same-label rows.",
        };

        var command = new Command("weights", "Compute OT hard-negative weights for a batch of embeddings.")
        {
            embeddings, layout, cost, kappa, epsilon, tolerance, maxIterations, solver, device, output, conditional, json, labels,
            rho, rhoA, rhoB,
        };
        command.SetAction(parseResult => CommandAction.Run(parseResult, (p, stdout, stderr) => Execute(
            new Arguments(
                p.GetValue(embeddings)!, p.GetValue(layout)!, p.GetValue(cost)!, p.GetValue(kappa), p.GetValue(epsilon),
                p.GetValue(tolerance), p.GetValue(maxIterations), p.GetValue(solver)!, p.GetValue(output)!,
                p.GetValue(conditional), p.GetValue(json), p.GetValue(labels), p.GetValue(device),
                p.GetValue(rho), p.GetValue(rhoA), p.GetValue(rhoB)),
            stdout, stderr)));
        return command;
    }

    public static int Execute(Arguments args, TextWriter stdout, TextWriter stderr)
    {
        // Cheap checks first, so that a typo fails before a long read or solve.
        if (!(args.Epsilon > 0) || !double.IsFinite(args.Epsilon))
            throw new CliInputException($"--epsilon must be a positive finite number, got {Format.Number(args.Epsilon)}.");
        if (args.Tolerance is { } t && (!(t > 0) || !double.IsFinite(t)))
            throw new CliInputException($"--tolerance must be a positive finite number, got {Format.Number(t)}.");
        if (args.MaxIterations <= 0)
            throw new CliInputException($"--max-iterations must be positive, got {args.MaxIterations}.");
        if (args.Kappa is { } k && args.Cost != "exp")
            throw new CliInputException($"--kappa applies only to --cost exp, not --cost {args.Cost}.");
        if (args.Kappa is { } k2 && !double.IsFinite(k2))
            throw new CliInputException($"--kappa must be a finite number, got {Format.Number(k2)}.");
        if (string.IsNullOrWhiteSpace(args.Out))
            throw new CliInputException("--out must name a file.");
        if (args.Device is not null && args.Solver != "kernel")
            throw new CliInputException($"--device applies only to --solver kernel, not --solver {args.Solver}.");
        var relaxation = ParseRelaxation(args);

        var matrix = ReadEmbeddings(args.Embeddings);
        int n = matrix.Rows, d = matrix.Columns;
        var layout = BuildLayout(args.Layout, n, args.Embeddings);
        long[]? labels = args.Labels is null ? null : ReadLabels(args.Labels, n);

        var cost = GroundCost.Parse(args.Cost, args.Kappa ?? ExponentialCost.DefaultKappa);
        var problem = new EntropicProblem(new PointCloudGeometry(matrix.Data, n, d, cost, layout), args.Epsilon, relaxation: relaxation);
        // The accelerator outlives the solve: the kernels are loaded on it and its disposal frees the device context.
        using var accelerator = args.Solver == "kernel" ? CreateAccelerator(args.Device ?? "auto") : null;
        ISinkhornSolver solver = args.Solver switch
        {
            "reference" => new ReferenceSinkhorn(),
            "kernel" => new KernelSinkhorn(accelerator!),
            _ => new CpuSinkhorn(),
        };
        var options = new SinkhornOptions
        {
            Tolerance = args.Tolerance ?? (args.Solver == "reference" ? SinkhornOptions.ReferenceTolerance : SinkhornOptions.FastTolerance),
            MaxIterations = args.MaxIterations,
        };

        var clock = Stopwatch.StartNew();
        var coupling = solver.Solve(problem, options);
        double solveSeconds = clock.Elapsed.TotalSeconds;

        var weights = args.Conditional ? coupling.ConditionalMatrix() : coupling.ToMatrix();
        Write("--out", args.Out, path => NpyFile.WriteFloat64(path, weights, n, n));

        var hardness = coupling.Hardness();
        bool relaxed = !problem.IsBalanced;
        var sameLabel = labels is null ? null : SameLabelMass.Of(coupling, labels);
        var report = new WeightsReport
        {
            Solver = solver.Name,
            Backend = accelerator?.Backend.ToString().ToLowerInvariant(),
            BackendSelection = accelerator?.Selection,
            N = n,
            D = d,
            Epsilon = args.Epsilon,
            Cost = args.Cost,
            Kappa = cost is ExponentialCost exp ? exp.Kappa : null,
            Layout = layout.Name,
            Tolerance = options.Tolerance,
            MaxIterations = options.MaxIterations,
            Iterations = coupling.Iterations,
            MarginalError = coupling.MarginalError,
            Converged = coupling.Converged,
            RhoA = relaxed ? problem.Relaxation.RhoA : null,
            RhoB = relaxed ? problem.Relaxation.RhoB : null,
            DualChange = relaxed ? coupling.ConvergenceError : null,
            ColumnMarginalError = relaxed ? coupling.ColumnMarginalError() : null,
            PlanMass = relaxed ? coupling.RowSums().Sum() : null,
            SolveSeconds = solveSeconds,
            ExpectedSimilarityPlan = hardness.ExpectedSimilarityUnderPlan,
            ExpectedSimilarityUniform = hardness.ExpectedSimilarityUniform,
            Gain = hardness.Gain,
            EffectiveNegatives = hardness.EffectiveNegatives,
            NegativesPerAnchor = hardness.NegativesPerAnchor,
            SameLabelMassPlan = sameLabel?.Plan,
            SameLabelMassUniform = sameLabel?.Uniform,
            Embeddings = args.Embeddings,
            Output = args.Out,
            OutputKind = args.Conditional ? "conditional" : "coupling",
        };
        report.WriteText(stdout);
        if (args.Json is { } jsonPath)
            Write("--json", jsonPath, report.WriteJson);

        if (!coupling.Converged)
        {
            stderr.WriteLine(
                $"did not converge: {(relaxed ? "dual change" : "error")} {Format.Scientific(coupling.ConvergenceError)} after {coupling.Iterations} iterations (raise --max-iterations or --epsilon)");
            return ExitCodes.NotConverged;
        }

        return ExitCodes.Success;
    }

    /// <summary>
    /// The marginal relaxation of <c>--rho</c> or <c>--rho-a</c>/<c>--rho-b</c> (null when none is given): each strength
    /// must be positive (Infinity keeps that side hard), and --rho sets both so it excludes the one-sided options.
    /// </summary>
    private static MarginalRelaxation? ParseRelaxation(Arguments args)
    {
        if (args.Rho is not null && (args.RhoA is not null || args.RhoB is not null))
            throw new CliInputException("--rho sets both marginal strengths; give either --rho or --rho-a/--rho-b, not both.");
        foreach (var (name, value) in new[] { ("--rho", args.Rho), ("--rho-a", args.RhoA), ("--rho-b", args.RhoB) })
            if (value is { } v && !(v > 0))
                throw new CliInputException($"{name} must be a positive number (Infinity for a hard marginal), got {Format.Number(v)}.");
        if (args.Rho is { } both) return MarginalRelaxation.Both(both);
        if (args.RhoA is null && args.RhoB is null) return null;
        return new MarginalRelaxation(args.RhoA ?? double.PositiveInfinity, args.RhoB ?? double.PositiveInfinity);
    }

    /// <summary>The accelerator for <c>--device</c>; an explicit backend without a usable device is bad input (exit 2).</summary>
    private static KernelAccelerator CreateAccelerator(string device)
    {
        var backend = AcceleratorFactory.ParseBackend(device);
        try
        {
            return AcceleratorFactory.Create(backend);
        }
        catch (InvalidOperationException ex)
        {
            string name = backend == AcceleratorBackend.Cuda ? "CUDA" : backend == AcceleratorBackend.OpenCL ? "OpenCL" : backend.ToString();
            throw new CliInputException($"--device {device}: no {name} device on this machine ({CommandAction.OneLine(ex.Message)})", ex);
        }
    }

    private static NpyArray<float> ReadEmbeddings(string path)
    {
        NpyArray<float> matrix;
        try
        {
            // The geometry works in float32 input; float64 files are rounded to nearest on reading.
            matrix = NpyFile.ReadMatrixAsFloat32(path);
        }
        catch (FileNotFoundException)
        {
            throw new CliInputException($"--embeddings: file '{path}' does not exist.");
        }
        catch (Exception ex) when (ex is NpyFormatException or IOException or UnauthorizedAccessException)
        {
            throw new CliInputException($"--embeddings: {CommandAction.OneLine(ex.Message)}", ex);
        }

        try
        {
            Embeddings.Validate(matrix.Data, matrix.Rows, matrix.Columns, "embeddings");
        }
        catch (ArgumentException ex)
        {
            throw new CliInputException($"--embeddings '{path}' ({matrix.Rows}×{matrix.Columns}): {CommandAction.MessageOf(ex)}", ex);
        }

        return matrix;
    }

    private static BatchLayout BuildLayout(string layout, int n, string embeddingsPath)
    {
        if (layout == "two-view")
        {
            if (n % 2 != 0)
                throw new CliInputException(
                    $"--layout two-view needs an even number of rows N = 2B ([view 1; view 2]), but --embeddings '{embeddingsPath}' has N = {n}.");
            if (n < 4)
                throw new CliInputException(
                    $"--layout two-view needs N ≥ 4 rows so that every row keeps a negative, but --embeddings '{embeddingsPath}' has N = {n}.");
            return BatchLayout.TwoView(n / 2);
        }

        if (n < 3)
            throw new CliInputException($"--layout none needs N ≥ 3 rows so that every row keeps a negative, but --embeddings '{embeddingsPath}' has N = {n}.");
        return BatchLayout.Unpaired(n);
    }

    private static long[] ReadLabels(string path, int n)
    {
        long[] labels;
        try
        {
            labels = NpyVectors.ReadInt64(path);
        }
        catch (FileNotFoundException)
        {
            throw new CliInputException($"--labels: file '{path}' does not exist.");
        }
        catch (Exception ex) when (ex is NpyFormatException or IOException or UnauthorizedAccessException)
        {
            throw new CliInputException($"--labels: {CommandAction.OneLine(ex.Message)}", ex);
        }

        if (labels.Length != n)
            throw new CliInputException($"--labels '{path}' has {labels.Length} labels but the embeddings have N = {n} rows.");
        return labels;
    }

    /// <summary>Runs a write, reporting a failure as bad input that names the option and the path.</summary>
    internal static void Write(string option, string path, Action<string> write)
    {
        try
        {
            write(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new CliInputException($"{option}: cannot write '{path}': {CommandAction.MessageOf(ex)}", ex);
        }
    }
}
