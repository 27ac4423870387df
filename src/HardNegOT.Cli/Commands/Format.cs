using System.Globalization;

namespace HardNegOT.Cli.Commands;

/// <summary>Number formatting for messages and reports, independent of the current culture.</summary>
internal static class Format
{
    /// <summary>Shortest round-trip form: what the user typed stays recognisable ("0.1", "-1", "NaN").</summary>
    public static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Six significant digits for report values.</summary>
    public static string Short(double value) => value.ToString("G6", CultureInfo.InvariantCulture);

    /// <summary>Three significant digits in exponent form, for errors and tolerances.</summary>
    public static string Scientific(double value) => value.ToString("0.00e+00", CultureInfo.InvariantCulture);
}
