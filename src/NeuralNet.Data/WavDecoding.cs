using System.Buffers.Binary;
using System.Text;
using static System.FormattableString;

namespace NeuralNet.Data;

/// <summary>
/// Decodes a WAV file as TensorFlow's <c>tf.audio.decode_wav</c> (<c>wav_io.cc</c>, <c>DecodeLin16WaveAsFloatVector</c>)
/// does: RIFF/WAVE, a <c>fmt </c> chunk of 16 or 18 bytes with format 1 (PCM) and 16 bits per sample, one <c>data</c>
/// chunk, every 16-bit sample / 32768. What TensorFlow refuses is refused, with the file and the byte offset, but for the
/// leniencies below.
/// </summary>
/// <remarks>
/// Deliberate leniencies, all for files TensorFlow misreads or refuses although they are valid RIFF: chunks may come
/// in any order and any unknown chunk is skipped (TensorFlow accepts only eight named chunks before <c>fmt </c> and
/// refuses <c>data</c> before it); an odd-sized chunk is followed by its pad byte as RIFF requires (TensorFlow does not
/// skip it, so it misreads the next chunk or refuses the file); and after a <c>data</c> chunk whose size is not whole
/// frames, reading goes on after the chunk (TensorFlow goes on after the last whole frame and reads the partial frame's
/// bytes as the next chunk header, which mostly refuses the file). A missing final pad byte is accepted. As TensorFlow:
/// a later <c>fmt </c> chunk is skipped; a chunk after the first <c>fmt </c> declaring more than
/// <see cref="int.MaxValue"/> bytes is refused; a <c>data</c> chunk the file ends inside is read when its whole frames
/// are all there and the file ends right after them; a chunk cut short after the samples is ignored.
/// </remarks>
internal static class WavDecoding
{
    private const int HeaderLength = 12;
    private const int ChunkHeaderLength = 8;

    /// <summary>Reads and decodes the file at <paramref name="path"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not a WAV TensorFlow reads, or is truncated; the message names the file and the byte.</exception>
    /// <exception cref="IOException">
    /// The file cannot be read (<see cref="FileNotFoundException"/> when it is gone; .NET's message names it), or is
    /// larger than one array can hold (about 2 GB; the message names it).
    /// </exception>
    /// <exception cref="UnauthorizedAccessException">The file may not be read; .NET's message names it.</exception>
    public static WavClip Decode(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);

        // Checked here because File.ReadAllBytes' own "file is too long" message does not name the file.
        if (stream.Length > Array.MaxLength)
        {
            throw new IOException(Invariant($"The WAV file '{path}' cannot be read: it is {stream.Length} bytes, more than the {Array.MaxLength} bytes NeuralNet reads into memory at once."));
        }

        byte[] bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return Decode(bytes, path);
    }

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

            // wav_io.cc refuses every chunk after 'fmt ' that declares more than int.MaxValue bytes, the samples too.
            if (size > int.MaxValue && (format is not null || id == "data"))
            {
                throw Bad(path, offset, Invariant($"the '{id}' chunk declares {size} bytes, more than tf.audio.decode_wav's limit of {int.MaxValue} (a streaming writer's placeholder size?)"));
            }

            if (id == "fmt " && format is null)
            {
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

                dataStart = at + ChunkHeaderLength;
                dataLength = complete ? (int)size : CutSamples(bytes.Length - dataStart, size, format, path, offset);
            }
            else if (!complete)
            {
                // TensorFlow skips a cut chunk after 'fmt ' by stepping past the end, which ends its reading: the file
                // is read if the samples came before; before them the file is truncated.
                if (format is not null && dataStart >= 0)
                {
                    break;
                }

                throw Truncated(path, offset, id, size, bytes.Length);
            }

            // RIFF pads a chunk of odd size with one byte (a later 'fmt ' chunk is skipped, as TensorFlow skips it).
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

    /// <summary>
    /// The bytes of the samples of a <c>data</c> chunk the file ends inside: as <c>wav_io.cc</c>, whole frames
    /// (size / block align of them) must all be there and the file must end right after them (TensorFlow would read
    /// the bytes of a partial frame as the next chunk's header, which the file is too short for).
    /// </summary>
    private static int CutSamples(int present, uint size, WavFormat? format, string path, long offset)
    {
        long wholeFrames = format is null ? -1 : size / format.BlockAlign * format.BlockAlign;
        if (present != wholeFrames)
        {
            string need = format is null ? "" : Invariant($" ({size / format.BlockAlign} whole frame(s) of {format.BlockAlign} bytes: {wholeFrames} bytes, then the end of the file)");
            throw Bad(path, offset, Invariant($"the 'data' chunk declares {size} bytes{need}, but the file ends {present} bytes after its header (truncated)"));
        }

        return present;
    }

    private static InvalidDataException Truncated(string path, long offset, string id, uint size, int fileLength) =>
        Bad(path, offset, Invariant($"the '{id}' chunk declares {size} bytes, but the file ends {fileLength - offset - ChunkHeaderLength} bytes after its header, at byte {fileLength} (truncated)"));
}
