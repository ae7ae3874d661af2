using HeadlessVm.Core.Console;

namespace HeadlessVm.Core.Model;

public enum BridgeState
{
    /// <summary>websockify is not running for this bridge (it was killed, or its VM stopped).</summary>
    Stopped,
    Running,
}

/// <summary>A browser console bridge (websockify + noVNC) as the pipeline sees it: its record joined with its live state.</summary>
public sealed class VncBridge
{
    internal VncBridge(VncBridgeRecord record, BridgeState state, int? processId, Uri? url, string path)
    {
        Record = record;
        State = state;
        ProcessId = processId;
        Url = url;
        StatePath = path;
    }

    internal VncBridgeRecord Record { get; }

    /// <summary>The bridge's name: its VM's name (HOST~VM for a libvirt VM), or the name given to a -Target bridge.</summary>
    public string Name => Record.Name;

    /// <summary>The VM whose screen this bridge shows; null for a bridge to any VNC server (-Target).</summary>
    public string? VmName => Record.VmName;

    /// <summary>The host of the VM: "local" for the folder store, its ComputerName for a libvirt VM; null for a -Target bridge.</summary>
    public string? ComputerName => Record.ComputerName ?? (Record.VmName is null ? null : VmInfo.LocalComputerName);

    /// <summary>The libvirt URI of the VM's host; null for the folder store and -Target bridges.</summary>
    public string? ConnectionUri => Record.ConnectionUri;

    /// <summary>The VNC server websockify connects to, host:port (or a unix socket).</summary>
    public string Target => Record.Target;

    public string ListenAddress => Record.ListenAddress;
    public int WebPort => Record.WebPort;
    public int? ProcessId { get; }
    public BridgeState State { get; }

    /// <summary>The console URL (with its token and VNC password) while the bridge runs; null otherwise.</summary>
    public Uri? Url { get; }

    /// <summary>True when the page and the WebSocket are served over TLS only (https/wss).</summary>
    public bool Secure => Record.CertificatePath is not null;

    /// <summary>Always true: websockify only connects WebSockets that present this bridge's random token.</summary>
    public bool TokenRequired => true;

    public string WebRoot => Record.WebRoot;
    public string? CertificatePath => Record.CertificatePath;
    public DateTimeOffset Created => Record.Created;

    /// <summary>The folder in the state store that holds the bridge's record, token, pidfile and log.</summary>
    public string StatePath { get; }

    public override string ToString() => Name;
}
