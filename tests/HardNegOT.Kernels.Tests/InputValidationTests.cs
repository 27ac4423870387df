using HardNegOT.Reference;

namespace HardNegOT.Kernels.Tests;

/// <summary>
/// Bad inputs are rejected on the host, before any launch, with exceptions naming the input, the row and the value;
/// the kernel host and the reference twin must agree on every case.
/// </summary>
[Collection(CpuAcceleratorCollection.Name)]
public sealed class InputValidationTests(CpuAcceleratorFixture fixture)
{
    public enum Impl { Kernel, Reference }

    public static TheoryData<Impl> Impls => new() { Impl.Kernel, Impl.Reference };

    private static string InputName(Impl impl) => impl == Impl.Kernel ? "embeddings" : "x";

    private Action Normalize(Impl impl, float[] x, int n, int d) => impl == Impl.Kernel
        ? () => fixture.Similarity.Normalize(x, n, d)
        : () => NormalizedSimilarityReference.Normalize(x, n, d);

    private Action Row(Impl impl, float[] x, int n, int d, int anchor) => impl == Impl.Kernel
        ? () => fixture.Similarity.SimilarityRow(x, n, d, anchor)
        : () => NormalizedSimilarityReference.SimilarityRow(x, n, d, anchor);

    private Action Block(Impl impl, float[] x, int n, int d, int start, int count) => impl == Impl.Kernel
        ? () => fixture.Similarity.SimilarityBlock(x, n, d, start, count)
        : () => NormalizedSimilarityReference.SimilarityBlock(x, n, d, start, count);

    private static float[] Valid(int n, int d)
    {
        var x = new float[n * d];
        for (int i = 0; i < x.Length; i++) x[i] = 1 + i % 5;
        return x;
    }

    [Theory]
    [MemberData(nameof(ImplsWithBadValues))]
    public void Non_finite_entry_is_rejected_naming_input_row_column_and_value(Impl impl, float bad, string shown)
    {
        var x = Valid(4, 3);
        x[2 * 3 + 1] = bad;
        foreach (var call in new[] { Normalize(impl, x, 4, 3), Row(impl, x, 4, 3, 0), Block(impl, x, 4, 3, 0, 2) })
        {
            var ex = Assert.Throws<ArgumentException>(call);
            Assert.Equal(InputName(impl), ex.ParamName);
            Assert.Contains($"{InputName(impl)}[2, 1]", ex.Message);
            Assert.Contains(shown, ex.Message);
            if (bad > 0) Assert.DoesNotContain("-" + shown, ex.Message);
        }
    }

    public static TheoryData<Impl, float, string> ImplsWithBadValues => new()
    {
        { Impl.Kernel, float.NaN, "NaN" },
        { Impl.Kernel, float.PositiveInfinity, "Infinity" },
        { Impl.Kernel, float.NegativeInfinity, "-Infinity" },
        { Impl.Reference, float.NaN, "NaN" },
        { Impl.Reference, float.PositiveInfinity, "Infinity" },
        { Impl.Reference, float.NegativeInfinity, "-Infinity" },
    };

    [Theory]
    [MemberData(nameof(Impls))]
    public void Zero_row_is_rejected_naming_input_and_row(Impl impl)
    {
        var x = Valid(4, 3);
        Array.Fill(x, -0f, 1 * 3, 3); // negative zero is still zero
        foreach (var call in new[] { Normalize(impl, x, 4, 3), Row(impl, x, 4, 3, 0), Block(impl, x, 4, 3, 0, 4) })
        {
            var ex = Assert.Throws<ArgumentException>(call);
            Assert.Equal(InputName(impl), ex.ParamName);
            Assert.Contains($"{InputName(impl)} row 1", ex.Message);
            Assert.Contains("all zeros", ex.Message);
        }
    }

    [Theory]
    [MemberData(nameof(Impls))]
    public void Shape_mismatch_is_rejected_naming_input_and_sizes(Impl impl)
    {
        var x = Valid(4, 3); // 12 values
        foreach (var call in new[] { Normalize(impl, x, 4, 4), Row(impl, x, 4, 4, 0), Block(impl, x, 3, 3, 0, 1) })
        {
            var ex = Assert.Throws<ArgumentException>(call);
            Assert.Equal(InputName(impl), ex.ParamName);
            Assert.Contains("12 values", ex.Message);
        }
    }

    [Theory]
    [MemberData(nameof(Impls))]
    public void Non_positive_sizes_are_rejected_naming_the_size(Impl impl)
    {
        var nZero = Assert.Throws<ArgumentOutOfRangeException>(Normalize(impl, [], 0, 3));
        Assert.Equal("n", nZero.ParamName);
        Assert.Equal(0, nZero.ActualValue);

        var dNegative = Assert.Throws<ArgumentOutOfRangeException>(Row(impl, Valid(2, 1), 2, -1, 0));
        Assert.Equal("d", dNegative.ParamName);
        Assert.Equal(-1, dNegative.ActualValue);
    }

    [Theory]
    [MemberData(nameof(Impls))]
    public void Anchor_out_of_range_is_rejected_naming_the_anchor(Impl impl)
    {
        var x = Valid(4, 3);
        foreach (int anchor in new[] { -1, 4 })
        {
            var ex = Assert.Throws<ArgumentOutOfRangeException>(Row(impl, x, 4, 3, anchor));
            Assert.Equal("anchor", ex.ParamName);
            Assert.Equal(anchor, ex.ActualValue);
            Assert.Contains("[0, 4)", ex.Message);
        }

        var start = Assert.Throws<ArgumentOutOfRangeException>(Block(impl, x, 4, 3, 4, 1));
        Assert.Equal("anchorStart", start.ParamName);
        Assert.Equal(4, start.ActualValue);

        foreach (int count in new[] { 0, 3 })
        {
            var ex = Assert.Throws<ArgumentOutOfRangeException>(Block(impl, x, 4, 3, 2, count));
            Assert.Equal("anchorCount", ex.ParamName);
            Assert.Equal(count, ex.ActualValue);
        }
    }

    [Fact]
    public void Host_rejects_a_null_accelerator() =>
        Assert.Equal("accelerator", Assert.Throws<ArgumentNullException>(() => new NormalizedSimilarity(null!)).ParamName);
}
