using Xunit;

namespace NeuralNet.Data.Tests;

/// <summary>
/// Bad WAV files and bad options. What tf.audio.decode_wav refuses (tensorflow/core/lib/wav/wav_io.cc,
/// DecodeLin16WaveAsFloatVector): no 'RIFF'/'WAVE', a fmt chunk of other than 16 or 18 bytes, a format other than 1 (PCM),
/// other than 16 bits per sample, a block align other than channels x 2, a byte rate other than block align x rate, a
/// data chunk running past the end, two data chunks, no data chunk. Byte offsets below are those of the canonical
/// 44-byte layout TestWavs writes: 'fmt ' at 12 (its fields from 20), 'data' at 36.
/// </summary>
public class AudioFolderErrorTests
{
    [Fact]
    public void Decode_NotRiff_RefusedAtByte0()
    {
        TestWavs.Refused("OggS and more bytes"u8.ToArray(), "0", "RIFF");
        TestWavs.Refused([.. "RIFF\0\0\0\0AVI "u8.ToArray()], "0", "WAVE");
        TestWavs.Refused([.. "RIF"u8.ToArray()], "0", "only 3 bytes");
    }

    [Fact]
    public void Decode_TruncatedDataChunk_RefusedAtTheDataChunkWithTheMissingLength()
    {
        byte[] whole = TestWavs.Pcm16([1, 2, 3, 4, 5]);
        TestWavs.Refused(whole[..^3], "36", "'data'", "declares 10 bytes", "ends 7 bytes after its header", "truncated");
    }

    [Fact]
    public void Decode_CutInsideAChunkHeader_RefusedWhereTheHeaderStarts()
    {
        byte[] whole = TestWavs.Riff(TestWavs.Chunk("fmt ", TestWavs.Format(1, 1, 8000, 16)), TestWavs.Chunk("data", TestWavs.Samples([1])), [.. "LIS"u8.ToArray()]);
        TestWavs.Refused(whole, "46", "truncated");
    }

    [Theory]
    [InlineData(8, "34", "8 bits")]
    [InlineData(24, "34", "24 bits")]
    [InlineData(32, "34", "32 bits")]
    public void Decode_OtherThan16Bits_RefusedAtTheBitsField(int bits, string offset, string words)
    {
        byte[] bytes = TestWavs.Riff(TestWavs.Chunk("fmt ", TestWavs.Format(1, 1, 8000, bits)), TestWavs.Chunk("data", new byte[8]));
        TestWavs.Refused(bytes, offset, words, "expected 16");
    }

    [Theory]
    [InlineData(3, "IEEE float")]
    [InlineData(0xFFFE, "WAVE_FORMAT_EXTENSIBLE")]
    [InlineData(6, "A-law")]
    public void Decode_FormatOtherThanPcm_RefusedAtTheFormatField(int tag, string name)
    {
        byte[] bytes = TestWavs.Riff(TestWavs.Chunk("fmt ", TestWavs.Format(tag, 1, 8000, tag == 3 ? 32 : 16)), TestWavs.Chunk("data", new byte[8]));
        TestWavs.Refused(bytes, "20", name, "expected 1 (PCM)");
    }

    [Fact]
    public void Decode_ExtensibleFmtChunkOf40BytesDeclaringPcm_RefusedForItsSizeAsTensorFlow()
    {
        // A 40-byte fmt chunk with tag 1: TensorFlow checks the size first ("Expected 16 or 18").
        byte[] body = [.. TestWavs.Format(1, 1, 8000, 16), .. new byte[24]];
        TestWavs.Refused(TestWavs.Riff(TestWavs.Chunk("fmt ", body), TestWavs.Chunk("data", new byte[8])), "12", "40 bytes", "16 or 18");
    }

