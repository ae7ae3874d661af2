namespace HeadlessVm.Core.Console;

/// <summary>
/// The files of one bridge. A VM's bridge lives in the VM's own private folder (so removing the VM
/// removes it); a bridge to another VNC server (-Target) lives under the store's bridges folder.
/// </summary>
public sealed class BridgePaths
{
    public BridgePaths(string folder) => Folder = folder;

    public string Folder { get; }
    public string RecordFile => Path.Combine(Folder, "bridge.json");
    public string PidFile => Path.Combine(Folder, "websockify.pid");
    public string LogFile => Path.Combine(Folder, "websockify.log");
    public string TokenFile => Path.Combine(Folder, "websockify.tokens");
}
