using HeadlessVm.Core.Model;
using HeadlessVm.Core.State;

namespace HeadlessVm.Core.Errors;

/// <summary>
/// The one factory of each error in <see cref="ErrorIds"/>: its message, its <see cref="FailureKind"/>
/// and its target (the VM, bridge, disk or value it concerns; never null). Split by area into partial
/// files; this one holds the VMs' own errors.
/// </summary>
public static partial class HeadlessVmErrors
{
    private const string StartIt = "Start it with Start-HeadlessVm.";

    public static HeadlessVmException InvalidVmName(string? name) => new(ErrorIds.InvalidVmName, FailureKind.InvalidArgument, name ?? string.Empty,
        $"'{name}' is not a valid VM name. Use 1 to 63 letters, digits, '.', '_' or '-', not starting with '.' or '-'.");

    public static HeadlessVmException InvalidMemorySize(string name, int memoryMB, int least, int most) => new(ErrorIds.InvalidMemorySize, FailureKind.InvalidArgument, name,
        $"VM '{name}': {memoryMB} MB of memory is {(memoryMB < least ? "too little" : "too much")}; give {least} to {most}.");

    public static HeadlessVmException InvalidProcessorCount(string name, int count, int most) => new(ErrorIds.InvalidProcessorCount, FailureKind.InvalidArgument, name,
        $"VM '{name}': the processor count must be 1 to {most}, not {count}.");

    public static HeadlessVmException InvalidArchitecture(string name, string architecture) => new(ErrorIds.InvalidArchitecture, FailureKind.InvalidArgument, name,
        $"'{architecture}' is not an architecture name (such as x86_64 or aarch64).");

    public static HeadlessVmException InitrdWithoutKernel(string name) => new(ErrorIds.InitrdWithoutKernel, FailureKind.InvalidArgument, name,
        $"VM '{name}': -InitrdPath needs -KernelPath.");

    public static HeadlessVmException InvalidBootOrder(string name, string bootOrder) => new(ErrorIds.InvalidBootOrder, FailureKind.InvalidArgument, name,
        $"'{bootOrder}' is not a boot order. Use letters c (disk), d (CD-ROM) and n (network), e.g. 'dc'.");

    /// <summary>
    /// A forward of VM <paramref name="name"/> that does not parse; the VM is the target (the error is about its
    /// settings). Where no VM is known yet (PortForward.Parse alone), the text itself stands as <paramref name="name"/>.
    /// </summary>
    public static HeadlessVmException InvalidPortForward(string name, string text) => new(ErrorIds.InvalidPortForward, FailureKind.InvalidArgument, name,
        (name == text ? string.Empty : $"VM '{name}': ") +
        $"'{text}' is not a port forward. Write HOSTPORT:GUESTPORT (e.g. 8080:80) or ADDRESS:HOSTPORT:GUESTPORT (e.g. 0.0.0.0:8080:80).");

    public static HeadlessVmException PortForwardWithoutNetwork(string name) => new(ErrorIds.PortForwardWithoutNetwork, FailureKind.InvalidArgument, name,
        $"VM '{name}' has -Network None, so it cannot forward ports.");

    public static HeadlessVmException DuplicatePortForward(string name, int hostPort) => new(ErrorIds.DuplicatePortForward, FailureKind.InvalidArgument, name,
        $"VM '{name}' forwards host port {hostPort} twice.");

    public static HeadlessVmException InvalidMacAddress(string name, string mac) => new(ErrorIds.InvalidMacAddress, FailureKind.InvalidArgument, name,
        $"VM '{name}': '{mac}' is not a unicast MAC address such as 52:54:00:12:34:56.");

    /// <summary>An address a VM's VNC server or a console server cannot listen on; <paramref name="target"/> is the VM or bridge.</summary>
    public static HeadlessVmException InvalidListenAddress(string target, string address) => new(ErrorIds.InvalidListenAddress, FailureKind.InvalidArgument, target,
        $"'{address}' is not an address to listen on (such as 127.0.0.1 or 0.0.0.0).");

    public static HeadlessVmException DiskFormatCountMismatch(string name, int disks, int formats) => new(ErrorIds.DiskFormatCountMismatch, FailureKind.InvalidArgument, name,
        $"Give one -DiskFormat for all disks, or one per -DiskPath ({disks}); got {formats}.");

    public static HeadlessVmException UnknownDiskFormat(string path, string stated, IEnumerable<string> known) => new(ErrorIds.UnknownDiskFormat, FailureKind.InvalidArgument, path,
        $"'{stated}' is not a disk format qemu knows here. Use one of: {string.Join(", ", known)}.");

