namespace HeadlessVm.Core.Errors;

/// <summary>
/// Every error id the module reports, as the FullyQualifiedErrorId's first part. Each id names one
/// kind of failure and is minted by one factory in <see cref="HeadlessVmErrors"/> (grep the name to
/// find both). Ids are part of the module's contract: scripts match on them, so they never change.
/// </summary>
public static class ErrorIds
{
    // A VM's definition (New-HeadlessVm's parameters, a CSV row).
    public const string InvalidVmName = nameof(InvalidVmName);
    public const string InvalidMemorySize = nameof(InvalidMemorySize);
    public const string InvalidProcessorCount = nameof(InvalidProcessorCount);
    public const string InvalidArchitecture = nameof(InvalidArchitecture);
    public const string InitrdWithoutKernel = nameof(InitrdWithoutKernel);
    public const string InvalidBootOrder = nameof(InvalidBootOrder);
    public const string InvalidPortForward = nameof(InvalidPortForward);
    public const string PortForwardWithoutNetwork = nameof(PortForwardWithoutNetwork);
    public const string DuplicatePortForward = nameof(DuplicatePortForward);
    public const string InvalidMacAddress = nameof(InvalidMacAddress);
    public const string InvalidListenAddress = nameof(InvalidListenAddress);
    public const string DiskFormatCountMismatch = nameof(DiskFormatCountMismatch);
    public const string UnknownDiskFormat = nameof(UnknownDiskFormat);
    public const string DiskFormatUnknown = nameof(DiskFormatUnknown);
    public const string NoStartWithPaused = nameof(NoStartWithPaused);
    public const string NotAnIsoImage = nameof(NotAnIsoImage);
    public const string BootFileNotFound = nameof(BootFileNotFound);
    public const string BootFileUnreadable = nameof(BootFileUnreadable);

    // The state store.
    public const string VmNotFound = nameof(VmNotFound);
    public const string VmAlreadyExists = nameof(VmAlreadyExists);
    public const string VmRecordDamaged = nameof(VmRecordDamaged);
    public const string StatePathTooLong = nameof(StatePathTooLong);
    public const string StateFolderUnusable = nameof(StateFolderUnusable);
    public const string StateFolderRelative = nameof(StateFolderRelative);
    public const string PathNotInFileSystem = nameof(PathNotInFileSystem);
    public const string StateLocked = nameof(StateLocked);
    public const string StateAccessDenied = nameof(StateAccessDenied);
    public const string StateIOError = nameof(StateIOError);

    // VNC displays, forwarded ports and disks another VM holds.
    public const string NoFreeVncDisplay = nameof(NoFreeVncDisplay);
    public const string InvalidVncDisplay = nameof(InvalidVncDisplay);
    public const string VncDisplayInUse = nameof(VncDisplayInUse);
    public const string VncPortInUse = nameof(VncPortInUse);
    public const string PortForwardInUse = nameof(PortForwardInUse);
    public const string DiskInUse = nameof(DiskInUse);

    // Starting qemu (the Qemu* ids of a refused start are chosen by QemuFailures from qemu's message).
    public const string ProgramNotFound = nameof(ProgramNotFound);
    public const string ProgramTimedOut = nameof(ProgramTimedOut);
    public const string QemuNotInstalled = nameof(QemuNotInstalled);
    public const string KvmUnavailable = nameof(KvmUnavailable);
    public const string QemuUnknownCpuModel = nameof(QemuUnknownCpuModel);
    public const string QemuFileNotFound = nameof(QemuFileNotFound);
    public const string QemuPermissionDenied = nameof(QemuPermissionDenied);
    public const string QemuPortInUse = nameof(QemuPortInUse);
    public const string QemuCannotOpenFile = nameof(QemuCannotOpenFile);
    public const string QemuDiskLocked = nameof(QemuDiskLocked);
    public const string QemuStartFailed = nameof(QemuStartFailed);
    public const string QemuExitedEarly = nameof(QemuExitedEarly);

