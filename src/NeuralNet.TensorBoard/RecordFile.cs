using System.Buffers.Binary;

namespace NeuralNet.Training.EventFiles;

/// <summary>
/// TensorFlow's record framing (<c>record_writer.cc</c>), which event files use: each record is its length (uint64,
/// little-endian), the masked CRC-32C of those 8 bytes, the data, and the masked CRC-32C of the data.
/// </summary>
internal static class RecordFile
{
    /// <summary>Writes one record.</summary>
    public static void Write(Stream stream, ReadOnlySpan<byte> data)
    {
        Span<byte> header = stackalloc byte[12];
        BinaryPrimitives.WriteUInt64LittleEndian(header, (ulong)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], Crc32C.Mask(Crc32C.Compute(header[..8])));
        Span<byte> footer = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(footer, Crc32C.Mask(Crc32C.Compute(data)));
        stream.Write(header);
        stream.Write(data);
        stream.Write(footer);
    }

    /// <summary>
    /// Reads every record of a file, checking both CRCs; throws <see cref="InvalidDataException"/> naming the offset of a
    /// record that is cut short or does not match its CRC.
    /// </summary>
    public static List<byte[]> ReadAll(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        var records = new List<byte[]>();
        int offset = 0;
        while (offset < bytes.Length)
        {
            if (bytes.Length - offset < 12)
            {
                throw new InvalidDataException($"{path}: the record at offset {offset} is cut short in its header.");
            }

            ulong length = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(offset));
            if (Crc32C.Mask(Crc32C.Compute(bytes.AsSpan(offset, 8))) != BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(offset + 8)))
            {
                throw new InvalidDataException($"{path}: the length of the record at offset {offset} does not match its CRC.");
            }

            if (length > (ulong)(bytes.Length - offset - 12) || (long)length + 16 > bytes.Length - offset)
            {
                throw new InvalidDataException($"{path}: the record at offset {offset} claims {length} bytes but the file ends before them.");
            }

            var data = bytes.AsSpan(offset + 12, (int)length);
            if (Crc32C.Mask(Crc32C.Compute(data)) != BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(offset + 12 + (int)length)))
            {
                throw new InvalidDataException($"{path}: the data of the record at offset {offset} does not match its CRC.");
            }

            records.Add(data.ToArray());
            offset += 16 + (int)length;
        }

        return records;
    }
}
