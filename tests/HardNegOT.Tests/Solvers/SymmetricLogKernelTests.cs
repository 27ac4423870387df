using FsCheck.Xunit;
using HardNegOT.Numerics;
using HardNegOT.Problems;
using HardNegOT.Solvers;
using HardNegOT.Testing;
using HardNegOT.Tests.Support;

namespace HardNegOT.Tests.Solvers;

/// <summary>
/// The CPU solver's single-sweep half-step against a double-precision twin, over a sequence of passes
/// that exercises its cold start, its warm shift, and its fallback when potentials jump.
/// </summary>
[Properties(Arbitrary = [typeof(SphereArbitraries)], MaxTest = 40)]
public class SymmetricLogKernelTests
{
    [Property]
    public void Every_pass_matches_the_double_half_step(SphereBatch batch)
    {
        var problem = TestProblems.For(batch, epsilon: TestProblems.SmallEpsilons[batch.Seed % TestProblems.SmallEpsilons.Length]);
        var kernel = SymmetricLogKernel.Build(problem);
        int n = batch.Count;
        var rng = new Random(batch.Seed);
        var logMarginal = Enumerable.Repeat(-Math.Log(n), n).ToArray();
        var potential = new double[n];
        for (int k = 0; k < n; k++) potential[k] = rng.NextDouble() - 0.5;

        // Cold pass; warm passes with small moves; a jump of 100ε on some entries that the warm shift
        // cannot absorb (exp(100) overflows float), then a fall of 100ε.
        double[] jumps = [0, 0.01, 0.01, 100, -100, 0.001];
        foreach (double jump in jumps)
        {
            for (int k = 0; k < n; k++)
                potential[k] += jump == 0.01 || jump == 0.001 ? jump * (rng.NextDouble() - 0.5) : (k % 3 == 0 ? jump * problem.Epsilon : 0);
            var output = new double[n];
            kernel.HalfStep(potential, logMarginal, output);
            var expected = ReferenceHalfStep(problem, potential, logMarginal);
            for (int r = 0; r < n; r++)
            {
                // Float32 K carries ~6e-8·C/ε relative rounding in each exponent, and the sum ~1e-6.
                double allowed = 1e-5 * (1 + Math.Abs(expected[r])) + 2e-6 * problem.Epsilon * (1 + problem.Geometry.Cost.MaximumCost / problem.Epsilon);
                Assert.True(Math.Abs(output[r] - expected[r]) <= allowed,
                    $"{batch}, jump {jump}, row {r}: {output[r]} vs double {expected[r]}");
            }
        }
    }

    [Property(MaxTest = 10)]
    public void A_row_whose_columns_all_carry_zero_mass_gives_infinity_not_NaN(SphereBatch batch)
    {
        var problem = TestProblems.For(batch, epsilon: 0.5);
        var kernel = SymmetricLogKernel.Build(problem);
        int n = batch.Count;
        var potential = new double[n];
        var logMarginal = Enumerable.Repeat(double.NegativeInfinity, n).ToArray();
        var output = new double[n];
        kernel.HalfStep(potential, logMarginal, output);
        Assert.All(output, v => Assert.Equal(double.PositiveInfinity, v));
    }

    private static double[] ReferenceHalfStep(EntropicProblem problem, double[] potential, double[] logMarginal)
    {
        int n = problem.Count;
        var output = new double[n];
        var terms = new double[n];
        for (int r = 0; r < n; r++)
        {
            for (int k = 0; k < n; k++) terms[k] = (potential[k] - problem.Geometry.CostOrInfinity(r, k)) / problem.Epsilon + logMarginal[k];
            output[r] = -problem.Epsilon * LogSumExp.Of(terms);
        }
        return output;
    }
}
