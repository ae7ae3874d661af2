using HeadlessVm.Core.Guest;

namespace HeadlessVm.Core.Tests;

/// <summary>PPM screenshots (older QEMU through libvirt) become PNGs that a real decoder reads back pixel for pixel.</summary>
public sealed class PngImagesTests
{
    [Fact]
    public void A_binary_PPM_becomes_a_PNG_that_qemu_img_independent_tools_decode_to_the_same_pixels()
    {
        // 2x2: red, green / blue, white; a comment in the header, as netpbm allows.
        var header = "P6\n# from qemu\n2 2\n255\n"u8.ToArray();
        var pixels = new byte[] { 255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255 };
        var png = PngImages.FromPpm(header.Concat(pixels).ToArray());
        Assert.True(PngImages.IsPng(png));

        var file = Path.Combine(Path.GetTempPath(), $"hvm-png-{Guid.NewGuid():N}.png");
        File.WriteAllBytes(file, png);
        try
        {
            // Python's zlib and a hand-rolled PNG reader are not this code: they decode the IDAT and check every CRC.
            var psi = new System.Diagnostics.ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true };
            psi.ArgumentList.Add("-c");
            psi.ArgumentList.Add("""
                import sys, struct, zlib
                d = open(sys.argv[1], 'rb').read()
                assert d[:8] == b'\x89PNG\r\n\x1a\n'
                i, idat = 8, b''
                while i < len(d):
                    n, = struct.unpack('>I', d[i:i+4]); t = d[i+4:i+8]; body = d[i+8:i+8+n]
                    assert struct.unpack('>I', d[i+8+n:i+12+n])[0] == zlib.crc32(t + body), t
                    if t == b'IHDR': w, h, depth, color = struct.unpack('>IIBB', body[:10])
                    if t == b'IDAT': idat += body
                    i += 12 + n
                raw = zlib.decompress(idat)
                print(w, h, depth, color, raw.hex())
                """);
            psi.ArgumentList.Add(file);
            using var python = System.Diagnostics.Process.Start(psi)!;
            var output = python.StandardOutput.ReadToEnd().Trim();
            Assert.True(python.WaitForExit(30_000));
            Assert.Equal(0, python.ExitCode);
            Assert.Equal("2 2 8 2 00ff000000ff00000000ffffffff", output);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData("P3\n1 1\n255\n1 2 3")]
    [InlineData("P6\n2 2\n65535\n")]
    [InlineData("P6\n4 4\n255\n\u0001\u0002")]
    public void Anything_but_a_complete_8_bit_binary_PPM_is_refused(string text) =>
        Assert.Throws<FormatException>(() => PngImages.FromPpm(System.Text.Encoding.Latin1.GetBytes(text)));

    [Fact]
    public void Every_key_name_HeadlessVm_accepts_has_a_Linux_key_code_for_libvirt()
    {
        Assert.DoesNotContain(KeyMap.QCodes, q => q != "unmapped" && !LinuxKeyCodes.Covers(q));
        Assert.Equal(new uint[] { 29, 56, 111 }, LinuxKeyCodes.Of(KeyMap.ParseCombination("ctrl-alt-delete")));
    }
}
