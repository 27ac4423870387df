using System.Buffers;
using System.Numerics.Tensors;
using HardNegOT.Couplings;
using HardNegOT.Numerics;
using HardNegOT.Problems;

namespace HardNegOT.Solvers;

/// <summary>
/// Fast CPU log-domain Sinkhorn: float32, vectorised with <see cref="TensorPrimitives"/>, rows in
/// parallel. The log-kernel −C/ε is built once (N² floats) and, because the self-coupling cost is
/// symmetric, both half-steps read it row by row.
/// </summary>
public sealed class CpuSinkhorn : ISinkhornSolver
{
    /// <summary>Largest N whose N² log-kernel this solver will materialise (4 GiB of floats).</summary>
    public const int MaxCount = 32_768;

    /// <inheritdoc />
    public string Name => "cpu";

    /// <inheritdoc />
    public Coupling Solve(EntropicProblem problem, SinkhornOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(problem);
        options ??= SinkhornOptions.Fast;
        int n = problem.Count;
        if (n > MaxCount)
            throw new ArgumentOutOfRangeException(nameof(problem), n,
                $"The CPU solver materialises N² floats; N = {n} exceeds {MaxCount}. Use the kernel solver.");
        SinglePrecision.RequireResolvable(problem, Name);
        float[] logKernel = BuildLogKernel(problem);
        var shifted = new float[n];
        double eps = problem.Epsilon;
        return SinkhornDriver.Run(problem, options,
            (potential, logMarginal, output) => HalfStep(logKernel, n, eps, potential, logMarginal, shifted, output), Name);
    }

    /// <summary>
    /// One half-step: output_r = −ε·LSE_k(K_rk + potential_k/ε + logMarginal_k) for every row r, where
    /// K = −C/ε is symmetric so the column update reads rows too.
    /// </summary>
    private static void HalfStep(float[] logKernel, int n, double eps, double[] potential, double[] logMarginal,
        float[] shifted, double[] output)
    {
        for (int k = 0; k < n; k++) shifted[k] = (float)(potential[k] / eps + logMarginal[k]);
        Parallel.ForEach(RowRanges(n), range =>
        {
            var buffer = ArrayPool<float>.Shared.Rent(n);
            var terms = buffer.AsSpan(0, n);
            for (int r = range.Start; r < range.End; r++)
            {
                TensorPrimitives.Add(logKernel.AsSpan(r * n, n), shifted, terms);
                float max = TensorPrimitives.Max(terms);
                TensorPrimitives.Subtract(terms, max, terms);
                TensorPrimitives.Exp(terms, terms);
                output[r] = -eps * (max + Math.Log(TensorPrimitives.Sum(terms)));
            }
            ArrayPool<float>.Shared.Return(buffer);
        });
    }

    /// <summary>K_ij = −C_ij/ε in float32, −∞ for masked pairs; exactly symmetric.</summary>
    private static float[] BuildLogKernel(EntropicProblem problem)
    {
        var geometry = problem.Geometry;
        int n = geometry.Count;
        var kernel = new float[(long)n * n];
        GramMatrix.Compute(geometry.PointsSingle, n, geometry.Dimension, kernel);
        float negativeInverseEps = (float)(-1.0 / problem.Epsilon);
        Parallel.ForEach(RowRanges(n), range =>
        {
            for (int i = range.Start; i < range.End; i++)
            {
                var row = kernel.AsSpan(i * n, n);
                // Rounding can put s a hair outside [−1, 1]; the costs assume it does not.
                TensorPrimitives.Min(row, 1f, row);
                TensorPrimitives.Max(row, -1f, row);
                geometry.Cost.FromSimilarity(row, row);
                TensorPrimitives.Multiply(row, negativeInverseEps, row);
                foreach (int j in geometry.Layout.MaskedColumns(i)) row[j] = float.NegativeInfinity;
            }
        });
        return kernel;
    }

    // Contiguous chunks of rows: a few per core keeps the load balanced without per-row scheduling.
    private static IEnumerable<(int Start, int End)> RowRanges(int n)
    {
        int chunks = Math.Min(n, Environment.ProcessorCount * 4);
        for (int c = 0; c < chunks; c++)
            yield return ((int)((long)n * c / chunks), (int)((long)n * (c + 1) / chunks));
    }
}

