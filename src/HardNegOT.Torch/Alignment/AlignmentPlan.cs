using TorchSharp;
using static TorchSharp.torch;

namespace HardNegOT.Torch.Alignment;

/// <summary>How the gradient reaches the embeddings through the plan's Sinkhorn iterations.</summary>
public enum PlanGradient
{
    /// <summary>Autograd unrolls every normalisation step (exact for the truncated plan; memory grows with the steps).</summary>
    Unrolled,

    /// <summary>
    /// Implicit differentiation of the balanced fixed point: the iterations run without a graph and one 2B×2B linear
    /// solve gives the gradient. Exact only at convergence, so give it enough iterations; balanced plans only.
    /// </summary>
    Implicit,
}

/// <summary>
/// The plan of generalized contrastive alignment (GCA): for a two-view batch [z1; z2] with cosine similarities s,
/// P = Sinkhorn_K(exp(s/ε)) with the diagonal excluded, K normalisation steps alternating rows then columns, each
/// scaling its marginal toward 1. Balanced steps subtract the full log-sum-exp; unbalanced ones (KL-relaxed marginals of
/// strength ρ) subtract the fraction ρ/(ρ + ε) of it, so mass can leave rows and columns that fit badly. The cost
/// C = 1 − s only shifts the logits by a constant, which every normalisation removes.
/// </summary>
public sealed record AlignmentPlanOptions
{
    /// <summary>GCA's default number of normalisation steps.</summary>
    public const int DefaultIterations = 10;

    /// <summary>Entropic ε (the temperature of the logits s/ε).</summary>
    public double Epsilon { get; init; } = 0.5;

    /// <summary>Normalisation steps K ≥ 1 (step 1 normalises rows, step 2 columns, ...).</summary>
    public int Iterations { get; init; } = DefaultIterations;

    /// <summary>Marginal relaxation ρ &gt; 0 of the unbalanced plan; null (or +∞) for the balanced plan.</summary>
    public double? Rho { get; init; }

    /// <summary>Unrolled (default) or implicit gradients.</summary>
    public PlanGradient Gradient { get; init; } = PlanGradient.Unrolled;

    /// <summary>Whether the marginals are relaxed (ρ finite).</summary>
    public bool IsUnbalanced => Rho is { } rho && !double.IsPositiveInfinity(rho);

    /// <summary>The fraction of the log-sum-exp each step subtracts: ρ/(ρ + ε), or 1 when balanced.</summary>
    public double StepExponent => IsUnbalanced ? Rho!.Value / (Rho.Value + Epsilon) : 1.0;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the bad property.</summary>
    public void Validate()
    {
        if (!(Epsilon > 0) || !double.IsFinite(Epsilon))
            throw new ArgumentOutOfRangeException(nameof(Epsilon), Epsilon, "ε must be a positive finite number.");
        if (Iterations < 1)
            throw new ArgumentOutOfRangeException(nameof(Iterations), Iterations, "The plan needs at least one normalisation step.");
        if (Rho is { } rho && !(rho > 0))
            throw new ArgumentOutOfRangeException(nameof(Rho), rho, "ρ must be positive (or +∞ for the balanced plan).");
        if (!Enum.IsDefined(Gradient))
            throw new ArgumentOutOfRangeException(nameof(Gradient), Gradient, "Unknown gradient mode.");
        if (Gradient == PlanGradient.Implicit && IsUnbalanced)
            throw new ArgumentOutOfRangeException(nameof(Gradient), Gradient, "Implicit gradients are implemented for the balanced plan only; use unrolled gradients with ρ.");
    }
}