    // A running VM: power, QMP, serial console, keyboard, screen.
    public const string VmNotRunning = nameof(VmNotRunning);
    public const string VmIsRunning = nameof(VmIsRunning);
    public const string QmpUnavailable = nameof(QmpUnavailable);
    public const string QmpCommandFailed = nameof(QmpCommandFailed);
    public const string InvalidWaitState = nameof(InvalidWaitState);
    public const string VmStateWaitTimeout = nameof(VmStateWaitTimeout);
    public const string SerialTextWaitTimeout = nameof(SerialTextWaitTimeout);
    public const string InvalidRegex = nameof(InvalidRegex);
    public const string UnknownKeyName = nameof(UnknownKeyName);
    public const string UnsupportedTextCharacter = nameof(UnsupportedTextCharacter);
    public const string ScreenshotFolderNotFound = nameof(ScreenshotFolderNotFound);
    public const string ScreenshotFileExists = nameof(ScreenshotFileExists);
    public const string ScreenshotFailed = nameof(ScreenshotFailed);

    // Disk images (qemu-img).
    public const string DiskNotFound = nameof(DiskNotFound);
    public const string DiskExists = nameof(DiskExists);
    public const string DiskSizeRequired = nameof(DiskSizeRequired);
    public const string InvalidDiskSize = nameof(InvalidDiskSize);
    public const string DiskIsOwnBacking = nameof(DiskIsOwnBacking);
    public const string QemuImgCreateFailed = nameof(QemuImgCreateFailed);
    public const string QemuImgInfoFailed = nameof(QemuImgInfoFailed);
    public const string QemuImgOutputUnreadable = nameof(QemuImgOutputUnreadable);

    // Browser consoles (websockify + noVNC).
    public const string BridgeNotFound = nameof(BridgeNotFound);
    public const string BridgeRecordDamaged = nameof(BridgeRecordDamaged);
    public const string ConsoleServerRecordDamaged = nameof(ConsoleServerRecordDamaged);
    public const string BridgeNotRunning = nameof(BridgeNotRunning);
    public const string BridgeExists = nameof(BridgeExists);
    public const string BridgeSettingsDiffer = nameof(BridgeSettingsDiffer);
    public const string BridgeNameInUse = nameof(BridgeNameInUse);
    public const string InvalidTarget = nameof(InvalidTarget);
    public const string InvalidWebPort = nameof(InvalidWebPort);
    public const string WebPortInUse = nameof(WebPortInUse);
    public const string NoFreeWebPort = nameof(NoFreeWebPort);
    public const string NoVncNotInstalled = nameof(NoVncNotInstalled);
    public const string InvalidWebRoot = nameof(InvalidWebRoot);
    public const string KeyWithoutCertificate = nameof(KeyWithoutCertificate);
    public const string CertificateNotFound = nameof(CertificateNotFound);
    public const string InvalidCertificate = nameof(InvalidCertificate);
    public const string WebsockifyNotInstalled = nameof(WebsockifyNotInstalled);
    public const string WebsockifyStartFailed = nameof(WebsockifyStartFailed);
    public const string WebsockifyExitedEarly = nameof(WebsockifyExitedEarly);

    // libvirt (the ids LibvirtErrors chooses from libvirt's virErrorNumber; minted by HeadlessVmErrors.LibvirtFailure).
    public const string LibvirtNotInstalled = nameof(LibvirtNotInstalled);
    public const string LibvirtDomainNotFound = nameof(LibvirtDomainNotFound);
    public const string LibvirtDomainExists = nameof(LibvirtDomainExists);
    public const string HostUnreachable = nameof(HostUnreachable);
    public const string HostUnknown = nameof(HostUnknown);
    public const string HostAuthenticationFailed = nameof(HostAuthenticationFailed);
    public const string HostKeyNotTrusted = nameof(HostKeyNotTrusted);
    public const string HostConnectionLost = nameof(HostConnectionLost);
    public const string DomainStateInvalid = nameof(DomainStateInvalid);
    public const string InvalidDomainXml = nameof(InvalidDomainXml);
    public const string DomainConfigUnsupported = nameof(DomainConfigUnsupported);
    public const string LibvirtTimeout = nameof(LibvirtTimeout);
    public const string LibvirtNotSupported = nameof(LibvirtNotSupported);
    public const string LibvirtInvalidArgument = nameof(LibvirtInvalidArgument);
    public const string LibvirtAccessDenied = nameof(LibvirtAccessDenied);
    public const string ConsoleBusy = nameof(ConsoleBusy);
    public const string LibvirtResourceBusy = nameof(LibvirtResourceBusy);
    public const string LibvirtOperationAborted = nameof(LibvirtOperationAborted);
    public const string DomainFileNotFound = nameof(DomainFileNotFound);
    public const string DomainFileAccessDenied = nameof(DomainFileAccessDenied);
    public const string DomainDiskLocked = nameof(DomainDiskLocked);
    public const string LibvirtSystemError = nameof(LibvirtSystemError);
    public const string LibvirtOperationFailed = nameof(LibvirtOperationFailed);

