using FsCheck.Xunit;
using NeuralNet.Datasets;
using Xunit;

namespace NeuralNet.Tests.Datasets;

public class IdxReaderTests
{
    // How a generated file reaches the reader.
    public enum Delivery
    {
        RawFile,
        GzipFile,
        RawNonSeekableStream,
        GzipNonSeekableStream,
    }

    [Property(MaxTest = 60, Replay = "20261123,1234567")]
    public void ReadImages_RandomFile_RoundTrips(int seed, byte countSeed, byte rowsSeed, byte columnsSeed, Delivery delivery)
    {
        int count = 1 + (countSeed % 30);
        int rows = 1 + (rowsSeed % 12);
        int columns = 1 + (columnsSeed % 12);
        byte[] pixels = IdxTestData.RandomBytes(count * rows * columns, seed);
        byte[] file = IdxTestData.Build([count, rows, columns], pixels);
        const float Scale = 1f / 255f;

        Tensor images = Read(file, delivery, (stream, name) => IdxReader.ReadImages(stream, name, Scale), path => IdxReader.ReadImages(path, Scale));

        Assert.Equal(new TensorShape(count, rows, columns), images.Shape);
        ReadOnlySpan<float> values = images.AsReadOnlySpan();
        for (int i = 0; i < pixels.Length; i++)
        {
            Assert.Equal(pixels[i] * Scale, values[i]);
        }
    }

    [Property(MaxTest = 60, Replay = "20261123,7654321")]
    public void ReadLabels_RandomFile_RoundTrips(int seed, ushort countSeed, Delivery delivery)
    {
        int count = countSeed % 300; // zero labels is a valid file
        byte[] labels = IdxTestData.RandomBytes(count, seed);
        byte[] file = IdxTestData.Build([count], labels);

        byte[] read = Read(file, delivery, (stream, name) => IdxReader.ReadLabels(stream, name), path => IdxReader.ReadLabels(path));

        Assert.Equal(labels, read);
    }

    [Fact]
    public void ReadImages_MaxCount_ReadsTheFirstImages()
    {
        byte[] pixels = IdxTestData.RandomBytes(10 * 3 * 2, 5);
        byte[] file = IdxTestData.Build([10, 3, 2], pixels);
        using var folder = new TempFolder();
        string path = folder.File("images.gz");
        File.WriteAllBytes(path, IdxTestData.Gzip(file));

        Tensor images = IdxReader.ReadImages(path, 1f, maxCount: 4);

        Assert.Equal(new TensorShape(4, 3, 2), images.Shape);
        Assert.Equal(pixels.AsSpan(0, 24).ToArray().Select(b => (float)b), images.ToArray());
        Assert.Equal(pixels.AsSpan(0, 3).ToArray(), IdxReader.ReadLabels(new MemoryStream(IdxTestData.Build([5], pixels.AsSpan(0, 5))), "labels", maxCount: 3));
    }

