using System.Buffers;
using System.Text.Unicode;

namespace NeuralNet.Data;

/// <summary>Reads a text file as Keras' <c>tf.io.read_file</c> and <c>tf.strings.substr(text, 0, max_length)</c> do, decoded from UTF-8.</summary>
internal static class TextFileReading
{
    /// <summary>
    /// The file's content, at most <paramref name="maxLength"/> UTF-8 bytes of it (a character cut by the limit is
    /// dropped whole). A byte-order mark is kept as U+FEFF, as Keras keeps the file's bytes.
    /// </summary>
    /// <exception cref="InvalidDataException">The bytes read are not valid UTF-8; the message names the file and the byte.</exception>
    /// <exception cref="IOException">The file cannot be read (<see cref="FileNotFoundException"/> when it is gone); .NET's message names it.</exception>
    /// <exception cref="UnauthorizedAccessException">The file may not be read; .NET's message names it.</exception>
    public static string Read(string path, int? maxLength)
    {
        byte[] bytes;
        int length;
        if (maxLength is int max)
        {
            using FileStream stream = File.OpenRead(path);
            bytes = new byte[(int)Math.Min(stream.Length, max)];
            length = stream.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false);
            if (length == max && stream.Length > max)
            {
                length = WholeCharacters(bytes.AsSpan(0, length));
            }
        }
        else
        {
            bytes = File.ReadAllBytes(path);
            length = bytes.Length;
        }

        // A UTF-8 sequence of n bytes never needs more than n UTF-16 units.
        char[] chars = new char[length];
        OperationStatus status = Utf8.ToUtf16(bytes.AsSpan(0, length), chars, out int read, out int written, replaceInvalidSequences: false, isFinalBlock: true);
        return status == OperationStatus.Done
            ? new string(chars, 0, written)
            : throw new InvalidDataException($"The text file '{path}' is not valid UTF-8: byte {read} (0x{bytes[read]:X2}) does not start a valid character. Text files are read as UTF-8, as Keras' TextVectorization expects; re-encode the file (for example with iconv).");
    }

    /// <summary>The length of <paramref name="bytes"/> without a last character whose bytes run past its end.</summary>
    private static int WholeCharacters(ReadOnlySpan<byte> bytes)
    {
        // Find the last byte that is not a continuation byte (10xxxxxx), at most 3 bytes back.
        for (int start = bytes.Length - 1; start >= Math.Max(0, bytes.Length - 4); start--)
        {
            byte lead = bytes[start];
            if ((lead & 0xC0) != 0x80)
            {
                // An invalid lead (F8..FF) counts as whole, so the decoder reports it rather than the cut hiding it.
                int needed = lead < 0xC0 || lead >= 0xF8 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
                return start + needed > bytes.Length ? start : bytes.Length;
            }
        }

        return bytes.Length;
    }
}
