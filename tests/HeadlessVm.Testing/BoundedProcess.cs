using System.Diagnostics;

namespace HeadlessVm.Testing;

/// <summary>
/// Runs a program to its end with a bound: both output streams are read while it runs (a full pipe would
/// otherwise stall it), and one that outlives <c>timeout</c> is killed with its children and fails, naming it.
/// </summary>
public static class BoundedProcess
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public string Output => Stdout + Stderr;
    }

    /// <summary>Sets variables for the program to start; a null value removes one.</summary>
    public static void SetEnvironment(ProcessStartInfo psi, IEnumerable<(string Name, string? Value)>? environment)
    {
        foreach (var (name, value) in environment ?? [])
        {
            if (value is null)
            {
                psi.Environment.Remove(name);
            }
            else
            {
                psi.Environment[name] = value;
            }
        }
    }

    /// <summary>Runs <paramref name="program"/> with <paramref name="arguments"/> (an argv list, no shell) for at most <paramref name="timeout"/>.</summary>
    public static Result Run(string program, IEnumerable<string> arguments, TimeSpan timeout, IEnumerable<(string Name, string? Value)>? environment = null)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            psi.ArgumentList.Add(argument);
        }

        SetEnvironment(psi, environment);
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(TimeSpan.FromSeconds(10));
            throw new TimeoutException($"'{program} {string.Join(' ', psi.ArgumentList)}' did not finish within {timeout.TotalSeconds} s and was killed.");
        }

        // The streams end once the program and anything that inherited them have closed them; bounded too.
        if (!Task.WaitAll([stdout, stderr], TimeSpan.FromSeconds(30)))
        {
            throw new TimeoutException($"'{program}' exited but its output streams stayed open (a child of it holds them).");
        }

        return new Result(process.ExitCode, stdout.Result, stderr.Result);
    }
}
