using HardNegOT.Couplings;
using HardNegOT.Problems;

namespace HardNegOT.Solvers;

/// <summary>
/// A log-domain half-step: output_r = −ε·LSE_k[(potential_k − C_rk)/ε + logMarginal_k] for every r.
/// The self-coupling cost is symmetric, so the same row-wise routine serves both f and g updates.
/// </summary>
internal delegate void HalfStep(double[] potential, double[] logMarginal, double[] output);

/// <summary>
/// The iteration and stopping rule shared by every CPU backend; backends differ only in the half-step.
/// The row marginal error comes for free: row i of P(f, g) sums to a_i·exp((f_i − T_b(g)_i)/ε).
/// </summary>
/// <remarks>
/// Unbalanced problems run the same schemes on the scaled maps f ← τ_a·T_b(g), g ← τ_b·T_a(f)
/// (τ = ρ/(ρ + ε)); the driver applies τ after the backend's half-step. The stopping quantity
/// Σ_i a_i·|exp((f_i − f⁺_i)/ε) − 1|, with f⁺ the next row potential, is then a dual change (marginals
/// are not met by design); it equals the row-marginal error when τ = 1. The returned coupling carries the
/// true row-marginal error of its duals besides.
/// </remarks>
internal static class SinkhornDriver
{
    public static Coupling Run(EntropicProblem problem, SinkhornOptions options, HalfStep backendHalfStep, string solver)
    {
        int n = problem.Count;
        options.ValidateWarmStart(n);
        var update = options.ResolveUpdate(problem);
        var logA = LogOf(problem.A);
        var logB = LogOf(problem.B);
        // g ← τ_b·T_a(f) sums against a; f ← τ_a·T_b(g) against b. With a = b and ρ_a = ρ_b both are one map.
        var halfStep = Scaled(backendHalfStep, logA, problem.TauB, problem.TauA);
        switch (update)
        {
            case SinkhornUpdate.Anderson:
                return RunAnderson(problem, options, halfStep, solver, logA);
            case SinkhornUpdate.OverRelaxed or SinkhornUpdate.OverRelaxedAdaptive:
                return RunOverRelaxed(problem, options, halfStep, solver, logA, logB, update == SinkhornUpdate.OverRelaxedAdaptive);
        }
        var f = options.WarmStart is { } warm ? (double[])warm.Clone() : new double[n];
        var g = new double[n];
        var next = new double[n];
        double omega = options.Relaxation;

        for (int iteration = 1; ; iteration++)
        {
            if (update == SinkhornUpdate.Symmetric)
            {
                halfStep(f, logA, next);
                g = f;
            }
            else
            {
                halfStep(f, logA, g);
                halfStep(g, logB, next);
            }

            double error = RowMarginalError(problem, f, next);
            if (double.IsNaN(error))
                throw new InvalidOperationException(
                    $"{solver}: the potentials became non-finite at iteration {iteration} (ε = {problem.Epsilon:G4}); the problem is beyond this solver's precision.");
            bool converged = error <= options.Tolerance;
            if (converged || iteration == options.MaxIterations)
                return Result(problem, f, update == SinkhornUpdate.Symmetric ? (double[])f.Clone() : g, next,
                    iteration, error, converged, solver);

            if (update == SinkhornUpdate.Symmetric)
                for (int i = 0; i < n; i++) f[i] += omega * (next[i] - f[i]);
            else
                (f, next) = (next, f);
        }
    }