    [Fact]
    public void Decode_FmtChunkOf18BytesWithCbSize_AcceptedAsTensorFlow()
    {
        // wav_io.cc accepts a format chunk of 16 or 18 bytes and skips the 2-byte cbSize.
        byte[] body = [.. TestWavs.Format(1, 2, 8000, 16), 0, 0];
        WavClip clip = WavDecoding.Decode(TestWavs.Riff(TestWavs.Chunk("fmt ", body), TestWavs.Chunk("data", TestWavs.Samples([-3, 4]))), "clip.wav");

        Assert.Equal((1, 2, 8000), (clip.Frames, clip.Channels, clip.SamplingRate));
        Assert.Equal([-3 / 32768f, 4 / 32768f], clip.Samples);
    }

    [Fact]
    public void Decode_DataSizeAboveInt32Max_RefusedAsTensorFlow()
    {
        byte[] bytes = TestWavs.Riff(TestWavs.Chunk("fmt ", TestWavs.Format(1, 1, 8000, 16)), TestWavs.Chunk("data", new byte[2], size: uint.MaxValue));
        TestWavs.Refused(bytes, "36", "4294967295", "2147483647");
    }

    [Fact]
    public void Decode_InconsistentBlockAlignOrByteRate_Refused()
    {
        byte[] format = TestWavs.Format(1, 2, 8000, 16);
        format[12] = 2; // block align 2 for 2 channels of 16 bits (4 expected)
        TestWavs.Refused(TestWavs.Riff(TestWavs.Chunk("fmt ", format), TestWavs.Chunk("data", new byte[8])), "32", "expected 4");

        format = TestWavs.Format(1, 1, 8000, 16);
        format[8] = 1; // byte rate 0x3E80 (16000) with its low byte set to 1: 0x3E01 = 15873, for 2 bytes x 8000
        TestWavs.Refused(TestWavs.Riff(TestWavs.Chunk("fmt ", format), TestWavs.Chunk("data", new byte[8])), "28", "15873 bytes per second", "expected 16000");
    }

    [Fact]
    public void Decode_NoDataOrTwoDataChunks_Refused()
    {
        TestWavs.Refused(TestWavs.Riff(TestWavs.Chunk("fmt ", TestWavs.Format(1, 1, 8000, 16))), "36", "without a 'data' chunk");
        TestWavs.Refused(TestWavs.Riff(TestWavs.Chunk("data", new byte[2])), "22", "without a 'fmt ' chunk");
        TestWavs.Refused(TestWavs.Riff(TestWavs.Chunk("fmt ", TestWavs.Format(1, 1, 8000, 16)), TestWavs.Chunk("data", new byte[2]), TestWavs.Chunk("data", new byte[2])), "46", "second 'data'");
    }

    [Fact]
    public void Decode_ChunksInAnyOrder_UnknownChunksSkippedOddOnesPadded()
    {
        short[] samples = [5, -6, 7];
        byte[] bytes = TestWavs.Riff(
            TestWavs.Chunk("LIST", [1, 2, 3]), // odd: followed by a pad byte
            TestWavs.Chunk("data", TestWavs.Samples(samples)),
            TestWavs.Chunk("junk", [9]),
            TestWavs.Chunk("fmt ", TestWavs.Format(1, 1, 44100, 16)),
            TestWavs.Chunk("id3 ", [1, 2, 3], pad: false)); // last odd chunk without its pad byte: accepted

        WavClip clip = WavDecoding.Decode(bytes, "clip.wav");

        Assert.Equal((3, 1, 44100), (clip.Frames, clip.Channels, clip.SamplingRate));
        Assert.Equal(samples.Select(s => s / 32768f), clip.Samples);
    }

    [Fact]
    public void Decode_PartialLastFrame_DroppedAsTensorFlow()
    {
        // wav_io.cc reads size / block align frames: 6 bytes of stereo are 1 frame (the 2 bytes of a half frame dropped).
        byte[] bytes = TestWavs.Riff(TestWavs.Chunk("fmt ", TestWavs.Format(1, 2, 8000, 16)), TestWavs.Chunk("data", TestWavs.Samples([1, 2, 3])));

        WavClip clip = WavDecoding.Decode(bytes, "clip.wav");

        Assert.Equal((1, 2), (clip.Frames, clip.Channels));
        Assert.Equal([1 / 32768f, 2 / 32768f], clip.Samples);
    }

