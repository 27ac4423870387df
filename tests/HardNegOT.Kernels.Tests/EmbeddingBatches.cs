using FsCheck;
using FsCheck.Fluent;

namespace HardNegOT.Kernels.Tests;

/// <summary>
/// A row-major N×d float32 batch plus the anchors to query, with a readable recipe so a failing
/// FsCheck case says what kind of rows it contained.
/// </summary>
public sealed record EmbeddingBatch(int N, int D, float[] Values, int Anchor, int BlockStart, int BlockCount, string Recipe)
{
    public override string ToString() =>
        $"N={N}, d={D}, anchor={Anchor}, block=[{BlockStart}, +{BlockCount}), rows: {Recipe}";
}

/// <summary>FsCheck generators for <see cref="EmbeddingBatch"/>; register with <c>Arbitrary = new[] { typeof(EmbeddingBatches) }</c>.</summary>
public static class EmbeddingBatches
{
    public const int MaxN = 64;
    public const int MaxD = 48;

    private enum RowKind { Free, Clustered, Duplicate, Antipodal, OneHot }

    private sealed record RowPlan(RowKind Kind, float[] Fresh, float[] Noise, int Other, int Exponent);

    public static Arbitrary<EmbeddingBatch> Batch() => Arb.From(BatchGen());

    public static Gen<EmbeddingBatch> BatchGen() =>
        from n in Gen.Choose(1, MaxN)
        from d in Gen.Choose(1, MaxD)
        from centres in Gen.ArrayOf(Vector(d), 3)
        from plans in Gen.ArrayOf(Plan(d), n)
        from anchor in Gen.Choose(0, n - 1)
        from blockStart in Gen.Choose(0, n - 1)
        from blockCount in Gen.Choose(1, Math.Min(8, n - blockStart))
        select Assemble(n, d, centres, plans, anchor, blockStart, blockCount);

    // Uniform in [-1, 1] on a 1e-6 grid, with exact zeros now and then so sparse rows occur.
    private static Gen<float> Entry() =>
        Gen.Frequency(
            (8, Gen.Choose(-1_000_000, 1_000_000).Select(i => i / 1_000_000f)),
            (1, Gen.Constant(0f)));

    private static Gen<float[]> Vector(int d) => Gen.ArrayOf(Entry(), d);

    private static Gen<RowPlan> Plan(int d) =>
        from kind in Gen.Frequency(
            (4, Gen.Constant(RowKind.Free)),
            (3, Gen.Constant(RowKind.Clustered)),
            (2, Gen.Constant(RowKind.Duplicate)),
            (1, Gen.Constant(RowKind.Antipodal)),
            (1, Gen.Constant(RowKind.OneHot)))
        from fresh in Vector(d)
        from noise in Vector(d)
        from other in Gen.Choose(0, MaxN - 1)
        // Half the rows are rescaled by 10^e, |e| ≤ 30: squares of 1e20-sized entries overflow float32
        // and squares of 1e-20-sized ones underflow, so a kernel without max-abs scaling fails here.
        from exponent in Gen.Frequency(
            (1, Gen.Constant(0)),
            (1, Gen.Choose(-30, 30)))
        select new RowPlan(kind, fresh, noise, other, exponent);

    private static EmbeddingBatch Assemble(
        int n, int d, float[][] centres, RowPlan[] plans, int anchor, int blockStart, int blockCount)
    {
        var values = new float[n * d];
        var recipe = new List<string>(n);
        for (int i = 0; i < n; i++)
        {
            var plan = plans[i];
            var row = values.AsSpan(i * d, d);
            int other = i == 0 ? 0 : plan.Other % i;
            string label;
            switch (plan.Kind)
            {
                case RowKind.Clustered:
                    // A tight cluster: near-duplicate directions with cosines close to 1.
                    var centre = centres[plan.Other % centres.Length];
                    for (int k = 0; k < d; k++) row[k] = centre[k] + 1e-3f * plan.Noise[k];
                    label = $"cluster{plan.Other % centres.Length}";
                    break;
                case RowKind.Duplicate when i > 0:
                    values.AsSpan(other * d, d).CopyTo(row);
                    label = $"dup{other}";
                    break;
                case RowKind.Antipodal when i > 0:
                    for (int k = 0; k < d; k++) row[k] = -values[other * d + k];
                    label = $"neg{other}";
                    break;
                case RowKind.OneHot:
                    row[plan.Other % d] = plan.Fresh[0] == 0f ? 1f : plan.Fresh[0];
                    label = $"e{plan.Other % d}";
                    break;
                default:
                    plan.Fresh.CopyTo(row);
                    label = "free";
                    break;
            }

            if (row.IndexOfAnyExcept(0f) < 0)
            {
                row[i % d] = 1f; // the kernels' contract excludes zero rows; those are tested separately
                label += "+fix";
            }

            // Duplicates and antipodes copy an already-scaled row, so they keep its magnitude.
            if (plan.Exponent != 0 && plan.Kind is not (RowKind.Duplicate or RowKind.Antipodal))
            {
                float scale = (float)Math.Pow(10, plan.Exponent);
                for (int k = 0; k < d; k++) row[k] *= scale;
                label += $"·1e{plan.Exponent}";
                if (row.IndexOfAnyExcept(0f) < 0)
                {
                    row[i % d] = scale; // everything underflowed; keep the row non-zero at this scale
                    label += "+fix";
                }
            }
            recipe.Add(label);
        }
        return new EmbeddingBatch(n, d, values, anchor, blockStart, blockCount, string.Join(" ", recipe));
    }
}