    /// <summary>
    /// qemu-img finds no image format in the file (raw data), and its name does not say raw; <paramref name="named"/> is what
    /// the name says, if anything; <paramref name="remedy"/> replaces the advice to state -DiskFormat where there is no such parameter.
    /// </summary>
    public static HeadlessVmException DiskFormatUnknown(string path, string? named, string? remedy = null) => new(ErrorIds.DiskFormatUnknown, FailureKind.InvalidArgument, path,
        $"Cannot tell the format of disk '{path}': qemu-img finds no image format in it (raw data)" +
        (named is null ? string.Empty : $", though its name says {named}") +
        ". " + (remedy ?? "State it with -DiskFormat (raw to use it as a raw disk; qcow2, vpc, vhdx, vmdk...)."));

    /// <summary>-IsoPath names a file with no ISO 9660 or UDF volume descriptor (see <see cref="Qemu.IsoImages"/>).</summary>
    public static HeadlessVmException NotAnIsoImage(string name, string path) => new(ErrorIds.NotAnIsoImage, FailureKind.InvalidArgument, name,
        $"VM '{name}': '{path}' is not a CD/DVD image (it has no ISO 9660 or UDF volume descriptor), so the VM could not boot from it. " +
        "Give an .iso file to -IsoPath; a disk image goes to -DiskPath.");

    /// <summary>A file the VM boots from (<paramref name="parameter"/>: -IsoPath, -KernelPath, -InitrdPath) is not there, or is a folder.</summary>
    public static HeadlessVmException BootFileNotFound(string name, string parameter, string path, bool isFolder) => new(ErrorIds.BootFileNotFound, FailureKind.ObjectNotFound, name,
        isFolder
            ? $"VM '{name}': {parameter} '{path}' is a folder, not a file."
            : $"VM '{name}': {parameter} '{path}' does not exist. Give the path of a file on this machine.");

    /// <summary>A file the VM boots from exists but this user cannot read it (the system's message in <paramref name="inner"/>).</summary>
    public static HeadlessVmException BootFileUnreadable(string name, string parameter, string path, Exception inner) => new(ErrorIds.BootFileUnreadable, FailureKind.PermissionDenied, name,
        $"VM '{name}': {parameter} '{path}' cannot be read: {inner.Message}", inner);

    public static HeadlessVmException NoStartWithPaused(string name) => new(ErrorIds.NoStartWithPaused, FailureKind.InvalidArgument, name,
        "-NoStart creates the VM without starting it, so it cannot also start -Paused. Use one of them.");

    /// <summary><paramref name="hosts"/> names the hosts that were asked when they are not just the folder store ("h1, h2").</summary>
    public static HeadlessVmException VmNotFound(string name, string? hosts = null) => new(ErrorIds.VmNotFound, FailureKind.ObjectNotFound, name,
        hosts is null
            ? $"No VM named '{name}' exists. Get-HeadlessVm lists the VMs there are."
            : $"No VM named '{name}' exists on {hosts}. Get-HeadlessVm -ComputerName lists the VMs there are.");

    /// <summary><paramref name="existing"/>, when given, is the VM whose name differs from <paramref name="name"/> only in case.</summary>
    public static HeadlessVmException VmAlreadyExists(string name, string? existing = null) => new(ErrorIds.VmAlreadyExists, FailureKind.ResourceExists, name,
        existing is null
            ? $"A VM named '{name}' already exists. Choose another name, or remove it first with Remove-HeadlessVm."
            : $"A VM named '{existing}' already exists, and names that differ only in case are not told apart here. Choose another name, or remove '{existing}' first with Remove-HeadlessVm.");

    /// <summary>vm.json is there but is not this VM's record; <paramref name="why"/> says what is wrong with it.</summary>
    public static HeadlessVmException VmRecordDamaged(string name, string file, string why) => new(ErrorIds.VmRecordDamaged, FailureKind.InvalidData, name,
        $"The record of VM '{name}' ({file}) is damaged: {why}. Restore the file from a backup, or remove the VM with " +
        $"'Remove-HeadlessVm {name} -Force' (its disk images and ISO are kept; a qemu still running for it is powered off).");

    /// <summary>
    /// A unix socket path longer than the kernel's sun_path allows: 108 bytes with its terminating NUL
    /// (unix(7); struct sockaddr_un), counted in UTF-8 bytes, not characters.
    /// </summary>
    public static HeadlessVmException StatePathTooLong(string name, string socket, int bytes, int most) => new(ErrorIds.StatePathTooLong, FailureKind.InvalidArgument, name,
        $"The VM's control socket path '{socket}' is {bytes} bytes long (UTF-8); a unix socket path holds at most {most}. " +
        "Use a shorter name or set HEADLESSVM_HOME to a shorter folder.");