    [Fact]
    public void ReadImages_LargeFile_ConvertsAcrossChunks()
    {
        // More than one 1 MiB chunk, with a tail that is not a multiple of the vector width.
        int count = 1500;
        byte[] pixels = IdxTestData.RandomBytes(count * 29 * 31, 11);
        byte[] file = IdxTestData.Build([count, 29, 31], pixels);

        Tensor images = IdxReader.ReadImages(new MemoryStream(file), "big", 0.5f);

        float[] expected = pixels.Select(b => b * 0.5f).ToArray();
        Assert.Equal(expected, images.ToArray());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReadImages_TruncatedData_ThrowsNamingFileAndOffset(bool gzip)
    {
        byte[] file = IdxTestData.Build([4, 5, 5], IdxTestData.RandomBytes(100, 1));
        byte[] truncated = file.AsSpan(0, file.Length - 7).ToArray(); // 16 + 93 bytes
        using var folder = new TempFolder();
        string path = folder.File("short-images");
        File.WriteAllBytes(path, gzip ? IdxTestData.Gzip(truncated) : truncated);

        InvalidDataException ex = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));

        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains("truncated", ex.Message, StringComparison.Ordinal);
        Assert.Contains("byte offset 109", ex.Message, StringComparison.Ordinal);
        Assert.Equal(109L, ex.Data["Offset"]);
        Assert.Equal(path, ex.Data["FileName"]);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(6)]
    public void ReadLabels_TruncatedHeader_Throws(int length)
    {
        byte[] file = IdxTestData.Build([10], new byte[10]).AsSpan(0, length).ToArray();

        InvalidDataException ex = Assert.Throws<InvalidDataException>(() => IdxReader.ReadLabels(new NonSeekableStream(file), "labels-file"));

        Assert.Contains("labels-file", ex.Message, StringComparison.Ordinal);
        Assert.Contains("truncated", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"byte offset {length}", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadLabels_WrongMagic_ThrowsWithActualAndExpectedMagic()
    {
        byte[] file = [0x12, 0x34, 0x56, 0x78, 0, 0, 0, 0];

        InvalidDataException ex = Assert.Throws<InvalidDataException>(() => IdxReader.ReadLabels(new MemoryStream(file), "bad-magic"));

        Assert.Contains("bad-magic: at byte offset 0", ex.Message, StringComparison.Ordinal);
        Assert.Contains("0x12345678", ex.Message, StringComparison.Ordinal);
        Assert.Contains("0x00000801", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadImages_LabelFileGiven_ThrowsOnDimensionCount()
    {
        byte[] file = IdxTestData.Build([3], [1, 2, 3]);

        InvalidDataException ex = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(new MemoryStream(file), "labels-not-images"));

        Assert.Contains("declares 1 dimensions; expected 3", ex.Message, StringComparison.Ordinal);
        Assert.Contains("0x00000803", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadLabels_NonByteDataType_Throws()
    {
        byte[] file = IdxTestData.Build([1], [0, 0, 0, 0], type: 0x0D);

        InvalidDataException ex = Assert.Throws<InvalidDataException>(() => IdxReader.ReadLabels(new MemoryStream(file), "floats"));

        Assert.Contains("data type 0x0D", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReadImages_DataLongerThanDimensions_Throws(bool gzip)
    {
        byte[] file = IdxTestData.Build([2, 2, 2], new byte[9]); // 8 declared, 9 present
        using var folder = new TempFolder();
        string path = folder.File("long-images");
        File.WriteAllBytes(path, gzip ? IdxTestData.Gzip(file) : file);

        InvalidDataException ex = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));

        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains("byte offset 24", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadImages_RawFileShorterThanDimensions_ThrowsBeforeReading()
    {
        byte[] file = IdxTestData.Build([60000, 28, 28], new byte[100]);
        using var folder = new TempFolder();
        string path = folder.File("train-images-idx3-ubyte");
        File.WriteAllBytes(path, file);

        InvalidDataException ex = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));

        Assert.Contains("47040016 bytes, but the file has 116 bytes", ex.Message, StringComparison.Ordinal);
        Assert.Contains("at byte offset 116", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadImages_ZeroImages_Throws()
    {
        byte[] file = IdxTestData.Build([0, 28, 28], []);

        InvalidDataException ex = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(new MemoryStream(file), "empty"));

        Assert.Contains("0 images", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadImages_CorruptGzip_ThrowsNamingFile()
    {
        byte[] gzip = IdxTestData.Gzip(IdxTestData.Build([50, 10, 10], IdxTestData.RandomBytes(5000, 3)));
        for (int i = 20; i < gzip.Length - 8; i += 3)
        {
            gzip[i] ^= 0x5A; // damage the deflate data, keep the gzip header
        }

        using var folder = new TempFolder();
        string path = folder.File("corrupt.gz");
        File.WriteAllBytes(path, gzip);

        InvalidDataException ex = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));

        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadLabels_GzipStreamCutShort_ThrowsTruncated()
    {
        byte[] gzip = IdxTestData.Gzip(IdxTestData.Build([4000], IdxTestData.RandomBytes(4000, 8)));
        byte[] cut = gzip.AsSpan(0, gzip.Length / 2).ToArray();

        InvalidDataException ex = Assert.Throws<InvalidDataException>(() => IdxReader.ReadLabels(new MemoryStream(cut), "cut.gz"));

        Assert.Contains("cut.gz", ex.Message, StringComparison.Ordinal);
    }

    private static T Read<T>(byte[] file, Delivery delivery, Func<Stream, string, T> fromStream, Func<string, T> fromPath)
    {
        switch (delivery)
        {
            case Delivery.RawNonSeekableStream:
                using (var stream = new NonSeekableStream(file))
                {
                    return fromStream(stream, "stream");
                }

            case Delivery.GzipNonSeekableStream:
                using (var stream = new NonSeekableStream(IdxTestData.Gzip(file)))
                {
                    return fromStream(stream, "stream.gz");
                }

            default:
                using (var folder = new TempFolder())
                {
                    string path = folder.File("data");
                    File.WriteAllBytes(path, delivery == Delivery.GzipFile ? IdxTestData.Gzip(file) : file);
                    return fromPath(path);
                }
        }
    }
}
