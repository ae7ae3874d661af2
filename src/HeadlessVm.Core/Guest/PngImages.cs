using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace HeadlessVm.Core.Guest;

/// <summary>
/// Screenshots as PNG. libvirt hands a screenshot in the format its driver chose: PNG from QEMU 7.1 on, PPM (P6)
/// from older QEMU; a PPM is rewritten here as an 8-bit RGB PNG (PNG: RFC 2083 / ISO 15948; PPM: netpbm's ppm(5)).
/// </summary>
public static class PngImages
{
    private static readonly byte[] Signature = { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0d, 0x0a, 0x1a, 0x0a };
    private static readonly uint[] CrcTable = MakeCrcTable();

    /// <summary>True when <paramref name="data"/> starts with the PNG signature.</summary>
    public static bool IsPng(ReadOnlySpan<byte> data) => data.StartsWith(Signature);

    /// <summary>
    /// A binary PPM (P6, maxval up to 255) as a PNG. Throws <see cref="FormatException"/> for anything else
    /// (ASCII P3, 16-bit samples, a short file).
    /// </summary>
    public static byte[] FromPpm(byte[] ppm)
    {
        var position = 0;
        if (Token(ppm, ref position) != "P6")
        {
            throw new FormatException("Not a binary PPM (P6) image.");
        }

        var width = Number(ppm, ref position);
        var height = Number(ppm, ref position);
        var maxValue = Number(ppm, ref position);
        if (width <= 0 || height <= 0 || maxValue is <= 0 or > 255)
        {
            throw new FormatException($"Unsupported PPM: {width}x{height}, maxval {maxValue}.");
        }

        // Exactly one whitespace byte separates the header from the samples.
        position++;
        var rowBytes = width * 3;
        if (ppm.Length - position < (long)rowBytes * height)
        {
            throw new FormatException("The PPM image is shorter than its header says.");
        }

        using var png = new MemoryStream();
        png.Write(Signature);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(0), width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8; // bit depth
        header[9] = 2; // colour type: RGB
        Chunk(png, "IHDR", header);

        using (var raw = new MemoryStream())
        {
            using (var zlib = new ZLibStream(raw, CompressionLevel.Fastest, leaveOpen: true))
            {
                for (var y = 0; y < height; y++)
                {
                    zlib.WriteByte(0); // filter: none
                    zlib.Write(ppm, position + (y * rowBytes), rowBytes);
                }
            }

            Chunk(png, "IDAT", raw.ToArray());
        }

        Chunk(png, "IEND", Array.Empty<byte>());
        return png.ToArray();
    }

    private static void Chunk(Stream png, string type, byte[] data)
    {
        Span<byte> four = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(four, data.Length);
        png.Write(four);
        var typeBytes = Encoding.ASCII.GetBytes(type);
        png.Write(typeBytes);
        png.Write(data);
        var crc = Crc(Crc(0xffffffffu, typeBytes), data) ^ 0xffffffffu;
        BinaryPrimitives.WriteUInt32BigEndian(four, crc);
        png.Write(four);
    }

    private static uint Crc(uint crc, byte[] data)
    {
        foreach (var b in data)
        {
            crc = CrcTable[(crc ^ b) & 0xff] ^ (crc >> 8);
        }

        return crc;
    }

    /// <summary>CRC-32 as PNG uses it (polynomial 0xedb88320; RFC 2083, 15).</summary>
    private static uint[] MakeCrcTable()
    {
        var table = new uint[256];
        for (var n = 0u; n < 256; n++)
        {
            var c = n;
            for (var k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xedb88320u ^ (c >> 1) : c >> 1;
            }

            table[n] = c;
        }

        return table;
    }

    /// <summary>The next whitespace-separated header token; '#' comments run to the end of the line.</summary>
    private static string Token(byte[] data, ref int position)
    {
        while (position < data.Length)
        {
            if (data[position] == '#')
            {
                while (position < data.Length && data[position] != '\n')
                {
                    position++;
                }
            }
            else if (char.IsWhiteSpace((char)data[position]))
            {
                position++;
            }
            else
            {
                break;
            }
        }

        var start = position;
        while (position < data.Length && !char.IsWhiteSpace((char)data[position]))
        {
            position++;
        }

        return Encoding.ASCII.GetString(data, start, position - start);
    }

    private static int Number(byte[] data, ref int position) =>
        int.TryParse(Token(data, ref position), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n)
            ? n
            : throw new FormatException("A PPM header number is not a number.");
}
