using HardNegOT.Geometry;
using HardNegOT.Numerics;

namespace HardNegOT.Couplings;

/// <summary>
/// HCL's closed-form negative distribution (Robinson et al.): for anchor i, weights ∝ e^{β s_ij}
/// over the unmasked j. Kept beside the OT plan for comparison.
/// </summary>
public static class HclWeights
{
    /// <summary>Writes anchor <paramref name="i"/>'s HCL conditional row (sums to 1, masked entries exactly 0).</summary>
    public static void ConditionalRow(PointCloudGeometry geometry, double beta, int i, Span<double> destination)
    {
        ArgumentNullException.ThrowIfNull(geometry);
        if (!double.IsFinite(beta))
            throw new ArgumentOutOfRangeException(nameof(beta), beta, "β must be finite.");
        if (destination.Length != geometry.Count)
            throw new ArgumentException($"destination has length {destination.Length}, expected N = {geometry.Count}.", nameof(destination));
        for (int j = 0; j < geometry.Count; j++)
            destination[j] = geometry.IsMasked(i, j) ? double.NegativeInfinity : beta * geometry.Similarity(i, j);
        LogSumExp.Softmax(destination, destination);
    }

    /// <summary>All HCL conditional rows as a row-major N×N matrix.</summary>
    public static double[] ConditionalMatrix(PointCloudGeometry geometry, double beta)
    {
        ArgumentNullException.ThrowIfNull(geometry);
        int n = geometry.Count;
        var w = new double[(long)n * n];
        for (int i = 0; i < n; i++) ConditionalRow(geometry, beta, i, w.AsSpan(i * n, n));
        return w;
    }
}
