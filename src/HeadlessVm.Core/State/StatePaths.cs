using System.Globalization;

namespace HeadlessVm.Core.State;

/// <summary>
/// The state store's layout: every folder and file name the module writes is here and nowhere else.
/// <code>
/// $HEADLESSVM_HOME/                      else $XDG_STATE_HOME/headlessvm, else ~/.local/state/headlessvm
///   .lock                                VM lock: names and VNC displays are allocated, and VMs started, under it (VmStore)
///   .bridges.lock                        console lock: bridges and console servers change under it
///   vms/NAME/                            one folder per VM
///     vm.json                            what the VM is, its VmSpec (VmStore)
///     run.json                           how its running qemu was started (RunRecord); written last, so a
///                                        live qemu without it is a start that did not finish (QemuLauncher.Settle)
///     qemu.pid  qmp.sock                 qemu's pidfile and QMP socket (QemuProcess, VmMonitor)
///     serial.log  serial.previous.log    the serial console of this run and of the one before
///     serial.boot                        where in serial.log this boot begins, after a reset (SerialLog)
///     vnc.password                       its VNC password (VmSecrets)
///     bridge.json                        its console bridge, while it has one (VncBridgeRecord)
///   bridges/NAME/bridge.json             a bridge to any VNC server (Start-VncBridge -Target)
///   bridges/HOST~VM/bridge.json          the bridge of a libvirt VM (Console.BridgeNames)
///   hosts.json  .hosts.lock              the hosts Connect-HeadlessVmHost registered (Hosts.HostRegistry)
///   consoles/ADDRESS-PORT/               one console server: websockify serving noVNC
///     server.json                        its settings (ConsoleServerRecord)
///     websockify.pid  websockify.log     the daemon's PID and its log
///     tokens/BRIDGE                      one token line per bridge it serves (TokenFile)
///   ssh/                                 console tunnels to other hosts (Tunnels.SshTunnels), per HOST (a bridge's host part):
///     HOST.ctl  HOST.pid  HOST.log       its OpenSSH ControlMaster: control socket, PID, ssh's own log (-E)
///     HOST.lock                          the host's tunnel lock: its master and forwards change under it
///     HOST~VM.sock  HOST~VM.json         one forward: the socket a bridge's token points at (0600) and its record (ForwardRecord)
///   host/kvm-failed.PROGRAM.json         a KVM failure remembered for this boot (KvmFailures)
///   python/numpy/__init__.py             the numpy stand-in websockify runs with (WebsockifyLauncher)
/// </code>
/// Folders are 0700 and files 0600 (<see cref="PrivateFiles"/>), which writes through a temporary
/// ".NAME.PID.GUID.tmp" beside the file and renames it in. A unix socket's path holds at most
/// <see cref="SocketPathLimit"/> bytes; under ssh/ a name that would not fit is replaced by a hash of it.
/// </summary>
public sealed class StatePaths
{
    /// <summary>The longest path a unix socket can have: sun_path's 108 bytes less the terminating NUL (unix(7)).</summary>
    public const int SocketPathLimit = 107;

    /// <summary>
    /// What OpenSSH adds to a ControlPath while it makes the socket: "." and 16 random characters, renamed away
    /// afterwards (OpenSSH mux.c, muxserver_listen).
    /// </summary>
    public const int ControlPathSuffix = 17;

    private const string SpecFileName = "vm.json";
    private const string BridgeFileName = "bridge.json";

    /// <summary>The extensions of the files under ssh/ (a ControlMaster's temporary socket has another and is skipped).</summary>
    private static readonly HashSet<string> SshExtensions = new(StringComparer.Ordinal) { ".ctl", ".pid", ".log", ".lock", ".sock", ".json" };

    /// <param name="root">The state folder, absolute (a relative one would depend on the process's working folder).</param>
    /// <param name="source">The variable that chose it (<see cref="Source"/>); null when the caller chose it.</param>
    public StatePaths(string root, string? source = null)
    {
        if (!Path.IsPathRooted(root))
        {
            throw new ArgumentException($"The state folder must be an absolute path, not '{root}'.", nameof(root));
        }

        Root = Path.GetFullPath(root);
        Source = source;
    }

    public string Root { get; }

