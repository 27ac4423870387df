namespace HardNegOT; internal static class Placeholder { }
