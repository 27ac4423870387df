using FsCheck;
using FsCheck.Fluent;
using HardNegOT.Assignment;

namespace HardNegOT.Tests.Assignment;

/// <summary>The kinds of cost matrix the assignment properties run over.</summary>
public enum CostKind
{
    /// <summary>Uniform reals in [−5, 5].</summary>
    UniformSigned,
    /// <summary>Integers in [−2, 2]: many ties and many optimal matchings.</summary>
    SmallIntegers,
    /// <summary>Every entry equal: every permutation is optimal.</summary>
    Constant,
    /// <summary>Squared Euclidean distances between two random point clouds on the unit sphere in R³ (values in [0, 4]).</summary>
    Sphere,
    /// <summary>Uniform reals around 1e6 with spread 1e3: large offsets stress the rounding of potentials.</summary>
    LargeOffset,
}

/// <summary>A reproducible n×n cost matrix: the entries follow from (Kind, N, Seed), which <see cref="ToString"/> prints.</summary>
public sealed record CostCase(CostKind Kind, int N, int Seed)
{
    /// <summary>Row-major n×n costs.</summary>
    public double[] Cost { get; } = CostMatrices.Make(Kind, N, Seed);

    /// <summary>max − min of the entries (0 for n = 0).</summary>
    public double Range => Cost.Length == 0 ? 0 : Cost.Max() - Cost.Min();

    /// <inheritdoc />
    public override string ToString() => $"CostCase({Kind}, n={N}, seed={Seed})";
}

/// <summary>Cost matrices, brute-force optima and checks shared by the assignment tests.</summary>
public static class CostMatrices
{
    /// <summary>FsCheck generator of cases with n in [<paramref name="minN"/>, <paramref name="maxN"/>].</summary>
    public static Gen<CostCase> Gen(int minN, int maxN) =>
        from kind in FsCheck.Fluent.Gen.Elements(Enum.GetValues<CostKind>())
        from n in FsCheck.Fluent.Gen.Choose(minN, maxN)
        from seed in FsCheck.Fluent.Gen.Choose(0, int.MaxValue - 1)
        select new CostCase(kind, n, seed);

    public static double[] Make(CostKind kind, int n, int seed)
    {
        var rng = new Random(seed);
        var cost = new double[n * n];
        switch (kind)
        {
            case CostKind.UniformSigned:
                for (int k = 0; k < cost.Length; k++) cost[k] = -5 + 10 * rng.NextDouble();
                break;
            case CostKind.SmallIntegers:
                for (int k = 0; k < cost.Length; k++) cost[k] = rng.Next(-2, 3);
                break;
            case CostKind.Constant:
                Array.Fill(cost, rng.Next(-3, 4) + 0.25);
                break;
            case CostKind.Sphere:
                SphereSquaredEuclidean(n, 3, rng).CopyTo(cost, 0);
                break;
            case CostKind.LargeOffset:
                for (int k = 0; k < cost.Length; k++) cost[k] = 1e6 + 1e3 * rng.NextDouble();
                break;
        }

        return cost;
    }

    /// <summary>‖x_i − y_j‖² for two independent clouds of n uniform points on the unit sphere in R^d.</summary>
    public static double[] SphereSquaredEuclidean(int n, int d, Random rng)
    {
        double[] Cloud()
        {
            var x = new double[n * d];
            for (int i = 0; i < n; i++)
            {
                double norm = 0;
                for (int k = 0; k < d; k++)
                {
                    double g = Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
                    x[i * d + k] = g;
                    norm += g * g;
                }

                norm = Math.Sqrt(norm);
                for (int k = 0; k < d; k++) x[i * d + k] /= norm;
            }

            return x;
        }

        var a = Cloud();
        var b = Cloud();
        var cost = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int k = 0; k < d; k++)
                {
                    double t = a[i * d + k] - b[j * d + k];
                    s += t * t;
                }

