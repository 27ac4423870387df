using ILGPU;

namespace HardNegOT.Kernels;

/// <summary>
/// ILGPU kernels of the fused log-domain Sinkhorn: every half-step recomputes the ground cost from the
/// unit-norm embeddings (tiles of rows staged in shared memory) and folds it into an online log-sum-exp,
/// so no N×N buffer ever exists. Launch them through <see cref="KernelSinkhorn"/>, which validates inputs
/// and sizes groups, tiles and shared memory.
/// </summary>
/// <remarks>
/// <para>
/// Conventions shared by every kernel: <c>points</c> holds N unit-norm rows, row-major N×d float32;
/// <c>positiveOf[i]</c> is the positive of row i or −1; a pair (r, k) is masked when k = r, k = positiveOf[r]
/// or positiveOf[k] = r. Costs are chosen by <c>costKind</c> (<see cref="SquaredEuclideanCost"/>,
/// <see cref="ExponentialCost"/>, <see cref="CosineCost"/>) with one float parameter (the scale, κ, or unused).
/// Everything is float32: the OpenCL baseline ILGPU targets need not support doubles.
/// </para>
/// <para>
/// The tiled kernels are explicitly grouped, one thread per output row, and need dynamic shared memory of
/// <c>tileCount·d</c> floats; every thread of a group must run them (threads past the last row still help
/// load tiles and reach every barrier).
/// </para>
/// </remarks>
public static class FusedSinkhornKernels
{
    /// <summary>costKind of the squared-Euclidean cost Scale·(2 − 2s); the parameter is the scale.</summary>
    public const int SquaredEuclideanCost = 0;

    /// <summary>costKind of the exponential cost e^{2 − 2s − κ}; the parameter is κ.</summary>
    public const int ExponentialCost = 1;

    /// <summary>costKind of the cosine cost 1 − s; the parameter is unused.</summary>
    public const int CosineCost = 2;

    /// <summary>
    /// One log-domain half-step: <c>output[r] = −ε·LSE_k[(potential[k] − C_rk)/ε + logMarginal[k]]</c> over the
    /// unmasked k, for every row r (one thread each). +∞ when no term is finite (a row with nothing to reach).
    /// </summary>
    /// <param name="points">Unit-norm rows, N·d floats.</param>
    /// <param name="positiveOf">Positive of each row or −1, N ints.</param>
    /// <param name="potential">The potential being transformed, N floats.</param>
    /// <param name="logMarginal">log of the marginal on the summed side, N floats (−∞ for zero mass).</param>
    /// <param name="output">The new potential, N floats; may not alias <paramref name="potential"/>.</param>
    /// <param name="n">Number of rows N.</param>
    /// <param name="d">Row dimension d.</param>
    /// <param name="tileCount">Rows per shared-memory tile; dynamic shared memory must hold tileCount·d floats.</param>
    /// <param name="epsilon">Entropic regularisation ε &gt; 0.</param>
    /// <param name="costKind">Which ground cost (see the class remarks).</param>
    /// <param name="costParameter">The cost's parameter (scale or κ).</param>
    [KernelEntryPoint(ExplicitlyGrouped = true)]
    public static void HalfStep(
        ArrayView<float> points, ArrayView<int> positiveOf, ArrayView<float> potential, ArrayView<float> logMarginal,
        ArrayView<float> output, int n, int d, int tileCount, float epsilon, int costKind, float costParameter)
    {
        int r = Grid.GlobalIndex.X;
        float lse = TiledRowLogSumExp(
            r, r < n, points, positiveOf, potential, logMarginal, n, d, tileCount, epsilon, costKind, costParameter);
        if (r < n) output[r] = -epsilon * lse;
    }

