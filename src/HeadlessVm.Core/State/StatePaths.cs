namespace HeadlessVm.Core.State;

/// <summary>Where the state store lives: $HEADLESSVM_HOME, else $XDG_STATE_HOME/headlessvm, else ~/.local/state/headlessvm.</summary>
public sealed class StatePaths
{
    public StatePaths(string root)
    {
        Root = System.IO.Path.GetFullPath(root);
    }

    public string Root { get; }
    public string VmsFolder => System.IO.Path.Combine(Root, "vms");
    public string BridgesFolder => System.IO.Path.Combine(Root, "bridges");
    public string ConsolesFolder => System.IO.Path.Combine(Root, "consoles");
    public string BridgeLockFile => System.IO.Path.Combine(Root, ".bridges.lock");
    public string LockFile => System.IO.Path.Combine(Root, ".lock");

    public VmPaths ForVm(string name) => new(System.IO.Path.Combine(VmsFolder, name));

    public static StatePaths FromEnvironment(Func<string, string?>? getEnv = null)
    {
        getEnv ??= Environment.GetEnvironmentVariable;
        var home = getEnv("HEADLESSVM_HOME");
        if (!string.IsNullOrWhiteSpace(home))
        {
            return new StatePaths(home);
        }

        var xdg = getEnv("XDG_STATE_HOME");
        if (!string.IsNullOrWhiteSpace(xdg) && System.IO.Path.IsPathRooted(xdg))
        {
            return new StatePaths(System.IO.Path.Combine(xdg, "headlessvm"));
        }

        var userHome = getEnv("HOME");
        if (string.IsNullOrWhiteSpace(userHome))
        {
            userHome = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        }

        return new StatePaths(System.IO.Path.Combine(userHome, ".local", "state", "headlessvm"));
    }
}

/// <summary>The files of one VM's folder.</summary>
public sealed class VmPaths
{
    public VmPaths(string folder) => Folder = folder;

    public string Folder { get; }
    public string SpecFile => Path.Combine(Folder, "vm.json");
    public string RunFile => Path.Combine(Folder, "run.json");
    public string PidFile => Path.Combine(Folder, "qemu.pid");
    public string QmpSocket => Path.Combine(Folder, "qmp.sock");
    public string SerialLog => Path.Combine(Folder, "serial.log");
    public string PreviousSerialLog => Path.Combine(Folder, "serial.previous.log");
    public string VncPasswordFile => Path.Combine(Folder, "vnc.password");
}