    [Fact]
    public void Decode_CutChunkAfterWholeFrameSamples_IgnoredAsTensorFlow()
    {
        // After the data chunk wav_io.cc reads 'LIST', adds its 100 bytes to the offset, which passes the end: done.
        byte[] bytes = TestWavs.Riff(TestWavs.Chunk("fmt ", TestWavs.Format(1, 2, 8000, 16)), TestWavs.Chunk("data", TestWavs.Samples([1, 2, 3, 4])), TestWavs.Chunk("LIST", [1, 2], size: 100));

        WavClip clip = WavDecoding.Decode(bytes, "clip.wav");

        Assert.Equal([1 / 32768f, 2 / 32768f, 3 / 32768f, 4 / 32768f], clip.Samples);
    }

    [Fact]
    public void Decode_OddDataChunkBeforeFmt_NextChunkFoundAfterThePadByte()
    {
        // Deliberately lenient (WavDecoding's remarks): RIFF's reading. TensorFlow refuses data before fmt, and after an
        // odd data chunk goes on after the last whole frame, reading the partial frame's bytes as a chunk header.
        byte[] bytes = TestWavs.Riff(TestWavs.Chunk("data", [1, 0, 2, 0, 3]), TestWavs.Chunk("fmt ", TestWavs.Format(1, 2, 8000, 16)));

        WavClip clip = WavDecoding.Decode(bytes, "clip.wav");

        Assert.Equal((1, 2, 8000), (clip.Frames, clip.Channels, clip.SamplingRate));
        Assert.Equal([1 / 32768f, 2 / 32768f], clip.Samples);
    }

    [Fact]
    public void Load_BadFileInAFolder_MessageNamesItsPath()
    {
        using var folder = new TempFolder();
        TestWavs.Write(folder.File("c", "good.wav"), [1, 2]);
        string bad = folder.File("c", "bad.wav");
        File.WriteAllBytes(bad, TestWavs.Pcm16([1, 2, 3])[..^1]);

        var error = Assert.Throws<InvalidDataException>(() => AudioFolder.Load(folder.Root, new AudioFolderOptions { Shuffle = false }));

        Assert.Contains($"'{bad}'", error.Message);
        Assert.Contains("at byte 36", error.Message);
    }

    [Fact]
    public void Load_FixedLengthWithDifferentChannels_RefusedNamingBothFiles()
    {
        using var folder = new TempFolder();
        TestWavs.Write(folder.File("c", "mono.wav"), [1, 2]);
        TestWavs.Write(folder.File("c", "stereo.wav"), [1, 2], channels: 2);

        var error = Assert.Throws<InvalidDataException>(() => AudioFolder.Load(folder.Root, new AudioFolderOptions { Shuffle = false, OutputSequenceLength = 2 }));

        Assert.Contains("mono.wav", error.Message);
        Assert.Contains("stereo.wav", error.Message);
    }

    [Theory]
    [InlineData("Ragged")]
    [InlineData("OutputSequenceLength")]
    [InlineData("SamplingRate")]
    [InlineData("BatchSize")]
    [InlineData("Seed")]
    public void Load_BadOption_RefusedNamingItBeforeTheFolderIsRead(string option)
    {
        AudioFolderOptions options = option switch
        {
            "Ragged" => new() { Ragged = true, OutputSequenceLength = 100 },
            "OutputSequenceLength" => new() { OutputSequenceLength = 0 },
            "SamplingRate" => new() { SamplingRate = -16000 },
            "BatchSize" => new() { BatchSize = 0 },
            _ => new() { ValidationSplit = 0.2, Subset = FolderSubset.Training },
        };

        // The folder does not exist: the options are checked first.
        var error = Assert.Throws<ArgumentException>(() => AudioFolder.Load(Path.Combine(Path.GetTempPath(), "no such folder"), options));
        Assert.Contains(option, error.Message);
        Assert.Equal("options", error.ParamName);
    }
}
