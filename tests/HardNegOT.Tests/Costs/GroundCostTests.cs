using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using HardNegOT.Costs;

namespace HardNegOT.Tests.Costs;

public class GroundCostTests
{
    private static readonly GroundCost[] Costs =
    [
        new SquaredEuclideanCost(),
        new SquaredEuclideanCost(0.5),
        new SquaredEuclideanCost(3.7),
        new ExponentialCost(),
        new ExponentialCost(0.3),
        new ExponentialCost(-2),
        new ExponentialCost(6),
        new CosineCost(),
    ];

    /// <summary>Similarities in [−1, 1] with the endpoints and 0 over-represented; lengths cross every vector width's remainder.</summary>
    private static Arbitrary<(GroundCost Cost, double[] Similarities)> Cases() =>
        (from cost in Gen.Elements(Costs)
         from length in Gen.Choose(0, 70)
         from similarities in Gen.Frequency(
                 (6, Gen.Choose(-1_000_000, 1_000_000).Select(k => k / 1e6)),
                 (1, Gen.Elements(-1.0, 0.0, 1.0, -0.999999, 0.999999)))
             .ArrayOf(length)
         select (cost, similarities)).ToArbitrary();

    // Float32 evaluation: the similarity itself rounds (2^-24 relative) and exp adds a few ulps.
    private static bool Close(double expected, double actual) =>
        Math.Abs(expected - actual) <= 1e-6 + 2e-6 * Math.Abs(expected);

    [Property(MaxTest = 300)]
    public Property Double_float_and_span_forms_agree() => Prop.ForAll(Cases(), c =>
    {
        var (cost, s) = c;
        var single = Array.ConvertAll(s, v => (float)v);
        var span = new float[s.Length];
        cost.FromSimilarity(single, span);
        var inPlace = (float[])single.Clone();
        cost.FromSimilarity(inPlace, inPlace);
        for (int k = 0; k < s.Length; k++)
        {
            double exact = cost.FromSimilarity(s[k]);
            float scalar = cost.FromSimilarity(single[k]);
            if (!(double.IsFinite(exact) && exact >= 0)) Assert.Fail($"{cost}: c({s[k]:R}) = {exact:R}");
            if (!Close(exact, scalar)) Assert.Fail($"{cost}: double c({s[k]:R}) = {exact:R}, float {scalar:R}");
            if (!Close(exact, span[k])) Assert.Fail($"{cost}: double c({s[k]:R}) = {exact:R}, span[{k}] of {s.Length} = {span[k]:R}");
            if (!Close(scalar, span[k])) Assert.Fail($"{cost}: float c({s[k]:R}) = {scalar:R}, span[{k}] of {s.Length} = {span[k]:R}");
            Assert.Equal(span[k], inPlace[k]);
        }
    });

    [Property(MaxTest = 100)]
    public Property Every_cost_decreases_with_similarity() => Prop.ForAll(Cases(), c =>
    {
        var (cost, s) = c;
        var sorted = s.Distinct().Order().ToArray();
        for (int k = 1; k < sorted.Length; k++)
            if (!(cost.FromSimilarity(sorted[k]) < cost.FromSimilarity(sorted[k - 1])))
                Assert.Fail($"{cost}: c({sorted[k]:R}) is not below c({sorted[k - 1]:R})");
    });