    /// <summary>
    /// Anderson-accelerated symmetric update. Each iteration evaluates T once at the current iterate;
    /// the residual r = ω(T(f) − f) both stops the solve (through the row error of (f, f)) and feeds the
    /// extrapolation, so acceptance costs nothing extra and only a rejected step costs an evaluation.
    /// </summary>
    private static Coupling RunAnderson(EntropicProblem problem, SinkhornOptions options, HalfStep halfStep, string solver, double[] logA)
    {
        int n = problem.Count;
        double omega = options.Relaxation;
        var a = problem.A.ToArray();
        var anderson = new AndersonAcceleration(n, options.AndersonMemory, a);
        var f = options.WarmStart is { } warm ? (double[])warm.Clone() : new double[n];
        var tf = new double[n];
        var residual = new double[n];
        var candidate = new double[n];
        var candidateT = new double[n];
        var candidateResidual = new double[n];

        halfStep(f, logA, tf);
        double error = RowMarginalError(problem, f, tf);
        Residual(f, tf, omega, residual);
        double norm = anderson.Norm(residual);
        for (int iteration = 1; ; iteration++)
        {
            bool converged = error <= options.Tolerance;
            if (converged || iteration >= options.MaxIterations)
                return Result(problem, f, (double[])f.Clone(), tf, iteration, error, converged, solver);

            bool extrapolated = anderson.Extrapolate(f, residual, candidate);
            double candidateError = double.NaN, candidateNorm = double.NaN;
            if (extrapolated)
            {
                halfStep(candidate, logA, candidateT);
                candidateError = RowMarginalError(problem, candidate, candidateT);
                Residual(candidate, candidateT, omega, candidateResidual);
                candidateNorm = anderson.Norm(candidateResidual);
                // Safeguard: an extrapolation that is not finite, raises the residual or raises the marginal error is
                // dropped, with the history that produced it, for the plain step. The residual alone is not enough: on
                // nearly bipartite supports the potentials can drift along a direction where the residual stays small
                // while the plan's rows go wrong (a 6-point near-antipodal batch ended at error 1/3 that way).
                if (!(double.IsFinite(candidateError) && candidateNorm <= norm && candidateError <= error))
                {
                    anderson.Reset();
                    extrapolated = false;
                    if (++iteration >= options.MaxIterations)
                        return Result(problem, f, (double[])f.Clone(), tf, iteration, error, false, solver);
                }
            }
            if (!extrapolated)
            {
                for (int i = 0; i < n; i++) candidate[i] = f[i] + residual[i];
                halfStep(candidate, logA, candidateT);
                candidateError = RowMarginalError(problem, candidate, candidateT);
                Residual(candidate, candidateT, omega, candidateResidual);
                candidateNorm = anderson.Norm(candidateResidual);
            }
            anderson.Push(f, residual, candidate, candidateResidual);
            (f, candidate) = (candidate, f);
            (tf, candidateT) = (candidateT, tf);
            (residual, candidateResidual) = (candidateResidual, residual);
            error = candidateError;
            norm = candidateNorm;
        }
    }

    private static void Residual(double[] f, double[] tf, double omega, double[] residual)
    {
        for (int i = 0; i < f.Length; i++) residual[i] = omega * (tf[i] - f[i]);
    }

    /// <summary>
    /// Over-relaxed alternating updates. Both half-steps move by θ·δ; the dual objective
    /// E(f, g) = ⟨a, f⟩ + ⟨b, g⟩ − ε·Σ a_i b_j e^{(f_i + g_j − C_ij)/ε} is computable in O(N) for such a
    /// move from the current marginals, so θ is halved towards 1 until E does not decrease (θ = 1 always
    /// qualifies: it is the exact block maximiser).
    /// </summary>
    private static Coupling RunOverRelaxed(EntropicProblem problem, SinkhornOptions options, HalfStep halfStep, string solver,
        double[] logA, double[] logB, bool adaptive)
    {
        int n = problem.Count;
        double eps = problem.Epsilon;
        var a = problem.A.ToArray();
        var b = problem.B.ToArray();
        var f = options.WarmStart is { } warm ? (double[])warm.Clone() : new double[n];
        var g = new double[n];
        var target = new double[n];
        var next = new double[n];
        double theta = adaptive ? 1.0 : options.OverRelaxation;
        var rate = adaptive ? new RateEstimator() : null;

        for (int iteration = 1; ; iteration++)
        {
            halfStep(f, logA, target);
            if (iteration == 1) Array.Copy(target, g, n);
            else RelaxedMove(g, target, b, eps, theta, problem.Relaxation.RhoB, problem.TauB);
            halfStep(g, logB, next);

            double error = RowMarginalError(problem, f, next);
            bool converged = error <= options.Tolerance;
            if (converged || iteration == options.MaxIterations)
                return Result(problem, f, g, next, iteration, error, converged, solver);

            if (rate is not null) theta = rate.Next(error);
            RelaxedMove(f, next, a, eps, theta, problem.Relaxation.RhoA, problem.TauA);
        }
    }

    /// <summary>
    /// potential ← potential + θ'·(target − potential) with the largest θ' ∈ {θ, 1 + (θ − 1)/2, …, 1}
    /// that does not lower the dual objective. With δ = target − potential the marginal on this side is
    /// m_i·e^{−δ_i/ε}, so the dual gain is Σ m_i [θδ_i − ε(e^{(θ−1)δ_i/ε} − e^{−δ_i/ε})].
    /// Unbalanced (ρ finite, target = τ·T): the side's dual is Σ_i −ρ m_i e^{−h_i/ρ} − ε r_i with
    /// r_i = m_i e^{(h_i − T_i)/ε} the current mass, and the gain of h + θδ is
    /// Σ r_i [ρ e^{δ_i/(ετ)}(1 − e^{−θδ_i/ρ}) − ε(e^{θδ_i/ε} − 1)].
    /// </summary>
    private static void RelaxedMove(double[] potential, double[] target, double[] marginal, double eps, double theta, double rho, double tau)
    {
        bool accepted = theta <= 1;
        bool balanced = double.IsPositiveInfinity(rho);
        for (int attempt = 0; attempt < 6 && !accepted; attempt++)
        {
            double gain = 0;
            for (int i = 0; i < potential.Length; i++)
            {
                if (marginal[i] == 0) continue;
                double delta = target[i] - potential[i], x = delta / eps;
                if (balanced)
                {
                    // expm1 keeps the O(δ²) gain visible next to the O(δ) terms that cancel near convergence.
                    gain += marginal[i] * (theta * delta - eps * (double.ExpM1((theta - 1) * x) - double.ExpM1(-x)));
                }
                else
                {
                    double mass = marginal[i] * Math.Exp((potential[i] - target[i] / tau) / eps);
                    double step = -rho * double.ExpM1(-theta * delta / rho);
                    gain += mass * (step - eps * double.ExpM1(theta * x) + step * double.ExpM1(x / tau));
                }
            }
            accepted = gain >= 0;
            if (!accepted) theta = 1 + (theta - 1) / 2;
        }
        if (!accepted) theta = 1;
        for (int i = 0; i < potential.Length; i++) potential[i] += theta * (target[i] - potential[i]);
    }

