using System.Diagnostics;

namespace HeadlessVm.Tests;

/// <summary>
/// Runs a real <c>pwsh</c> process, as a user's shell: the tests about what a user sees at a pwsh prompt
/// (build.ps1, a second shell, installing the package) run through it rather than the in-process host.
/// </summary>
public static class Pwsh
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    /// <summary>
    /// The pwsh on PATH, else the one <c>dotnet tool install --global PowerShell</c> put in ~/.dotnet/tools
    /// (setup/prerequisites.sh installs it there).
    /// </summary>
    public static string Path { get; } = Find();

    private static string Find()
    {
        var candidates = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(System.IO.Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => System.IO.Path.Combine(dir, "pwsh"))
            .Append(System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".dotnet", "tools", "pwsh"));
        return candidates.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("pwsh is not on PATH nor in ~/.dotnet/tools: run setup/prerequisites.sh, which installs it as a dotnet tool.");
    }

    /// <summary>
    /// Starts <c>pwsh -NoProfile -NonInteractive</c> with <paramref name="arguments"/>. <paramref name="environment"/>
    /// sets variables for the child, and a null value removes one. <paramref name="launcher"/> is an argv
    /// that runs pwsh (such as setpriv with its options and "--"): pwsh's path and arguments follow it.
    /// </summary>
    public static Process Start(IEnumerable<string> arguments, string? workingDirectory = null, IEnumerable<(string Name, string? Value)>? environment = null,
        IReadOnlyList<string>? launcher = null)
    {
        var psi = new ProcessStartInfo(launcher is { Count: > 0 } ? launcher[0] : Path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory ?? RepoPaths.Root,
        };
        if (launcher is { Count: > 0 })
        {
            foreach (var argument in launcher.Skip(1))
            {
                psi.ArgumentList.Add(argument);
            }

            psi.ArgumentList.Add(Path);
        }

        psi.ArgumentList.Add("-NoProfile");
        psi.ArgumentList.Add("-NonInteractive");
        foreach (var argument in arguments)
        {
            psi.ArgumentList.Add(argument);
        }

        BoundedProcess.SetEnvironment(psi, environment);

        return Process.Start(psi)!;
    }

    /// <summary>Waits at most <paramref name="timeout"/> (default 5 minutes) for the process, killing it after that.</summary>
    public static Result Finish(Process process, TimeSpan? timeout = null)
    {
        using (process)
        {
            var stderr = process.StandardError.ReadToEndAsync();
            var stdout = process.StandardOutput.ReadToEndAsync();
            var limit = timeout ?? TimeSpan.FromMinutes(5);
            if (!process.WaitForExit(limit))
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(TimeSpan.FromSeconds(10));
                Task.WaitAll([stdout, stderr], TimeSpan.FromSeconds(10));
                throw new TimeoutException($"pwsh did not finish in {limit.TotalSeconds} s.\n{Text(stdout)}\n{Text(stderr)}");
            }

            // The streams end when every process holding them has closed them: a daemon that kept them would hang here.
            if (!Task.WaitAll([stdout, stderr], TimeSpan.FromSeconds(30)))
            {
                throw new TimeoutException("pwsh exited, but something it started still holds its output open (a daemon that did not close its standard streams).");
            }

            return new Result(process.ExitCode, stdout.Result, stderr.Result);
        }
    }

    private static string Text(Task<string> stream) => stream.IsCompletedSuccessfully ? stream.Result : "(output still open)";

    public static Result Run(IEnumerable<string> arguments, string? workingDirectory = null, IEnumerable<(string Name, string? Value)>? environment = null, TimeSpan? timeout = null,
        IReadOnlyList<string>? launcher = null) =>
        Finish(Start(arguments, workingDirectory, environment, launcher), timeout);
}