    [Fact]
    public void Hand_values()
    {
        Assert.Equal(2.0, new SquaredEuclideanCost().FromSimilarity(0.0));
        Assert.Equal(2f, new SquaredEuclideanCost().FromSimilarity(0f));
        Assert.Equal(4.0, new SquaredEuclideanCost().FromSimilarity(-1.0));
        Assert.Equal(0.0, new SquaredEuclideanCost().FromSimilarity(1.0));
        Assert.Equal(1.0, new SquaredEuclideanCost(0.5).FromSimilarity(0.0));
        Assert.Equal(1f, new SquaredEuclideanCost(0.5).FromSimilarity(0f));
        Assert.Equal(Math.Exp(-1), new ExponentialCost(1).FromSimilarity(1.0));
        Assert.Equal(MathF.Exp(-1f), new ExponentialCost(1).FromSimilarity(1f), 1e-7f);
        Assert.Equal(Math.Exp(3), new ExponentialCost(1).FromSimilarity(-1.0), 1e-12);
        Assert.Equal(Math.Exp(2), new ExponentialCost(0).FromSimilarity(0.0), 1e-12);
        Assert.Equal(2.0, new CosineCost().FromSimilarity(-1.0));
        Assert.Equal(2f, new CosineCost().FromSimilarity(-1f));
        Assert.Equal(0.0, new CosineCost().FromSimilarity(1.0));
        Assert.Equal(0.75, new CosineCost().FromSimilarity(0.25));

        float[] s = [0f, 1f, -1f];
        var d = new float[3];
        new SquaredEuclideanCost(0.5).FromSimilarity(s, d);
        Assert.Equal(new[] { 1f, 0f, 2f }, d);
        new CosineCost().FromSimilarity(s, d);
        Assert.Equal(new[] { 1f, 0f, 2f }, d);
        new ExponentialCost(1).FromSimilarity(s, d);
        Assert.Equal(Math.E, d[0], 1e-6);
        Assert.Equal(Math.Exp(-1), d[1], 1e-7);
        Assert.Equal(Math.Exp(3), d[2], 1e-5);
    }

    [Fact]
    public void Affine_flags_match_the_shape_of_each_cost()
    {
        Assert.True(new SquaredEuclideanCost().IsAffineInSimilarity);
        Assert.True(new SquaredEuclideanCost(0.5).IsAffineInSimilarity);
        Assert.True(new CosineCost().IsAffineInSimilarity);
        Assert.False(new ExponentialCost().IsAffineInSimilarity);

        // The flag must describe the function: affine costs interpolate linearly between s = −1 and s = 1, exp does not.
        foreach (var cost in Costs)
        {
            double lo = cost.FromSimilarity(-1.0), hi = cost.FromSimilarity(1.0);
            double worst = 0; // deviation from the chord, relative to the cost's range
            foreach (var s in new[] { -0.7, -0.2, 0.0, 0.4, 0.9 })
                worst = Math.Max(worst, Math.Abs(cost.FromSimilarity(s) - (lo + (hi - lo) * (s + 1) / 2)) / (lo - hi));
            if (cost.IsAffineInSimilarity)
                Assert.True(worst <= 1e-12, $"{cost} claims to be affine but deviates by {worst}");
            else
                Assert.True(worst > 0.1, $"{cost} claims not to be affine but deviates by only {worst}");
        }
    }

    [Fact]
    public void Parse_maps_each_name_to_its_cost()
    {
        var sq = Assert.IsType<SquaredEuclideanCost>(GroundCost.Parse("sqeuclid"));
        Assert.Equal(1.0, sq.Scale);
        var half = Assert.IsType<SquaredEuclideanCost>(GroundCost.Parse("sqeuclid-half"));
        Assert.Equal(0.5, half.Scale);
        var exp = Assert.IsType<ExponentialCost>(GroundCost.Parse("exp"));
        Assert.Equal(ExponentialCost.DefaultKappa, exp.Kappa);
        Assert.Equal(1.0, ExponentialCost.DefaultKappa);
        Assert.Equal(2.5, Assert.IsType<ExponentialCost>(GroundCost.Parse("exp", kappa: 2.5)).Kappa);
        Assert.Equal(-0.5, Assert.IsType<ExponentialCost>(GroundCost.Parse("exp", -0.5)).Kappa);
        Assert.IsType<CosineCost>(GroundCost.Parse("cosine"));
        // κ only matters for exp.
        Assert.Equal(0.5, Assert.IsType<SquaredEuclideanCost>(GroundCost.Parse("sqeuclid-half", kappa: 9)).Scale);
        // Costs are records: equal parameters compare equal, so parsed costs can be compared to constructed ones.
        Assert.Equal(new ExponentialCost(2.5), GroundCost.Parse("exp", 2.5));
        Assert.NotEqual(new ExponentialCost(2.5), GroundCost.Parse("exp"));
        Assert.Equal(new SquaredEuclideanCost(0.5), GroundCost.Parse("sqeuclid-half"));
    }
}
