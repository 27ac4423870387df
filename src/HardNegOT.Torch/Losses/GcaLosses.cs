using HardNegOT.Torch.Alignment;
using TorchSharp;
using static TorchSharp.torch;

namespace HardNegOT.Torch.Losses;

/// <summary>
/// The robust (RINCE-style) term of GCA-RINCE and GCA-UOT: per anchor (−P_{i,pos(i)}^q + (λ·r_i)^q)/q with r_i the
/// anchor's plan mass. q → 0 tends to −log P_{i,pos(i)} + log(λ·r_i); q = 1 is the linear, most noise-tolerant form.
/// </summary>
/// <param name="Q">q ∈ (0, 1].</param>
/// <param name="Lambda">λ &gt; 0, the weight of the plan mass.</param>
public readonly record struct RobustTerm(double Q, double Lambda)
{
    /// <summary>q = ½, λ = 0.01.</summary>
    public static RobustTerm Default => new(0.5, 0.01);

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming q or λ.</summary>
    public void Validate()
    {
        if (!(Q > 0 && Q <= 1))
            throw new ArgumentOutOfRangeException(nameof(Q), Q, "q must lie in (0, 1].");
        if (!(Lambda > 0) || !double.IsFinite(Lambda))
            throw new ArgumentOutOfRangeException(nameof(Lambda), Lambda, "λ must be a positive finite number.");
    }
}

/// <summary>
/// Generalized contrastive alignment losses (GCA, "Your contrastive learning problem is secretly a distribution
/// alignment problem"): a two-view batch's plan P (<see cref="AlignmentPlan"/>) is aligned with the target plan that
/// matches each row of [z1; z2] with its other view. Gradients flow through the Sinkhorn steps (unrolled or implicit).
/// </summary>
public static class GcaLosses
{
    /// <summary>
    /// GCA-INCE: the cross-entropy −mean_i log P_{i,pos(i)} of the plan against the positive-pair targets. With one
    /// (row) step and ε = t this is InfoNCE exactly.
    /// </summary>
    public static Tensor Ince(Tensor z1, Tensor z2, AlignmentPlanOptions plan) =>
        Aligned(z1, z2, plan, logPlan => CrossEntropy(logPlan));

    /// <summary>GCA-RINCE: the robust term (<see cref="RobustTerm"/>) of the plan, averaged over anchors.</summary>
    public static Tensor Rince(Tensor z1, Tensor z2, AlignmentPlanOptions plan, RobustTerm robust)
    {
        robust.Validate();
        return Aligned(z1, z2, plan, logPlan => Robust(logPlan, robust));
    }

    /// <summary>
    /// GCA-UOT: r1·CE + r2·robust term of the unbalanced plan (<paramref name="plan"/> must carry ρ). ρ → ∞ and r2 = 0
    /// recover <see cref="Ince"/>.
    /// </summary>
    public static Tensor Uot(Tensor z1, Tensor z2, AlignmentPlanOptions plan, RobustTerm robust, double r1 = 1.0, double r2 = 0.1)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (!plan.IsUnbalanced)
            throw new ArgumentException("GCA-UOT needs the unbalanced plan: set Rho.", nameof(plan));
        robust.Validate();
        if (!(r1 >= 0) || !double.IsFinite(r1))
            throw new ArgumentOutOfRangeException(nameof(r1), r1, "r1 must be a non-negative finite number.");
        if (!(r2 >= 0) || !double.IsFinite(r2))
            throw new ArgumentOutOfRangeException(nameof(r2), r2, "r2 must be a non-negative finite number.");
        if (r1 + r2 == 0)
            throw new ArgumentOutOfRangeException(nameof(r2), r2, "r1 and r2 cannot both be 0.");
        return Aligned(z1, z2, plan, logPlan => CrossEntropy(logPlan) * r1 + Robust(logPlan, robust) * r2);
    }

    private static Tensor Aligned(Tensor z1, Tensor z2, AlignmentPlanOptions plan, Func<Tensor, Tensor> loss)
    {
        ArgumentNullException.ThrowIfNull(plan);
        plan.Validate();
        using var scope = NewDisposeScope();
        var similarity = ContrastiveScores.Similarity(z1, z2);
        return AlignmentPlan.Loss(similarity, plan, loss).MoveToOuterDisposeScope();
    }

    // log P_{i,pos(i)} for the 2B rows: the other view, i ± B.
    private static Tensor PositiveLogPlan(Tensor logPlan)
    {
        long rows = logPlan.shape[0], b = rows / 2;
        var index = (torch.arange(rows, device: logPlan.device) + b).remainder(rows).unsqueeze(1);
        return logPlan.gather(1, index).squeeze(1);
    }

    private static Tensor CrossEntropy(Tensor logPlan) => -PositiveLogPlan(logPlan).mean();

    private static Tensor Robust(Tensor logPlan, RobustTerm robust)
    {
        var positive = (PositiveLogPlan(logPlan) * robust.Q).exp();
        var mass = (logPlan.logsumexp(1) + Math.Log(robust.Lambda)) * robust.Q;
        return ((mass.exp() - positive) / robust.Q).mean();
    }
}
