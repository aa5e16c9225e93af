using System.Buffers.Binary;
using System.IO.Compression;
using NeuralNet.Datasets;
using Xunit;
using Xunit.Abstractions;

namespace NeuralNet.Tests.Serialization;

/// <summary>
/// Seeded fuzzing of the IDX reader (issue #9 asks for model and IDX files): valid raw and gzip image and label files
/// mutated by bit flips, truncations, header edits and appended bytes, and gzip files whose decompressed content lies.
/// Only <see cref="InvalidDataException"/> may escape, and no case may allocate much more than its data justifies.
/// </summary>
public class IdxFuzzTests(ITestOutputHelper output)
{
    private const int Cases = 10_000;

    private static readonly uint[] s_sizes = [0, 1, 2, 3, 5, 7, 28, 255, 256, 65535, 65536, 1u << 20, int.MaxValue, (uint)int.MaxValue + 1, uint.MaxValue];

    [Fact]
    public void Read_MutatedIdxFiles_OnlyDocumentedExceptionsAndJustifiedAllocations()
    {
        const long seed = 4242;
        byte[] images = Idx([5, 4, 3], 1);
        byte[] labels = Idx([7], 2);
        byte[][] originals = [images, labels, Gzip(images), Gzip(labels)];
        int accepted = 0, rejected = 0;
        var kinds = new int[6];
        for (int i = 0; i < Cases; i++)
        {
            var random = new SeededRandom(SeededRandom.Derive(seed, i));
            int which = random.NextInt(originals.Length);
            int kind = random.NextInt(kinds.Length);
            kinds[kind]++;
            byte[] mutated = Mutate(originals[which], which >= 2, kind, random, out long contentLength);
            long before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                using var stream = new MemoryStream(mutated, writable: false);
                if (which % 2 == 0)
                {
                    var tensor = IdxReader.ReadImages(stream, "fuzz.idx");
                    Assert.Equal(3, tensor.Rank);
                }
                else
                {
                    IdxReader.ReadLabels(stream, "fuzz.idx");
                }

                accepted++;
            }
            catch (InvalidDataException ex)
            {
                Assert.Contains("fuzz.idx", ex.Message, StringComparison.Ordinal);
                rejected++;
            }
            catch (Exception ex)
            {
                Assert.Fail($"Case {i} (file {which}, mutation {kind}) threw {ex.GetType().Name}: {ex.Message}\n{ex.StackTrace}");
            }

            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            long justified = (8 * contentLength) + (2 << 20);
            Assert.True(allocated <= justified, $"Case {i} (file {which}, mutation {kind}) allocated {allocated} bytes for {contentLength} bytes of content.");
        }

        output.WriteLine($"{Cases} cases: {accepted} accepted, {rejected} rejected; per mutation kind: {string.Join(", ", kinds)}");
        Assert.True(rejected > Cases / 2, $"only {rejected} of {Cases} mutations were rejected");
        Assert.True(accepted > Cases / 50, $"only {accepted} mutations were accepted");
    }

    /// <summary>An unsigned-byte IDX file with the given dimensions and seeded content.</summary>
    private static byte[] Idx(int[] dims, long seed)
    {
        int count = dims.Aggregate(1, (a, d) => a * d);
        var bytes = new byte[4 + (4 * dims.Length) + count];
        bytes[2] = 0x08;
        bytes[3] = (byte)dims.Length;
        for (int i = 0; i < dims.Length; i++)
        {
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + (4 * i)), dims[i]);
        }

        var random = new SeededRandom(seed);
        for (int i = 4 + (4 * dims.Length); i < bytes.Length; i++)
        {
            bytes[i] = (byte)random.NextInt(256);
        }

        return bytes;
    }

    private static byte[] Gzip(byte[] raw)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(raw);
        }

        return output.ToArray();
    }

    private static byte[] Gunzip(byte[] compressed)
    {
        using var input = new GZipStream(new MemoryStream(compressed), CompressionMode.Decompress);
        using var output = new MemoryStream();
        input.CopyTo(output);
        return output.ToArray();
    }

    /// <summary>Mutates a file; for gzip files, kinds 0-2 act on the compressed bytes and 3-5 on the content before recompression.</summary>
    private static byte[] Mutate(byte[] original, bool gzip, int kind, SeededRandom random, out long contentLength)
    {
        bool content = !gzip || kind >= 3;
        byte[] data = content && gzip ? Gunzip(original) : (byte[])original.Clone();
        switch (kind % 3)
        {
            case 0: // bit flips (in the header three times in four)
                for (int flips = 1 + random.NextInt(4); flips > 0; flips--)
                {
                    int at = random.NextInt(4) == 0 || data.Length <= 16 ? random.NextInt(data.Length) : random.NextInt(16);
                    data[at] ^= (byte)(1 << random.NextInt(8));
                }

                break;
            case 1: // truncate or append
                data = random.NextInt(2) == 0
                    ? data[..random.NextInt(data.Length)]
                    : [.. data, .. Enumerable.Range(0, 1 + random.NextInt(8)).Select(_ => (byte)random.NextInt(256))];
                break;
            default: // a dimension or the magic number lies
                if (data.Length >= 8)
                {
                    int dimensions = Math.Clamp((data.Length - 4) / 4, 1, 3);
                    int at = random.NextInt(5) == 0 ? 0 : 4 + (4 * random.NextInt(dimensions));
                    uint value = s_sizes[random.NextInt(s_sizes.Length)];
                    if (at + 4 <= data.Length)
                    {
                        BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(at), at == 0 ? 0x0800 | value % 5 : value);
                    }
                }

                break;
        }

        byte[] result = content && gzip ? Gzip(data) : data;
        contentLength = content ? data.Length : TryGunzipLength(result);
        return result;
    }

    private static long TryGunzipLength(byte[] compressed)
    {
        try
        {
            return Gunzip(compressed).LongLength;
        }
        catch (InvalidDataException)
        {
            return compressed.Length;
        }
    }
}
