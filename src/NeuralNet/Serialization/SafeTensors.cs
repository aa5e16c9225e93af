using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace NeuralNet.Serialization;

/// <summary>
/// Reads and writes tensors in the safetensors format (Hugging Face), which PyTorch, JAX and Keras 3 also read.
/// </summary>
/// <remarks>
/// <para>Layout: 8 bytes, the little-endian unsigned header size N; N bytes of UTF-8 JSON
/// <c>{"__metadata__": {"key": "value"}, "dense/kernel": {"dtype": "F32", "shape": [784, 128], "data_offsets": [0, 401408]}, ...}</c>,
/// padded with spaces to a multiple of 8 bytes; then the data buffer: each tensor's elements, row-major and
/// little-endian, at its offsets relative to the start of the buffer. NeuralNet writes F32 tensors in the order
/// given; Python reads them with <c>safetensors.numpy.load_file(path)</c> or <c>safe_open(path, "np")</c>.</para>
/// <para>Reading treats the file as hostile: the header size is checked against the file length, the JSON is parsed
/// with a strict reader, every dtype, dimension and offset is validated, the ranges must tile the data buffer exactly,
/// and nothing is allocated before the numbers that justify it have been checked against the file's length. Any
/// problem throws <see cref="InvalidDataException"/> naming the file, the tensor and the problem.</para>
/// <para>Thread safety: all members are static and keep no state; concurrent calls on different files are safe.</para>
/// </remarks>
public static class SafeTensors
{
    private const int CopyChunk = 1 << 16;

    /// <summary>
    /// Saves tensors to <paramref name="path"/> atomically: the previous file, if any, stays intact until the new one
    /// is complete and flushed to disk, and a failure leaves it byte-identical.
    /// </summary>
    /// <param name="path">The file to write; its folder must exist.</param>
    /// <param name="tensors">Names and tensors, written in this order. Names must be unique and not <c>__metadata__</c>.</param>
    /// <param name="metadata">Optional string pairs stored under <c>__metadata__</c>.</param>
    /// <exception cref="ArgumentException">A name is repeated, reserved or null.</exception>
    /// <exception cref="IOException">Writing failed; the previous file is unchanged.</exception>
    public static void Save(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var list = Snapshot(tensors);
        byte[] header = BuildHeader(list, metadata);
        AtomicFile.Write(path, stream => WriteBody(stream, header, list));
    }

    /// <summary>Writes tensors in the safetensors format to <paramref name="stream"/>.</summary>
    /// <param name="stream">A writable stream; it is not closed.</param>
    /// <param name="tensors">Names and tensors, written in this order. Names must be unique and not <c>__metadata__</c>.</param>
    /// <param name="metadata">Optional string pairs stored under <c>__metadata__</c>.</param>
    /// <exception cref="ArgumentException">A name is repeated, reserved or null.</exception>
    public static void Write(Stream stream, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var list = Snapshot(tensors);
        WriteBody(stream, BuildHeader(list, metadata), list);
    }

