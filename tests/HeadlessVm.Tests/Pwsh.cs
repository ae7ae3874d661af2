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
    /// sets variables for the child, and a null value removes one. <paramref name="wrapper"/> (a program and
    /// its arguments, such as tests/hosts/without-libvirt.sh) runs pwsh when given.
    /// </summary>
    public static Process Start(IEnumerable<string> arguments, string? workingDirectory = null, IEnumerable<(string Name, string? Value)>? environment = null,
        IReadOnlyList<string>? wrapper = null)
    {
        var psi = new ProcessStartInfo(wrapper is { Count: > 0 } ? wrapper[0] : Path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory ?? RepoPaths.Root,
        };
        if (wrapper is { Count: > 0 })
        {
            foreach (var argument in wrapper.Skip(1).Append(Path))
            {
                psi.ArgumentList.Add(argument);
            }
        }

        psi.ArgumentList.Add("-NoProfile");
        psi.ArgumentList.Add("-NonInteractive");
        foreach (var argument in arguments)
        {
            psi.ArgumentList.Add(argument);
        }

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
                process.WaitForExit();
                throw new TimeoutException($"pwsh did not finish in {limit.TotalSeconds} s.\n{stdout.Result}\n{stderr.Result}");
            }

            process.WaitForExit();
            return new Result(process.ExitCode, stdout.Result, stderr.Result);
        }
    }

    public static Result Run(IEnumerable<string> arguments, string? workingDirectory = null, IEnumerable<(string Name, string? Value)>? environment = null, TimeSpan? timeout = null) =>
        Finish(Start(arguments, workingDirectory, environment), timeout);
}
