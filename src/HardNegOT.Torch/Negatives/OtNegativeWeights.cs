using HardNegOT.Couplings;
using HardNegOT.Geometry;
using HardNegOT.Problems;
using HardNegOT.Solvers;
using TorchSharp;
using static TorchSharp.torch;

namespace HardNegOT.Torch.Negatives;

/// <summary>
/// The drop-in op: embeddings (N×d torch tensor) → conditional entropic-OT negative weights
/// P*(x⁻|x) (N×N). Stateless; use <see cref="OtNegativeSampler"/> to warm-start across steps.
/// </summary>
/// <remarks>
/// The tensor is copied to the host once (as contiguous float32), normalised and solved with
/// <see cref="CpuSinkhorn"/>. The result is always float32 on the CPU whatever the input dtype
/// (float32, float16 or bfloat16): the weights are probabilities and the solve is float32, so a
/// half-precision copy would only lose digits; cast it with <c>to_type</c> if needed.
/// CUDA tensors are rejected: the GPU (primary-context kernel) path is not built yet.
/// </remarks>
public static class OtNegativeWeights
{
    /// <summary>Name of the Sinkhorn backend behind the op.</summary>
    public const string SolverName = "cpu";

    private static readonly CpuSinkhorn Solver = new();

    /// <summary>
    /// Computes the detached conditional OT negative weights of <paramref name="embeddings"/>.
    /// </summary>
    /// <param name="embeddings">2-D tensor N×d (N = 2B for the two-view layout), float32/float16/bfloat16, CPU, finite, no all-zero row.</param>
    /// <param name="options">Cost, ε, layout and stopping rule.</param>
    /// <exception cref="ArgumentException">Bad shape, dtype, row count or values; the message and ParamName name the input.</exception>
    /// <exception cref="NotSupportedException">The tensor lives on a CUDA device.</exception>
    public static OtNegativeWeightsResult Compute(Tensor embeddings, OtNegativeOptions options)
    {
        var (result, _) = Solve(embeddings, options, warmStart: null, coldIterations: null);
        return result;
    }

    // Shared with the sampler, which keeps the returned coupling's F for the next step.
    internal static (OtNegativeWeightsResult Result, Coupling Coupling) Solve(
        Tensor embeddings, OtNegativeOptions options, double[]? warmStart, int? coldIterations)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        ArgumentNullException.ThrowIfNull(options);
        var (count, dimension) = ValidateShape(embeddings, options.Layout);
        float[] host = CopyToHost(embeddings);

        var layout = options.Layout == NegativeLayout.TwoView
            ? BatchLayout.TwoView((int)(count / 2))
            : BatchLayout.Unpaired((int)count);
        // Validates finiteness and zero rows, naming "embeddings" in the exception.
        var geometry = new PointCloudGeometry(host, (int)count, (int)dimension, options.Cost, layout);
        var problem = new EntropicProblem(geometry, options.Epsilon);
        var coupling = Solver.Solve(problem, options.ToSinkhornOptions(warmStart));

        double[] conditional = coupling.ConditionalMatrix();
        var weights = torch.tensor(Array.ConvertAll(conditional, v => (float)v), new[] { count, count });
        var diagnostics = new OtSolveDiagnostics(coupling.Iterations, coupling.MarginalError, coupling.Converged,
            coupling.Solver, WarmStarted: warmStart is not null, ColdIterations: coldIterations ?? coupling.Iterations);
        return (new OtNegativeWeightsResult(weights, diagnostics), coupling);
    }

    internal static (long Count, long Dimension) ValidateShape(Tensor embeddings, NegativeLayout layout)
    {
        if (embeddings.device_type == DeviceType.CUDA)
            throw new NotSupportedException(
                "OtNegativeWeights: CUDA tensors are not supported yet — the primary-context kernel path is not built " +
                "(TorchSharp CUDA is not available in this package registry). Move the embeddings to the CPU.");
        if (embeddings.device_type != DeviceType.CPU)
            throw new ArgumentException($"embeddings are on {embeddings.device}; only CPU tensors are supported.", nameof(embeddings));
        if (embeddings.dim() != 2)
            throw new ArgumentException(
                $"embeddings must be a 2-D tensor N×d, got {embeddings.dim()}-D shape [{string.Join(", ", embeddings.shape)}].",
                nameof(embeddings));
        if (embeddings.dtype is not (ScalarType.Float32 or ScalarType.Float16 or ScalarType.BFloat16))
            throw new ArgumentException($"embeddings have dtype {embeddings.dtype}; expected float32, float16 or bfloat16.", nameof(embeddings));
        long count = embeddings.shape[0], dimension = embeddings.shape[1];
        if (dimension < 1)
            throw new ArgumentException("embeddings have dimension d = 0.", nameof(embeddings));
        if (layout == NegativeLayout.TwoView && (count % 2 != 0 || count < 4))
            throw new ArgumentException(
                $"embeddings have {count} rows; the two-view layout needs an even count 2B ≥ 4 ([view 1; view 2]).", nameof(embeddings));
        if (layout == NegativeLayout.Unpaired && count < 3)
            throw new ArgumentException($"embeddings have {count} rows; the unpaired layout needs at least 3.", nameof(embeddings));
        if (count > CpuSinkhorn.MaxCount)
            throw new ArgumentException($"embeddings have {count} rows; the CPU solver handles at most {CpuSinkhorn.MaxCount}.", nameof(embeddings));
        return (count, dimension);
    }

    // The single host copy: float32 contiguous on the device (a no-op view when it already is), then one managed array.
    private static float[] CopyToHost(Tensor embeddings)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var flat = embeddings.detach().to_type(ScalarType.Float32).contiguous();
        return flat.data<float>().ToArray();
    }
}
