using System.Security.Cryptography;

namespace HeadlessVm.Testing;

/// <summary>
/// VNC authentication's response (RFC 6143, 7.2.2): the 16-byte challenge DES-encrypted (ECB) with the
/// password (up to 8 characters, zero-padded) as key, each key byte's bits reversed (what every VNC
/// server, qemu's included, expects; the RFC leaves it to the implementations). .NET's DES comes from
/// OpenSSL, which may refuse it (OpenSSL 3 without the legacy provider); then a small DES of our own
/// answers instead. Shared by the tests and the benchmark.
/// </summary>
public static class VncDes
{
    private static readonly Lazy<bool> SystemDesWorks = new(() =>
    {
        try
        {
            var probe = SystemEncrypt(new byte[8], new byte[8]);
            return probe.Length == 8;
        }
        catch (Exception ex) when (ex is CryptographicException or PlatformNotSupportedException)
        {
            return false;
        }
    });

    /// <summary>Which DES answers the challenge: "System.Security.Cryptography.DES" or "built-in DES".</summary>
    public static string Backend => SystemDesWorks.Value ? "System.Security.Cryptography.DES" : "built-in DES";

    /// <summary>The 16 bytes that answer <paramref name="challenge"/> (16 bytes) for <paramref name="password"/> (ASCII; only the first 8 characters count).</summary>
    public static byte[] Response(string password, byte[] challenge)
    {
        var key = new byte[8];
        var bytes = System.Text.Encoding.ASCII.GetBytes(password);
        for (var i = 0; i < Math.Min(8, bytes.Length); i++)
        {
            key[i] = Reverse(bytes[i]);
        }

        return SystemDesWorks.Value ? SystemEncrypt(key, challenge) : MiniDes.EncryptEcb(key, challenge);
    }

    /// <summary>
    /// Checks the built-in DES against the textbook vector (key 133457799BBCDFF1, 0123456789ABCDEF ->
    /// 85E813540F0AB405) and, where the system has DES, against it; throws on a mismatch.
    /// </summary>
    public static void SelfTest()
    {
        var key = Convert.FromHexString("133457799BBCDFF1");
        var got = Convert.ToHexString(MiniDes.EncryptEcb(key, Convert.FromHexString("0123456789ABCDEF")));
        if (got != "85E813540F0AB405")
        {
            throw new InvalidOperationException($"The built-in DES is wrong: {got}.");
        }

        if (SystemDesWorks.Value)
        {
            var data = RandomNumberGenerator.GetBytes(16);
            var k = RandomNumberGenerator.GetBytes(8);
            if (!SystemEncrypt(k, data).AsSpan().SequenceEqual(MiniDes.EncryptEcb(k, data)))
            {
                throw new InvalidOperationException("The built-in DES disagrees with the system's.");
            }
        }
    }

    private static byte[] SystemEncrypt(byte[] key, byte[] data)
    {
#pragma warning disable CA5351 // VNC authentication is defined with DES; this is a protocol, not a choice.
        using var des = DES.Create();
#pragma warning restore CA5351
        des.Key = key;
        return des.EncryptEcb(data, PaddingMode.None);
    }

    private static byte Reverse(byte b)
    {
        var r = 0;
        for (var i = 0; i < 8; i++)
        {
            r = (r << 1) | ((b >> i) & 1);
        }

        return (byte)r;
    }
}

/// <summary>Textbook DES (FIPS 46-3), encryption only, one 64-bit block at a time. Slow and plain: 2 blocks per handshake.</summary>
internal static class MiniDes
{
    private static readonly byte[] IP =
    {
        58, 50, 42, 34, 26, 18, 10, 2, 60, 52, 44, 36, 28, 20, 12, 4, 62, 54, 46, 38, 30, 22, 14, 6, 64, 56, 48, 40, 32, 24, 16, 8,
        57, 49, 41, 33, 25, 17, 9, 1, 59, 51, 43, 35, 27, 19, 11, 3, 61, 53, 45, 37, 29, 21, 13, 5, 63, 55, 47, 39, 31, 23, 15, 7,
    };

