using System.Text;
using CliWrap;
using CliWrap.Buffered;
using HeadlessVm.Core.Errors;

namespace HeadlessVm.Core.Processes;

/// <summary>A program and its argv, as data. Shown in -Verbose with secrets masked.</summary>
public sealed record NativeCommand(string Program, IReadOnlyList<string> Arguments)
{
    /// <summary>Variables set for the program on top of this process's environment (no secrets here: -Verbose shows them).</summary>
    public IReadOnlyDictionary<string, string>? Environment { get; init; }

    /// <summary>The command line as a person would type it, for messages and -Verbose only; never executed.</summary>
    public string Display => string.Join(' ',
        (Environment ?? new Dictionary<string, string>()).Select(e => $"{e.Key}={Quote(e.Value)}")
            .Concat(new[] { Quote(Program) })
            .Concat(Arguments.Select(Quote)));

    private static string Quote(string s) =>
        s.Length > 0 && s.All(c => char.IsLetterOrDigit(c) || "-_./:=,@+%".Contains(c)) ? s : "'" + s.Replace("'", "'\\''") + "'";
}

public sealed record NativeResult(int ExitCode, string StandardOutput, string StandardError)
{
    /// <summary>What the program said when it failed: its standard error, else its standard output, trimmed.</summary>
    public string Message => StandardError.Trim() is { Length: > 0 } error ? error : StandardOutput.Trim();
}

/// <summary>Runs native programs through CliWrap with an argument list; no shell is involved.</summary>
public static class NativeRunner
{
    /// <summary>
    /// How long a program may run before it is killed (ProgramTimedOut): the module runs only programs
    /// that answer or detach quickly (qemu -daemonize, websockify -D, qemu-img info and create without
    /// preallocation), so a minute means it hangs (a disk image on a dead NFS mount, a wrapper gone wrong).
    /// </summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(1);

    /// <summary>
    /// The folders of PATH that are absolute: a relative entry (or an empty one, which means ".") would be
    /// read against the process's working folder, never PowerShell's location, so it is left out.
    /// </summary>
    public static IEnumerable<string> SearchPath() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin")
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Where(Path.IsPathRooted);

    /// <summary>
    /// Runs the program to its exit and returns its exit code and output. Cancelling kills it (and its
    /// process tree) and throws OperationCanceledException; running past <paramref name="timeout"/>
    /// (<see cref="DefaultTimeout"/> when null) kills it and throws ProgramTimedOut.
    /// </summary>
    public static NativeResult Run(NativeCommand command, CancellationToken cancellationToken = default, string? workingDirectory = null, TimeSpan? timeout = null)
    {
        // A bare name runs the program FindExecutable finds, so that a relative PATH entry (which exec would
        // read against this process's working folder) never decides which program runs.
        var program = command.Program.Contains('/') ? command.Program
            : FindExecutable(command.Program) ?? throw HeadlessVmErrors.ProgramNotFound(command.Program,
                new FileNotFoundException($"no executable '{command.Program}' in the absolute folders of PATH"));
        var cli = Cli.Wrap(program)
            .WithArguments(command.Arguments)
            .WithValidation(CommandResultValidation.None);
        if (command.Environment is { Count: > 0 } environment)
        {
            cli = cli.WithEnvironmentVariables(environment.ToDictionary(e => e.Key, e => (string?)e.Value));
        }
        if (workingDirectory is not null)
        {
            cli = cli.WithWorkingDirectory(workingDirectory);
        }

        var wait = timeout ?? DefaultTimeout;
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(wait);
        try
        {
            var result = cli.ExecuteBufferedAsync(Encoding.UTF8, limit.Token).GetAwaiter().GetResult();
            return new NativeResult(result.ExitCode, result.StandardOutput, result.StandardError);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw HeadlessVmErrors.ProgramTimedOut(command.Program, wait, command.Display);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw HeadlessVmErrors.ProgramNotFound(command.Program, ex);
        }
    }

    /// <summary>
    /// Finds a program on PATH; null when absent. A name with a '/' must be absolute (a relative one would
    /// be read against the process's working folder, which PowerShell's location is not).
    /// </summary>
    public static string? FindExecutable(string name)
    {
        if (name.Contains('/'))
        {
            return Path.IsPathRooted(name) && File.Exists(name) ? Path.GetFullPath(name) : null;
        }

        foreach (var dir in SearchPath())
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate) && (File.GetUnixFileMode(candidate) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0)
            {
                return candidate;
            }
        }

        return null;
    }
}
