using System.Buffers.Binary;
using System.IO.Compression;

namespace NeuralNet.Data.Tests;

/// <summary>Writes PNG files byte by byte, to control the colour type, the bit depth and the ancillary chunks.</summary>
internal static class RawPng
{
    private static readonly uint[] s_crcTable = MakeCrcTable();

    /// <summary>Writes one row of 8-bit RGB pixels (colour type 2), with <paramref name="chunksBeforeData"/> (type, data) before IDAT.</summary>
    public static string WriteRgbRow(string path, byte[] rgb, params (string Type, byte[] Data)[] chunksBeforeData) =>
        Write(path, rgb.Length / 3, 1, depth: 8, colourType: 2, [0, .. rgb], chunksBeforeData);

    /// <summary>Writes an image of <paramref name="width"/> x 1 with a palette (colour type 3) at <paramref name="depth"/> bits per index.</summary>
    public static string WritePaletteRow(string path, int width, int depth, byte[] palette, byte[] packedIndices) =>
        Write(path, width, 1, (byte)depth, colourType: 3, [0, .. packedIndices], [("PLTE", palette)]);

    private static string Write(string path, int width, int height, byte depth, byte colourType, byte[] filteredRows, (string Type, byte[] Data)[] extra)
    {
        using var file = new MemoryStream();
        file.Write([137, 80, 78, 71, 13, 10, 26, 10]);
        byte[] header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = depth;
        header[9] = colourType;
        Chunk(file, "IHDR", header);
        foreach ((string type, byte[] data) in extra)
        {
            Chunk(file, type, data);
        }

        using (var compressed = new MemoryStream())
        {
            using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
            {
                zlib.Write(filteredRows);
            }

            Chunk(file, "IDAT", compressed.ToArray());
        }

        Chunk(file, "IEND", []);
        File.WriteAllBytes(path, file.ToArray());
        return path;
    }

    private static void Chunk(Stream file, string type, byte[] data)
    {
        byte[] length = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        file.Write(length);
        byte[] typeAndData = [.. System.Text.Encoding.ASCII.GetBytes(type), .. data];
        file.Write(typeAndData);
        uint crc = 0xffffffffu;
        foreach (byte b in typeAndData)
        {
            crc = s_crcTable[(crc ^ b) & 0xff] ^ (crc >> 8);
        }

        byte[] crcBytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crcBytes, crc ^ 0xffffffffu);
        file.Write(crcBytes);
    }

    private static uint[] MakeCrcTable()
    {
        uint[] table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xedb88320u ^ (c >> 1) : c >> 1;
            }

            table[n] = c;
        }

        return table;
    }
}
