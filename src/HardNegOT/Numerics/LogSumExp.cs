namespace HardNegOT.Numerics;

/// <summary>Stabilised log Σ exp in double precision; −∞ terms (masked pairs) contribute nothing.</summary>
internal static class LogSumExp
{
    /// <summary>log Σ_k exp(values[k]); −∞ when every term is −∞.</summary>
    public static double Of(ReadOnlySpan<double> values)
    {
        double max = double.NegativeInfinity;
        foreach (var v in values) if (v > max) max = v;
        if (double.IsNegativeInfinity(max)) return double.NegativeInfinity;
        double sum = 0;
        foreach (var v in values) sum += Math.Exp(v - max);
        return max + Math.Log(sum);
    }

    /// <summary>Writes softmax(values) to <paramref name="destination"/>; −∞ entries get exactly 0.</summary>
    public static void Softmax(ReadOnlySpan<double> values, Span<double> destination)
    {
        double lse = Of(values);
        for (int k = 0; k < values.Length; k++)
            destination[k] = double.IsNegativeInfinity(values[k]) ? 0.0 : Math.Exp(values[k] - lse);
    }
}