    private static readonly byte[] FP =
    {
        40, 8, 48, 16, 56, 24, 64, 32, 39, 7, 47, 15, 55, 23, 63, 31, 38, 6, 46, 14, 54, 22, 62, 30, 37, 5, 45, 13, 53, 21, 61, 29,
        36, 4, 44, 12, 52, 20, 60, 28, 35, 3, 43, 11, 51, 19, 59, 27, 34, 2, 42, 10, 50, 18, 58, 26, 33, 1, 41, 9, 49, 17, 57, 25,
    };

    private static readonly byte[] E =
    {
        32, 1, 2, 3, 4, 5, 4, 5, 6, 7, 8, 9, 8, 9, 10, 11, 12, 13, 12, 13, 14, 15, 16, 17,
        16, 17, 18, 19, 20, 21, 20, 21, 22, 23, 24, 25, 24, 25, 26, 27, 28, 29, 28, 29, 30, 31, 32, 1,
    };

    private static readonly byte[] P =
    {
        16, 7, 20, 21, 29, 12, 28, 17, 1, 15, 23, 26, 5, 18, 31, 10, 2, 8, 24, 14, 32, 27, 3, 9, 19, 13, 30, 6, 22, 11, 4, 25,
    };

    private static readonly byte[] PC1 =
    {
        57, 49, 41, 33, 25, 17, 9, 1, 58, 50, 42, 34, 26, 18, 10, 2, 59, 51, 43, 35, 27, 19, 11, 3, 60, 52, 44, 36,
        63, 55, 47, 39, 31, 23, 15, 7, 62, 54, 46, 38, 30, 22, 14, 6, 61, 53, 45, 37, 29, 21, 13, 5, 28, 20, 12, 4,
    };

    private static readonly byte[] PC2 =
    {
        14, 17, 11, 24, 1, 5, 3, 28, 15, 6, 21, 10, 23, 19, 12, 4, 26, 8, 16, 7, 27, 20, 13, 2,
        41, 52, 31, 37, 47, 55, 30, 40, 51, 45, 33, 48, 44, 49, 39, 56, 34, 53, 46, 42, 50, 36, 29, 32,
    };

    private static readonly byte[] Shifts = { 1, 1, 2, 2, 2, 2, 2, 2, 1, 2, 2, 2, 2, 2, 2, 1 };

    private static readonly byte[][] S =
    {
        new byte[] { 14, 4, 13, 1, 2, 15, 11, 8, 3, 10, 6, 12, 5, 9, 0, 7, 0, 15, 7, 4, 14, 2, 13, 1, 10, 6, 12, 11, 9, 5, 3, 8, 4, 1, 14, 8, 13, 6, 2, 11, 15, 12, 9, 7, 3, 10, 5, 0, 15, 12, 8, 2, 4, 9, 1, 7, 5, 11, 3, 14, 10, 0, 6, 13 },
        new byte[] { 15, 1, 8, 14, 6, 11, 3, 4, 9, 7, 2, 13, 12, 0, 5, 10, 3, 13, 4, 7, 15, 2, 8, 14, 12, 0, 1, 10, 6, 9, 11, 5, 0, 14, 7, 11, 10, 4, 13, 1, 5, 8, 12, 6, 9, 3, 2, 15, 13, 8, 10, 1, 3, 15, 4, 2, 11, 6, 7, 12, 0, 5, 14, 9 },
        new byte[] { 10, 0, 9, 14, 6, 3, 15, 5, 1, 13, 12, 7, 11, 4, 2, 8, 13, 7, 0, 9, 3, 4, 6, 10, 2, 8, 5, 14, 12, 11, 15, 1, 13, 6, 4, 9, 8, 15, 3, 0, 11, 1, 2, 12, 5, 10, 14, 7, 1, 10, 13, 0, 6, 9, 8, 7, 4, 15, 14, 3, 11, 5, 2, 12 },
        new byte[] { 7, 13, 14, 3, 0, 6, 9, 10, 1, 2, 8, 5, 11, 12, 4, 15, 13, 8, 11, 5, 6, 15, 0, 3, 4, 7, 2, 12, 1, 10, 14, 9, 10, 6, 9, 0, 12, 11, 7, 13, 15, 1, 3, 14, 5, 2, 8, 4, 3, 15, 0, 6, 10, 1, 13, 8, 9, 4, 5, 11, 12, 7, 2, 14 },
        new byte[] { 2, 12, 4, 1, 7, 10, 11, 6, 8, 5, 3, 15, 13, 0, 14, 9, 14, 11, 2, 12, 4, 7, 13, 1, 5, 0, 15, 10, 3, 9, 8, 6, 4, 2, 1, 11, 10, 13, 7, 8, 15, 9, 12, 5, 6, 3, 0, 14, 11, 8, 12, 7, 1, 14, 2, 13, 6, 15, 0, 9, 10, 4, 5, 3 },
        new byte[] { 12, 1, 10, 15, 9, 2, 6, 8, 0, 13, 3, 4, 14, 7, 5, 11, 10, 15, 4, 2, 7, 12, 9, 5, 6, 1, 13, 14, 0, 11, 3, 8, 9, 14, 15, 5, 2, 8, 12, 3, 7, 0, 4, 10, 1, 13, 11, 6, 4, 3, 2, 12, 9, 5, 15, 10, 11, 14, 1, 7, 6, 0, 8, 13 },
        new byte[] { 4, 11, 2, 14, 15, 0, 8, 13, 3, 12, 9, 7, 5, 10, 6, 1, 13, 0, 11, 7, 4, 9, 1, 10, 14, 3, 5, 12, 2, 15, 8, 6, 1, 4, 11, 13, 12, 3, 7, 14, 10, 15, 6, 8, 0, 5, 9, 2, 6, 11, 13, 8, 1, 4, 10, 7, 9, 5, 0, 15, 14, 2, 3, 12 },
        new byte[] { 13, 2, 8, 4, 6, 15, 11, 1, 10, 9, 3, 14, 5, 0, 12, 7, 1, 15, 13, 8, 10, 3, 7, 4, 12, 5, 6, 11, 0, 14, 9, 2, 7, 11, 4, 1, 9, 12, 14, 2, 0, 6, 10, 13, 15, 3, 5, 8, 2, 1, 14, 7, 4, 10, 8, 13, 15, 12, 9, 0, 3, 5, 6, 11 },
    };

