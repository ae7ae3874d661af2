using System.Text.RegularExpressions;
using HeadlessVm.Core.Errors;
using HeadlessVm.Core.Guest;
using HeadlessVm.Core.Model;

namespace HeadlessVm.Core.Libvirt;

/// <summary>What scripts do with a running guest: its serial console, waits, keys and screen.</summary>
public sealed partial class LibvirtBackend
{
    /// <summary>
    /// The serial lines of the current (or last) boot: from this process's recorder when it started the boot, else from
    /// the domain's serial log file when the daemon is on this machine. NoSerialLog when the domain logs none;
    /// SerialLogNotReachable when the log is on another host.
    /// </summary>
    public IReadOnlyList<string> ReadSerial(string name, int? tail)
    {
        var info = Info(name);
        if (Recorder(info) is { } recorder)
        {
            return recorder.Lines(tail);
        }

        var file = DomainVms.SerialLogFile(Parse(name)) ?? throw HeadlessVmErrors.NoSerialLog(name);
        if (!Location.IsThisMachine || !CanRead(file))
        {
            throw HeadlessVmErrors.SerialLogNotReachable(name, HostName, file);
        }

        return SerialLog.ReadLines(file, tail);
    }

    /// <summary>
    /// The first serial line of this boot matching <paramref name="pattern"/>, read from: the recorder of a boot this
    /// process started (every line since the first); else the domain's log file on this machine; else the live console
    /// stream, which only has what the guest prints from now on (then, without <paramref name="newOutputOnly"/>, a
    /// Verbose line says so). VmNotRunning when the domain stops first, SerialTextWaitTimeout at the deadline.
    /// </summary>
    public SerialMatch WaitForText(string name, Regex pattern, DateTime deadline, bool newOutputOnly, CancellationToken cancellationToken)
    {
        var info = Info(name);
        var running = info.Status.State != LibvirtDomainState.Shutoff;
        SerialRecorder? stream = null;
        ISerialFollower follower;
        Func<IReadOnlyList<string>> lines;
        if (Recorder(info) is { } recorder)
        {
            follower = recorder.Follow(newOutputOnly);
            lines = () => recorder.Lines(SerialLog.LinesInMessages);
        }
        else if (Location.IsThisMachine && DomainVms.SerialLogFile(Parse(name)) is { } file && CanRead(file))
        {
            follower = new FileSerialFollower(file, newOutputOnly);
            lines = () => SerialLog.ReadLines(file, SerialLog.LinesInMessages);
        }
        else if (!running)
        {
            throw HeadlessVmErrors.VmNotRunning(name, $", and its serial console did not print a line matching '{pattern}'");
        }
        else
        {
            if (!newOutputOnly)
            {
                _host.Verbose($"VM '{name}' on {HostName}: reading its live console; lines it printed before now are not seen.");
            }

            stream = new SerialRecorder(_connection.OpenConsole(name), info.Id);
            follower = stream.Follow(fromEnd: false);
            lines = () => stream.Lines(SerialLog.LinesInMessages);
        }

        using (stream)
        {
            using var countdown = new Countdown(_host, $"Waiting for VM '{name}'", $"Waiting for serial output matching '{pattern}'", deadline);
            while (true)
            {
                // Read after the state, so that output printed just before the domain stopped is seen.
                var alive = running && _connection.GetState(name).State != LibvirtDomainState.Shutoff;
                foreach (var (number, text) in follower.ReadNew())
                {
                    if (pattern.Match(text) is { Success: true } m)
                    {
                        return new SerialMatch(name, number, text, m);
                    }
                }

                if (follower.Pending is { Length: > 0 } pending && pattern.Match(pending) is { Success: true } pm)
                {
                    return new SerialMatch(name, follower.PendingLineNumber, pending, pm);
                }

                if (!alive)
                {
                    throw HeadlessVmErrors.VmNotRunning(name, $", and its serial console did not print a line matching '{pattern}'", SerialLog.LastLinesForMessage(lines()));
                }

                if (countdown.Expired)
                {
                    throw HeadlessVmErrors.SerialTextWaitTimeout(name, pattern.ToString(), countdown.Elapsed, SerialLog.LastLinesForMessage(lines()));
                }

                countdown.Tick();
                cancellationToken.WaitHandle.WaitOne(Poll);
                cancellationToken.ThrowIfCancellationRequested();
            }
        }
    }

    /// <summary>Waits until the domain is Running, Paused or Stopped, woken by its lifecycle events.</summary>
    public VmInfo WaitForState(string name, VmState state, DateTime deadline, CancellationToken cancellationToken)
    {
        if (state is not (VmState.Running or VmState.Paused or VmState.Stopped))
        {
            throw HeadlessVmErrors.InvalidWaitState(name, state);
        }

        using var events = _connection.SubscribeLifecycle();
        using var countdown = new Countdown(_host, $"Waiting for VM '{name}'", $"Waiting for the VM to be {state}", deadline);
        VmState current = default;
        if (WaitFor(() => (current = DomainVms.ToState(Info(name).Status.State)) == state, events, countdown, cancellationToken))
        {
            return Get(name);
        }

        throw HeadlessVmErrors.VmStateWaitTimeout(name, state, countdown.Elapsed, current, string.Empty);
    }

    /// <summary>Presses each combination in turn (virDomainSendKey, Linux key codes), each held <paramref name="holdTimeMs"/>.</summary>
    public void SendKeys(string name, IReadOnlyList<KeyCombination> keys, int holdTimeMs, CancellationToken cancellationToken)
    {
        var codes = keys.Select(LinuxKeyCodes.Of).ToArray();
        Running(name, ", so it cannot take keys");
        foreach (var combination in codes)
        {
            cancellationToken.ThrowIfCancellationRequested();
            _connection.SendKeys(name, combination, (uint)holdTimeMs);
        }
    }

    /// <summary>
    /// The screen as a PNG at <paramref name="path"/> on this machine (the image comes through libvirt's stream, from
    /// any host): PNG as libvirt hands it, PPM converted (<see cref="PngImages"/>).
    /// </summary>
    public FileInfo SaveScreenshot(string name, string path, CancellationToken cancellationToken)
    {
        var folder = Path.GetDirectoryName(path);
        if (string.IsNullOrEmpty(folder) || !Directory.Exists(folder))
        {
            throw HeadlessVmErrors.ScreenshotFolderNotFound(name, path);
        }

        Running(name, ", so it has no screen");
        var shot = _connection.Screenshot(name);
        byte[] png;
        if (PngImages.IsPng(shot.Data))
        {
            png = shot.Data;
        }
        else
        {
            try
            {
                png = PngImages.FromPpm(shot.Data);
            }
            catch (FormatException e)
            {
                throw HeadlessVmErrors.ScreenshotFailed(name, path, $"libvirt handed an image of type {shot.MimeType} that is neither PNG nor PPM ({e.Message})", e);
            }
        }

        File.WriteAllBytes(path, png);
        return new FileInfo(path);
    }

    private SerialRecorder? Recorder(LibvirtDomainInfo info) =>
        _recorders.Find(Uri, info.Uuid, info.Status.State == LibvirtDomainState.Shutoff ? null : info.Id);

    private static bool CanRead(string file)
    {
        try
        {
            using var _ = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            return true;
        }
        catch (FileNotFoundException)
        {
            // Not written yet (the domain has not printed anything): it will be, and the follower waits for it.
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
