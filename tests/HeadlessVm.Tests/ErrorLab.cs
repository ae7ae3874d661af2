using System.Management.Automation;
using System.Text.Json;
using HeadlessVm.Core.Processes;

namespace HeadlessVm.Tests;

/// <summary>An error as a user meets it: what the ErrorRecord says.</summary>
public sealed record RaisedError(string Id, ErrorCategory Category, string? Target, string Message)
{
    public static RaisedError From(ErrorRecord record) => new(
        record.FullyQualifiedErrorId.Split(',')[0], record.CategoryInfo.Category, record.TargetObject?.ToString(), record.Exception.Message);

    public override string ToString() => $"{Id} ({Category}) on '{Target}': {Message}";
}

/// <summary>
/// The shared lab of <see cref="ErrorCatalogueTests"/>: one session (its own store), a stopped VM and a
/// running one (paused: its CPUs cost nothing) made on first use, a work folder, and fake programs for
/// the failures no real program shows on cue. Every row runs its scripts here; disposing the lab removes
/// what the rows left and fails on any process that leaked.
/// </summary>
public sealed class ErrorLab : IDisposable
{
    public const string StoppedVm = "lab-off";
    public const string RunningVm = "lab-on";

    private readonly string? _path = Environment.GetEnvironmentVariable("PATH");
    private bool _stopped;
    private bool _running;

    public ErrorLab()
    {
        Session = new PowerShellSession();
        Bin = Directory.CreateDirectory(Path.Combine(Session.StateRoot, "bin")).FullName;
        Empty = Directory.CreateDirectory(Path.Combine(Session.StateRoot, "empty")).FullName;
    }

    public PowerShellSession Session { get; }

    /// <summary>This machine's libvirtd, for the rows that need it (set by the test class, which gets it from its collection).</summary>
    public LibvirtDaemons? Daemons { get; set; }

    public string Work => Session.WorkFolder;

    /// <summary>Where fake programs go (see <see cref="FakeProgram"/>).</summary>
    public string Bin { get; }

    /// <summary>A folder with no programs in it: PATH for "not installed".</summary>
    public string Empty { get; }

    /// <summary>The real qemu and websockify, found before any row changes PATH.</summary>
    public static string RealQemu { get; } = NativeRunner.FindExecutable("qemu-system-x86_64") ?? "/usr/bin/qemu-system-x86_64";

    /// <summary>Root runs programs with CAP_DAC_OVERRIDE, which reads and writes anything: setpriv drops it (and its reading half) for one program.</summary>
    public static IReadOnlyList<string> WithoutFileOverride { get; } = Environment.IsPrivilegedProcess
        ? ["setpriv", "--inh-caps=-dac_override,-dac_read_search", "--bounding-set=-dac_override,-dac_read_search", "--"]
        : [];

    public string Stopped
    {
        get
        {
            if (!_stopped)
            {
                Session.Ok($"New-HeadlessVm {StoppedVm} -MemoryMB 64 -Network None -Accelerator Tcg -NoStart | Out-Null");
                _stopped = true;
            }

            return StoppedVm;
        }
    }

    public string Running
    {
        get
        {
            if (!_running)
            {
                Session.Ok($"New-HeadlessVm {RunningVm} -MemoryMB 64 -Network None -Accelerator Tcg -Paused | Out-Null");
                _running = true;
            }

            return RunningVm;
        }
    }

    public string WorkFile(string name) => Session.Work(name);

    /// <summary>Writes an executable shell script named <paramref name="name"/> into <see cref="Bin"/>.</summary>
    public void FakeProgram(string name, string body)
    {
        var file = Path.Combine(Bin, name);
        File.WriteAllText(file, "#!/bin/sh\n" + body + "\n");
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    /// <summary>Runs <paramref name="script"/> with <paramref name="path"/> as PATH (process-wide, as the module reads it), then puts PATH back.</summary>
    public PsResult WithPath(string path, string script)
    {
        Environment.SetEnvironmentVariable("PATH", path);
        try
        {
            return Session.Run(script);
        }
        finally
        {
            Environment.SetEnvironmentVariable("PATH", _path);
            foreach (var file in Directory.EnumerateFiles(Bin))
            {
                File.Delete(file);
            }
        }
    }

    /// <summary>PATH with the fake programs first.</summary>
    public string FakesFirst => Bin + ":" + _path;

    /// <summary>
    /// Runs <paramref name="command"/> (one cmdlet call) in a new pwsh that imports the module, against
    /// this lab's store, started through <paramref name="launcher"/>; returns the errors it reported.
    /// </summary>
    public IReadOnlyList<RaisedError> InChildPwsh(string command, IReadOnlyList<string> launcher, string? stateRoot = null)
    {
        var script = $$"""
            Import-Module '{{RepoPaths.Manifest.Replace("'", "''")}}' -ErrorAction Stop
            {{command}} -ErrorAction SilentlyContinue -ErrorVariable hvmErrors | Out-Null
            ConvertTo-Json -Compress -InputObject @($hvmErrors | ForEach-Object {
                [pscustomobject]@{ Id = $_.FullyQualifiedErrorId.Split(',')[0]; Category = "$($_.CategoryInfo.Category)"; Target = "$($_.TargetObject)"; Message = $_.Exception.Message } })
            """;
        var result = Pwsh.Run(["-Command", script], Work, [("HEADLESSVM_HOME", stateRoot ?? Session.StateRoot)], TimeSpan.FromMinutes(2), launcher);
        Assert.True(result.ExitCode == 0, $"the child pwsh failed ({result.ExitCode}): {result.Stdout}\n{result.Stderr}");
        return JsonSerializer.Deserialize<JsonElement[]>(result.Stdout.Trim().Split('\n').Last())!
            .Select(e => new RaisedError(e.GetProperty("Id").GetString()!, Enum.Parse<ErrorCategory>(e.GetProperty("Category").GetString()!),
                e.GetProperty("Target").GetString(), e.GetProperty("Message").GetString()!))
            .ToList();
    }

    public void Dispose()
    {
        Environment.SetEnvironmentVariable("PATH", _path);
        Session.Dispose();
    }
}
