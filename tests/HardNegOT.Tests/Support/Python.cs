using System.Diagnostics;
using System.Text;

namespace HardNegOT.Tests.Support;

/// <summary>
/// Runs the system Python (/usr/bin/python3) for cross-checks against numpy. Failures throw, so a test that needs
/// Python fails loudly (never skips) when Python or a module is missing.
/// </summary>
public static class Python
{
    /// <summary>The interpreter the tests use (Debian's python3; numpy comes from python3-numpy).</summary>
    public const string Executable = "/usr/bin/python3";

    /// <summary>How long one run may take before it is killed.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(120);

    /// <summary>Runs <c>python3 -c script args...</c> and returns its stdout.</summary>
    /// <param name="script">Python source passed with -c; <c>sys.argv[1:]</c> holds <paramref name="args"/>.</param>
    /// <param name="args">Extra command-line arguments (passed verbatim, no shell).</param>
    /// <returns>Everything the script wrote to stdout.</returns>
    public static string RunScript(string script, params string[] args) => Run(["-c", script, .. args]);

    /// <summary>Runs python3 with <paramref name="arguments"/>, feeding <paramref name="stdin"/>, and returns its stdout.</summary>
    /// <param name="arguments">Arguments to python3 (e.g. "-c", source, ...), passed verbatim, no shell.</param>
    /// <param name="stdin">Text written to the process's standard input, or null for none.</param>
    /// <param name="timeout">Time limit; <see cref="DefaultTimeout"/> when null.</param>
    /// <returns>Everything the process wrote to stdout.</returns>
    /// <exception cref="PythonException">Python is missing, timed out or exited non-zero (the message holds stderr).</exception>
    public static string Run(IReadOnlyList<string> arguments, string? stdin = null, TimeSpan? timeout = null)
    {
        if (!File.Exists(Executable))
        {
            throw new PythonException(
                $"{Executable} is not installed; these tests need it with numpy: run `apt-get install python3 python3-numpy`.");
        }

        var start = new ProcessStartInfo(Executable)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["PYTHONIOENCODING"] = "utf-8";
        start.Environment["PYTHONDONTWRITEBYTECODE"] = "1";

        using var process = Process.Start(start)
            ?? throw new PythonException($"Could not start {Executable}.");

        // Drain both pipes concurrently so that a chatty process cannot block on a full pipe.
        var stdoutTask = process.StandardOutput.ReadToEndAsync();
        var stderrTask = process.StandardError.ReadToEndAsync();
        try
        {
            if (stdin is not null)
            {
                process.StandardInput.Write(stdin);
            }

            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The script exited without reading all of stdin; its exit code and stderr below tell the story.
        }

        var limit = timeout ?? DefaultTimeout;
        if (!process.WaitForExit(limit))
        {
            process.Kill(entireProcessTree: true);
            throw new PythonException($"{Executable} did not finish within {limit.TotalSeconds:0} s ({Describe(arguments)}).");
        }

        string stdout = stdoutTask.GetAwaiter().GetResult();
        string stderr = stderrTask.GetAwaiter().GetResult();
        if (process.ExitCode != 0)
        {
            string hint = stderr.Contains("No module named 'numpy'", StringComparison.Ordinal)
                ? " numpy is missing: run `apt-get install python3-numpy`."
                : string.Empty;
            throw new PythonException(
                $"{Executable} exited with code {process.ExitCode} ({Describe(arguments)}).{hint}\nstderr:\n{stderr}");
        }

        return stdout;
    }

    /// <summary>Fails (throws) with an install hint unless numpy can be imported; returns numpy's version.</summary>
    public static string RequireNumpy() => RunScript("import numpy; print(numpy.__version__)").Trim();

    private static string Describe(IReadOnlyList<string> arguments)
    {
        string joined = string.Join(' ', arguments);
        return joined.Length <= 120 ? joined : joined[..120] + "...";
    }
}

/// <summary>A Python run failed: the interpreter or a module is missing, it timed out, or it exited non-zero.</summary>
public sealed class PythonException(string message) : Exception(message);
