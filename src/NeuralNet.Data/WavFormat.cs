using System.Buffers.Binary;
using static System.FormattableString;

namespace NeuralNet.Data;

/// <summary>
/// The <c>fmt </c> chunk of a WAV file, checked with <c>tf.audio.decode_wav</c>'s rules: 16 or 18 bytes, format 1 (PCM,
/// so not 3, IEEE float, nor 0xFFFE, WAVE_FORMAT_EXTENSIBLE, whose chunk is 40 bytes), at least one channel, 16 bits per
/// sample, and a block align and byte rate that agree with them.
/// </summary>
internal sealed class WavFormat
{
    private WavFormat(int channels, int samplingRate, int blockAlign)
    {
        Channels = channels;
        SamplingRate = samplingRate;
        BlockAlign = blockAlign;
    }

    /// <summary>The channels of a frame.</summary>
    public int Channels { get; }

    /// <summary>The frames per second.</summary>
    public int SamplingRate { get; }

    /// <summary>The bytes of one frame: 2 x <see cref="Channels"/>.</summary>
    public int BlockAlign { get; }

    /// <summary>Checks the body of a <c>fmt </c> chunk whose header starts at byte <paramref name="chunkOffset"/>.</summary>
    /// <exception cref="InvalidDataException">A field breaks TensorFlow's rules; the message names the file and the field's byte.</exception>
    public static WavFormat Parse(ReadOnlySpan<byte> body, int chunkOffset, string path)
    {
        int field = chunkOffset + 8;
        if (body.Length < 16)
        {
            throw WavDecoding.Bad(path, chunkOffset, Invariant($"the 'fmt ' chunk has {body.Length} bytes; expected 16 or 18"));
        }

        ushort tag = BinaryPrimitives.ReadUInt16LittleEndian(body);
        ushort channels = BinaryPrimitives.ReadUInt16LittleEndian(body[2..]);
        uint rate = BinaryPrimitives.ReadUInt32LittleEndian(body[4..]);
        uint byteRate = BinaryPrimitives.ReadUInt32LittleEndian(body[8..]);
        ushort blockAlign = BinaryPrimitives.ReadUInt16LittleEndian(body[12..]);
        ushort bits = BinaryPrimitives.ReadUInt16LittleEndian(body[14..]);
        if (tag != 1)
        {
            string name = tag switch { 3 => " (IEEE float)", 0xFFFE => " (WAVE_FORMAT_EXTENSIBLE)", 6 => " (A-law)", 7 => " (mu-law)", _ => "" };
            throw WavDecoding.Bad(path, field, Invariant($"audio format 0x{tag:X4}{name}; expected 1 (PCM), the only format tf.audio.decode_wav reads"));
        }

        if (bits != 16)
        {
            throw WavDecoding.Bad(path, field + 14, Invariant($"{bits} bits per sample; expected 16, the only sample size tf.audio.decode_wav reads (convert the file to 16-bit PCM)"));
        }

        if (body.Length != 16 && body.Length != 18)
        {
            throw WavDecoding.Bad(path, chunkOffset, Invariant($"the 'fmt ' chunk has {body.Length} bytes; expected 16 or 18, as tf.audio.decode_wav"));
        }

        if (channels < 1)
        {
            throw WavDecoding.Bad(path, field + 2, "0 channels; expected at least 1");
        }

        if (blockAlign != channels * 2)
        {
            throw WavDecoding.Bad(path, field + 12, Invariant($"{blockAlign} bytes per frame (block align); expected {channels * 2} for {channels} channels of 16 bits"));
        }

        if (byteRate != (ulong)blockAlign * rate || rate > int.MaxValue)
        {
            throw WavDecoding.Bad(path, field + 8, Invariant($"{byteRate} bytes per second; expected {(ulong)blockAlign * rate} ({blockAlign} bytes per frame x {rate} frames per second)"));
        }

        return new WavFormat(channels, (int)rate, blockAlign);
    }

    /// <summary>The samples of a <c>data</c> chunk: its whole frames (a trailing partial frame is dropped, as TensorFlow does), each 16-bit value / 32768.</summary>
    public WavClip Decode(ReadOnlySpan<byte> data)
    {
        int frames = data.Length / BlockAlign;
        float[] samples = new float[frames * Channels];
        for (int i = 0; i < samples.Length; i++)
        {
            // Exact: 1 / 32768 is a power of two, as TensorFlow's Int16SampleToFloat multiplier.
            samples[i] = BinaryPrimitives.ReadInt16LittleEndian(data.Slice(2 * i, 2)) / 32768f;
        }

        return new WavClip(samples, frames, Channels, SamplingRate);
    }
}
