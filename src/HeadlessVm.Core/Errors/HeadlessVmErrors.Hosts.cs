namespace HeadlessVm.Core.Errors;

/// <summary>
/// Hosts and the libvirt backend: naming where VMs live, and what a libvirt VM cannot do that a store VM can.
/// The target is the host's name for host errors and the VM's name for VM errors.
/// </summary>
public static partial class HeadlessVmErrors
{
    public static HeadlessVmException InvalidHostName(string name, string why) => new(ErrorIds.InvalidHostName, FailureKind.InvalidArgument, name,
        $"'{name}' cannot name a host: {why}. Use a host name such as web.example.com or h1 (letters, digits, '.', '-', '_', optionally user@ first).");

    /// <summary>
    /// A connection URI HeadlessVm will not open: not a libvirt URI at all, or (<paramref name="keyFile"/>) a good one whose
    /// keyfile= names no readable key, which ssh would skip with a warning on its stderr and then fail or prompt.
    /// </summary>
    public static HeadlessVmException InvalidConnectionUri(string uri, string why, bool keyFile = false) => new(ErrorIds.InvalidConnectionUri, FailureKind.InvalidArgument, uri,
        keyFile
            ? $"'{uri}' cannot be used: {why}. Give keyfile= the absolute path of a private key you can read, or leave keyfile= out " +
              "to use ssh's own keys (~/.ssh, ssh-agent)."
            : $"'{uri}' is not a libvirt URI: {why}. Use driver[+transport]://[user@][host][:port]/path, such as qemu:///system or qemu+ssh://admin@web1/system.");

    public static HeadlessVmException HostNotFound(string name) => new(ErrorIds.HostNotFound, FailureKind.ObjectNotFound, name,
        $"No host named '{name}' is registered. Get-HeadlessVmHost lists them; Connect-HeadlessVmHost registers one.");

    /// <summary>hosts.json is there but cannot be read back; the target is the file, as it concerns every host.</summary>
    public static HeadlessVmException HostRegistryDamaged(string file, string why) => new(ErrorIds.HostRegistryDamaged, FailureKind.InvalidData, file,
        $"The registered hosts cannot be read back from '{file}': {why}. Restore the file from a backup, or register the hosts again " +
        "with Connect-HeadlessVmHost (which starts the file afresh).");

    public static HeadlessVmException HostExists(string name, string uri, string newUri) => new(ErrorIds.HostExists, FailureKind.ResourceExists, name,
        $"Host '{name}' is already registered with {uri}. Pass -Force to register it with {newUri} instead, or choose another name.");

    /// <summary>The target is the names as given, joined by commas.</summary>
    public static HeadlessVmException HostNameUriMismatch(string names, int nameCount, int uriCount) => new(ErrorIds.HostNameUriMismatch, FailureKind.InvalidArgument, names,
        $"-ComputerName and -ConnectionUri together name each URI's host (as a piped VM does), so they must come in pairs; got {nameCount} names and {uriCount} URIs. " +
        "Give only -ConnectionUri, or register the URI with Connect-HeadlessVmHost and use its name.");

    public static HeadlessVmException HostTimeout(string host, string uri, TimeSpan waited) => new(ErrorIds.HostTimeout, FailureKind.OperationTimeout, host,
        $"Host '{host}' did not answer within {waited.TotalSeconds:0} s ({uri}). Check that it is up and reachable (Test-HeadlessVmHost {host}).");

    /// <summary>The target is the VM; <paramref name="hosts"/> lists the hosts given.</summary>
    public static HeadlessVmException SingleHostRequired(string name, string hosts) => new(ErrorIds.SingleHostRequired, FailureKind.InvalidArgument, name,
        $"A new VM is made on one host; '{name}' was given {hosts}. Pass one -ComputerName or -ConnectionUri.");

    public static HeadlessVmException AmbiguousVmName(string name, string hosts) => new(ErrorIds.AmbiguousVmName, FailureKind.InvalidArgument, name,
        $"More than one host has a VM named '{name}' ({hosts}). Name its host with -ComputerName, or pipe the VM in (Get-HeadlessVm -ComputerName HOST {name}).");

    /// <summary><paramref name="why"/> says why the action refuses such a VM and what to do instead; Remove-HeadlessVm's -Force when null.</summary>
    public static HeadlessVmException VmIsExternal(string name, string host, string? why = null) => new(ErrorIds.VmIsExternal, FailureKind.InvalidOperation, name,
        $"VM '{name}' on {host} was not created by HeadlessVm (no HeadlessVm metadata in its domain). " +
        (why ?? "Pass -Force to undefine it anyway; its disks are never deleted."));

    public static HeadlessVmException PathNotAbsolute(string name, string path, string host) => new(ErrorIds.PathNotAbsolute, FailureKind.InvalidArgument, name,
        $"'{path}' is not an absolute path. Paths of a VM on {host} are paths on that host, so they are not resolved here: give the full path there.");

    public static HeadlessVmException InvalidNetworkMode(string name) => new(ErrorIds.InvalidNetworkMode, FailureKind.InvalidArgument, name,
        $"VM '{name}': -Network Other describes networks HeadlessVm lists but does not create. Use User or None.");

    /// <summary><paramref name="what"/> says what the VM has instead ("only a SPICE display", "no display").</summary>
    public static HeadlessVmException NoVncDisplay(string name, string what) => new(ErrorIds.NoVncDisplay, FailureKind.InvalidOperation, name,
        $"VM '{name}' has {what}, so there is no VNC screen to bridge. Add one to its domain (virsh edit: <graphics type='vnc' autoport='yes'><listen type='address' address='127.0.0.1'/></graphics>) and restart it.");

    public static HeadlessVmException NoSerialLog(string name) => new(ErrorIds.NoSerialLog, FailureKind.ObjectNotFound, name,
        $"VM '{name}' has no serial log: its serial port has no <log file=...> and this session did not start it. " +
        "Add a log file to its serial port (virsh edit), or use Wait-HeadlessVm -ForText, which reads the live console.");

    public static HeadlessVmException SerialLogNotReachable(string name, string host, string file) => new(ErrorIds.SerialLogNotReachable, FailureKind.ResourceUnavailable, name,
        $"The serial log of VM '{name}' is {file} on {host}, which this machine cannot read, and this session did not start the VM. " +
        $"Read it there (ssh {host} cat {file}), or use Wait-HeadlessVm -ForText, which reads the live console.");

    /// <summary>
    /// qemu's hostfwd_add (or, with <paramref name="removing"/>, hostfwd_remove) answered <paramref name="reply"/> (qemu's own
    /// words) instead of doing it; <paramref name="holder"/> names the running domain of the same host that forwards the port, when one does.
    /// </summary>
    public static HeadlessVmException PortForwardFailed(string name, string forward, string reply, bool removing = false, string? holder = null) => new(ErrorIds.PortForwardFailed, FailureKind.ResourceUnavailable, name,
        removing
            ? $"VM '{name}': qemu could not remove the port forward {forward}: {reply.Trim()}"
            : holder is not null
                ? $"VM '{name}': qemu could not add the port forward {forward}: {SaidThen(reply, null)} VM '{holder}' is running on the same host and forwards that port itself; " +
                  $"stop '{holder}', or give '{name}' other forwards."
                : $"VM '{name}': qemu could not add the port forward {forward}: {SaidThen(reply, "Is the port already in use on the VM's host?")}");
}
