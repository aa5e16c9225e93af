using System.Buffers.Binary;
using System.Text;
using static System.FormattableString;

namespace NeuralNet.Data;

/// <summary>
/// Decodes a WAV file as TensorFlow's <c>tf.audio.decode_wav</c> (<c>wav_io.cc</c>, <c>DecodeLin16WaveAsFloatVector</c>)
/// does: RIFF/WAVE, a <c>fmt </c> chunk of 16 or 18 bytes with format 1 (PCM) and 16 bits per sample, one <c>data</c>
/// chunk, every 16-bit sample / 32768. Everything TensorFlow refuses is refused, with the file and the byte offset.
/// </summary>
/// <remarks>
/// Two deliberate leniencies, both for files TensorFlow misreads or refuses although they are valid RIFF: chunks may
/// come in any order and any unknown chunk is skipped (TensorFlow accepts only eight named chunks before <c>fmt </c>
/// and refuses <c>data</c> before it), and an odd-sized chunk is followed by its pad byte as RIFF requires (TensorFlow
/// does not skip it, so it misreads the next chunk or refuses the file); a missing final pad byte is accepted.
/// </remarks>
internal static class WavDecoding
{
    private const int HeaderLength = 12;
    private const int ChunkHeaderLength = 8;

    /// <summary>Reads and decodes the file at <paramref name="path"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not a WAV TensorFlow reads, or is truncated; the message names the file and the byte.</exception>
    /// <exception cref="IOException">The file cannot be read (<see cref="FileNotFoundException"/> when it is gone); .NET's message names it.</exception>
    /// <exception cref="UnauthorizedAccessException">The file may not be read; .NET's message names it.</exception>
    public static WavClip Decode(string path) => Decode(File.ReadAllBytes(path), path);

    /// <summary>Decodes the bytes of a WAV file; <paramref name="path"/> names it in messages.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a WAV TensorFlow reads, or are truncated.</exception>
    public static WavClip Decode(ReadOnlySpan<byte> bytes, string path)
    {
        if (bytes.Length < HeaderLength || !bytes[..4].SequenceEqual("RIFF"u8) || !bytes[8..12].SequenceEqual("WAVE"u8))
        {
            string found = bytes.Length < HeaderLength ? Invariant($"only {bytes.Length} bytes") : $"'{Text(bytes[..4])}' ... '{Text(bytes[8..12])}'";
            throw Bad(path, 0, $"not a RIFF/WAVE file: found {found}; expected 'RIFF', a size and 'WAVE' in the first 12 bytes");
        }

        WavFormat? format = null;
        int dataStart = -1;
        int dataLength = 0;
        long offset = HeaderLength;
        while (offset < bytes.Length)
        {
            if (bytes.Length - offset < ChunkHeaderLength)
            {
                throw Bad(path, offset, Invariant($"the file ends {bytes.Length - offset} bytes after the last chunk, inside a chunk header of 8 bytes (truncated)"));
            }

            int at = (int)offset;
            string id = Text(bytes.Slice(at, 4));
            uint size = BinaryPrimitives.ReadUInt32LittleEndian(bytes.Slice(at + 4, 4));
            long end = offset + ChunkHeaderLength + size;
            bool complete = end <= bytes.Length;
            if (id == "fmt ")
            {
                if (format is not null)
                {
                    throw Bad(path, offset, "a second 'fmt ' chunk; expected one");
                }

                format = complete
                    ? WavFormat.Parse(bytes.Slice(at + ChunkHeaderLength, (int)size), at, path)
                    : throw Truncated(path, offset, id, size, bytes.Length);
            }
            else if (id == "data")
            {
                if (dataStart >= 0)
                {
                    throw Bad(path, offset, "a second 'data' chunk; expected one (as tf.audio.decode_wav)");
                }

                if (size > int.MaxValue)
                {
                    throw Bad(path, offset, Invariant($"the 'data' chunk declares {size} bytes, more than tf.audio.decode_wav's limit of {int.MaxValue} (a streaming writer's placeholder size?)"));
                }

                (dataStart, dataLength) = complete ? (at + ChunkHeaderLength, (int)size) : throw Truncated(path, offset, id, size, bytes.Length);
            }
            else if (!complete)
            {
                // TensorFlow ignores a cut chunk after the samples, which are whole; before them the file is truncated.
                if (format is not null && dataStart >= 0)
                {
                    break;
                }

                throw Truncated(path, offset, id, size, bytes.Length);
            }

            // RIFF pads a chunk of odd size with one byte.
            offset = end + (size & 1);
        }

        if (format is null || dataStart < 0)
        {
            throw Bad(path, bytes.Length, $"the file ends without {(format is null ? "a 'fmt '" : "a 'data'")} chunk; expected a 'fmt ' and a 'data' chunk");
        }

        return format.Decode(bytes.Slice(dataStart, dataLength));
    }

    /// <summary>A chunk's four-character id, non-printable bytes as '?'.</summary>
    internal static string Text(ReadOnlySpan<byte> id)
    {
        var text = new StringBuilder(id.Length);
        foreach (byte b in id)
        {
            text.Append(b is >= 0x20 and < 0x7F ? (char)b : '?');
        }

        return text.ToString();
    }

    /// <summary>An <see cref="InvalidDataException"/> naming the file and the byte offset.</summary>
    internal static InvalidDataException Bad(string path, long offset, string problem) =>
        new(Invariant($"The WAV file '{path}' cannot be read: at byte {offset}, {problem}."));

    private static InvalidDataException Truncated(string path, long offset, string id, uint size, int fileLength) =>
        Bad(path, offset, Invariant($"the '{id}' chunk declares {size} bytes, but the file ends {fileLength - offset - ChunkHeaderLength} bytes after its header, at byte {fileLength} (truncated)"));
}