    /// <summary>
    /// The state folder cannot be written. <paramref name="target"/> is the item being worked on (a VM, a
    /// bridge), else the folder; the message names the folder, the variable that chose it, and the reason.
    /// </summary>
    public static HeadlessVmException StateFolderUnusable(string target, StatePaths paths, StateWriteException failure) => new(ErrorIds.StateFolderUnusable, FailureKind.WriteError, target,
        $"The state folder '{paths.Root}'{ChosenBy(paths.Source)} cannot be used: {failure.Reason} (writing '{failure.Path}'). " +
        (paths.Source == "HEADLESSVM_HOME" ? "Set HEADLESSVM_HOME to a writable folder." : "Set HEADLESSVM_HOME to a writable folder of your own."), failure);

    /// <summary>A relative state folder with no current location to resolve it against (the cmdlets always have one).</summary>
    public static HeadlessVmException StateFolderRelative(string path, string variable) => new(ErrorIds.StateFolderRelative, FailureKind.InvalidArgument, path,
        $"{variable} is the relative path '{path}', and there is no current location to resolve it against. Set {variable} to an absolute path.");

    /// <summary>A path that PowerShell resolves to another provider's item (a relative path while the current location is Env:); the target is the path.</summary>
    public static HeadlessVmException PathNotInFileSystem(string path, string provider) => new(ErrorIds.PathNotInFileSystem, FailureKind.InvalidArgument, path,
        $"'{path}' is not a file system path here: the current location is on the {provider} provider. Give a full path, or Set-Location to a folder first.");

    /// <summary>
    /// A state lock held longer than a command waits. The target is the lock file; the cmdlets report it
    /// with their own item as the target. <paramref name="holder"/> names the process (FileLock.Holder), or is null.
    /// </summary>
    public static HeadlessVmException StateLocked(string lockFile, TimeSpan waited, string? holder) => new(ErrorIds.StateLocked, FailureKind.ResourceBusy, lockFile,
        $"The state folder's lock '{lockFile}' is still held after {waited.TotalSeconds:0} s, by {holder ?? "another process (/proc does not say which)"}. " +
        "Another command is changing VMs or consoles in this state folder; wait for it to finish, or stop it.");

    /// <summary>
    /// <paramref name="said"/> (a native program's own message, such as libvirt's or qemu's) as a sentence, with
    /// <paramref name="remedy"/> after it: trimmed, and given a full stop when it ends without one, so that the remedy does
    /// not run on from it. Either may be empty.
    /// </summary>
    internal static string SaidThen(string said, string? remedy)
    {
        var text = said.Trim();
        if (text.Length > 0 && !".!?".Contains(text[^1], StringComparison.Ordinal))
        {
            text += ".";
        }

        return string.IsNullOrWhiteSpace(remedy) ? text : text.Length == 0 ? remedy.Trim() : $"{text} {remedy.Trim()}";
    }

    private static string ChosenBy(string? variable) => variable switch
    {
        "HEADLESSVM_HOME" => " (set by HEADLESSVM_HOME)",
        "XDG_STATE_HOME" => " (XDG_STATE_HOME/headlessvm, as HEADLESSVM_HOME is not set)",
        "HOME" => " (HOME/.local/state/headlessvm, as neither HEADLESSVM_HOME nor XDG_STATE_HOME is set)",
        _ => string.Empty,
    };

    public static HeadlessVmException NoFreeVncDisplay(string name, int first, int last) => new(ErrorIds.NoFreeVncDisplay, FailureKind.ResourceUnavailable, name,
        $"No free VNC display between :{first} and :{last} (ports {VmSpec.VncBasePort + first}-{VmSpec.VncBasePort + last}). Remove unused VMs or pass -VncDisplay.");

    public static HeadlessVmException InvalidVncDisplay(string name, int display, int most) => new(ErrorIds.InvalidVncDisplay, FailureKind.InvalidArgument, name,
        $"VNC display {display} is out of range (0 to {most}, port {VmSpec.VncBasePort}+N).");

    public static HeadlessVmException VncDisplayInUse(string name, int display, string otherVm) => new(ErrorIds.VncDisplayInUse, FailureKind.ResourceExists, name,
        $"VNC display :{display} (port {VmSpec.VncBasePort + display}) is already assigned to VM '{otherVm}'. Choose another -VncDisplay, or leave it out to get a free one.");