    /// <summary>
    /// The environment variable that chose <see cref="Root"/>: "HEADLESSVM_HOME", "XDG_STATE_HOME" or
    /// "HOME"; null when the root was given directly. Errors about the folder name it, so that the user
    /// knows what to change.
    /// </summary>
    public string? Source { get; }
    public string VmsFolder => Path.Combine(Root, "vms");
    public string BridgesFolder => Path.Combine(Root, "bridges");
    public string ConsolesFolder => Path.Combine(Root, "consoles");
    public string HostFolder => Path.Combine(Root, "host");
    public string PythonFolder => Path.Combine(Root, "python");

    /// <summary>The console tunnels: ssh masters and their forwards (<see cref="SshHostFiles"/>, <see cref="ForwardFiles"/>).</summary>
    public string SshFolder => Path.Combine(Root, "ssh");
    public string BridgeLockFile => Path.Combine(Root, ".bridges.lock");
    public string LockFile => Path.Combine(Root, ".lock");

    /// <summary>The registered hosts (Connect-HeadlessVmHost): their names and libvirt URIs.</summary>
    public string HostsFile => Path.Combine(Root, "hosts.json");

    /// <summary>The lock hosts.json is changed under.</summary>
    public string HostsLockFile => Path.Combine(Root, ".hosts.lock");

    /// <summary>The stand-in for numpy's package that websockify imports instead of the real one.</summary>
    public string NumpyStandInFile => Path.Combine(PythonFolder, "numpy", "__init__.py");

    /// <summary>The KVM failure remembered for a qemu binary (by its file name).</summary>
    public string KvmFailureFile(string program) => Path.Combine(HostFolder, $"kvm-failed.{Path.GetFileName(program)}.json");

    public VmFiles ForVm(string name) => new(Path.Combine(VmsFolder, name));

    /// <summary>The folder of a -Target bridge or of a libvirt VM's bridge ("HOST~VM"); a store VM's bridge lives in the VM's own folder.</summary>
    public BridgeFiles ForTargetBridge(string name) => new(Path.Combine(BridgesFolder, name));