    /// <summary>
    /// The log-normaliser of the conditional rows of some anchors:
    /// <c>rowLse[t] = LSE_j[(potential[j] − C_ij)/ε + logMarginal[j]]</c> for i = anchors[t], one thread per anchor.
    /// With the column potential g and log b this normalises P*(j | i) ∝ b_j exp((g_j − C_ij)/ε).
    /// </summary>
    /// <param name="points">Unit-norm rows, N·d floats.</param>
    /// <param name="positiveOf">Positive of each row or −1, N ints.</param>
    /// <param name="potential">Column potential g, N floats.</param>
    /// <param name="logMarginal">log b, N floats.</param>
    /// <param name="anchors">Anchor rows, each in [0, N).</param>
    /// <param name="rowLse">Output, one float per anchor (−∞ when the anchor reaches nothing).</param>
    /// <param name="anchorCount">Number of anchors.</param>
    /// <param name="n">Number of rows N.</param>
    /// <param name="d">Row dimension d.</param>
    /// <param name="tileCount">Rows per shared-memory tile; dynamic shared memory must hold tileCount·d floats.</param>
    /// <param name="epsilon">Entropic regularisation ε &gt; 0.</param>
    /// <param name="costKind">Which ground cost (see the class remarks).</param>
    /// <param name="costParameter">The cost's parameter (scale or κ).</param>
    [KernelEntryPoint(ExplicitlyGrouped = true)]
    public static void AnchorRowLogSumExp(
        ArrayView<float> points, ArrayView<int> positiveOf, ArrayView<float> potential, ArrayView<float> logMarginal,
        ArrayView<int> anchors, ArrayView<float> rowLse, int anchorCount, int n, int d, int tileCount, float epsilon,
        int costKind, float costParameter)
    {
        int t = Grid.GlobalIndex.X;
        bool active = t < anchorCount;
        int r = active ? anchors[t] : 0;
        float lse = TiledRowLogSumExp(
            r, active, points, positiveOf, potential, logMarginal, n, d, tileCount, epsilon, costKind, costParameter);
        if (active) rowLse[t] = lse;
    }

    /// <summary>
    /// The OT-weighted NCE negative term of every row r, without the plan: <c>output[r] = Σ_j P*(j|r)·e^{s_rj/τ}</c>
    /// over the unmasked j, where P*(j|r) ∝ b_j exp((g_j − C_rj)/ε). One tiled pass keeps two online LSEs per row,
    /// L = LSE_j[ℓ_j] (the conditional's normaliser) and W = LSE_j[ℓ_j + s_rj/τ] with ℓ_j = (g_j − C_rj)/ε + log b_j,
    /// and writes exp(W − L); working in logs keeps e^{s/τ} from overflowing at small τ. 0 for a row that reaches nothing.
    /// </summary>
    /// <param name="points">Unit-norm rows, N·d floats.</param>
    /// <param name="positiveOf">Positive of each row or −1, N ints.</param>
    /// <param name="potential">Column potential g, N floats.</param>
    /// <param name="logMarginal">log b, N floats.</param>
    /// <param name="output">Output, N floats.</param>
    /// <param name="n">Number of rows N.</param>
    /// <param name="d">Row dimension d.</param>
    /// <param name="tileCount">Rows per shared-memory tile; dynamic shared memory must hold tileCount·d floats.</param>
    /// <param name="epsilon">Entropic regularisation ε &gt; 0.</param>
    /// <param name="costKind">Which ground cost (see the class remarks).</param>
    /// <param name="costParameter">The cost's parameter (scale or κ).</param>
    /// <param name="inverseTemperature">1/τ of the NCE temperature τ &gt; 0.</param>
    [KernelEntryPoint(ExplicitlyGrouped = true)]
    public static void WeightedNegativeSums(
        ArrayView<float> points, ArrayView<int> positiveOf, ArrayView<float> potential, ArrayView<float> logMarginal,
        ArrayView<float> output, int n, int d, int tileCount, float epsilon, int costKind, float costParameter,
        float inverseTemperature)
    {
        int r = Grid.GlobalIndex.X;
        bool active = r < n;
        var normaliser = OnlineLogSumExp.Empty;
        var weighted = OnlineLogSumExp.Empty;
        TiledRowLogSumExps(r, active, points, positiveOf, potential, logMarginal, n, d, tileCount, epsilon, costKind, costParameter,
            inverseTemperature, withWeighted: true, ref normaliser, ref weighted);
        if (active)
            output[r] = normaliser.IsEmpty ? 0f : MathF.Exp(weighted.Value - normaliser.Value);
    }

