using HeadlessVm.Core.Libvirt;

namespace HeadlessVm.Tests;

/// <summary>
/// What a test on this machine's libvirtd (qemu:///system) needs and leaves nothing of: a PowerShell session, a folder of
/// its own under /var/lib/libvirt/images (where the libvirt-qemu user reads) with the test guest's kernel and initrd, a
/// connection, and the domains and storage pools it names, destroyed and undefined by name at the end with their logs.
/// </summary>
public sealed class LibvirtBed : IDisposable
{
    private readonly string _prefix;
    private readonly List<string> _domains = new();
    private readonly List<string> _pools = new();
    private readonly List<string> _folders = new();

    public LibvirtBed(LibvirtDaemons daemons, string prefix)
    {
        daemons.EnsureLocal();
        _prefix = prefix;
        Ps = new PowerShellSession();
        Libvirt = LibvirtConnection.Open(LibvirtDaemons.LocalUri);
        Images = Directory.CreateDirectory(Path.Combine("/var/lib/libvirt/images", prefix + Guid.NewGuid().ToString("N")[..8])).FullName;
        File.Copy(TestGuest.Kernel, Path.Combine(Images, "vmlinuz"));
        File.Copy(TestGuest.Initrd, Path.Combine(Images, "initrd.img"));
    }

    public PowerShellSession Ps { get; }

    public LibvirtConnection Libvirt { get; }

    /// <summary>The test's own folder of images.</summary>
    public string Images { get; }

    /// <summary>A new domain name (ending in <paramref name="role"/> when given), remembered for cleanup.</summary>
    public string Name(string role = "")
    {
        var name = _prefix + Guid.NewGuid().ToString("N")[..6] + role;
        _domains.Add(name);
        return name;
    }

    /// <summary>Makes <paramref name="folder"/> a transient storage pool of type dir (gone when destroyed); returns its name.</summary>
    public string Pool(string folder)
    {
        var name = _prefix + "pool-" + Guid.NewGuid().ToString("N")[..6];
        Virsh("pool-create-as", name, "dir", "--target", folder);
        _pools.Add(name);
        _folders.Add(folder);
        return name;
    }

    /// <summary>The name of the pool this test made for <paramref name="folder"/>.</summary>
    public string PoolOf(string folder) => _pools[_folders.IndexOf(folder)];

    /// <summary>Defines a domain with plain virsh (no HeadlessVm metadata): External.</summary>
    public void DefineExternal(string name)
    {
        var xml = Path.Combine(Ps.WorkFolder, name + ".xml");
        File.WriteAllText(xml, $"<domain type='qemu'><name>{name}</name><memory unit='MiB'>32</memory><os><type arch='x86_64'>hvm</type></os></domain>");
        Virsh("define", xml);
    }

    /// <summary>Runs virsh on qemu:///system (bounded as <see cref="NativeTool.Run"/>); its output, or a failed test.</summary>
    public static string Virsh(params string[] arguments) =>
        NativeTool.Run("virsh", new[] { "-c", LibvirtDaemons.LocalUri }.Concat(arguments).ToArray()) is { ExitCode: 0 } ok
            ? ok.Output
            : throw new Xunit.Sdk.XunitException($"virsh {string.Join(' ', arguments)} failed");

    public static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static bool Listening(int port)
    {
        using var client = new System.Net.Sockets.TcpClient();
        try
        {
            client.Connect(System.Net.IPAddress.Loopback, port);
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        try
        {
            foreach (var name in _domains.Where(n => Libvirt.Find(n) is not null))
            {
                if (Libvirt.GetState(name).State != LibvirtDomainState.Shutoff)
                {
                    Libvirt.Destroy(name);
                }

                Libvirt.Undefine(name);
            }

            foreach (var name in _domains)
            {
                File.Delete($"/var/log/libvirt/qemu/{name}.log");
                File.Delete($"/var/log/libvirt/qemu/{name}-serial.log");
            }

            foreach (var pool in _pools)
            {
                Virsh("pool-destroy", pool);
            }
        }
        finally
        {
            Libvirt.Dispose();
            Ps.Dispose();
            Directory.Delete(Images, recursive: true);
        }
    }
}
