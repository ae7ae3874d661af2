using System.Security.Cryptography;
using HeadlessVm.Core.State;

namespace HeadlessVm.Core.Backends;

/// <summary>The random values a new VM gets: its VNC password and its MAC address.</summary>
public static class VmSecrets
{
    // No 0/O, 1/l/I: a password read off a screen is typed right.
    private const string PasswordAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";

    /// <summary>8 random characters: VNC authentication uses at most 8 characters of the password (RFC 6143, 7.2.2).</summary>
    public static string NewVncPassword() => string.Create(8, 0, (span, _) =>
    {
        for (var i = 0; i < span.Length; i++)
        {
            span[i] = PasswordAlphabet[RandomNumberGenerator.GetInt32(PasswordAlphabet.Length)];
        }
    });

    /// <summary>A random MAC address in QEMU's locally administered prefix 52:54:00.</summary>
    public static string RandomMac()
    {
        Span<byte> b = stackalloc byte[3];
        RandomNumberGenerator.Fill(b);
        return $"52:54:00:{b[0]:x2}:{b[1]:x2}:{b[2]:x2}";
    }

    /// <summary>The VM's VNC password from its vnc.password; empty when there is none or it is damaged.</summary>
    public static string ReadVncPassword(StatePaths.VmFiles vm) => ReadVncPasswordRecord(vm).Value ?? string.Empty;

    /// <summary>
    /// vnc.password as the defensive reader sees it: 1 to 8 printable ASCII characters (all that VNC
    /// authentication uses, RFC 6143 7.2.2), else damaged.
    /// </summary>
    public static RecordRead<string> ReadVncPasswordRecord(StatePaths.VmFiles vm) => RecordFiles.ReadText(vm.VncPasswordFile, text =>
    {
        var password = text.Trim();
        return password.Length is >= 1 and <= 8 && password.All(c => c is > ' ' and < '\x7f')
            ? RecordRead<string>.Found(password)
            : RecordRead<string>.Broken("it does not hold a VNC password (1 to 8 printable characters)");
    });

    /// <summary>Writes vnc.password (0600, durable: it outlives qemu and is set again at each start).</summary>
    public static void WriteVncPassword(StatePaths.VmFiles vm, string password) => PrivateFiles.WriteAllText(vm.VncPasswordFile, password);
}