    /// <summary>Reads a safetensors file, validating everything before trusting it.</summary>
    /// <param name="path">The file to read.</param>
    /// <returns>The tensors (as float32) and the metadata.</returns>
    /// <exception cref="InvalidDataException">The file is truncated, its header is invalid or lies, a dtype is unknown or
    /// cannot be converted to float32, or a tensor has a zero-length dimension; the message names the file, the tensor and the problem.</exception>
    /// <exception cref="IOException">The file cannot be opened or read (for example <see cref="FileNotFoundException"/>), or the path is a folder.</exception>
    public static SafeTensorsFile Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Directory.Exists(path))
        {
            throw new IOException($"Cannot load '{path}': it is a folder, not a file.");
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, CopyChunk);
        return Read(stream, path);
    }

    /// <summary>Reads a safetensors file from the current position of <paramref name="stream"/> to its end.</summary>
    /// <param name="stream">A readable stream; seekable streams are read in place, others are first copied to memory.</param>
    /// <param name="source">A description of the stream (such as its file name) used in error messages.</param>
    /// <returns>The tensors (as float32) and the metadata.</returns>
    /// <exception cref="InvalidDataException">As for <see cref="Load"/>.</exception>
    public static SafeTensorsFile Read(Stream stream, string source)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(source);
        if (!stream.CanSeek)
        {
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            copy.Position = 0;
            return Read(copy, source);
        }

        long length = stream.Length - stream.Position;
        try
        {
            return ReadSeekable(stream, length, source);
        }
        catch (EndOfStreamException ex)
        {
            throw FormatError.Create(source, null, $"the file ended early (it was {length} bytes when reading began; was it modified while being read?).", ex);
        }
    }

    private static SafeTensorsFile ReadSeekable(Stream stream, long length, string source)
    {
        if (length < 8)
        {
            throw FormatError.Create(source, null, $"the file is {length} bytes long; a safetensors file starts with an 8-byte header size (is it truncated, or not a safetensors file?).");
        }

        Span<byte> prefix = stackalloc byte[8];
        stream.ReadExactly(prefix);
        if (ForeignFileSignature.Describe(prefix) is string foreign)
        {
            throw FormatError.Create(source, null, foreign);
        }

        ulong headerSize = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerSize > (ulong)(length - 8))
        {
            throw FormatError.Create(source, null, $"the header size is {headerSize} bytes but only {length - 8} bytes follow it (truncated file or corrupt header size).");
        }

        if (headerSize > SafeTensorsHeader.MaxHeaderSize)
        {
            throw FormatError.Create(source, null, $"the header size is {headerSize} bytes, more than the {SafeTensorsHeader.MaxHeaderSize} the format allows.");
        }

        if (headerSize < 2)
        {
            throw FormatError.Create(source, null, $"the header size is {headerSize} bytes, too small for a JSON object.");
        }

        byte[] header = new byte[(int)headerSize];
        stream.ReadExactly(header);
        long bufferLength = length - 8 - (long)headerSize;
        var (entries, metadata) = SafeTensorsHeader.Parse(header, bufferLength, source);

        var names = new string[entries.Count];
        var tensors = new Dictionary<string, Tensor>(entries.Count, StringComparer.Ordinal);
        byte[]? chunk = null;
        try
        {
            for (int i = 0; i < entries.Count; i++)
            {
                var entry = entries[i];
                names[i] = entry.Name;
                tensors.Add(entry.Name, ReadTensor(stream, entry, source, ref chunk));
            }
        }
        finally
        {
            if (chunk is not null)
            {
                ArrayPool<byte>.Shared.Return(chunk);
            }
        }

        return new SafeTensorsFile(source, names, tensors, metadata);
    }

    private static Tensor ReadTensor(Stream stream, SafeTensorsHeader.Entry entry, string source, ref byte[]? chunk)
    {
        if (!SafeTensorsDataTypes.IsConvertible(entry.Type))
        {
            throw FormatError.Create(source, entry.Name, $"dtype {entry.Type} cannot be converted to float32; NeuralNet reads BOOL, integer, F16, BF16, F32 and F64 tensors.");
        }

        if (entry.ElementCount == 0)
        {
            throw FormatError.Create(source, entry.Name, $"shape {FormatShape(entry.Shape)} has a zero-length dimension; NeuralNet tensors cannot be empty.");
        }

        if (entry.ElementCount > Array.MaxLength)
        {
            throw FormatError.Create(source, entry.Name, $"{entry.ElementCount} elements are more than an array can hold.");
        }

        // The element count was checked against the file's length (the offsets tile the data buffer): this allocation is justified.
        float[] data = new float[entry.ElementCount];
        if (entry.Type == SafeTensorsDataType.F32)
        {
            stream.ReadExactly(MemoryMarshal.AsBytes(data.AsSpan()));
            if (!BitConverter.IsLittleEndian)
            {
                var bits = MemoryMarshal.Cast<float, int>(data.AsSpan());
                BinaryPrimitives.ReverseEndianness(bits, bits);
            }
        }
        else
        {
            int size = SafeTensorsDataTypes.Size(entry.Type);
            chunk ??= ArrayPool<byte>.Shared.Rent(CopyChunk);
            int perChunk = CopyChunk / size;
            for (int done = 0; done < data.Length; done += perChunk)
            {
                int n = Math.Min(perChunk, data.Length - done);
                var bytes = chunk.AsSpan(0, n * size);
                stream.ReadExactly(bytes);
                SafeTensorsDataTypes.ToSingle(entry.Type, bytes, data.AsSpan(done, n));
            }
        }

        return Tensor.FromArray(data, entry.Shape);
    }

    private static List<KeyValuePair<string, Tensor>> Snapshot(IEnumerable<KeyValuePair<string, Tensor>> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var list = new List<KeyValuePair<string, Tensor>>(tensors);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, tensor) in list)
        {
            if (name is null || tensor is null)
            {
                throw new ArgumentException("Tensor names and tensors must not be null.", nameof(tensors));
            }

            if (name == SafeTensorsHeader.MetadataKey)
            {
                throw new ArgumentException($"'{SafeTensorsHeader.MetadataKey}' is reserved for metadata and cannot name a tensor.", nameof(tensors));
            }

            if (!names.Add(name))
            {
                throw new ArgumentException($"Tensor name '{name}' appears twice.", nameof(tensors));
            }
        }

        return list;
    }

    private static byte[] BuildHeader(List<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject(SafeTensorsHeader.MetadataKey);
                foreach (var (key, value) in metadata)
                {
                    json.WriteString(key, value);
                }

                json.WriteEndObject();
            }

            long offset = 0;
            foreach (var (name, tensor) in tensors)
            {
                long end = offset + ((long)tensor.Length * sizeof(float));
                json.WriteStartObject(name);
                json.WriteString("dtype", "F32");
                json.WriteStartArray("shape");
                foreach (int d in tensor.Shape.Dimensions)
                {
                    json.WriteNumberValue(d);
                }

                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(end);
                json.WriteEndArray();
                json.WriteEndObject();
                offset = end;
            }

            json.WriteEndObject();
        }

        // Pad with spaces so the data buffer starts 8-byte aligned, as the reference writer does.
        int padded = (buffer.WrittenCount + 7) / 8 * 8;
        byte[] header = new byte[padded];
        buffer.WrittenSpan.CopyTo(header);
        header.AsSpan(buffer.WrittenCount).Fill((byte)' ');
        return header;
    }

    private static void WriteBody(Stream stream, byte[] header, List<KeyValuePair<string, Tensor>> tensors)
    {
        Span<byte> prefix = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)header.Length);
        stream.Write(prefix);
        stream.Write(header);
        byte[]? swapped = BitConverter.IsLittleEndian ? null : new byte[CopyChunk];
        foreach (var (_, tensor) in tensors)
        {
            var values = tensor.AsReadOnlySpan();
            if (swapped is null)
            {
                stream.Write(MemoryMarshal.AsBytes(values));
                continue;
            }

            for (int done = 0; done < values.Length; done += CopyChunk / 4)
            {
                int n = Math.Min(CopyChunk / 4, values.Length - done);
                for (int i = 0; i < n; i++)
                {
                    BinaryPrimitives.WriteSingleLittleEndian(swapped.AsSpan(4 * i), values[done + i]);
                }

                stream.Write(swapped, 0, 4 * n);
            }
        }
    }

    private static string FormatShape(int[] shape) => SafeTensorsHeader.FormatShape(Array.ConvertAll(shape, d => (long)d));
}
