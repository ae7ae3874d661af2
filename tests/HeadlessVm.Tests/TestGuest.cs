namespace HeadlessVm.Tests;

/// <summary>
/// The tiny Linux guest that tests/guest/build-guest.sh builds from Debian packages (cached), and
/// the lines it prints on its serial console (see tests/guest/README.md).
/// </summary>
public static class TestGuest
{
    public const string Ready = "HEADLESSVM-GUEST-READY";
    public const string PowerOff = "HEADLESSVM-GUEST-POWEROFF";
    public const string Http = "HEADLESSVM-GUEST-HTTP";
    public const string KeyPrefix = "HEADLESSVM-GUEST-KEY: ";
    public const string DiskWritten = "HEADLESSVM-GUEST-DISK-WRITTEN";
    public const string KernelArguments = "console=ttyS0 console=tty0";

    private static readonly Lazy<string> Folder = new(Build);

    public static string Directory => Folder.Value;
    public static string Kernel => Path.Combine(Directory, "vmlinuz");
    public static string Initrd => Path.Combine(Directory, "initrd.img");
    public static string Iso => Path.Combine(Directory, "guest.iso");
    public static string Qcow2 => Path.Combine(Directory, "guest.qcow2");

    private static string Build()
    {
        // Cached after the first build (milliseconds); the first build takes a minute or two.
        var script = Path.Combine(RepoPaths.Root, "tests", "guest", "build-guest.sh");
        var result = BoundedProcess.Run("bash", [script], TimeSpan.FromMinutes(15));
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"build-guest.sh failed ({result.ExitCode}): {result.Stderr}");
        }

        return result.Stdout.Trim().Split('\n').Last().Trim();
    }
}
