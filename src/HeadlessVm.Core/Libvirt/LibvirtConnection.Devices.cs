using HeadlessVm.Core.Libvirt.Native;

namespace HeadlessVm.Core.Libvirt;

/// <summary>Keys, screen, console, monitor and live device updates.</summary>
public sealed partial class LibvirtConnection
{
    /// <summary>VIR_DOMAIN_SEND_KEY_MAX_KEYS (libvirt-domain.h): keys pressed together in one call.</summary>
    public const int MaxKeysPerCall = 16;

    // VIR_KEYCODE_SET_LINUX (virKeycodeSet): codes from linux/input-event-codes.h (KEY_A = 30, KEY_ENTER = 28).
    private const uint LinuxKeycodes = 0;

    // virDomainConsoleFlags: VIR_DOMAIN_CONSOLE_FORCE, VIR_DOMAIN_CONSOLE_SAFE.
    private const uint ConsoleForce = 1 << 0;
    private const uint ConsoleSafe = 1 << 1;

    // virDomainDeviceModifyFlags: VIR_DOMAIN_AFFECT_LIVE, VIR_DOMAIN_AFFECT_CONFIG.
    private const uint AffectLive = 1 << 0;
    private const uint AffectConfig = 1 << 1;

    /// <summary>
    /// Presses <paramref name="linuxKeycodes"/> together and releases them after <paramref name="holdMilliseconds"/>
    /// (virDomainSendKey, codeset VIR_KEYCODE_SET_LINUX; 0 lets the driver pick, 100 ms in QEMU's). At most
    /// <see cref="MaxKeysPerCall"/> codes. Throws <c>DomainStateInvalid</c> when the domain is not running.
    /// </summary>
    public unsafe void SendKeys(string name, IReadOnlyList<uint> linuxKeycodes, uint holdMilliseconds = 0)
    {
        ArgumentNullException.ThrowIfNull(linuxKeycodes);
        if (linuxKeycodes.Count is 0 or > MaxKeysPerCall)
        {
            throw new ArgumentOutOfRangeException(nameof(linuxKeycodes), $"Send between 1 and {MaxKeysPerCall} keys at once.");
        }

        using var domain = Lookup(name);
        var codes = linuxKeycodes.ToArray();
        fixed (uint* p = codes)
        {
            Check(DomainApi.virDomainSendKey(domain, LinuxKeycodes, holdMilliseconds, p, codes.Length, 0), name);
        }
    }

    /// <summary>
    /// Takes a screenshot of screen <paramref name="screen"/> (virDomainScreenshot) and reads the whole stream into
    /// memory, with the MIME type libvirt chose: image/png from libvirt 9.0 with QEMU 7.2 (seen on Debian 12) and
    /// from the test driver; image/x-portable-pixmap (PPM) where QEMU cannot write PNG. Throws
    /// <c>DomainStateInvalid</c> when the domain is not running.
    /// </summary>
    public unsafe LibvirtScreenshot Screenshot(string name, uint screen = 0)
    {
        using var domain = Lookup(name);
        using var stream = NewStream(nonBlocking: false);
        var mime = NativeStrings.Take(DomainApi.virDomainScreenshot(domain, stream, screen, 0))
            ?? throw LibvirtErrors.FromLastError(name, LibvirtCall.Other);

        using var data = new MemoryStream();
        var buffer = new byte[64 * 1024];
        fixed (byte* p = buffer)
        {
            while (true)
            {
                // Blocking stream: >0 bytes, 0 at the end, -1 on error (libvirt-stream.c, virStreamRecv).
                var n = StreamApi.virStreamRecv(stream.DangerousGetHandle(), p, (nuint)buffer.Length);
                if (n > 0)
                {
                    data.Write(buffer, 0, n);
                    continue;
                }

                if (n < 0)
                {
                    var error = LibvirtErrors.FromLastError(name, LibvirtCall.Other);
                    StreamApi.virStreamAbort(stream);
                    ErrorApi.Reset();
                    throw error;
                }

                break;
            }
        }

        Check(StreamApi.virStreamFinish(stream), name);
        return new LibvirtScreenshot(mime, data.ToArray());
    }

    /// <summary>
    /// Opens the domain's console (virDomainOpenConsole; <paramref name="device"/> null means the first console,
    /// e.g. "serial0") on a non-blocking stream whose data the event loop queues. SAFE mode refuses a console that
    /// another client holds with <c>ConsoleBusy</c>; <paramref name="force"/> takes it over instead. Start the
    /// domain paused, open the console, then resume to miss no output.
    /// </summary>
    public LibvirtConsole OpenConsole(string name, string? device = null, bool force = false)
    {
        using var domain = Lookup(name);
        var stream = NewStream(nonBlocking: true);
        try
        {
            Check(DomainApi.virDomainOpenConsole(domain, device, stream, ConsoleSafe | (force ? ConsoleForce : 0)), name, LibvirtCall.Console);
            return LibvirtConsole.Attach(stream, name);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Runs a QEMU monitor command (virDomainQemuMonitorCommand from libvirt-qemu.so.0) and returns its reply:
    /// QMP JSON, or HMP text with <paramref name="humanMonitor"/>. libvirt marks the domain tainted
    /// ("custom-monitor") because it cannot track what the command changed. Throws <c>LibvirtNotSupported</c>
    /// on drivers other than QEMU.
    /// </summary>
    public string QemuMonitorCommand(string name, string command, bool humanMonitor = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(command);
        LibvirtLibrary.EnsureQemuLoaded();
        using var domain = Lookup(name);
        Check(QemuApi.virDomainQemuMonitorCommand(domain, command, out var reply, humanMonitor ? QemuApi.HumanMonitor : 0), name);
        return NativeStrings.Take(reply) ?? string.Empty;
    }

    /// <summary>
    /// Changes a device in place from its XML (virDomainUpdateDeviceFlags), in the running domain
    /// (<paramref name="live"/>) and/or its persistent definition (<paramref name="config"/>); e.g. a new VNC
    /// password is a <c>&lt;graphics&gt;</c> element with another passwd.
    /// </summary>
    public void UpdateDevice(string name, string deviceXml, bool live, bool config)
    {
        ArgumentException.ThrowIfNullOrEmpty(deviceXml);
        using var domain = Lookup(name);
        Check(DomainApi.virDomainUpdateDeviceFlags(domain, deviceXml, (live ? AffectLive : 0) | (config ? AffectConfig : 0)), name);
    }

    private StreamHandle NewStream(bool nonBlocking)
    {
        var stream = StreamApi.virStreamNew(_handle, nonBlocking ? StreamApi.NonBlock : 0);
        if (stream.IsInvalid)
        {
            var error = LibvirtErrors.FromLastError(Uri, LibvirtCall.Other);
            stream.Dispose();
            throw error;
        }

        return stream;
    }
}
