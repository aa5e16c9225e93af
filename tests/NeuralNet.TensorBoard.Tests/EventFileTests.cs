using System.Buffers.Binary;
using System.Text;
using FsCheck.Xunit;
using NeuralNet.Training.EventFiles.Protobuf;
using NeuralNet.Training.EventFiles;
using NeuralNet.Tests.Serialization;
using Xunit;

namespace NeuralNet.TensorBoardTests;

/// <summary>The record framing, its checksum and the histogram binning, against published values and plain references.</summary>
public class EventFileTests
{
    // RFC 3720 (iSCSI) appendix B.4 test vectors for CRC-32C, and the classic check value of "123456789".
    [Fact]
    public void Crc32C_MatchesPublishedTestVectors()
    {
        Assert.Equal(0xE3069283u, Crc32C.Compute(Encoding.ASCII.GetBytes("123456789")));
        Assert.Equal(0x8A9136AAu, Crc32C.Compute(new byte[32]));
        Assert.Equal(0x62A8AB43u, Crc32C.Compute(Enumerable.Repeat((byte)0xFF, 32).ToArray()));
        Assert.Equal(0x46DD794Eu, Crc32C.Compute(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray()));
        Assert.Equal(0x113FDB5Cu, Crc32C.Compute(Enumerable.Range(0, 32).Select(i => (byte)(31 - i)).ToArray()));
    }

    [Property(MaxTest = 200, Replay = "20261206,424243")]
    public void Crc32C_MatchesTheBitwiseReference(byte[] data) => Assert.Equal(Crc32C.ComputeReference(data), Crc32C.Compute(data));

    [Property(MaxTest = 200, Replay = "20261206,171717")]
    public void Mask_IsUndoneByUnmask(uint crc) => Assert.Equal(crc, Crc32C.Unmask(Crc32C.Mask(crc)));

    // TensorFlow's crc32c::Mask: ((crc >> 15) | (crc << 17)) + 0xa282ead8, worked out by hand for two values.
    [Fact]
    public void Mask_IsTensorFlowsRotationAndOffset()
    {
        Assert.Equal(0xa282ead8u, Crc32C.Mask(0));
        Assert.Equal(unchecked(0x00020000u + 0xa282ead8u), Crc32C.Mask(1));
        // 0x80000000 rotated right by 15 is 0x00010000.
        Assert.Equal(unchecked(0x00010000u + 0xa282ead8u), Crc32C.Mask(0x80000000u));
    }

    [Fact]
    public void Record_IsLengthCrcDataCrc_AndDamageIsFoundAtItsOffset()
    {
        using var dir = new TempDirectory();
        string path = dir.File("records");
        byte[] first = Encoding.ASCII.GetBytes("hello"), second = [1, 2, 3, 4, 5, 6, 7, 8, 9];
        using (var stream = File.Create(path))
        {
            RecordFile.Write(stream, first);
            RecordFile.Write(stream, second);
        }

        byte[] bytes = File.ReadAllBytes(path);
        Assert.Equal(16 + 5 + 16 + 9, bytes.Length);
        Assert.Equal(5ul, BinaryPrimitives.ReadUInt64LittleEndian(bytes));
        Assert.Equal(Crc32C.Mask(Crc32C.ComputeReference(bytes.AsSpan(0, 8))), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8)));
        Assert.Equal(first, bytes.AsSpan(12, 5).ToArray());
        Assert.Equal(Crc32C.Mask(Crc32C.ComputeReference(first)), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(17)));
        List<byte[]> records = RecordFile.ReadAll(path);
        Assert.Equal([first, second], records);

        bytes[21 + 12 + 3] ^= 1;
        File.WriteAllBytes(path, bytes);
        Assert.Contains("the data of the record at offset 21 does not match its CRC", Assert.Throws<InvalidDataException>(() => RecordFile.ReadAll(path)).Message, StringComparison.Ordinal);
        File.WriteAllBytes(path, bytes[..40]);
        Assert.Contains("the record at offset 21 claims 9 bytes but the file ends before them", Assert.Throws<InvalidDataException>(() => RecordFile.ReadAll(path)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EventFile_StartsWithTheVersionRecord_AndNamesItselfAsTensorFlowDoes()
    {
        using var dir = new TempDirectory();
        string path;
        using (var writer = new EventFileWriter(dir.Path))
        {
            writer.Scalar("epoch_loss", 3, 0.25);
            writer.Scalar("epoch_accuracy", 3, 0);
            path = writer.Path;
        }

        using (var second = new EventFileWriter(dir.Path))
        {
            Assert.NotEqual(path, second.Path);
        }

        Assert.Matches(@"^events\.out\.tfevents\.\d{10}\.[A-Za-z0-9_-]+\.\d+\.\d+\.v2$", Path.GetFileName(path));
        Event[] events = [.. RecordFile.ReadAll(path).Select(Event.Parser.ParseFrom)];
        Assert.Equal("brain.Event:2", events[0].FileVersion);
        Assert.Equal(3, events[1].Step);
        Assert.Equal("epoch_loss", events[1].Summary.Value.Single().Tag);
        Assert.Equal(0.25f, events[1].Summary.Value.Single().SimpleValue);

        // A value of 0 is on the wire, not left out as a proto3 default would be.
        Assert.True(events[2].Summary.Value.Single().HasSimpleValue);
        Assert.Equal(0f, events[2].Summary.Value.Single().SimpleValue);
        Assert.InRange(events[1].WallTime, DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 60, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1);
    }

    [Property(MaxTest = 100, Replay = "20261206,99")]
    public void Histogram_CountsEveryFiniteValueOnce_InTheBucketItsEdgesHold(float[] values)
    {
        HistogramProto h = HistogramSummary.Create(values);
        float[] finite = [.. values.Where(float.IsFinite)];
        Assert.Equal(finite.Length, h.Num);
        Assert.Equal(finite.Length, h.Bucket.Sum());
        if (finite.Length == 0)
        {
            Assert.Empty(h.Bucket);
            return;
        }

        Assert.Equal(finite.Sum(v => (double)v), h.Sum, 6);
        double min = finite.Min(v => (double)v), max = finite.Max(v => (double)v);
        if (min == max)
        {
            Assert.Equal([(double)finite.Length], h.Bucket);
            Assert.Equal(min + 0.5, h.BucketLimit.Single());
            return;
        }

        // Plain reference: 30 equal buckets [left, right), the maximum in the last.
        double width = (max - min) / 30;
        var expected = new double[30];
        foreach (float v in finite)
        {
            int i = 0;
            while (i < 29 && v >= min + ((i + 1) * width))
            {
                i++;
            }

            expected[i]++;
        }

        Assert.Equal(expected, h.Bucket);
        Assert.Equal(30, h.BucketLimit.Count);
        Assert.All(Enumerable.Range(0, 29), i => Assert.Equal(min + ((i + 1) * width), h.BucketLimit[i]));
        Assert.Equal(max, h.BucketLimit[^1]);
        Assert.Equal((min, max), (h.Min, h.Max));
    }
}
