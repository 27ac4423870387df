namespace HardNegOT.Solvers;

/// <summary>
/// Type-II Anderson acceleration of a fixed-point map x ↦ x + r(x), in double. It keeps the last m
/// differences ΔX, ΔR of iterates and residuals and proposes x + r − (ΔX + ΔR)·γ with
/// γ = argmin ‖r − ΔR·γ‖ in the a-weighted norm (the weights the marginal error uses). The safeguard
/// (reject a step that raises the residual) is the caller's.
/// </summary>
internal sealed class AndersonAcceleration
{
    // Relative Tikhonov term: ΔR columns become nearly collinear as the solve converges.
    private const double Regularisation = 1e-10;

    private readonly int _n;
    private readonly int _memory;
    private readonly double[] _weights;
    private readonly double[][] _dx;
    private readonly double[][] _dr;
    private int _count;
    private int _head;

    public AndersonAcceleration(int n, int memory, double[] weights)
    {
        _n = n;
        _memory = memory;
        _weights = weights;
        _dx = new double[memory][];
        _dr = new double[memory][];
        for (int k = 0; k < memory; k++)
        {
            _dx[k] = new double[n];
            _dr[k] = new double[n];
        }
    }

    /// <summary>Forgets the history (after a rejected step): the next proposal is the plain step.</summary>
    public void Reset() => _count = 0;

    /// <summary>The weighted norm √(Σ w_i r_i²).</summary>
    public double Norm(double[] r)
    {
        double s = 0;
        for (int i = 0; i < _n; i++) s += _weights[i] * r[i] * r[i];
        return Math.Sqrt(s);
    }

    /// <summary>Records the step x → xNext with residuals r → rNext.</summary>
    public void Push(double[] x, double[] r, double[] xNext, double[] rNext)
    {
        var dx = _dx[_head];
        var dr = _dr[_head];
        for (int i = 0; i < _n; i++)
        {
            dx[i] = xNext[i] - x[i];
            dr[i] = rNext[i] - r[i];
        }
        _head = (_head + 1) % _memory;
        if (_count < _memory) _count++;
    }

    /// <summary>
    /// Writes the extrapolated iterate to <paramref name="destination"/>; false (and nothing written)
    /// when there is no history yet or the least-squares system is degenerate or not finite.
    /// </summary>
    public bool Extrapolate(double[] x, double[] r, double[] destination)
    {
        int m = _count;
        if (m == 0) return false;
        var slots = new int[m];
        for (int k = 0; k < m; k++) slots[k] = (_head - m + k + _memory) % _memory;

        // Normal equations (ΔRᵀWΔR + λI)γ = ΔRᵀWr: m ≤ 50, so an m×m solve is negligible next to a half-step.
        var h = new double[m, m];
        var rhs = new double[m];
        double trace = 0;
        for (int p = 0; p < m; p++)
        {
            var drp = _dr[slots[p]];
            for (int q = 0; q <= p; q++)
            {
                var drq = _dr[slots[q]];
                double s = 0;
                for (int i = 0; i < _n; i++) s += _weights[i] * drp[i] * drq[i];
                h[p, q] = h[q, p] = s;
            }
            double t = 0;
            for (int i = 0; i < _n; i++) t += _weights[i] * drp[i] * r[i];
            rhs[p] = t;
            trace += h[p, p];
        }
        if (!(trace > 0) || !double.IsFinite(trace)) return false;
        for (int p = 0; p < m; p++) h[p, p] += Regularisation * trace / m;
        if (!Solve(h, rhs, m)) return false;

        for (int i = 0; i < _n; i++)
        {
            double v = x[i] + r[i];
            for (int k = 0; k < m; k++) v -= rhs[k] * (_dx[slots[k]][i] + _dr[slots[k]][i]);
            destination[i] = v;
        }
        return true;
    }

    // Gaussian elimination with partial pivoting; the solution overwrites b.
    private static bool Solve(double[,] h, double[] b, int m)
    {
        for (int c = 0; c < m; c++)
        {
            int pivot = c;
            for (int r = c + 1; r < m; r++)
                if (Math.Abs(h[r, c]) > Math.Abs(h[pivot, c])) pivot = r;
            if (!(Math.Abs(h[pivot, c]) > 0)) return false;
            if (pivot != c)
            {
                for (int k = 0; k < m; k++) (h[c, k], h[pivot, k]) = (h[pivot, k], h[c, k]);
                (b[c], b[pivot]) = (b[pivot], b[c]);
            }
            for (int r = c + 1; r < m; r++)
            {
                double factor = h[r, c] / h[c, c];
                for (int k = c; k < m; k++) h[r, k] -= factor * h[c, k];
                b[r] -= factor * b[c];
            }
        }
        for (int c = m - 1; c >= 0; c--)
        {
            double s = b[c];
            for (int k = c + 1; k < m; k++) s -= h[c, k] * b[k];
            b[c] = s / h[c, c];
        }
        foreach (var v in b) if (!double.IsFinite(v)) return false;
        return true;
    }
}
