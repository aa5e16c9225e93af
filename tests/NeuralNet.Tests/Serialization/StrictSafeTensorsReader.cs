using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace NeuralNet.Tests.Serialization;

/// <summary>
/// An independent, strict reader of the safetensors format written from its specification
/// (huggingface/safetensors README, "Format"), used to check what NeuralNet writes. It shares no code with the library.
/// </summary>
/// <remarks>
/// Spec: 8 bytes N (u64, little-endian); N bytes of UTF-8 JSON: an object mapping tensor names to
/// {"dtype", "shape", "data_offsets": [BEGIN, END]} with offsets relative to the start of the byte buffer
/// (END one past), plus an optional "__metadata__" string-to-string map; duplicate keys are disallowed; the rest of
/// the file is the byte buffer, little-endian, row-major. On top of that we check what our writer promises: F32 only,
/// the header padded with trailing spaces to a multiple of 8 bytes, ranges that tile the buffer exactly.
/// </remarks>
internal static class StrictSafeTensorsReader
{
    public sealed record TensorData(string Name, int[] Shape, float[] Values, long Begin, long End);

    public sealed record Content(IReadOnlyList<TensorData> Tensors, IReadOnlyDictionary<string, string> Metadata, int HeaderSize);

    /// <summary>Parses <paramref name="file"/>; throws <see cref="FormatException"/> describing the first violation.</summary>
    public static Content Parse(byte[] file)
    {
        Require(file.Length >= 8, "file shorter than the 8-byte size prefix");
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(file);
        Require(n <= (ulong)(file.Length - 8), "header size past end of file");
        int headerSize = (int)n;
        Require(headerSize % 8 == 0, $"header size {headerSize} not a multiple of 8");
        var header = file.AsSpan(8, headerSize);
        Require(header.Length > 0 && header[0] == (byte)'{', "header does not start with '{'");
        string text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(header);
        string trimmed = text.TrimEnd(' ');
        Require(trimmed.EndsWith('}'), "header has something other than spaces after the JSON object");
        Require(text.Length - trimmed.Length < 8, "more padding than needed for 8-byte alignment");

        using var doc = JsonDocument.Parse(trimmed);
        Require(doc.RootElement.ValueKind == JsonValueKind.Object, "header is not an object");
        var keys = new HashSet<string>(StringComparer.Ordinal);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var tensors = new List<TensorData>();
        long bufferStart = 8 + headerSize;
        long bufferLength = file.Length - bufferStart;
        foreach (var property in doc.RootElement.EnumerateObject())
        {
            Require(keys.Add(property.Name), $"duplicate key {property.Name}");
            if (property.Name == "__metadata__")
            {
                Require(property.Value.ValueKind == JsonValueKind.Object, "__metadata__ not an object");
                foreach (var m in property.Value.EnumerateObject())
                {
                    Require(m.Value.ValueKind == JsonValueKind.String, $"metadata {m.Name} not a string");
                    metadata.Add(m.Name, m.Value.GetString()!);
                }

                continue;
            }

            var entry = property.Value;
            Require(entry.ValueKind == JsonValueKind.Object, $"{property.Name}: entry not an object");
            var fields = entry.EnumerateObject().Select(f => f.Name).Order(StringComparer.Ordinal).ToArray();
            Require(fields.SequenceEqual(["data_offsets", "dtype", "shape"]), $"{property.Name}: fields {string.Join(",", fields)}");
            Require(entry.GetProperty("dtype").GetString() == "F32", $"{property.Name}: dtype not F32");
            int[] shape = entry.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()).ToArray();
            Require(shape.All(d => d >= 0), $"{property.Name}: negative dimension");
            long[] offsets = entry.GetProperty("data_offsets").EnumerateArray().Select(d => d.GetInt64()).ToArray();
            Require(offsets.Length == 2, $"{property.Name}: data_offsets not a pair");
            long begin = offsets[0], end = offsets[1];
            long count = shape.Aggregate(1L, (a, d) => a * d);
            Require(0 <= begin && begin <= end && end <= bufferLength, $"{property.Name}: offsets out of the buffer");
            Require(end - begin == count * 4, $"{property.Name}: byte length {end - begin} != {count} * 4");
            var values = new float[count];
            for (long i = 0; i < count; i++)
            {
                values[i] = BinaryPrimitives.ReadSingleLittleEndian(file.AsSpan((int)(bufferStart + begin + (4 * i)), 4));
            }

            tensors.Add(new TensorData(property.Name, shape, values, begin, end));
        }

        long expected = 0;
        foreach (var t in tensors.OrderBy(t => t.Begin))
        {
            Require(t.Begin == expected, $"{t.Name}: begins at {t.Begin}, expected {expected} (gap or overlap)");
            expected = t.End;
        }

        Require(expected == bufferLength, $"tensors cover {expected} of {bufferLength} buffer bytes");
        return new Content(tensors, metadata, headerSize);
    }

    private static void Require(bool condition, string violation)
    {
        if (!condition)
        {
            throw new FormatException("safetensors spec violation: " + violation);
        }
    }
}
