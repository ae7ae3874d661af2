namespace HeadlessVm.Bench;

/// <summary>
/// A bed of libvirt hosts for one scenario (tests/hosts/hostbed.sh: h1..hN, namespaces on this machine with their own
/// libvirtd and sshd), under a root, /24 and bridge name of its own so that it never meets a test's bed or another
/// scenario's. <see cref="Up"/> waits until the hosts answer; <see cref="Down"/> removes everything it made (safe after a failed up).
/// </summary>
public sealed class BenchBed
{
    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromMinutes(3);

    private readonly Dictionary<string, string> _environment;
    private Dictionary<string, string> _facts = new();

    /// <param name="tag">Three letters that name its root (/tmp/TAGbed-PID) and bridge (TAG + PID).</param>
    /// <param name="network">The second octet of its 10.N.X.0/24.</param>
    public BenchBed(string tag, int network) => _environment = new Dictionary<string, string>
    {
        ["HVM_HOSTBED_ROOT"] = $"/tmp/{tag}bed-{Environment.ProcessId}",
        ["HVM_HOSTBED_NET"] = $"10.{network}.{Random.Shared.Next(100, 250)}",
        ["HVM_HOSTBED_BRIDGE"] = $"{tag}{Environment.ProcessId % 100000}",
    };

    /// <summary>Makes <paramref name="hosts"/> hosts and keeps what `up` printed. Call <see cref="Down"/> afterwards even when this failed.</summary>
    public void Up(int hosts)
    {
        var output = Script("hostbed.sh", _environment, "up", hosts.ToString(System.Globalization.CultureInfo.InvariantCulture));
        _facts = output.Split('\n').Select(l => l.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0].Trim(), p => p[1].Trim());
    }

    /// <summary>A fact `up` printed (hostbed.sh info): h1.uri_ssh, h1.address, ssh_command, ...</summary>
    public string this[string fact] => _facts[fact];

    /// <summary>Takes the bed down; a failure becomes a warning of <paramref name="section"/>.</summary>
    public void Down(Section section)
    {
        try
        {
            Script("hostbed.sh", _environment, "down");
        }
        catch (Exception ex) when (ex is BenchException or TimeoutException)
        {
            section.Warning($"hostbed.sh down failed: {ex.Message}");
        }
    }

    /// <summary>Runs a script of tests/hosts with <paramref name="environment"/> set for it alone; its output, or BenchException.</summary>
    public static string Script(string name, IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        var script = Path.Combine(Path.GetDirectoryName(ModuleRunspace.Manifest)!, "tests", "hosts", name);
        var r = ProcessTools.Run("env", environment.Select(e => $"{e.Key}={e.Value}").Append("bash").Append(script).Concat(arguments), ScriptTimeout);
        return r.ExitCode == 0 ? r.StandardOutput : throw new BenchException($"{name} {string.Join(' ', arguments)} failed ({r.ExitCode}): {r.StandardError.Trim()}");
    }
}
