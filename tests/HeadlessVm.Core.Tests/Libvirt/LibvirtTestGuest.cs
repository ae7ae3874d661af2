namespace HeadlessVm.Core.Tests.Libvirt;

/// <summary>
/// The test guest that tests/guest/build-guest.sh builds (cached) and the lines it prints (tests/guest/README.md),
/// for the libvirt tests of this project (the cmdlet tests keep their own copy in HeadlessVm.Tests/TestGuest.cs).
/// </summary>
internal static class LibvirtTestGuest
{
    public const string Ready = "HEADLESSVM-GUEST-READY";
    public const string PowerOff = "HEADLESSVM-GUEST-POWEROFF";
    public const string Http = "HEADLESSVM-GUEST-HTTP";
    public const string KeyPrefix = "HEADLESSVM-GUEST-KEY: ";
    public const string KernelArguments = "console=ttyS0 console=tty0";

    private static readonly Lazy<string> Folder = new(Build);

    public static string Kernel => Path.Combine(Folder.Value, "vmlinuz");

    public static string Initrd => Path.Combine(Folder.Value, "initrd.img");

    private static string Build()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "HeadlessVm.psd1")))
        {
            dir = dir.Parent;
        }

        var script = Path.Combine(dir?.FullName ?? throw new InvalidOperationException("Cannot find the repository root."), "tests", "guest", "build-guest.sh");
        // Cached after the first build (milliseconds); the first build takes a minute or two.
        var result = BoundedProcess.Run("bash", [script], TimeSpan.FromMinutes(15));
        return result.ExitCode == 0
            ? result.Stdout.Trim().Split('\n').Last().Trim()
            : throw new InvalidOperationException($"build-guest.sh failed ({result.ExitCode}): {result.Stderr}");
    }
}
