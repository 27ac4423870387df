namespace HardNegOT.Torch; internal static class Placeholder { }
