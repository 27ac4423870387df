namespace HardNegOT.Kernels;

/// <summary>
/// Marks a static method as an ILGPU kernel entry point. Tests enumerate every marked method and
/// compile it for CUDA (PTX) without a GPU, so a new kernel is covered as soon as it carries this attribute.
/// </summary>
/// <remarks>
/// Implicitly grouped kernels take an ILGPU index (<c>Index1D</c>, <c>Index2D</c>, …) as their first
/// parameter; explicitly grouped ones do not. Set <see cref="ExplicitlyGrouped"/> for the latter.
/// </remarks>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class KernelEntryPointAttribute : Attribute
{
    /// <summary>
    /// True for an explicitly grouped kernel (launched with a <c>KernelConfig</c> and using
    /// <c>Grid</c>/<c>Group</c> indices); false (the default) for an implicitly grouped one.
    /// </summary>
    public bool ExplicitlyGrouped { get; init; }
}