    /// <summary>
    /// Conditional weights of some anchors, one thread per (column j, anchor slot t):
    /// <c>weights[t·N + j] = exp((potential[j] − C_ij)/ε + logMarginal[j] − rowLse[t])</c> for i = anchors[t],
    /// exactly 0 on masked pairs. Each written row sums to 1 when <paramref name="rowLse"/> comes from
    /// <see cref="AnchorRowLogSumExp"/> with the same inputs.
    /// </summary>
    /// <param name="index">(X = column j in [0, N), Y = anchor slot t).</param>
    /// <param name="points">Unit-norm rows, N·d floats.</param>
    /// <param name="positiveOf">Positive of each row or −1, N ints.</param>
    /// <param name="potential">Column potential g, N floats.</param>
    /// <param name="logMarginal">log b, N floats.</param>
    /// <param name="anchors">Anchor rows, each in [0, N).</param>
    /// <param name="rowLse">The anchors' log-normalisers.</param>
    /// <param name="weights">Output, row-major (anchor count)×N.</param>
    /// <param name="n">Number of rows N.</param>
    /// <param name="d">Row dimension d.</param>
    /// <param name="epsilon">Entropic regularisation ε &gt; 0.</param>
    /// <param name="costKind">Which ground cost (see the class remarks).</param>
    /// <param name="costParameter">The cost's parameter (scale or κ).</param>
    [KernelEntryPoint]
    public static void AnchorConditionalWeights(
        Index2D index, ArrayView<float> points, ArrayView<int> positiveOf, ArrayView<float> potential,
        ArrayView<float> logMarginal, ArrayView<int> anchors, ArrayView<float> rowLse, ArrayView<float> weights,
        int n, int d, float epsilon, int costKind, float costParameter)
    {
        int j = index.X;
        int t = index.Y;
        int i = anchors[t];
        float w = 0f;
        if (j != i && positiveOf[i] != j && positiveOf[j] != i)
        {
            float dot = 0f;
            for (int c = 0; c < d; c++)
                dot += points[i * d + c] * points[j * d + c];
            float logit = (potential[j] - Cost(dot, costKind, costParameter)) / epsilon + logMarginal[j];
            // A −∞ normaliser means no finite logit exists; keep such rows at 0 rather than NaN.
            if (logit > float.NegativeInfinity)
                w = MathF.Exp(logit - rowLse[t]);
        }
        weights[t * n + j] = w;
    }

    /// <summary>
    /// The row-marginal error Σ_i a_i·|exp((f_i − next_i)/ε) − 1| (rows with a_i = 0 skipped), reduced by a
    /// single group in shared memory and written to <c>error[0]</c>. Deterministic: no atomics.
    /// </summary>
    /// <remarks>Launch exactly one group whose size is a power of two, with that many floats of dynamic shared memory.</remarks>
    /// <param name="a">Row marginal a, N floats.</param>
    /// <param name="f">Current row potential, N floats.</param>
    /// <param name="next">T_b(g) (or T(f) in the symmetric scheme), N floats; for an unbalanced problem the τ_a-scaled
    /// update, which makes the sum the dual change the solve stops on.</param>
    /// <param name="error">Output, one float.</param>
    /// <param name="n">Number of rows N.</param>
    /// <param name="epsilon">Entropic regularisation ε &gt; 0.</param>
    [KernelEntryPoint(ExplicitlyGrouped = true)]
    public static void RowMarginalError(
        ArrayView<float> a, ArrayView<float> f, ArrayView<float> next, ArrayView<float> error, int n, float epsilon)
    {
        var partial = SharedMemory.GetDynamic<float>();
        int lane = Group.IdxX;
        float sum = 0f;
        for (int i = lane; i < n; i += Group.DimX)
        {
            float ai = a[i];
            // 0·∞ would be NaN for a row without mass whose potential diverged; the reference skips such rows too.
            if (ai > 0f) sum += ai * MathF.Abs(MathF.Exp((f[i] - next[i]) / epsilon) - 1f);
        }
        partial[lane] = sum;
        Group.Barrier();
        for (int stride = Group.DimX / 2; stride > 0; stride /= 2)
        {
            if (lane < stride) partial[lane] += partial[lane + stride];
            Group.Barrier();
        }
        if (lane == 0) error[0] = partial[0];
    }

    /// <summary>The relaxed symmetric update <c>f[i] ← f[i] + ω·(next[i] − f[i])</c>, one thread per row.</summary>
    /// <param name="i">The row, in [0, N).</param>
    /// <param name="f">Row potential, updated in place, N floats.</param>
    /// <param name="next">T(f), N floats.</param>
    /// <param name="omega">Relaxation ω in (0, 1].</param>
    [KernelEntryPoint]
    public static void Relax(Index1D i, ArrayView<float> f, ArrayView<float> next, float omega) =>
        f[i] += omega * (next[i] - f[i]);

    /// <summary>
    /// The unbalanced damping of a half-step's output, <c>x[i] ← τ·x[i]</c> with τ = ρ/(ρ + ε), one thread per row:
    /// f ← τ_a·T_b(g) is the exact block update of the KL-relaxed problem. A separate O(N) launch keeps the tiled
    /// half-step's signature (and its primary-context twin) unchanged; its cost is noise next to the O(N²·d) half-step.
    /// </summary>
    /// <param name="i">The row, in [0, N).</param>
    /// <param name="x">Half-step output, scaled in place, N floats.</param>
    /// <param name="factor">τ in (0, 1].</param>
    [KernelEntryPoint]
    public static void Scale(Index1D i, ArrayView<float> x, float factor) =>
        x[i] *= factor;

