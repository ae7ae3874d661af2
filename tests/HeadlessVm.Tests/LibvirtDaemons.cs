using System.Diagnostics;
using HeadlessVm.Core.Libvirt;

namespace HeadlessVm.Tests;

/// <summary>
/// The libvirt daemons the PowerShell tests need, started on first use by the repository's own scripts and stopped
/// at the end of the run, so that <c>dotnet test</c> alone works on a machine with the packages installed (.ci/run
/// starts this machine's daemons itself; then they are left to it):
/// <list type="bullet">
/// <item><see cref="EnsureLocal"/>: this machine's virtlogd and libvirtd (qemu:///system) through tests/hosts/local-libvirt.sh;</item>
/// <item><see cref="EnsureBed"/>: a bed of two hosts (h1, h2: namespaces with their own libvirtd and sshd) through
/// tests/hosts/hostbed.sh, under a root, /24 and bridge name of this run's own, so it never meets another bed.</item>
/// </list>
/// </summary>
public sealed class LibvirtDaemons : IDisposable
{
    public const string LocalUri = "qemu:///system";
    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromMinutes(3);

    private readonly object _gate = new();
    private bool _startedLocal;
    private HostBed? _bed;

    /// <summary>Makes sure qemu:///system answers, starting this machine's daemons when it does not.</summary>
    public void EnsureLocal()
    {
        lock (_gate)
        {
            if (Answers(LocalUri))
            {
                return;
            }

            Script("local-libvirt.sh", new[] { "start" });
            _startedLocal = true;
        }
    }

    /// <summary>The two-host bed, made on first use.</summary>
    public HostBed EnsureBed()
    {
        lock (_gate)
        {
            return _bed ??= HostBed.Up(2);
        }
    }

    public void Dispose()
    {
        _bed?.Dispose();
        if (_startedLocal)
        {
            Script("local-libvirt.sh", new[] { "stop" });
        }
    }

    private static bool Answers(string uri)
    {
        try
        {
            using var connection = LibvirtConnection.Open(uri);
            return connection.IsAlive;
        }
        catch (LibvirtException)
        {
            return false;
        }
    }

    /// <summary>Runs a script of tests/hosts with arguments; its stdout, or an exception with both streams.</summary>
    public static string Script(string name, IEnumerable<string> arguments, IDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        psi.ArgumentList.Add(Path.Combine(RepoPaths.Root, "tests", "hosts", name));
        foreach (var argument in arguments)
        {
            psi.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            psi.Environment[key] = value;
        }

        using var process = Process.Start(psi)!;
        process.StandardInput.Close();
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        if (!process.WaitForExit(ScriptTimeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{name} {string.Join(' ', psi.ArgumentList.Skip(1))} did not finish in {ScriptTimeout.TotalSeconds} s.");
        }

        return process.ExitCode == 0
            ? stdout.Result
            : throw new InvalidOperationException($"{name} {string.Join(' ', psi.ArgumentList.Skip(1))} failed ({process.ExitCode}): {stderr.Result}{stdout.Result}");
    }
}

/// <summary>
/// A bed of libvirt hosts made by tests/hosts/hostbed.sh (each a mount+network+UTS namespace with its own libvirtd,
/// virtlogd and sshd on a private bridge), with its facts as `up` printed them. Dispose runs `down`.
/// </summary>
public sealed class HostBed : IDisposable
{
    private readonly Dictionary<string, string> _environment;
    private readonly Dictionary<string, string> _facts;

    private HostBed(Dictionary<string, string> environment, Dictionary<string, string> facts)
    {
        _environment = environment;
        _facts = facts;
    }

    /// <summary>Makes <paramref name="hosts"/> hosts h1..hN under a root, /24 and bridge of their own.</summary>
    public static HostBed Up(int hosts)
    {
        var tag = Random.Shared.Next(100, 250);
        var environment = new Dictionary<string, string>
        {
            ["HVM_HOSTBED_ROOT"] = $"/tmp/hvmbed-{Environment.ProcessId}",
            ["HVM_HOSTBED_NET"] = $"10.232.{tag}",
            ["HVM_HOSTBED_BRIDGE"] = $"hvmt{tag}",
        };
        var output = LibvirtDaemons.Script("hostbed.sh", new[] { "up", hosts.ToString(System.Globalization.CultureInfo.InvariantCulture) }, environment);
        var facts = output.Split('\n').Select(l => l.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0].Trim(), p => p[1].Trim());
        return new HostBed(environment, facts);
    }

    /// <summary>The bed's folder (its ssh_config, key and known_hosts are there).</summary>
    public string Root => _facts["root"];

    /// <summary>The ssh URI of a host: a real sshd in the host, reached with the bed's key and known_hosts (command=).</summary>
    public string Uri(string host) => _facts[$"{host}.uri_ssh"];

    /// <summary>Another URI of a host (hostbed.sh's kinds: ssh, libssh2, libssh, nossh, unix).</summary>
    public string Uri(string host, string kind) => _facts[$"{host}.uri_{kind}"];

    /// <summary>The host's address on the bed's bridge.</summary>
    public string Address(string host) => _facts[$"{host}.address"];

    /// <summary>The bed's ssh program (ssh -F the bed's ssh_config), as a URI's command= names it.</summary>
    public string SshCommand => _facts["ssh_command"];

    /// <summary>The host's /var/lib/libvirt/images, seen from this machine.</summary>
    public string Images(string host) => _facts[$"{host}.images"];

    /// <summary>Runs a hostbed.sh command on this bed (kill-libvirtd, start-libvirtd, deny-key, allow-key, exec ...).</summary>
    public string Run(params string[] arguments) => LibvirtDaemons.Script("hostbed.sh", arguments, _environment);

    public void Dispose() => Run("down");
}
