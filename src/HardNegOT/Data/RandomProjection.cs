using System.Numerics.Tensors;

namespace HardNegOT.Data;

/// <summary>
/// A fixed Gaussian random projection R^in → R^out (Johnson–Lindenstrauss): entries drawn i.i.d. from N(0, 1/out)
/// with a seeded generator, so squared norms and inner products are preserved in expectation and the same seed
/// always gives the same matrix. A cheap, training-free embedding for raw images.
/// </summary>
public sealed class RandomProjection
{
    private readonly float[] _matrix;

    /// <summary>Draws the <paramref name="outputDimension"/> × <paramref name="inputDimension"/> matrix from <paramref name="seed"/>.</summary>
    /// <param name="inputDimension">Dimension of the vectors to project (784 for Fashion-MNIST pixels).</param>
    /// <param name="outputDimension">Dimension of the embeddings.</param>
    /// <param name="seed">Seed of the matrix entries.</param>
    public RandomProjection(int inputDimension, int outputDimension, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputDimension);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outputDimension);
        if ((long)inputDimension * outputDimension > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(outputDimension), outputDimension, "The projection matrix would not fit in one array.");
        InputDimension = inputDimension;
        OutputDimension = outputDimension;
        Seed = seed;
        _matrix = new float[inputDimension * outputDimension];
        var random = new Random(seed);
        double scale = 1.0 / Math.Sqrt(outputDimension);
        // Box–Muller in double; 1 − U keeps the logarithm's argument in (0, 1].
        for (int k = 0; k < _matrix.Length; k++)
        {
            double radius = Math.Sqrt(-2.0 * Math.Log(1.0 - random.NextDouble()));
            _matrix[k] = (float)(scale * radius * Math.Cos(2.0 * Math.PI * random.NextDouble()));
        }
    }

    /// <summary>Dimension of the input vectors.</summary>
    public int InputDimension { get; }

    /// <summary>Dimension of the projected vectors.</summary>
    public int OutputDimension { get; }

    /// <summary>The seed the matrix was drawn from.</summary>
    public int Seed { get; }

    /// <summary>The projection matrix, <see cref="OutputDimension"/> × <see cref="InputDimension"/> row-major.</summary>
    public ReadOnlySpan<float> Matrix => _matrix;

    /// <summary>Writes R·<paramref name="input"/> to <paramref name="output"/>.</summary>
    /// <param name="input">A vector of <see cref="InputDimension"/> values.</param>
    /// <param name="output">Receives <see cref="OutputDimension"/> values.</param>
    public void Project(ReadOnlySpan<float> input, Span<float> output)
    {
        if (input.Length != InputDimension)
            throw new ArgumentException($"input has {input.Length} values, expected {InputDimension}.", nameof(input));
        if (output.Length != OutputDimension)
            throw new ArgumentException($"output has {output.Length} values, expected {OutputDimension}.", nameof(output));
        for (int k = 0; k < OutputDimension; k++)
            output[k] = TensorPrimitives.Dot(_matrix.AsSpan(k * InputDimension, InputDimension), input);
    }

    /// <summary>Projects each of the <paramref name="count"/> rows of a row-major matrix.</summary>
    /// <param name="rows">count × <see cref="InputDimension"/> values, row-major.</param>
    /// <param name="count">Number of rows.</param>
    /// <returns>count × <see cref="OutputDimension"/> values, row-major.</returns>
    public float[] ProjectRows(ReadOnlySpan<float> rows, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if ((long)count * InputDimension != rows.Length)
            throw new ArgumentException($"rows has {rows.Length} values, expected {count}×{InputDimension}.", nameof(rows));
        var result = new float[(long)count * OutputDimension];
        for (int i = 0; i < count; i++)
            Project(rows.Slice(i * InputDimension, InputDimension), result.AsSpan(i * OutputDimension, OutputDimension));
        return result;
    }
}