    /// <summary>
    /// The adaptive θ: run plain steps while the error ratio e_k/e_{k−1} settles, then use the optimal
    /// over-relaxation 2/(1 + √(1 − η)) for that linear rate η. If the relaxed solve stops improving
    /// (no new best error for a while), fall back to plain steps and re-estimate.
    /// </summary>
    private sealed class RateEstimator
    {
        private const int Window = 5;
        private readonly Queue<double> _ratios = new();
        private double _previous = double.NaN;
        private double _best = double.PositiveInfinity;
        private int _sinceBest;
        private double _theta = 1.0;

        public double Next(double error)
        {
            if (error < _best) { _best = error; _sinceBest = 0; }
            else _sinceBest++;
            if (_theta == 1.0)
            {
                if (double.IsFinite(_previous) && _previous > 0)
                {
                    _ratios.Enqueue(error / _previous);
                    if (_ratios.Count > Window) _ratios.Dequeue();
                }
                double min = _ratios.Count == Window ? _ratios.Min() : 0, max = _ratios.Count == Window ? _ratios.Max() : 1;
                // A settled ratio is the linear regime's contraction η; only slow ones are worth relaxing.
                if (_ratios.Count == Window && max - min < 0.01 * max && max < 1 && max > 0.5)
                    _theta = Math.Min(1.95, 2 / (1 + Math.Sqrt(1 - max)));
            }
            else if (_sinceBest > 50)
            {
                _theta = 1.0;
                _ratios.Clear();
                _sinceBest = 0;
            }
            _previous = error;
            return _theta;
        }
    }

    /// <summary>
    /// The coupling of (f, g), where <paramref name="next"/> = τ_a·T_b(g) is the row update the solve stopped
    /// before: its row i sums to a_i·exp((f_i − next_i/τ_a)/ε), so the true row-marginal error costs O(N).
    /// </summary>
    private static Coupling Result(EntropicProblem problem, double[] f, double[] g, double[] next, int iterations,
        double stoppingError, bool converged, string solver)
    {
        if (problem.IsBalanced)
            return new Coupling(problem, f, g, iterations, stoppingError, converged, solver);
        var rowTarget = new double[next.Length];
        for (int i = 0; i < next.Length; i++) rowTarget[i] = next[i] / problem.TauA;
        return new Coupling(problem, f, g, iterations, RowMarginalError(problem, f, rowTarget), converged, solver,
            convergenceError: stoppingError);
    }

    /// <summary>
    /// Wraps a backend half-step so that its output is scaled by τ_b when it sums against a (the driver's own
    /// <paramref name="logA"/> array, told apart by identity) and by τ_a otherwise.
    /// </summary>
    private static HalfStep Scaled(HalfStep halfStep, double[] logA, double tauB, double tauA)
    {
        if (tauA == 1 && tauB == 1) return halfStep;
        return (potential, logMarginal, output) =>
        {
            halfStep(potential, logMarginal, output);
            double tau = ReferenceEquals(logMarginal, logA) ? tauB : tauA;
            for (int i = 0; i < output.Length; i++) output[i] *= tau;
        };
    }

    private static double RowMarginalError(EntropicProblem problem, double[] f, double[] next)
    {
        double eps = problem.Epsilon, error = 0;
        var a = problem.A;
        for (int i = 0; i < f.Length; i++)
            if (a[i] > 0) error += a[i] * Math.Abs(Math.Exp((f[i] - next[i]) / eps) - 1.0);
        return error;
    }

    private static double[] LogOf(ReadOnlySpan<double> m)
    {
        var result = new double[m.Length];
        for (int i = 0; i < m.Length; i++) result[i] = Math.Log(m[i]);
        return result;
    }
}
