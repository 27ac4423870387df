using FsCheck;
using FsCheck.Fluent;
using HardNegOT.Geometry;

namespace HardNegOT.Kernels.Tests;

/// <summary>
/// fp16 and bf16 inputs (widened on the device, float32 accumulation) must give what their exact float32 upcast
/// gives: normalised rows and fused half-steps, on ILGPU's CPU accelerator.
/// </summary>
[Collection(CpuAcceleratorCollection.Name)]
public sealed class HalfPrecisionTests(CpuAcceleratorFixture fixture)
{
    private const double Tolerance = 1e-6;

    private readonly KernelSinkhorn _solver = new(fixture.Session);

    /// <summary>N×d values on a 1e-3 grid in [−4, 4] (representable-ish in both formats), no all-zero row.</summary>
    private sealed record Batch(int N, int D, float[] Values, int Seed)
    {
        public override string ToString() => $"N={N}, d={D}, seed={Seed}";
    }

    private static Gen<Batch> Batches() =>
        from n in Gen.Choose(3, 24)
        from d in Gen.Choose(1, 20)
        from values in Gen.ArrayOf(Gen.Choose(-4000, 4000).Select(i => i / 1000f), n * d)
        from seed in Gen.Choose(0, 1000)
        select Fix(n, d, values, seed);

    private static Batch Fix(int n, int d, float[] values, int seed)
    {
        for (int r = 0; r < n; r++)
            if (values.AsSpan(r * d, d).IndexOfAnyExcept(0f) < 0) values[r * d] = 1f;
        return new Batch(n, d, values, seed);
    }

    private static Half[] ToHalf(float[] values) => Array.ConvertAll(values, v => (Half)v);

    private static ushort[] ToBFloat16(float[] values) => Array.ConvertAll(values, HalfPrecision.ToBFloat16);

    private static BatchLayout LayoutFor(Batch b) =>
        b.Seed % 2 == 0 || b.N % 2 != 0 ? BatchLayout.Unpaired(b.N) : BatchLayout.TwoView(b.N / 2);

