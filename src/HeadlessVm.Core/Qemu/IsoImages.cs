namespace HeadlessVm.Core.Qemu;

/// <summary>
/// Recognises CD/DVD images by their first volume descriptor, so that a file that is no such image is
/// refused when the VM is defined rather than booted to "No bootable device".
/// </summary>
public static class IsoImages
{
    /// <summary>
    /// Where the identifier of the first volume descriptor sits: logical sector 16 of 2048 bytes, after
    /// the descriptor's type byte (ECMA-119, 8.1; ECMA-167, 2/9.1 for UDF's volume recognition sequence).
    /// </summary>
    private const int IdentifierOffset = 16 * 2048 + 1;

    /// <summary>"CD001" (ISO 9660, hybrid images too) or "BEA01" (a UDF-only image, as some installers are).</summary>
    private static readonly string[] Identifiers = { "CD001", "BEA01" };

    /// <summary>
    /// True when the file at <paramref name="path"/> starts a volume descriptor where ISO 9660 and UDF put it.
    /// Throws what <see cref="File.OpenRead"/> throws for a file that cannot be read.
    /// </summary>
    public static bool LooksLikeIso(string path)
    {
        using var file = File.OpenRead(path);
        if (file.Length < IdentifierOffset + 5)
        {
            return false;
        }

        file.Position = IdentifierOffset;
        var identifier = new byte[5];
        file.ReadExactly(identifier);
        return Identifiers.Contains(System.Text.Encoding.ASCII.GetString(identifier));
    }
}
