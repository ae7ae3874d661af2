namespace HeadlessVm.Testing;

/// <summary>
/// The tiny Linux guest that tests/guest/build-guest.sh builds from Debian packages (cached), and the lines
/// it prints on its serial console (see tests/guest/README.md). One copy for both test projects, whichever
/// backend boots it.
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

    /// <summary>
    /// The guest's files as the variables of a test's script ($kernel, $initrd, $iso, $qcow2, $cmdline), in a new
    /// dictionary each time, so that a test can add its own or change one.
    /// </summary>
    public static Dictionary<string, object?> Variables => new()
    {
        ["kernel"] = Kernel,
        ["initrd"] = Initrd,
        ["iso"] = Iso,
        ["qcow2"] = Qcow2,
        ["cmdline"] = KernelArguments,
    };

    /// <summary>
    /// Writes <paramref name="mebibytes"/> MiB of 0xFF to a new file <paramref name="path"/>, for qemu's -mem-path: a
    /// guest whose memory it maps is that many MiB of pages that are not zeros, which a snapshot writes in full (qemu
    /// saves a zero page as a flag), so its save takes seconds where a fresh guest's takes a moment.
    /// </summary>
    public static string WriteMemoryFile(string path, int mebibytes)
    {
        using var file = new FileStream(path, FileMode.CreateNew);
        var ones = new byte[1 << 20];
        Array.Fill(ones, (byte)0xFF);
        for (var mib = 0; mib < mebibytes; mib++)
        {
            file.Write(ones);
        }

        return path;
    }

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

/// <summary>Where the repository is: the folder above the test binaries that holds HeadlessVm.psd1.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string Manifest => Path.Combine(Root, "HeadlessVm.psd1");

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "HeadlessVm.psd1")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Cannot find the repository root (HeadlessVm.psd1).");
    }
}