    // Hosts: where VMs live (-ComputerName, -ConnectionUri, Connect-HeadlessVmHost) and what differs between backends.
    public const string InvalidHostName = nameof(InvalidHostName);
    public const string InvalidConnectionUri = nameof(InvalidConnectionUri);
    public const string HostNotFound = nameof(HostNotFound);
    public const string HostExists = nameof(HostExists);
    public const string HostRegistryDamaged = nameof(HostRegistryDamaged);
    public const string HostNameUriMismatch = nameof(HostNameUriMismatch);
    public const string HostTimeout = nameof(HostTimeout);
    public const string SingleHostRequired = nameof(SingleHostRequired);
    public const string AmbiguousVmName = nameof(AmbiguousVmName);
    public const string VmIsExternal = nameof(VmIsExternal);
    public const string PathNotAbsolute = nameof(PathNotAbsolute);
    public const string InvalidNetworkMode = nameof(InvalidNetworkMode);
    public const string NoVncDisplay = nameof(NoVncDisplay);
    public const string NoSerialLog = nameof(NoSerialLog);
    public const string SerialLogNotReachable = nameof(SerialLogNotReachable);
    public const string PortForwardFailed = nameof(PortForwardFailed);

    // Consoles across hosts: how this machine reaches another host's VNC servers (Tunnels).
    public const string ConsoleNeedsTunnel = nameof(ConsoleNeedsTunnel);
    public const string InvalidConsoleVia = nameof(InvalidConsoleVia);
    public const string ConsoleNotReachable = nameof(ConsoleNotReachable);
    public const string ConsoleTunnelFailed = nameof(ConsoleTunnelFailed);

    // An operation this backend does not do yet (the day-2 verbs on a libvirt host).
    public const string NotSupportedOnHost = nameof(NotSupportedOnHost);

    // Checkpoints (qcow2 internal snapshots: QMP snapshot jobs on a running VM, qemu-img snapshot on a stopped one).
    public const string InvalidSnapshotName = nameof(InvalidSnapshotName);
    public const string SnapshotExists = nameof(SnapshotExists);
    public const string SnapshotNotFound = nameof(SnapshotNotFound);
    public const string NoSnapshotDisk = nameof(NoSnapshotDisk);
    public const string DiskCannotSnapshot = nameof(DiskCannotSnapshot);
    public const string SnapshotIncomplete = nameof(SnapshotIncomplete);
    public const string SnapshotWithoutMemory = nameof(SnapshotWithoutMemory);
    public const string SnapshotJobFailed = nameof(SnapshotJobFailed);
    public const string SnapshotTimeout = nameof(SnapshotTimeout);
    public const string QemuImgSnapshotFailed = nameof(QemuImgSnapshotFailed);

    // Changing a VM (Set-HeadlessVm).
    public const string VmMustBeStopped = nameof(VmMustBeStopped);
    public const string DiskNotAttached = nameof(DiskNotAttached);
    public const string DiskAlreadyAttached = nameof(DiskAlreadyAttached);
    public const string MediumChangeFailed = nameof(MediumChangeFailed);

    // Copies of a VM (Copy-HeadlessVm).
    public const string CopyDiskExists = nameof(CopyDiskExists);
    public const string CopyDiskFolderNotFound = nameof(CopyDiskFolderNotFound);
    public const string QemuImgConvertFailed = nameof(QemuImgConvertFailed);
    public const string DiskNotInStoragePool = nameof(DiskNotInStoragePool);

    // cloud-init first boot (New-HeadlessVm -CloudInit).
    public const string InvalidSshPublicKey = nameof(InvalidSshPublicKey);
    public const string InvalidGuestHostName = nameof(InvalidGuestHostName);
    public const string CloudInitConflict = nameof(CloudInitConflict);
    public const string CloudInitFileUnreadable = nameof(CloudInitFileUnreadable);
    public const string CloudInitSeedFailed = nameof(CloudInitSeedFailed);
}
