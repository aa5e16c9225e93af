using System.Buffers.Binary;
using System.Text;
using Xunit;

namespace NeuralNet.Data.Tests;

/// <summary>Writes WAV files byte by byte (RIFF layout: 'RIFF', size, 'WAVE', then chunks of id, little-endian size, body and a pad byte after an odd body), so tests control every field.</summary>
internal static class TestWavs
{
    /// <summary>A 16-bit PCM WAV of the given frames (each frame's channels side by side): the canonical 44-byte header, fmt at byte 12, data at byte 36.</summary>
    public static byte[] Pcm16(short[] samples, int channels = 1, int rate = 16000) =>
        Riff(Chunk("fmt ", Format(1, channels, rate, 16)), Chunk("data", Samples(samples)));

    /// <summary>Writes <see cref="Pcm16"/> to <paramref name="path"/>.</summary>
    public static void Write(string path, short[] samples, int channels = 1, int rate = 16000) => File.WriteAllBytes(path, Pcm16(samples, channels, rate));

    /// <summary>The 16 bytes of a fmt chunk with a consistent block align and byte rate.</summary>
    public static byte[] Format(int tag, int channels, int rate, int bits)
    {
        int blockAlign = channels * ((bits + 7) / 8);
        byte[] body = new byte[16];
        BinaryPrimitives.WriteUInt16LittleEndian(body, (ushort)tag);
        BinaryPrimitives.WriteUInt16LittleEndian(body.AsSpan(2), (ushort)channels);
        BinaryPrimitives.WriteUInt32LittleEndian(body.AsSpan(4), (uint)rate);
        BinaryPrimitives.WriteUInt32LittleEndian(body.AsSpan(8), (uint)(rate * blockAlign));
        BinaryPrimitives.WriteUInt16LittleEndian(body.AsSpan(12), (ushort)blockAlign);
        BinaryPrimitives.WriteUInt16LittleEndian(body.AsSpan(14), (ushort)bits);
        return body;
    }

    /// <summary>The little-endian bytes of 16-bit samples.</summary>
    public static byte[] Samples(short[] samples)
    {
        byte[] bytes = new byte[samples.Length * 2];
        for (int i = 0; i < samples.Length; i++)
        {
            BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(2 * i), samples[i]);
        }

        return bytes;
    }

    /// <summary>A chunk: id, size (the body's length unless given), body, and a pad byte when the body is odd (unless <paramref name="pad"/> is false).</summary>
    public static byte[] Chunk(string id, byte[] body, uint? size = null, bool pad = true)
    {
        var chunk = new List<byte>(Encoding.ASCII.GetBytes(id));
        byte[] sizeBytes = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(sizeBytes, size ?? (uint)body.Length);
        chunk.AddRange(sizeBytes);
        chunk.AddRange(body);
        if (pad && body.Length % 2 == 1)
        {
            chunk.Add(0);
        }

        return [.. chunk];
    }

    /// <summary>'RIFF', the size of what follows, 'WAVE' and the chunks.</summary>
    public static byte[] Riff(params byte[][] chunks)
    {
        byte[] body = [.. "WAVE"u8.ToArray(), .. chunks.SelectMany(c => c)];
        byte[] size = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(size, (uint)body.Length);
        return [.. "RIFF"u8.ToArray(), .. size, .. body];
    }

    /// <summary>Asserts that decoding <paramref name="bytes"/> as clip.wav is refused naming the file, the byte offset and each expected word.</summary>
    public static InvalidDataException Refused(byte[] bytes, string expectedOffset, params string[] expectedWords)
    {
        var error = Assert.Throws<InvalidDataException>(() => WavDecoding.Decode(bytes, "clip.wav"));
        Assert.Contains("'clip.wav'", error.Message);
        Assert.Contains($"at byte {expectedOffset},", error.Message);
        foreach (string word in expectedWords)
        {
            Assert.Contains(word, error.Message);
        }

        return error;
    }
}
