namespace HardNegOT.Torch.Tests;

/// <summary>
/// Plain double-precision reference of the contrastive losses, written from the formulas (loops over
/// anchors and negatives), independent of the TorchSharp code under test.
/// </summary>
internal static class ContrastiveReference
{
    /// <summary>Rows of [z1; z2] normalised; anchor i's positive is (i + B) mod 2B.</summary>
    public static double[][] Normalized(double[][] z1, double[][] z2)
    {
        var rows = z1.Concat(z2).ToArray();
        return rows.Select(r =>
        {
            double norm = Math.Sqrt(r.Sum(v => v * v));
            return r.Select(v => v / norm).ToArray();
        }).ToArray();
    }

    public static double Dot(double[] x, double[] y) => x.Zip(y, (a, b) => a * b).Sum();

    public static int Positive(int i, int b) => (i + b) % (2 * b);

    public static IEnumerable<int> Negatives(int i, int b) =>
        Enumerable.Range(0, 2 * b).Where(j => j != i && j != Positive(i, b));

    /// <summary>Mean over anchors of −log(pos/(pos + Ng_i)), with Ng_i from a per-anchor function of (pos, negs list (j, neg_ij)).</summary>
    public static double Nce(double[][] z1, double[][] z2, double t, Func<int, double, List<(int J, double Neg, double S)>, double> ng)
    {
        var x = Normalized(z1, z2);
        int b = z1.Length;
        double total = 0;
        for (int i = 0; i < 2 * b; i++)
        {
            double pos = Math.Exp(Dot(x[i], x[Positive(i, b)]) / t);
            var negs = Negatives(i, b).Select(j => (j, Math.Exp(Dot(x[i], x[j]) / t), Dot(x[i], x[j]))).ToList();
            total += -Math.Log(pos / (pos + ng(i, pos, negs)));
        }
        return total / (2 * b);
    }

    public static double InfoNce(double[][] z1, double[][] z2, double t) =>
        Nce(z1, z2, t, (_, _, negs) => negs.Sum(n => n.Neg));

    public static double Debiased(double[][] z1, double[][] z2, double t, double tau)
    {
        int n = 2 * z1.Length - 2;
        return Nce(z1, z2, t, (_, pos, negs) =>
            Math.Max((-tau * n * pos + negs.Sum(q => q.Neg)) / (1 - tau), n * Math.Exp(-1 / t)));
    }

    public static double Hcl(double[][] z1, double[][] z2, double t, double beta, double tau)
    {
        int n = 2 * z1.Length - 2;
        return Nce(z1, z2, t, (_, pos, negs) =>
        {
            var imp = negs.Select(q => Math.Exp(beta * Math.Log(q.Neg))).ToArray();
            double reweight = negs.Select((q, k) => imp[k] * q.Neg).Sum() / imp.Average();
            return Math.Max((-tau * n * pos + reweight) / (1 - tau), n * Math.Exp(-1 / t));
        });
    }

    public static double OtNce(double[][] z1, double[][] z2, double t, double tau, double[,] w)
    {
        int n = 2 * z1.Length - 2;
        return Nce(z1, z2, t, (i, pos, negs) =>
            Math.Max((-tau * n * pos + n * negs.Sum(q => w[i, q.J] * q.Neg)) / (1 - tau), n * Math.Exp(-1 / t)));
    }

    /// <summary>
    /// BCL from its definition: u = rank of neg_ij among anchor i's negatives / N; c solves A c² + B c = u by the
    /// quadratic formula (or c = u when A = 0); ω from the densities; Ng = N Σ w ω neg (w uniform when null).
    /// </summary>
    public static double Bcl(double[][] z1, double[][] z2, double t, double tau, double alpha, double beta, double[,]? w = null)
    {
        int n = 2 * z1.Length - 2;
        double tm = 1 - tau;
        double qa = (1 - 2 * alpha) * (tm - tau), qb = 2 * (alpha * tm + (1 - alpha) * tau);
        return Nce(z1, z2, t, (i, _, negs) => negs.Sum(q =>
        {
            double u = negs.Count(o => o.S <= q.S) / (double)n;
            double c = qa == 0 ? u / qb : (-qb + Math.Sqrt(qb * qb + 4 * qa * u)) / (2 * qa);
            double p1 = 2 * (1 - c), p2 = 2 * c;
            double tn = alpha * p1 + (1 - alpha) * p2, fn = (1 - alpha) * p1 + alpha * p2;
            double htn = (alpha * (1 - beta) * p1 + (1 - alpha) * beta * p2) / (alpha * (1 - beta) + (1 - alpha) * beta);
            double omega = htn / (tm * tn + tau * fn);
            double weight = w is null ? 1.0 / n : w[i, q.J];
            return n * weight * omega * q.Neg;
        }));
    }

    public static double Triplet(double[][] z1, double[][] z2, double margin, bool hardest)
    {
        var x = Normalized(z1, z2);
        int b = z1.Length;
        double total = 0;
        for (int i = 0; i < 2 * b; i++)
        {
            double dPos = 2 - 2 * Dot(x[i], x[Positive(i, b)]);
            var hinges = Negatives(i, b).Select(j => Math.Max(0, dPos - (2 - 2 * Dot(x[i], x[j])) + margin)).ToList();
            total += hardest
                ? Math.Max(0, dPos - Negatives(i, b).Min(j => 2 - 2 * Dot(x[i], x[j])) + margin)
                : hinges.Average();
        }
        return total / (2 * b);
    }
}