    public static HeadlessVmException VncPortInUse(string name, int display, string address) => new(ErrorIds.VncPortInUse, FailureKind.ResourceUnavailable, name,
        $"VNC display :{display} needs port {VmSpec.VncBasePort + display} on {address}, which another program is using.");

    /// <summary>A forward's host port is taken: by the running VM <paramref name="holder"/> of the same store, or (null) by another program.</summary>
    public static HeadlessVmException PortForwardInUse(string name, PortForward forward, string? holder = null) => new(ErrorIds.PortForwardInUse, FailureKind.ResourceUnavailable, name,
        holder is null
            ? $"VM '{name}' cannot forward {forward}: port {forward.HostPort} on {forward.HostAddress} is already in use."
            : $"VM '{name}' cannot forward {forward}: VM '{holder}' is running and forwards port {forward.HostPort} on {forward.HostAddress} itself. " +
              $"Stop '{holder}', or give '{name}' other forwards (Set-HeadlessVm -PortForward).");

    /// <summary>
    /// A disk image of the VM is a disk of the running VM <paramref name="holder"/> of the same store: two qemus writing one
    /// image would corrupt it (qemu's own image lock refuses the second; this says which VM holds it).
    /// </summary>
    public static HeadlessVmException DiskInUse(string name, string disk, string holder) => DiskInUse(name, "start", disk, holder, disk, disk);

    /// <summary>
    /// VM <paramref name="name"/> cannot <paramref name="action"/> ("start", "take a checkpoint", ...): the image
    /// <paramref name="image"/> in the backing chain of its disk <paramref name="disk"/> is one that the running VM
    /// <paramref name="holder"/> writes, or reads under its own disk <paramref name="holderDisk"/> while this would write it.
    /// qemu takes a write lock on an image it writes and a shared lock on the backing files it reads; the two exclude each
    /// other (QEMU docs, "Disk image file locking"), and its own refusal does not say which VM holds the lock.
    /// </summary>
    public static HeadlessVmException DiskInUse(string name, string action, string disk, string holder, string image, string holderDisk)
    {
        var why = image == disk && image == holderDisk
            ? $"its disk '{disk}' is in use by VM '{holder}', which is running."
            : image == holderDisk
                ? $"its disk '{disk}' is backed by '{image}', which VM '{holder}' is running on and writes."
                : $"{(image == disk ? $"its disk '{disk}'" : $"'{image}', the backing file of its disk '{disk}',")} is the backing file of '{holderDisk}', " +
                  $"the disk of VM '{holder}', which is running: qemu holds a backing file open for reading, and nothing may write it meanwhile.";
        return new(ErrorIds.DiskInUse, FailureKind.ResourceBusy, name,
            $"VM '{name}' cannot {action}: {why} Stop '{holder}' first, or give this VM a disk of its own " +
            "(Copy-HeadlessVm copies a VM with its disks).");
    }

    /// <summary>A native program that ran longer than the module waits for it; it was killed. The target is the program.</summary>
    public static HeadlessVmException ProgramTimedOut(string program, TimeSpan waited, string commandLine) => new(ErrorIds.ProgramTimedOut, FailureKind.OperationTimeout, program,
        $"'{program}' did not finish within {waited.TotalSeconds:0} s and was stopped: {commandLine}");

    /// <summary>A native program that cannot be run at all; the target is the program.</summary>
    public static HeadlessVmException ProgramNotFound(string program, Exception inner) => new(ErrorIds.ProgramNotFound, FailureKind.NotInstalled, program,
        $"Cannot run '{program}': {inner.Message}. Is it installed?", inner);

    public static HeadlessVmException QemuNotInstalled(string name, string program, string architecture, string debianPackage) => new(ErrorIds.QemuNotInstalled, FailureKind.NotInstalled, name,
        $"{program} is not installed, so VM '{name}' ({architecture}) cannot start. On Debian: apt-get install {debianPackage}.");

    public static HeadlessVmException KvmUnavailable(string name) => new(ErrorIds.KvmUnavailable, FailureKind.ResourceUnavailable, name,
        $"VM '{name}' asks for KVM, but the KVM device is missing or not usable by this user. " +
        "Load the kvm module and join the 'kvm' group, or use -Accelerator Tcg (or Auto).");

    /// <summary>
    /// qemu exited non-zero before it daemonized: <paramref name="id"/> is one of the Qemu* ids, chosen
    /// by Qemu.QemuFailures from qemu's own message, which the error carries whole.
    /// </summary>
    public static NativeCommandException QemuRefused(string id, FailureKind kind, string name, string message, string program, int exitCode, string standardError) =>
        new(id, kind, name, $"qemu refused to start VM '{name}': {message}", program, exitCode, standardError);