    /// <summary>
    /// LSE over the unmasked k of (potential[k] − C_rk)/ε + logMarginal[k] for row r (see <see cref="TiledRowLogSumExps"/>).
    /// </summary>
    private static float TiledRowLogSumExp(
        int r, bool active, ArrayView<float> points, ArrayView<int> positiveOf, ArrayView<float> potential,
        ArrayView<float> logMarginal, int n, int d, int tileCount, float epsilon, int costKind, float costParameter)
    {
        var lse = OnlineLogSumExp.Empty;
        var unused = OnlineLogSumExp.Empty;
        TiledRowLogSumExps(r, active, points, positiveOf, potential, logMarginal, n, d, tileCount, epsilon, costKind, costParameter,
            0f, withWeighted: false, ref lse, ref unused);
        return lse.Value;
    }

    /// <summary>
    /// The one tiled pass of row r: streams tiles of <paramref name="tileCount"/> rows through shared memory and adds
    /// ℓ_k = (potential[k] − C_rk)/ε + logMarginal[k] over the unmasked k to <paramref name="lse"/>, and, when
    /// <paramref name="withWeighted"/>, ℓ_k + s_rk/τ to <paramref name="weighted"/> (s clamped as the cost's is, so both
    /// sums see the same s). Every thread of the group must call it (the tile loop has barriers); <paramref name="active"/>
    /// = false threads only help load.
    /// </summary>
    private static void TiledRowLogSumExps(
        int r, bool active, ArrayView<float> points, ArrayView<int> positiveOf, ArrayView<float> potential,
        ArrayView<float> logMarginal, int n, int d, int tileCount, float epsilon, int costKind, float costParameter,
        float inverseTemperature, bool withWeighted, ref OnlineLogSumExp lse, ref OnlineLogSumExp weighted)
    {
        var tile = SharedMemory.GetDynamic<float>();
        int positive = active ? positiveOf[r] : -1;
        int rowOffset = r * d;
        for (int start = 0; start < n; start += tileCount)
        {
            int count = IntrinsicMath.Min(tileCount, n - start);
            // The tile is contiguous in global memory: a strided copy keeps the loads coalesced whatever d is.
            int tileFloats = count * d;
            int tileOffset = start * d;
            for (int e = Group.IdxX; e < tileFloats; e += Group.DimX)
                tile[e] = points[tileOffset + e];
            Group.Barrier();

            if (active)
            {
                for (int t = 0; t < count; t++)
                {
                    int k = start + t;
                    if (k == r || k == positive || positiveOf[k] == r)
                        continue;
                    float dot = 0f;
                    for (int c = 0; c < d; c++)
                        dot += points[rowOffset + c] * tile[t * d + c];
                    float v = (potential[k] - Cost(dot, costKind, costParameter)) / epsilon + logMarginal[k];
                    if (!(v > float.NegativeInfinity))
                        continue;
                    lse.Add(v);
                    if (withWeighted)
                        weighted.Add(v + IntrinsicMath.Clamp(dot, -1f, 1f) * inverseTemperature);
                }
            }
            // Nobody may overwrite the tile while another thread still reads it.
            Group.Barrier();
        }
    }

    /// <summary>
    /// A streaming log-sum-exp: the running maximum and the sum of exp(term − maximum), rescaled when the maximum grows.
    /// −∞ terms (zero mass) are skipped, since exp(−∞ − (−∞)) would be NaN.
    /// </summary>
    internal struct OnlineLogSumExp
    {
        public float Max;
        public float Sum;

        public static OnlineLogSumExp Empty => new() { Max = float.NegativeInfinity, Sum = 0f };

        public readonly bool IsEmpty => !(Max > float.NegativeInfinity);

        /// <summary>LSE of the terms so far; −∞ when there were none.</summary>
        public readonly float Value => IsEmpty ? float.NegativeInfinity : Max + MathF.Log(Sum);

        public void Add(float term)
        {
            if (!(term > float.NegativeInfinity))
                return;
            if (term > Max)
            {
                Sum = Sum * MathF.Exp(Max - term) + 1f;
                Max = term;
            }
            else
            {
                Sum += MathF.Exp(term - Max);
            }
        }
    }

    /// <summary>Whether the pair (r, k) is masked: k is r itself, r's positive, or has r as its positive.</summary>
    internal static bool IsMasked(int r, int k, ArrayView<int> positiveOf) =>
        k == r || k == positiveOf[r] || positiveOf[k] == r;

    /// <summary>The ground cost for similarity s (clamped to [−1, 1], as the double reference does).</summary>
    internal static float Cost(float similarity, int costKind, float costParameter)
    {
        float s = IntrinsicMath.Clamp(similarity, -1f, 1f);
        if (costKind == SquaredEuclideanCost) return costParameter * (2f - 2f * s);
        if (costKind == ExponentialCost) return MathF.Exp(2f - 2f * s - costParameter);
        return 1f - s;
    }
}