    public ConsoleServerFiles ForConsoleServer(string listenAddress, int webPort)
    {
        // A folder name per address and port: "127.0.0.1-6080", "__1-6080" for ::1.
        var address = new string(listenAddress.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' ? c : '_').ToArray());
        return new(Path.Combine(ConsolesFolder, $"{address}-{webPort.ToString(CultureInfo.InvariantCulture)}"));
    }

    /// <summary>
    /// The tunnel files of the host whose bridges are named HOST~VM (<paramref name="hostPart"/> is HOST). The stem is
    /// HOST unless the control socket's path would be too long for ssh, then "h-" and a hash of HOST.
    /// </summary>
    public SshHostFiles ForSshHost(string hostPart)
    {
        var stem = Fits(Path.Combine(SshFolder, hostPart + ".ctl"), ControlPathSuffix) ? hostPart : "h-" + Hash(hostPart);
        return new SshHostFiles(SshFolder, stem);
    }

    /// <summary>
    /// The files of the forward for bridge HOST~VM (<paramref name="bridgeName"/>), beside its host's master: STEM~VM, or
    /// STEM~ and a hash of VM when the socket's path would be too long.
    /// </summary>
    public ForwardFiles ForForward(string bridgeName)
    {
        var separator = bridgeName.IndexOf('~', StringComparison.Ordinal);
        var host = ForSshHost(separator < 0 ? bridgeName : bridgeName[..separator]);
        var vm = separator < 0 ? string.Empty : bridgeName[(separator + 1)..];
        var stem = $"{host.Stem}~{vm}";
        if (!Fits(Path.Combine(SshFolder, stem + ".sock"), 0))
        {
            stem = $"{host.Stem}~f-{Hash(vm)}";
        }

        return new ForwardFiles(SshFolder, stem, host);
    }

    /// <summary>Every host with tunnel files under ssh/ (a master's files or a forward's), by stem.</summary>
    public IReadOnlyList<SshHostFiles> SshHosts()
    {
        if (!Directory.Exists(SshFolder))
        {
            return Array.Empty<SshHostFiles>();
        }

        return Directory.EnumerateFiles(SshFolder)
            .Select(Path.GetFileName)
            .OfType<string>()
            .Where(n => !n.StartsWith('.') && SshExtensions.Contains(Path.GetExtension(n)))
            .Select(n => n.Contains('~', StringComparison.Ordinal) ? n.Split('~', 2)[0] : Path.GetFileNameWithoutExtension(n))
            .Where(n => n.Length > 0)
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .Select(stem => new SshHostFiles(SshFolder, stem))
            .ToArray();
    }

    private static bool Fits(string path, int extra) => System.Text.Encoding.UTF8.GetByteCount(path) + extra <= SocketPathLimit;

    private static string Hash(string text) =>
        Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)))[..12].ToLowerInvariant();

    /// <summary>The names of the folders under vms/ that hold a VM record (any name; the caller checks it).</summary>
    public IEnumerable<string> VmFolderNames() => SubfolderNames(VmsFolder, folder => File.Exists(Path.Combine(folder, SpecFileName)));

    /// <summary>The names of the folders under bridges/ that hold a bridge record.</summary>
    public IEnumerable<string> TargetBridgeFolderNames() => SubfolderNames(BridgesFolder, folder => File.Exists(Path.Combine(folder, BridgeFileName)));

    /// <summary>Every console server folder under consoles/.</summary>
    public IEnumerable<ConsoleServerFiles> ConsoleServerFolders() =>
        Directory.Exists(ConsolesFolder) ? Directory.EnumerateDirectories(ConsolesFolder).Select(f => new ConsoleServerFiles(f)) : Enumerable.Empty<ConsoleServerFiles>();

    private static IEnumerable<string> SubfolderNames(string parent, Func<string, bool> holdsRecord) =>
        Directory.Exists(parent)
            ? Directory.EnumerateDirectories(parent).Where(holdsRecord).Select(Path.GetFileName).OfType<string>()
            : Enumerable.Empty<string>();

    /// <summary>
    /// The store that the environment names: $HEADLESSVM_HOME, else $XDG_STATE_HOME/headlessvm, else
    /// $HOME/.local/state/headlessvm. A relative HEADLESSVM_HOME or HOME is resolved by
    /// <paramref name="resolve"/> (the cmdlets resolve it against PowerShell's current location, as they
    /// do their path parameters), and refused (StateFolderUnusable) when there is none. A relative
    /// XDG_STATE_HOME is ignored, as the XDG Base Directory Specification says ("must be absolute").
    /// </summary>
    public static StatePaths FromEnvironment(Func<string, string?>? getEnv = null, Func<string, string>? resolve = null)
    {
        getEnv ??= Environment.GetEnvironmentVariable;
        var home = getEnv("HEADLESSVM_HOME");
        if (!string.IsNullOrWhiteSpace(home))
        {
            return new StatePaths(Absolute(home, "HEADLESSVM_HOME", resolve), "HEADLESSVM_HOME");
        }

        var xdg = getEnv("XDG_STATE_HOME");
        if (!string.IsNullOrWhiteSpace(xdg) && Path.IsPathRooted(xdg))
        {
            return new StatePaths(Path.Combine(xdg, "headlessvm"), "XDG_STATE_HOME");
        }

        var userHome = getEnv("HOME");
        if (string.IsNullOrWhiteSpace(userHome))
        {
            userHome = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        }

        return new StatePaths(Path.Combine(Absolute(userHome, "HOME", resolve), ".local", "state", "headlessvm"), "HOME");
    }

    private static string Absolute(string path, string variable, Func<string, string>? resolve)
    {
        if (Path.IsPathRooted(path))
        {
            return path;
        }

        return resolve?.Invoke(path) is { } resolved && Path.IsPathRooted(resolved)
            ? resolved
            : throw Errors.HeadlessVmErrors.StateFolderRelative(path, variable);
    }

    /// <summary>The files of one VM's folder.</summary>
    public sealed class VmFiles
    {
        public VmFiles(string folder) => Folder = folder;

        public string Folder { get; }
        public string SpecFile => Path.Combine(Folder, SpecFileName);
        public string RunFile => Path.Combine(Folder, "run.json");
        public string PidFile => Path.Combine(Folder, "qemu.pid");
        public string QmpSocket => Path.Combine(Folder, "qmp.sock");
        public string SerialLog => Path.Combine(Folder, "serial.log");
        public string PreviousSerialLog => Path.Combine(Folder, "serial.previous.log");

        /// <summary>Where in serial.log the current boot begins (a byte offset), after a reset; absent after a start.</summary>
        public string BootMarkFile => Path.Combine(Folder, "serial.boot");
        public string VncPasswordFile => Path.Combine(Folder, "vnc.password");

        /// <summary>The descriptions of the VM's checkpoints (SnapshotNotes).</summary>
        public string SnapshotNotesFile => Path.Combine(Folder, "snapshots.json");

        /// <summary>The cloud-init NoCloud seed image (ISO 9660, label cidata), attached read-only as a CD-ROM.</summary>
        public string CloudInitSeed => Path.Combine(Folder, "cidata.iso");

        /// <summary>Where cloud-localds writes the seed; renamed over <see cref="CloudInitSeed"/> once complete.</summary>
        public string CloudInitSeedPartial => Path.Combine(Folder, "cidata.iso.partial");

        /// <summary>Where the seed's files are written for cloud-localds, only while it runs (0700).</summary>
        public string CloudInitWork => Path.Combine(Folder, "cidata");

        /// <summary>The VM's console bridge, in the VM's folder so that removing the VM removes it.</summary>
        public BridgeFiles Bridge => new(Folder);
    }

    /// <summary>The folder of one bridge's record: a VM's own folder, or bridges/NAME for a -Target bridge.</summary>
    public sealed class BridgeFiles
    {
        public BridgeFiles(string folder) => Folder = folder;

        public string Folder { get; }
        public string RecordFile => Path.Combine(Folder, BridgeFileName);
    }

    /// <summary>One host's ssh master: ssh/STEM.ctl, .pid, .log and .lock, and its forwards ssh/STEM~*.</summary>
    public sealed class SshHostFiles
    {
        public SshHostFiles(string folder, string stem)
        {
            Folder = folder;
            Stem = stem;
        }

        public string Folder { get; }

        /// <summary>The host's part of file names: its bridges' host part, or a hash of it when that is too long.</summary>
        public string Stem { get; }

        /// <summary>The master's control socket (ssh -S).</summary>
        public string ControlSocket => Path.Combine(Folder, Stem + ".ctl");

        /// <summary>The master's PID: ssh -f writes none, so the module records the daemon it finds.</summary>
        public string PidFile => Path.Combine(Folder, Stem + ".pid");

        /// <summary>ssh's own log (ssh -E): where the master's errors go once it runs detached.</summary>
        public string LogFile => Path.Combine(Folder, Stem + ".log");

        /// <summary>The host's tunnel lock.</summary>
        public string LockFile => Path.Combine(Folder, Stem + ".lock");

        /// <summary>The records of the host's forwards (ssh/STEM~*.json).</summary>
        public IEnumerable<string> ForwardRecords() =>
            Directory.Exists(Folder) ? Directory.EnumerateFiles(Folder, Stem + "~*.json") : Enumerable.Empty<string>();

        /// <summary>The sockets under the host's stem (ssh/STEM~*.sock), whether or not a record names them.</summary>
        public IEnumerable<string> ForwardSockets() =>
            Directory.Exists(Folder) ? Directory.EnumerateFileSystemEntries(Folder, Stem + "~*.sock") : Enumerable.Empty<string>();
    }

    /// <summary>One forward of a host's master: the socket a bridge's token points at, and its record.</summary>
    public sealed class ForwardFiles
    {
        public ForwardFiles(string folder, string stem, SshHostFiles host)
        {
            Socket = Path.Combine(folder, stem + ".sock");
            RecordFile = Path.Combine(folder, stem + ".json");
            Host = host;
        }

        /// <summary>The local end, a unix socket (0600) the master listens on and websockify connects to.</summary>
        public string Socket { get; }

        /// <summary>What the master was asked to forward (ForwardRecord).</summary>
        public string RecordFile { get; }

        public SshHostFiles Host { get; }
    }

    /// <summary>
    /// The files of one console server: the websockify process that serves the noVNC page and every
    /// bridge's WebSocket on one address and port. Each bridge is one token file in <see cref="TokensFolder"/>.
    /// </summary>
    public sealed class ConsoleServerFiles
    {
        public ConsoleServerFiles(string folder) => Folder = folder;

        public string Folder { get; }
        public string RecordFile => Path.Combine(Folder, "server.json");
        public string PidFile => Path.Combine(Folder, "websockify.pid");
        public string LogFile => Path.Combine(Folder, "websockify.log");

        /// <summary>websockify's token source: a folder it re-reads on every connection, one file per bridge.</summary>
        public string TokensFolder => Path.Combine(Folder, "tokens");

        public string TokenFile(string bridgeName) => Path.Combine(TokensFolder, bridgeName);
    }
}