    public static HeadlessVmException QemuExitedEarly(string name, string serialTail) => new(ErrorIds.QemuExitedEarly, FailureKind.InvalidOperation, name,
        $"qemu reported that VM '{name}' started, but no live qemu process was found for it." + serialTail);

    /// <summary>
    /// The VM has no running qemu. <paramref name="consequence"/> says what that prevents (", so there
    /// is no screen to bridge"); <paramref name="serialTail"/> quotes its last serial lines.
    /// </summary>
    public static HeadlessVmException VmNotRunning(string name, string? consequence = null, string? serialTail = null) => new(ErrorIds.VmNotRunning, FailureKind.InvalidOperation, name,
        $"VM '{name}' is not running{consequence}. {StartIt}{serialTail}");

    public static HeadlessVmException VmIsRunning(string name) => new(ErrorIds.VmIsRunning, FailureKind.InvalidOperation, name,
        $"VM '{name}' is running. Stop it first, or use -Force to power it off and remove it.");

    public static HeadlessVmException QmpUnavailable(string name, string socket, Exception inner) => new(ErrorIds.QmpUnavailable, FailureKind.ConnectionError, name,
        $"Cannot talk to VM '{name}' over its QMP socket {socket}: {inner.Message}", inner);

    /// <summary>qemu answered a QMP command with an error; <paramref name="description"/> is qemu's own.</summary>
    public static HeadlessVmException QmpCommandFailed(string name, string command, string description, Exception inner) => new(ErrorIds.QmpCommandFailed, FailureKind.InvalidOperation, name,
        $"qemu refused '{command}' for VM '{name}': {description}", inner);

    public static HeadlessVmException InvalidWaitState(string name, VmState state) => new(ErrorIds.InvalidWaitState, FailureKind.InvalidArgument, name,
        $"Wait for Running, Paused or Stopped, not {state}.");

    public static HeadlessVmException VmStateWaitTimeout(string name, VmState wanted, TimeSpan waited, VmState current, string serialTail) => new(ErrorIds.VmStateWaitTimeout, FailureKind.OperationTimeout, name,
        $"VM '{name}' was not {wanted} within {waited.TotalSeconds:0} s; it is {current}." + serialTail);

    public static HeadlessVmException SerialTextWaitTimeout(string name, string pattern, TimeSpan waited, string serialTail) => new(ErrorIds.SerialTextWaitTimeout, FailureKind.OperationTimeout, name,
        $"VM '{name}' did not print a line matching '{pattern}' within {waited.TotalSeconds:0} s." + serialTail);

    /// <summary>The target is the pattern: it is wrong for every VM.</summary>
    public static HeadlessVmException InvalidRegex(string pattern, string reason) => new(ErrorIds.InvalidRegex, FailureKind.InvalidArgument, pattern,
        $"-ForText '{pattern}' is not a regular expression: {reason}");

    public static HeadlessVmException UnknownKeyName(string text, string what) => new(ErrorIds.UnknownKeyName, FailureKind.InvalidArgument, text,
        $"'{text}' is not a key combination: {what} is not a key name. Write keys joined by '-' or '+', such as ctrl-alt-delete, ctrl-alt-f2, ret, esc, f1, shift-tab; names are QMP qcodes (a-z, 0-9, ret, spc, tab, backspace, up, pgdn, kp_1...).");

    public static HeadlessVmException UnsupportedTextCharacter(char c, int position) => new(ErrorIds.UnsupportedTextCharacter, FailureKind.InvalidArgument, c.ToString(),
        $"Cannot type '{c}' (U+{(int)c:X4}, position {position}): -Text types what a US keyboard has keys for. Use -Key for other keys.");

    public static HeadlessVmException ScreenshotFolderNotFound(string name, string path) => new(ErrorIds.ScreenshotFolderNotFound, FailureKind.ObjectNotFound, name,
        $"The folder of '{path}' does not exist.");

    public static HeadlessVmException ScreenshotFileExists(string name, string path) => new(ErrorIds.ScreenshotFileExists, FailureKind.ResourceExists, name,
        $"'{path}' already exists. Use -Force to overwrite it.");

    /// <summary><paramref name="reason"/> is qemu's own answer, or what was seen instead of the file.</summary>
    public static HeadlessVmException ScreenshotFailed(string name, string path, string reason, Exception? inner = null) => new(ErrorIds.ScreenshotFailed, FailureKind.InvalidOperation, name,
        $"qemu could not save the screen of VM '{name}' to '{path}': {reason}", inner);
}
