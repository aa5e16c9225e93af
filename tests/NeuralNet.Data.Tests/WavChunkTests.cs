using Xunit;

namespace NeuralNet.Data.Tests;

/// <summary>
/// The chunk rules of tf.audio.decode_wav (tensorflow/core/lib/wav/wav_io.cc, DecodeLin16WaveAsFloatVector): after the
/// first 'fmt ' every chunk is read as id and size, refused when the size is above int32's maximum, skipped unless it is
/// 'data'; a data chunk needs 2 x (size / bytes_per_sample) x channels bytes and reading goes on after them. Byte offsets
/// are those of TestWavs' layout: 'fmt ' at 12 (its fields from 20), the next chunk at 36.
/// </summary>
public class WavChunkTests
{
    private static readonly byte[] s_stereo = TestWavs.Chunk("fmt ", TestWavs.Format(1, 2, 8000, 16));

    [Fact]
    public void Decode_SecondFmtChunk_SkippedAsTensorFlow()
    {
        // wav_io.cc parses the first 'fmt ' and skips every later chunk but 'data': a second one, even a broken one, is ignored.
        byte[] bytes = TestWavs.Riff(
            TestWavs.Chunk("fmt ", TestWavs.Format(1, 1, 8000, 16)),
            TestWavs.Chunk("fmt ", TestWavs.Format(1, 2, 44100, 16)),
            TestWavs.Chunk("fmt ", [1, 2, 3]),
            TestWavs.Chunk("data", TestWavs.Samples([7, -8])));

        WavClip clip = WavDecoding.Decode(bytes, "clip.wav");

        Assert.Equal((2, 1, 8000), (clip.Frames, clip.Channels, clip.SamplingRate));
        Assert.Equal([7 / 32768f, -8 / 32768f], clip.Samples);
    }

    [Fact]
    public void Decode_FileEndsAfterTheWholeFramesOfACutDataChunk_ReadAsTensorFlow()
    {
        // Stereo, 6 bytes declared, 4 present: size / 4 = 1 frame, 2 x 1 x 2 = 4 bytes needed, then the file ends.
        byte[] bytes = TestWavs.Riff(s_stereo, TestWavs.Chunk("data", TestWavs.Samples([5, -6]), size: 6));

        WavClip clip = WavDecoding.Decode(bytes, "clip.wav");

        Assert.Equal((1, 2), (clip.Frames, clip.Channels));
        Assert.Equal([5 / 32768f, -6 / 32768f], clip.Samples);
    }

    [Fact]
    public void Decode_CutDataChunkMissingWholeFramesOrEndingInsideAPartialOne_RefusedAsTensorFlow()
    {
        // 8 bytes declared (2 frames), 6 present: wav_io.cc's IncrementOffset refuses the 8 bytes it needs.
        TestWavs.Refused(TestWavs.Riff(s_stereo, TestWavs.Chunk("data", TestWavs.Samples([1, 2, 3]), size: 8)), "36", "declares 8 bytes", "2 whole frame(s) of 4 bytes", "ends 6 bytes after its header", "truncated");

        // 6 bytes declared (1 frame), 5 present: after the frame wav_io.cc reads a 4-byte chunk id from the 1 byte left.
        TestWavs.Refused(TestWavs.Riff(s_stereo, TestWavs.Chunk("data", [1, 0, 2, 0, 3], size: 6, pad: false)), "36", "declares 6 bytes", "1 whole frame(s) of 4 bytes", "ends 5 bytes after its header");
    }

    [Fact]
    public void Decode_ChunkAfterFmtDeclaringMoreThanInt32Max_RefusedAsTensorFlow()
    {
        // "WAV data chunk 'LIST' is too large: 2147483648 bytes, but the limit is 2147483647", for any chunk after fmt.
        byte[] bytes = TestWavs.Riff(s_stereo, TestWavs.Chunk("data", TestWavs.Samples([1, 2])), TestWavs.Chunk("LIST", [1, 2], size: 1u << 31));
        TestWavs.Refused(bytes, "48", "'LIST'", "2147483648", "2147483647");
    }

    [Fact]
    public void Decode_TruncatedFmtChunk_RefusedAtTheChunk()
    {
        byte[] bytes = TestWavs.Riff(TestWavs.Chunk("fmt ", TestWavs.Format(1, 1, 8000, 16)[..10], size: 16));
        TestWavs.Refused(bytes, "12", "'fmt '", "declares 16 bytes", "ends 10 bytes after its header", "truncated");
    }

    [Fact]
    public void Decode_FmtChunkUnder16Bytes_RefusedAtTheChunk()
    {
        byte[] bytes = TestWavs.Riff(TestWavs.Chunk("fmt ", TestWavs.Format(1, 1, 8000, 16)[..14]), TestWavs.Chunk("data", new byte[2]));
        TestWavs.Refused(bytes, "12", "14 bytes", "expected 16 or 18");
    }

    [Fact]
    public void Decode_ZeroChannels_RefusedAtTheChannelsField()
    {
        // wav_io.cc: "Bad number of channels for WAV: Expected at least 1, but got 0".
        byte[] bytes = TestWavs.Riff(TestWavs.Chunk("fmt ", TestWavs.Format(1, 0, 8000, 16)), TestWavs.Chunk("data", new byte[2]));
        TestWavs.Refused(bytes, "22", "0 channels", "at least 1");
    }

    [Fact]
    public void Decode_CutChunkBeforeTheSamples_RefusedAsTruncated()
    {
        // wav_io.cc steps past the end and then finds no data chunk; NeuralNet names the cut chunk.
        byte[] bytes = TestWavs.Riff(s_stereo, TestWavs.Chunk("LIST", [1, 2], size: 100));
        TestWavs.Refused(bytes, "36", "'LIST' chunk declares 100 bytes", "truncated");
    }
}
