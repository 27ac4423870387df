using HardNegOT.Couplings;

namespace HardNegOT.Cli.Commands;

/// <summary>
/// How much of each anchor's negative weight P*(x⁻|x) lands on negatives that share the anchor's class label, against
/// the fraction a uniform choice among the unmasked negatives would give. On real data, hard negatives are more often
/// same-class look-alikes, so the plan's fraction is larger.
/// </summary>
internal sealed record SameLabelMass(double Plan, double Uniform)
{
    public static SameLabelMass Of(Coupling coupling, long[] labels)
    {
        var problem = coupling.Problem;
        var geometry = problem.Geometry;
        int n = problem.Count;
        if (labels.Length != n)
            throw new ArgumentException($"labels has {labels.Length} entries, expected N = {n}.", nameof(labels));
        double totalA = 0;
        foreach (var ai in problem.A) totalA += ai;

        var row = new double[n];
        double plan = 0, uniform = 0;
        for (int i = 0; i < n; i++)
        {
            coupling.ConditionalRow(i, row);
            double same = 0;
            int negatives = 0, sameNegatives = 0;
            for (int j = 0; j < n; j++)
            {
                if (geometry.IsMasked(i, j)) continue;
                negatives++;
                if (labels[j] != labels[i]) continue;
                sameNegatives++;
                same += row[j];
            }

            double weight = problem.A[i] / totalA;
            plan += weight * same;
            uniform += weight * sameNegatives / negatives;
        }

        return new SameLabelMass(plan, uniform);
    }
}
