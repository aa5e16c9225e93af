using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;

namespace NeuralNet.Datasets;

/// <summary>
/// Reads IDX files (the format of the MNIST distribution): <c>idx1</c> unsigned-byte label files and
/// <c>idx3</c> unsigned-byte image files, raw or gzip-compressed (recognised by the gzip magic bytes, not by the name).
/// </summary>
/// <remarks>
/// An IDX file is a 4-byte magic number <c>00 00 08 n</c> (unsigned byte data, <c>n</c> dimensions), <c>n</c>
/// big-endian 32-bit dimension sizes, then the data in row-major order. The reader checks the magic number,
/// the dimensions and that the data length is exactly what the dimensions declare; every problem is an
/// <see cref="InvalidDataException"/> naming the file and the byte offset (also stored in
/// <see cref="Exception.Data"/> under "FileName" and "Offset"). Images are converted to floats in
/// chunks straight into the tensor's storage: the raw bytes are never held in memory as a whole.
/// </remarks>
public static class IdxReader
{
    private const int ChunkBytes = 1 << 20;
    private const byte UnsignedByteType = 0x08;

    /// <summary>Reads an <c>idx1</c> unsigned-byte file (labels).</summary>
    /// <param name="path">The file, raw or gzip-compressed.</param>
    /// <param name="maxCount">Read at most this many labels (the first ones); the rest of the file is not read.</param>
    /// <returns>The labels, one byte each.</returns>
    /// <exception cref="InvalidDataException">The file is not a valid <c>idx1</c> unsigned-byte file.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxCount"/> is negative.</exception>
    public static byte[] ReadLabels(string path, int maxCount = int.MaxValue)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using FileStream file = OpenFile(path);
        return ReadLabels(file, path, maxCount);
    }

    /// <summary>Reads an <c>idx1</c> unsigned-byte stream (labels).</summary>
    /// <param name="stream">The data, raw or gzip-compressed, positioned at the start of the IDX header. Not closed.</param>
    /// <param name="fileName">The name used in error messages.</param>
    /// <param name="maxCount">Read at most this many labels (the first ones); the rest of the stream is not read.</param>
    /// <returns>The labels, one byte each.</returns>
    /// <exception cref="InvalidDataException">The data is not a valid <c>idx1</c> unsigned-byte file.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxCount"/> is negative.</exception>
    public static byte[] ReadLabels(Stream stream, string fileName, int maxCount = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(fileName);
        ArgumentOutOfRangeException.ThrowIfNegative(maxCount);
        using var reader = new Reader(stream, fileName);
        Span<int> dims = stackalloc int[1];
        reader.ReadHeader(dims);
        int count = Math.Min(dims[0], maxCount);
        byte[] labels = new byte[count];
        reader.ReadData(labels);
        if (count == dims[0])
        {
            reader.CheckEnd();
        }

        return labels;
    }

    /// <summary>Reads an <c>idx3</c> unsigned-byte file (images) into a float tensor.</summary>
    /// <param name="path">The file, raw or gzip-compressed.</param>
    /// <param name="scale">Each byte is multiplied by this (1/255 maps pixels to [0, 1]).</param>
    /// <param name="maxCount">Read at most this many images (the first ones); the rest of the file is not read.</param>
    /// <returns>A tensor of shape (count, rows, columns).</returns>
    /// <exception cref="InvalidDataException">The file is not a valid <c>idx3</c> unsigned-byte file, or holds no images.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxCount"/> is not positive.</exception>
    public static Tensor ReadImages(string path, float scale = 1f, int maxCount = int.MaxValue)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using FileStream file = OpenFile(path);
        return ReadImages(file, path, scale, maxCount);
    }

    /// <summary>Reads an <c>idx3</c> unsigned-byte stream (images) into a float tensor.</summary>
    /// <param name="stream">The data, raw or gzip-compressed, positioned at the start of the IDX header. Not closed.</param>
    /// <param name="fileName">The name used in error messages.</param>
    /// <param name="scale">Each byte is multiplied by this (1/255 maps pixels to [0, 1]).</param>
    /// <param name="maxCount">Read at most this many images (the first ones); the rest of the stream is not read.</param>
    /// <returns>A tensor of shape (count, rows, columns).</returns>
    /// <exception cref="InvalidDataException">The data is not a valid <c>idx3</c> unsigned-byte file, or holds no images.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxCount"/> is not positive.</exception>
    public static Tensor ReadImages(Stream stream, string fileName, float scale = 1f, int maxCount = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(fileName);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxCount);
        using var reader = new Reader(stream, fileName);
        Span<int> dims = stackalloc int[3];
        reader.ReadHeader(dims);
        if (dims[0] == 0 || dims[1] == 0 || dims[2] == 0)
        {
            throw DataFileErrors.Format(fileName, 4, $"the header declares {dims[0]} images of {dims[1]}x{dims[2]} pixels; a tensor needs at least one image of at least one pixel.");
        }

        int count = Math.Min(dims[0], maxCount);
        long elements = (long)count * dims[1] * dims[2];
        if (elements > Array.MaxLength)
        {
            throw DataFileErrors.Format(fileName, null, $"{count} images of {dims[1]}x{dims[2]} pixels ({elements} values) do not fit in one tensor (at most {Array.MaxLength}); read fewer with maxCount.");
        }

        float[] data = GC.AllocateUninitializedArray<float>((int)elements); // every element is written below, or we throw
        reader.ReadPixels(data, scale);
        if (count == dims[0])
        {
            reader.CheckEnd();
        }

        return Tensor.FromArray(data, count, dims[1], dims[2]);
    }

    private static FileStream OpenFile(string path) =>
        new(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);

    /// <summary>Reads one IDX stream, tracking the offset in the (decompressed) data for error messages.</summary>
    private sealed class Reader : IDisposable
    {
        private readonly string _fileName;
        private readonly Stream _data;
        private readonly GZipStream? _gzip;
        private readonly long _rawLength; // bytes from the start of the header to the end of a raw, seekable stream; -1 otherwise
        private long _position;
        private long _expectedLength;

        public Reader(Stream stream, string fileName)
        {
            _fileName = fileName;
            Span<byte> magic = stackalloc byte[2];
            long start = stream.CanSeek ? stream.Position : -1;
            int n = ReadFully(stream, magic);
            bool isGzip = n == 2 && magic[0] == 0x1F && magic[1] == 0x8B;
            Stream source;
            if (start >= 0)
            {
                stream.Position = start;
                source = stream;
            }
            else
            {
                source = new PrefixedStream(magic[..n], stream);
            }

            if (isGzip)
            {
                _gzip = new GZipStream(source, CompressionMode.Decompress, leaveOpen: true);
                _data = _gzip;
                _rawLength = -1;
            }
            else
            {
                _data = source;
                _rawLength = start >= 0 ? stream.Length - start : -1;
            }
        }

        public void ReadHeader(Span<int> dims)
        {
            Span<byte> header = stackalloc byte[4];
            Fill(header, "the 4-byte magic number");
            string expectedMagic = $"0x0000080{dims.Length}";
            string kind = dims.Length == 1 ? "idx1 unsigned-byte label file" : $"idx{dims.Length} unsigned-byte file";
            uint magic = BinaryPrimitives.ReadUInt32BigEndian(header);
            if (header[0] != 0 || header[1] != 0)
            {
                string gzipHint = _gzip is null ? string.Empty : " (after gzip decompression)";
                throw DataFileErrors.Format(_fileName, 0, $"magic number 0x{magic:X8}{gzipHint} is not an IDX magic number; expected {expectedMagic} for an {kind}.");
            }

            if (header[2] != UnsignedByteType)
            {
                throw DataFileErrors.Format(_fileName, 2, $"magic number 0x{magic:X8} declares data type 0x{header[2]:X2}; only unsigned byte (0x08) is supported, expected {expectedMagic} for an {kind}.");
            }

            if (header[3] != dims.Length)
            {
                throw DataFileErrors.Format(_fileName, 3, $"magic number 0x{magic:X8} declares {header[3]} dimensions; expected {dims.Length} ({expectedMagic}) for an {kind}.");
            }

            long dataLength = 1;
            for (int i = 0; i < dims.Length; i++)
            {
                long offset = _position;
                Fill(header, $"dimension {i} of the header");
                uint size = BinaryPrimitives.ReadUInt32BigEndian(header);
                if (size > int.MaxValue)
                {
                    throw DataFileErrors.Format(_fileName, offset, $"dimension {i} is {size}, larger than {int.MaxValue}.");
                }

                dims[i] = (int)size;
                dataLength = checked(dataLength * size);
            }

            long headerLength = 4 + (4L * dims.Length);
            _expectedLength = headerLength + dataLength;
            if (_rawLength >= 0 && _rawLength != _expectedLength)
            {
                string what = _rawLength < _expectedLength ? "the file is truncated" : "the file is longer than its header declares";
                throw DataFileErrors.Format(
                    _fileName,
                    Math.Min(_rawLength, _expectedLength),
                    $"{what}: dimensions {FormatDims(dims)} mean {headerLength} header bytes + {dataLength} data bytes = {_expectedLength} bytes, but the file has {_rawLength} bytes.");
            }
        }

        public void ReadData(Span<byte> destination) => Fill(destination, "the data");

        public void ReadPixels(Span<float> destination, float scale)
        {
            byte[] chunk = ArrayPool<byte>.Shared.Rent((int)Math.Min(ChunkBytes, Math.Max(destination.Length, 1)));
            try
            {
                while (!destination.IsEmpty)
                {
                    Span<byte> bytes = chunk.AsSpan(0, Math.Min(chunk.Length, destination.Length));
                    Fill(bytes, "the data");
                    PixelConversion.BytesToSingles(bytes, scale, destination);
                    destination = destination[bytes.Length..];
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(chunk);
            }
        }

        /// <summary>After all declared data was read: anything more means the dimensions disagree with the length.</summary>
        public void CheckEnd()
        {
            if (_rawLength >= 0)
            {
                return; // already checked against the file length
            }

            Span<byte> probe = stackalloc byte[1];
            if (Read(probe) != 0)
            {
                throw DataFileErrors.Format(_fileName, _expectedLength, $"the data continues past the {_expectedLength} bytes its header declares (dimensions disagree with the length).");
            }
        }

        public void Dispose() => _gzip?.Dispose();

        private void Fill(Span<byte> buffer, string what)
        {
            int n = 0;
            while (n < buffer.Length)
            {
                int read = Read(buffer[n..]);
                if (read == 0)
                {
                    string total = _expectedLength > 0 ? $"; the header declares {_expectedLength} bytes in all" : string.Empty;
                    throw DataFileErrors.Format(_fileName, _position, $"the file is truncated: it ends while reading {what}{total}.");
                }

                n += read;
            }
        }

        private int Read(Span<byte> buffer)
        {
            int read;
            try
            {
                read = _data.Read(buffer);
            }
            catch (InvalidDataException ex) when (_gzip is not null)
            {
                throw DataFileErrors.Format(_fileName, _position, $"the gzip stream is corrupt (offset is in the decompressed data): {ex.Message}", ex);
            }

            _position += read;
            return read;
        }

        private static string FormatDims(ReadOnlySpan<int> dims) => string.Join(" x ", dims.ToArray());

        private static int ReadFully(Stream stream, Span<byte> buffer)
        {
            int n = 0;
            while (n < buffer.Length)
            {
                int read = stream.Read(buffer[n..]);
                if (read == 0)
                {
                    break;
                }

                n += read;
            }

            return n;
        }
    }
}