    public static byte[] EncryptEcb(byte[] key, byte[] data)
    {
        if (key.Length != 8 || data.Length % 8 != 0)
        {
            throw new ArgumentException("DES needs an 8-byte key and whole 8-byte blocks.");
        }

        var subkeys = Schedule(System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(key));
        var output = new byte[data.Length];
        for (var offset = 0; offset < data.Length; offset += 8)
        {
            var block = System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(data.AsSpan(offset, 8));
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(output.AsSpan(offset, 8), EncryptBlock(block, subkeys));
        }

        return output;
    }

    private static ulong[] Schedule(ulong key)
    {
        var k = Permute(key, PC1, 64);
        var c = k >> 28;
        var d = k & 0xFFFFFFF;
        var subkeys = new ulong[16];
        for (var round = 0; round < 16; round++)
        {
            c = Rotate28(c, Shifts[round]);
            d = Rotate28(d, Shifts[round]);
            subkeys[round] = Permute((c << 28) | d, PC2, 56);
        }

        return subkeys;
    }

    private static ulong EncryptBlock(ulong block, ulong[] subkeys)
    {
        var ip = Permute(block, IP, 64);
        var left = ip >> 32;
        var right = ip & 0xFFFFFFFF;
        foreach (var subkey in subkeys)
        {
            (left, right) = (right, left ^ Feistel(right, subkey));
        }

        return Permute((right << 32) | left, FP, 64);
    }

    private static ulong Feistel(ulong right, ulong subkey)
    {
        var e = Permute(right, E, 32) ^ subkey;
        ulong output = 0;
        for (var box = 0; box < 8; box++)
        {
            var six = (int)((e >> (42 - 6 * box)) & 0x3F);
            var row = ((six & 0x20) >> 4) | (six & 1);
            var column = (six >> 1) & 0xF;
            output = (output << 4) | S[box][row * 16 + column];
        }

        return Permute(output, P, 32);
    }

    private static ulong Rotate28(ulong half, int by) => ((half << by) | (half >> (28 - by))) & 0xFFFFFFF;

    /// <summary>Output bit i (from the most significant) is input bit table[i] (1-based from the most significant of <paramref name="width"/>).</summary>
    private static ulong Permute(ulong value, byte[] table, int width)
    {
        ulong result = 0;
        foreach (var position in table)
        {
            result = (result << 1) | ((value >> (width - position)) & 1);
        }

        return result;
    }
}
