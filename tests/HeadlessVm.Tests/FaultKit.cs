using System.Diagnostics;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using HeadlessVm.Core.Processes;

namespace HeadlessVm.Tests;

/// <summary>
/// A tmpfs mounted on a folder of the test's own (as root), optionally remounted read-only; unmounted and
/// removed when disposed. A real file system that refuses writes (EROFS) or fills up (ENOSPC), which
/// chmod cannot show to root.
/// </summary>
public sealed class TmpfsMount : IDisposable
{
    public TmpfsMount(string folder, string size = "4m")
    {
        Folder = folder;
        Directory.CreateDirectory(folder);
        Run("mount", "-t", "tmpfs", "-o", $"size={size},mode=0700", "tmpfs", folder);
    }

    public string Folder { get; }

    public void ReadOnly() => Run("mount", "-o", "remount,ro", Folder);

    public void ReadWrite() => Run("mount", "-o", "remount,rw", Folder);

    /// <summary>Fills the file system up to its last byte with one file (which <see cref="Free"/> deletes).</summary>
    public void Fill()
    {
        // Unbuffered, so that closing it has nothing left to write to the full disk.
        using var stream = new FileStream(Path.Combine(Folder, "filler"), FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0);
        var chunk = new byte[64 * 1024];
        try
        {
            while (true)
            {
                stream.Write(chunk);
                stream.Flush();
            }
        }
        catch (IOException)
        {
        }

        // Byte by byte for the last partial block.
        try
        {
            while (true)
            {
                stream.WriteByte(1);
                stream.Flush();
            }
        }
        catch (IOException)
        {
        }
    }

    public void Free() => File.Delete(Path.Combine(Folder, "filler"));

    public void Dispose()
    {
        try
        {
            Run("umount", Folder);
        }
        catch (InvalidOperationException)
        {
            // Something still holds it (a process the test failed to stop): detach it, so the folder goes.
            Run("umount", "-l", Folder);
        }

        Directory.Delete(Folder, recursive: true);
    }

    private static void Run(string program, params string[] args)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEnd();
        if (!p.WaitForExit(30_000) || p.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} failed: {err}");
        }
    }
}

/// <summary>
/// A qemu-system-x86_64 first on PATH that runs the real qemu, and around it does what a test asks on
/// cue: touch a file when qemu has daemonized, then sleep until killed (the window between qemu's start
/// and the module's password and run record), or sleep before qemu runs at all. Its own PID and its
/// parent's (the pwsh that runs the module) are written to the cue file, so the test can stop it, or kill
/// that pwsh. PATH is restored when disposed.
/// </summary>
public sealed class QemuWrapper : IDisposable
{
    private readonly string? _path = Environment.GetEnvironmentVariable("PATH");

    /// <param name="folder">Where the wrapper and its cue files live (the test's state folder).</param>
    /// <param name="sleepBefore">Sleep before running qemu (so cancelling finds no qemu at all).</param>
    public QemuWrapper(string folder, bool sleepBefore = false)
    {
        Bin = Path.Combine(folder, "wrapper-bin");
        Directory.CreateDirectory(Bin);
        Cue = Path.Combine(folder, "wrapper.cue");
        var script = Path.Combine(Bin, "qemu-system-x86_64");
        File.WriteAllText(script, sleepBefore
            ? $"#!/bin/sh\necho $$ $PPID > '{Cue}'\nexec sleep 600\n"
            : $"#!/bin/sh\n/usr/bin/qemu-system-x86_64 \"$@\" || exit $?\necho $$ $PPID > '{Cue}'\nexec sleep 600\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Environment.SetEnvironmentVariable("PATH", Bin + ":" + _path);
    }

    public string Bin { get; }

    public string Cue { get; }

    /// <summary>Waits (bounded) until the wrapper reaches its cue; returns the wrapper's PID and its parent's (the module's process).</summary>
    public (int Wrapper, int Parent) WaitForCue(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (ReadCue() is { } cue)
            {
                return cue;
            }

            Thread.Sleep(20);
        }

        throw new Xunit.Sdk.XunitException($"The qemu wrapper did not reach its cue within {timeout}.");
    }

    /// <summary>Stops the wrapper's sleep (by the PID it wrote), if it still runs.</summary>
    public void StopSleeper()
    {
        if (ReadCue() is { } cue && ProcessInfo.CommandLine(cue.Wrapper) is { } argv
            && argv.Any(a => a.Contains("sleep", StringComparison.Ordinal) || a.Contains(Bin, StringComparison.Ordinal)))
        {
            ProcessInfo.Signal(cue.Wrapper, ProcessInfo.SIGKILL);
            ProcessInfo.WaitForExit(cue.Wrapper, TimeSpan.FromSeconds(5));
        }

        File.Delete(Cue);
    }

    private (int Wrapper, int Parent)? ReadCue()
    {
        var fields = File.Exists(Cue) ? File.ReadAllText(Cue).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries) : Array.Empty<string>();
        return fields.Length == 2 && int.TryParse(fields[0], out var wrapper) && int.TryParse(fields[1], out var parent) ? (wrapper, parent) : null;
    }

    public void Dispose()
    {
        StopSleeper();
        Environment.SetEnvironmentVariable("PATH", _path);
    }
}

public static class VncPassword
{
    /// <summary>
    /// Authenticates to a VNC server with <paramref name="password"/> (VNC authentication, RFC 6143 7.2.2:
    /// DES-ECB of the challenge, keyed with the password's bytes each bit-reversed) and returns the
    /// SecurityResult: 0 when qemu accepts the password, 1 when it refuses ("Authentication failed").
    /// </summary>
    public static uint Authenticate(int port, string password)
    {
        using var tcp = new TcpClient("127.0.0.1", port) { ReceiveTimeout = 10000, SendTimeout = 10000 };
        var s = tcp.GetStream();
        Read(s, 12);
        s.Write("RFB 003.008\n"u8);
        var count = Read(s, 1)[0];
        var types = Read(s, count);
        Assert.Contains((byte)2, types);
        s.WriteByte(2);
        var challenge = Read(s, 16);
        var key = new byte[8];
        var bytes = Encoding.ASCII.GetBytes(password);
        for (var i = 0; i < 8 && i < bytes.Length; i++)
        {
            var b = bytes[i];
            byte reversed = 0;
            for (var bit = 0; bit < 8; bit++)
            {
                reversed |= (byte)(((b >> bit) & 1) << (7 - bit));
            }

            key[i] = reversed;
        }

        using var des = DES.Create();
        des.Key = key;
        s.Write(des.EncryptEcb(challenge, PaddingMode.None));
        var result = Read(s, 4);
        return (uint)(result[0] << 24 | result[1] << 16 | result[2] << 8 | result[3]);
    }

    private static byte[] Read(Stream s, int n)
    {
        var buffer = new byte[n];
        s.ReadExactly(buffer);
        return buffer;
    }
}