                cost[i * n + j] = s;
            }

        return cost;
    }

    /// <summary>The minimum total cost over all n! permutations (Heap's algorithm); n ≤ 9.</summary>
    public static double BruteForceOptimum(double[] cost, int n)
    {
        if (n == 0) return 0;
        var perm = Enumerable.Range(0, n).ToArray();
        var counters = new int[n];
        double best = Total(cost, n, perm);
        int i = 1;
        while (i < n)
        {
            if (counters[i] < i)
            {
                int swap = i % 2 == 0 ? 0 : counters[i];
                (perm[swap], perm[i]) = (perm[i], perm[swap]);
                best = Math.Min(best, Total(cost, n, perm));
                counters[i]++;
                i = 1;
            }
            else
            {
                counters[i] = 0;
                i++;
            }
        }

        return best;
    }

    /// <summary>Σ_i C[i, perm[i]], summed independently of the solvers.</summary>
    public static double Total(double[] cost, int n, IReadOnlyList<int> perm)
    {
        double total = 0;
        for (int i = 0; i < n; i++) total += cost[i * n + perm[i]];
        return total;
    }

    /// <summary>Asserts that <paramref name="perm"/> is a permutation of 0..n−1.</summary>
    public static void AssertPermutation(IReadOnlyList<int> perm, int n, string context)
    {
        Assert.True(perm.Count == n, $"{context}: {perm.Count} entries, expected {n}");
        var seen = new bool[n];
        for (int i = 0; i < n; i++)
        {
            int j = perm[i];
            Assert.True(j >= 0 && j < n, $"{context}: row {i} → column {j} is out of range");
            Assert.False(seen[j], $"{context}: column {j} is used twice");
            seen[j] = true;
        }
    }

    /// <summary>
    /// Asserts u_i + v_j ≤ C_ij + tol everywhere and, when <paramref name="tight"/>, equality (within tol) on the matching;
    /// also that the reported total is the matching's cost and the dual bound is Σu + Σv.
    /// </summary>
    public static void AssertDuals(AssignmentResult result, double[] cost, int n, bool tight, double tolerance, string context)
    {
        var u = result.RowPotentials;
        var v = result.ColumnPotentials;
        Assert.Equal(n, u.Length);
        Assert.Equal(n, v.Length);
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double slack = cost[i * n + j] - u[i] - v[j];
                Assert.True(slack >= -tolerance, $"{context}: u[{i}] + v[{j}] exceeds C by {-slack:E3}");
            }

            if (tight)
            {
                int m = result.Permutation[i];
                double slack = cost[i * n + m] - u[i] - v[m];
                Assert.True(Math.Abs(slack) <= tolerance, $"{context}: matched ({i}, {m}) has slack {slack:E3}");
            }
        }

        double total = Total(cost, n, result.Permutation);
        Assert.True(Math.Abs(total - result.TotalCost) <= tolerance, $"{context}: reported total {result.TotalCost}, recomputed {total}");
        double bound = u.Sum() + v.Sum();
        Assert.True(Math.Abs(bound - result.DualBound) <= tolerance, $"{context}: reported dual bound {result.DualBound}, recomputed {bound}");
    }

    /// <summary>A rounding allowance for sums of n costs of this magnitude.</summary>
    public static double Tolerance(double[] cost, int n)
    {
        double scale = cost.Length == 0 ? 1 : Math.Max(1, cost.Max(Math.Abs));
        return 1e-12 * scale * Math.Max(1, n) * 8;
    }
}

/// <summary>Default arbitrary: n from 0 to 8, the sizes brute force can check.</summary>
public static class SmallCostArbitraries
{
    public static Arbitrary<CostCase> Cases() => Arb.From(CostMatrices.Gen(0, 8));
}

/// <summary>n from 1 to 80, for properties checked against the exact solver.</summary>
public static class MediumCostArbitraries
{
    public static Arbitrary<CostCase> Cases() => Arb.From(CostMatrices.Gen(1, 80));
}
