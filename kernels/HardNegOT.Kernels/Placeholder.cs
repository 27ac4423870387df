namespace HardNegOT.Kernels; internal static class Placeholder { }