/// <summary>Computes GCA plans (<see cref="AlignmentPlanOptions"/>) and losses of them.</summary>
public static class AlignmentPlan
{
    /// <summary>
    /// log P for logits s/ε over the 2B rows of the two-view batch (self pairs −∞), with the graph the options ask for.
    /// Unrolled: differentiable in <paramref name="similarity"/>. Implicit: returned detached; use
    /// <see cref="Loss"/> to get a loss whose gradient is the implicit one.
    /// </summary>
    /// <param name="similarity">2B×2B cosine similarities (any float dtype).</param>
    /// <param name="options">ε, steps, ρ.</param>
    public static Tensor LogPlan(Tensor similarity, AlignmentPlanOptions options)
    {
        ArgumentNullException.ThrowIfNull(similarity);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        using var scope = NewDisposeScope();
        var logits = MaskedLogits(similarity, options.Epsilon);
        if (options.Gradient == PlanGradient.Implicit)
        {
            using var noGrad = no_grad();
            return Normalize(logits.detach(), options).MoveToOuterDisposeScope();
        }
        return Normalize(logits, options).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// A scalar loss f(log P) of the plan of <paramref name="similarity"/>, differentiable in the similarities by the
    /// options' gradient mode. <paramref name="loss"/> must be a function of log P alone.
    /// </summary>
    /// <param name="similarity">2B×2B cosine similarities.</param>
    /// <param name="options">ε, steps, ρ, gradient mode.</param>
    /// <param name="loss">The loss of a log-plan.</param>
    public static Tensor Loss(Tensor similarity, AlignmentPlanOptions options, Func<Tensor, Tensor> loss)
    {
        ArgumentNullException.ThrowIfNull(loss);
        if (options?.Gradient != PlanGradient.Implicit)
            return loss(LogPlan(similarity, options!));
        using var scope = NewDisposeScope();
        var logPlan = LogPlan(similarity, options).to_type(ScalarType.Float64);
        // ∂L/∂log P at the fixed point, through a leaf copy: G∘P in the adjoint equations below.
        var leaf = logPlan.detach().requires_grad_(true);
        var value = loss(leaf);
        var gLog = torch.autograd.grad(new[] { value }, new[] { leaf })[0].detach();
        var gradLogits = ImplicitLogitGradient(logPlan.exp(), gLog);
        // Value of L, gradient ⟨dL/dℓ, dℓ⟩ with ℓ = s/ε: the surrogate term is zero but carries the implicit gradient.
        var logits = similarity / options.Epsilon;
        var surrogate = (gradLogits.to_type(logits.dtype) * (logits - logits.detach())).sum();
        return (value.detach().to_type(logits.dtype) + surrogate).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// dL/dℓ at a balanced fixed point P = diag(e^f) e^ℓ diag(e^g) with P1 = 1, Pᵀ1 = 1: P∘G + P∘(λ_f 1ᵀ + 1 λ_gᵀ),
    /// where [[diag(P1), P], [Pᵀ, diag(Pᵀ1)]]·λ = −[(P∘G)1; (P∘G)ᵀ1]. The system is singular along (1, −1) and consistent,
    /// so λ_f is eliminated and the Schur system for λ_g is fixed to zero mean (adding 11ᵀ). Float64 throughout.
    /// </summary>
    private static Tensor ImplicitLogitGradient(Tensor plan, Tensor planTimesG)
    {
        var rowMass = plan.sum(1);
        var columnMass = plan.sum(new long[] { 0 });
        var hf = planTimesG.sum(1);
        var hg = planTimesG.sum(new long[] { 0 });
        long n = plan.shape[0];
        var scaled = plan / rowMass.unsqueeze(1);
        var schur = torch.diag(columnMass) - plan.t().mm(scaled) + torch.ones(n, n, dtype: ScalarType.Float64);
        var rhs = -hg + scaled.t().mv(hf);
        var lambdaG = torch.linalg.solve(schur, rhs);
        var lambdaF = -(hf + plan.mv(lambdaG)) / rowMass;
        return planTimesG + plan * (lambdaF.unsqueeze(1) + lambdaG.unsqueeze(0));
    }

    private static Tensor MaskedLogits(Tensor similarity, double epsilon)
    {
        if (similarity.dim() != 2 || similarity.shape[0] != similarity.shape[1] || similarity.shape[0] < 2)
            throw new ArgumentException($"similarity must be a square 2B×2B matrix, got shape [{string.Join(", ", similarity.shape)}].", nameof(similarity));
        using var self = torch.eye(similarity.shape[0], dtype: ScalarType.Bool, device: similarity.device);
        return (similarity / epsilon).masked_fill(self, double.NegativeInfinity);
    }

    private static Tensor Normalize(Tensor logPlan, AlignmentPlanOptions options)
    {
        double exponent = options.StepExponent;
        for (int step = 0; step < options.Iterations; step++)
        {
            long dim = step % 2 == 0 ? 1 : 0;
            logPlan = logPlan - logPlan.logsumexp(dim, keepdim: true) * exponent;
        }
        return logPlan;
    }
}
