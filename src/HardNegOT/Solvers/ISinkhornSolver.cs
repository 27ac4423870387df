using HardNegOT.Couplings;
using HardNegOT.Problems;

namespace HardNegOT.Solvers;

/// <summary>A Sinkhorn solver: one algorithm on one backend.</summary>
public interface ISinkhornSolver
{
    /// <summary>Short name reported in diagnostics (e.g. "reference", "cpu").</summary>
    string Name { get; }

    /// <summary>Solves <paramref name="problem"/> and returns the coupling carried by its duals.</summary>
    Coupling Solve(EntropicProblem problem, SinkhornOptions? options = null);
}