    private static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string context)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= Tolerance,
                $"{context}: entry {i} is {actual[i]:R}, the fp32 upcast gives {expected[i]:R}");
    }

    [Fact]
    public void BFloat16_widening_is_the_high_half_of_the_float32_pattern()
    {
        foreach (float v in new[] { 0f, -0f, 1f, -2.5f, 3.140625f, float.MaxValue, float.Epsilon, float.PositiveInfinity })
        {
            ushort bits = (ushort)(BitConverter.SingleToUInt32Bits(v) >> 16);
            Assert.Equal(BitConverter.UInt32BitsToSingle((uint)bits << 16), NormalizedSimilarityKernels.BFloat16ToSingle(bits));
        }
        // Round to nearest even: 1 + 2^-8 is halfway between two bf16 values and rounds to the even one (1).
        Assert.Equal(1f, NormalizedSimilarityKernels.BFloat16ToSingle(HalfPrecision.ToBFloat16(1f + 1f / 256)));
        Assert.True(float.IsNaN(NormalizedSimilarityKernels.BFloat16ToSingle(HalfPrecision.ToBFloat16(float.NaN))));
    }

    [Fact]
    public void Sixteen_bit_normalised_rows_equal_the_fp32_upcast()
    {
        var property = Prop.ForAll(Arb.From(Batches()), b =>
        {
            var half = ToHalf(b.Values);
            var upcast = HalfPrecision.Widen(half);
            AssertClose(fixture.Similarity.Normalize(upcast, b.N, b.D), fixture.Similarity.Normalize(half, b.N, b.D), $"fp16 {b}");

            var bf16 = ToBFloat16(b.Values);
            var bfUpcast = HalfPrecision.WidenBFloat16(bf16);
            AssertClose(fixture.Similarity.Normalize(bfUpcast, b.N, b.D), fixture.Similarity.NormalizeBFloat16(bf16, b.N, b.D), $"bf16 {b}");
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(25), property);
    }

    [Fact]
    public void Sixteen_bit_half_steps_equal_the_fp32_upcast()
    {
        var property = Prop.ForAll(Arb.From(Batches()), Arb.From(Gen.Elements(0.1, 1.0)), (b, eps) =>
        {
            var cost = FusedSinkhornReference.Costs[b.Seed % FusedSinkhornReference.Costs.Length];
            var layout = LayoutFor(b);
            var random = new Random(b.Seed);
            var potential = Enumerable.Range(0, b.N).Select(_ => random.NextDouble() - 0.5).ToArray();
            var logMarginal = Enumerable.Repeat(-Math.Log(b.N), b.N).ToArray();

            var half = ToHalf(b.Values);
            var expected = _solver.HalfStep(HalfPrecision.Widen(half), b.D, cost, layout, eps, potential, logMarginal);
            var actual = _solver.HalfStep(half, b.D, cost, layout, eps, potential, logMarginal);
            FusedSinkhornReference.AssertClose(expected, actual, Tolerance, $"fp16 {b}, {cost}, ε = {eps}");

            var bf16 = ToBFloat16(b.Values);
            expected = _solver.HalfStep(HalfPrecision.WidenBFloat16(bf16), b.D, cost, layout, eps, potential, logMarginal);
            actual = _solver.HalfStepBFloat16(bf16, b.D, cost, layout, eps, potential, logMarginal);
            FusedSinkhornReference.AssertClose(expected, actual, Tolerance, $"bf16 {b}, {cost}, ε = {eps}");
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(12), property);
    }

    [Fact]
    public void Float32_embedding_half_step_matches_the_double_reference()
    {
        // Ties the raw-embedding path (device normalisation) to the same reference the geometry path is checked against.
        var batch = new HardNegOT.Testing.SphereBatch(HardNegOT.Testing.SphereKind.Random, 20, 7, Seed: 4);
        var geometry = FusedSinkhornReference.GeometryFor(batch, new HardNegOT.Costs.SquaredEuclideanCost());
        var potential = Enumerable.Range(0, 20).Select(i => 0.01 * i).ToArray();
        var logMarginal = Enumerable.Repeat(-Math.Log(20), 20).ToArray();
        var expected = FusedSinkhornReference.HalfStep(geometry, 0.5, potential, logMarginal);
        var actual = _solver.HalfStep(batch.Data, 7, geometry.Cost, geometry.Layout, 0.5, potential, logMarginal);
        FusedSinkhornReference.AssertClose(expected, actual, 1e-4, "fp32 raw embeddings");
    }

    [Fact]
    public void Sixteen_bit_inputs_are_validated_after_widening()
    {
        var zeros = new Half[6]; // 3×2, all zero
        Assert.Throws<ArgumentException>(() => fixture.Similarity.Normalize(zeros, 3, 2));
        var nan = new ushort[] { HalfPrecision.ToBFloat16(1f), HalfPrecision.ToBFloat16(float.NaN) };
        Assert.Throws<ArgumentException>(() => fixture.Similarity.NormalizeBFloat16(nan, 1, 2));
    }
}

/// <summary>The software fp16 widening used on devices without fp16, checked exhaustively against System.Half.</summary>
public sealed class HalfBitsTests
{
    [Fact]
    public void Software_fp16_widening_matches_System_Half_for_all_65536_patterns()
    {
        for (int b = 0; b <= ushort.MaxValue; b++)
        {
            float expected = (float)BitConverter.UInt16BitsToHalf((ushort)b);
            float actual = NormalizedSimilarityKernels.HalfBitsToSingle((ushort)b);
            Assert.True(
                float.IsNaN(expected) ? float.IsNaN(actual) : BitConverter.SingleToUInt32Bits(expected) == BitConverter.SingleToUInt32Bits(actual),
                $"0x{b:X4}: {actual:R}, System.Half gives {expected:R}");
        }
    }
}
