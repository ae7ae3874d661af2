using HeadlessVm.Core.Backends;
using HeadlessVm.Core.Model;
using HeadlessVm.Core.Processes;
using HeadlessVm.Core.Qemu;
using HeadlessVm.Core.State;

namespace HeadlessVm.Core.Hosts;

/// <summary>
/// Test-HeadlessVmHost local: a preflight of the folder store on this machine, one <see cref="HostCheck"/> per step of
/// <see cref="HostCheck.LocalChecks"/>. The steps do not depend on each other: each runs and says what it found. Nothing
/// is changed but a probe file made and deleted in the state folder (and the folder itself made, 0700, when missing, as
/// any command makes it).
/// </summary>
public sealed class FolderStoreChecks
{
    private const UnixFileMode GroupOrOther = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    private readonly VmStore _store;
    private readonly KvmFailures _kvmFailures;
    private readonly Func<bool> _kvmProbe;

    /// <param name="kvmProbe">True when the KVM device can be used (<see cref="QemuLauncher.ProbeKvm()"/>).</param>
    public FolderStoreChecks(VmStore store, KvmFailures kvmFailures, Func<bool> kvmProbe)
    {
        _store = store;
        _kvmFailures = kvmFailures;
        _kvmProbe = kvmProbe;
    }

    /// <summary>
    /// Every check of the folder store, in order: StateFolder (writable, private), Qemu (qemu-system-ARCH for the default
    /// architecture and each one a VM of the store uses), QemuImg, Kvm (usable, else TCG: a Warning), Console (websockify
    /// and noVNC's web root). <paramref name="computerName"/> is how the store was named ("local").
    /// </summary>
    public IReadOnlyList<HostCheck> Run(string computerName)
    {
        var results = new List<HostCheck>();
        void Add(string check, HostCheckStatus status, string detail, string? remedy = null) =>
            results.Add(new HostCheck(computerName, null, check, status, detail, remedy));

        var architectures = StateFolder(Add);
        var defaultQemu = QemuArgumentBuilder.ProgramFor(VmDraftValidator.DefaultArchitecture);
        string? defaultQemuPath = null;
        foreach (var architecture in architectures)
        {
            var program = QemuArgumentBuilder.ProgramFor(architecture);
            var path = NativeRunner.FindExecutable(program);
            defaultQemuPath ??= program == defaultQemu ? path : null;
            Add("Qemu", path is null ? HostCheckStatus.Failed : HostCheckStatus.Passed,
                path is null ? $"{program} (for {architecture} VMs) is not installed or not on PATH." : $"{program} is {path}.",
                path is null ? $"apt-get install {QemuFailures.DebianPackage(architecture)}" : null);
        }

        var qemuImg = NativeRunner.FindExecutable(QemuImg.Program);
        Add("QemuImg", qemuImg is null ? HostCheckStatus.Failed : HostCheckStatus.Passed,
            qemuImg is null ? $"{QemuImg.Program} (disk images, checkpoints, copies) is not installed or not on PATH." : $"{QemuImg.Program} is {qemuImg}.",
            qemuImg is null ? "apt-get install qemu-utils" : null);

        Kvm(defaultQemuPath, Add);
        try
        {
            var webRoot = HostChecks.CheckConsoleTools(computerName);
            Add("Console", HostCheckStatus.Passed, $"websockify and noVNC ({webRoot}) are installed for the browser console.");
        }
        catch (HeadlessVmException e)
        {
            Add("Console", HostCheckStatus.Failed, e.Message, "apt-get install websockify novnc");
        }

        return results;
    }

    /// <summary>The StateFolder check; returns the architectures to check qemu for (the default one first).</summary>
    private IReadOnlyList<string> StateFolder(Action<string, HostCheckStatus, string, string?> add)
    {
        var paths = _store.Paths;
        var chosen = paths.Source is null ? string.Empty : $" (set by {paths.Source})";
        var architectures = new List<string> { VmDraftValidator.DefaultArchitecture };
        try
        {
            PrivateFiles.EnsureFolder(paths.Root);
            var probe = Path.Combine(paths.Root, $".probe.{Environment.ProcessId}.{Guid.NewGuid():N}");
            PrivateFiles.WriteRuntimeText(probe, string.Empty);
            PrivateFiles.TryDelete(probe);
            architectures.AddRange(_store.List().Select(v => v.Architecture).Where(a => !architectures.Contains(a)).Distinct().Order(StringComparer.Ordinal));
            var mode = File.GetUnixFileMode(paths.Root);
            if ((mode & GroupOrOther) != 0)
            {
                add("StateFolder", HostCheckStatus.Warning, $"The state folder '{paths.Root}'{chosen} is writable, but others may look into it (mode {Convert.ToString((int)mode, 8)}).",
                    $"chmod 700 '{paths.Root}'");
            }
            else
            {
                add("StateFolder", HostCheckStatus.Passed, $"The state folder '{paths.Root}'{chosen} is writable and private (0700).", null);
            }
        }
        catch (StateWriteException e)
        {
            add("StateFolder", HostCheckStatus.Failed, $"The state folder '{paths.Root}'{chosen} cannot be used: {e.Reason} (writing '{e.Path}').",
                "Set HEADLESSVM_HOME to a writable folder of your own.");
        }

        return architectures;
    }

    private void Kvm(string? qemuPath, Action<string, HostCheckStatus, string, string?> add)
    {
        const string tcg = "VMs run under TCG software emulation, many times slower.";
        if (!_kvmProbe())
        {
            add("Kvm", HostCheckStatus.Warning, $"{Accelerators.KvmDevice} cannot be opened for reading and writing: {tcg}",
                $"Enable virtualization in the firmware, load kvm_intel or kvm_amd, and let this user use {Accelerators.KvmDevice} (the kvm group).");
        }
        else if (qemuPath is not null && _kvmFailures.Find(qemuPath) is { } failed)
        {
            add("Kvm", HostCheckStatus.Warning, $"{Accelerators.KvmDevice} opens, but KVM failed for {qemuPath} earlier on this boot ({failed.Reason}): {tcg}",
                "Check nested virtualization or the hypervisor this machine runs under; the failure is forgotten at the next boot.");
        }
        else
        {
            add("Kvm", HostCheckStatus.Passed, $"{Accelerators.KvmDevice} opens: VMs with -Accelerator Auto use KVM.", null);
        }
    }
}
