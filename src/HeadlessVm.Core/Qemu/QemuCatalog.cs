using System.Collections.Concurrent;
using HeadlessVm.Core.Processes;

namespace HeadlessVm.Core.Qemu;

/// <summary>What the installed qemu offers: architectures (qemu-system-* on PATH) and CPU models. For tab completion.</summary>
public static class QemuCatalog
{
    private const string Prefix = "qemu-system-";

    // 'qemu-system-x86_64 -cpu help' takes a few tens of milliseconds; Tab should not pay that every time.
    private static readonly ConcurrentDictionary<string, IReadOnlyList<string>> CpuModelCache = new(StringComparer.Ordinal);

    /// <summary>The architectures with a qemu-system-&lt;arch&gt; executable on PATH, sorted, each once.</summary>
    public static IReadOnlyList<string> Architectures()
    {
        var found = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var dir in NativeRunner.SearchPath())
        {
            IEnumerable<string> files;
            try
            {
                files = Directory.EnumerateFiles(dir, Prefix + "*");
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
            {
                continue;
            }

            foreach (var file in files)
            {
                var name = Path.GetFileName(file);
                if (name.Length > Prefix.Length &&
                    (File.GetUnixFileMode(file) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0)
                {
                    found.Add(name[Prefix.Length..]);
                }
            }
        }

        return found.ToArray();
    }

    /// <summary>The CPU models qemu-system-&lt;arch&gt; reports with '-cpu help', cached per process; empty when it cannot say.</summary>
    public static IReadOnlyList<string> CpuModels(string architecture)
    {
        if (CpuModelCache.TryGetValue(architecture, out var cached))
        {
            return cached;
        }

        var program = NativeRunner.FindExecutable(Prefix + architecture);
        if (program is null)
        {
            return Array.Empty<string>();
        }

        IReadOnlyList<string> models;
        try
        {
            var result = NativeRunner.Run(new NativeCommand(program, new[] { "-cpu", "help" }), timeout: TimeSpan.FromSeconds(10));
            models = result.ExitCode == 0 ? ParseCpuHelp(result.StandardOutput) : Array.Empty<string>();
        }
        catch (Exception ex) when (ex is HeadlessVmException or OperationCanceledException or IOException)
        {
            return Array.Empty<string>();
        }

        return CpuModelCache.GetOrAdd(architecture, models);
    }

    /// <summary>
    /// The model names in '-cpu help' output. x86 prints 'x86 NAME  description' lines; other targets
    /// print 'NAME' or 'NAME  description' under 'Available CPUs:'. The CPUID flag list after the first
    /// blank line (x86 'Recognized CPUID flags:') is not models.
    /// </summary>
    public static IReadOnlyList<string> ParseCpuHelp(string output)
    {
        var models = new List<string>();
        foreach (var raw in output.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Trim().Length == 0)
            {
                if (models.Count > 0)
                {
                    break;
                }

                continue;
            }

            if (line.TrimEnd().EndsWith(':'))
            {
                continue;
            }

            var tokens = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var name = tokens.Length > 1 && tokens[0] is "x86" or "i386" ? tokens[1] : tokens[0];
            if (!models.Contains(name, StringComparer.Ordinal))
            {
                models.Add(name);
            }
        }

        return models;
    }
}
