using FsCheck.Xunit;
using NeuralNet.Kernels;
using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Tests.GradientChecking;
using NeuralNet.Tests.Layers.Normalization;
using Xunit;

namespace NeuralNet.Tests.Layers.Preprocessing;

public class MelSpectrogramTests
{
    private const string Seed = "(20261205,27)";

    [Property(Replay = Seed, MaxTest = 40)]
    public void Forward_RandomGeometry_EqualsAFloat64Reference(long seed)
    {
        var random = new SeededRandom(seed);
        int fft = 4 + random.NextInt(60), length = 1 + random.NextInt(fft), stride = 1 + random.NextInt(fft);
        int samples = (fft / 2) + 1 + random.NextInt(80), batch = 1 + random.NextInt(3), mels = 1 + random.NextInt(12);
        var window = (SpectralWindow)random.NextInt(3);
        bool db = random.NextInt(2) == 1;
        double magExp = random.NextInt(2) == 1 ? 2.0 : 1.0 + random.NextDouble();
        var layer = new MelSpectrogram(fft, stride, length, window, 8000, mels, 30.0, null, db, 40.0, magExp);
        Tensor x = Tensor.RandomNormal(new TensorShape(batch, samples), seed);
        float[] y = layer.Forward(x, training: false).ToArray();
        double[] expected = Reference(x.ToArray(), batch, samples, fft, stride, length, window, 8000, mels, 30.0, 4000.0, db, 40.0, magExp, 1e-10, 1.0, out int frames);
        Assert.Equal(batch * mels * frames, y.Length);
        Assert.Equal(new TensorShape(mels, frames), layer.OutputShape);
        for (int k = 0; k < y.Length; k++)
        {
            double tolerance = db ? 2e-3 : 1e-4 * (1 + Math.Abs(expected[k]));
            Assert.True(Math.Abs(y[k] - expected[k]) <= tolerance, $"element {k}: {y[k]} vs {expected[k]}");
        }
    }

    [Fact]
    public void Forward_CosineAtABin_IsTheFilterbankOfItsHannSpectrum()
    {
        // A cosine of amplitude A at bin k0 under a periodic hann window of N = fft samples: |X[k0]| = A·N/4,
        // |X[k0 ± 1]| = A·N/8, every other bin 0 (in frames that lie inside the signal). power_to_db off, mag_exp 2.
        const int fft = 64, k0 = 9, stride = 16, samples = 256;
        const double amplitude = 0.5;
        float[] signal = [.. Enumerable.Range(0, samples).Select(t => (float)(amplitude * Math.Cos(2 * Math.PI * k0 * t / fft)))];
        var layer = new MelSpectrogram(fft, stride, samplingRate: 8000, numMelBins: 10, minFreq: 0, powerToDb: false);
        float[] y = layer.Forward(Tensor.FromArray(signal, 1, samples), training: false).ToArray();
        int frames = (samples / stride) + 1, bins = (fft / 2) + 1;
        float[] w = new float[bins * 10];
        Spectral.MelWeights(10, bins, 8000, 0, 4000, w);
        double peak = amplitude * fft / 4, side = amplitude * fft / 8;
        for (int m = 0; m < 10; m++)
        {
            double expected = (w[(k0 * 10) + m] * peak * peak) + ((w[((k0 - 1) * 10) + m] + w[((k0 + 1) * 10) + m]) * side * side);
            for (int o = 2; o < frames - 2; o++)
            {
                Assert.True(Math.Abs(y[(m * frames) + o] - expected) <= 1e-4 * (1 + expected), $"band {m} frame {o}: {y[(m * frames) + o]} vs {expected}");
            }
        }
    }

    [Theory]
    // mel_spectrogram_test.py: test_mel_spectrogram_basics and test_output_shape (frames = 1 + samples // stride for even fft).
    [InlineData(16000, 80, 128, 2048, 8000, 126)]
    [InlineData(16001, 80, 128, 2048, 16000, 126)]
    [InlineData(8000, 128, 64, 512, 32000, 126)]
    public void Forward_KerasTestShapes(int samples, int mels, int stride, int fft, int rate, int frames)
    {
        var layer = new MelSpectrogram(fft, stride, samplingRate: rate, numMelBins: mels);
        Tensor y = layer.Forward(Tensor.RandomUniform(new TensorShape(2, samples), 1, 0f, 1f), training: false);
        Assert.Equal(new TensorShape(2, mels, frames), y.Shape);
        Assert.Empty(layer.Parameters);
        Assert.All(y.ToArray(), v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void Forward_AllZeros_IsTheFloorEverywhere()
    {
        // mel_spectrogram_test.py's all-zero case: every power is clipped to min_power: 10·log10(1e-10) = -100 dB.
        float[] y = new MelSpectrogram(512, 64, samplingRate: 32000).Forward(Tensor.Zeros(2, 8000), training: false).ToArray();
        Assert.All(y, v => Assert.Equal(-100f, v, 4));
    }

    [Fact]
    public void Forward_TopDb_ClipsAtTheBatchMaximumMinusTopDb()
    {
        var layer = new MelSpectrogram(64, 16, samplingRate: 8000, numMelBins: 16, topDb: 20.0);
        float[] y = layer.Forward(Tensor.RandomNormal(new TensorShape(2, 200), 3), training: false).ToArray();
        float max = y.Max();
        Assert.Equal(max - 20f, y.Min(), 4);
        Assert.Contains(y, v => v == max - 20f);
    }

    [Theory]
    [InlineData(true, 2.0)]
    [InlineData(false, 2.0)]
    [InlineData(false, 1.0)]
    [InlineData(true, 1.5)]
    public void Backward_MatchesNumericalGradients(bool powerToDb, double magExp)
    {
        // top_db 200 keeps the floor from clipping anything, and the default min_power never clips random signals: the
        // dB function is smooth at every checked point. Hamming with a shorter window exercises the offset.
        var layer = new MelSpectrogram(16, 5, 12, SpectralWindow.Hamming, 8000, 6, 50.0, null, powerToDb, 200.0, magExp);
        Tensor x = Tensor.RandomNormal(new TensorShape(2, 30), 11);
        GradientChecker.CheckLayer(layer, x, seed: 5, new GradientCheckOptions { MaxElementsPerVariable = 60 }).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void Backward_ClippedValues_SendTheirGradientToTheMaximum()
    {
        // With a top_db that clips, the clipped outputs depend on the input only through the maximum: still exact.
        var layer = new MelSpectrogram(16, 4, window: SpectralWindow.None, samplingRate: 8000, numMelBins: 5, minFreq: 100, topDb: 3.0);
        Tensor x = Tensor.RandomNormal(new TensorShape(1, 24), 12);
        float[] y = layer.Forward(x, training: false).ToArray();
        Assert.Contains(y, v => v == y.Max() - 3f);
        GradientChecker.CheckLayer(layer, x, seed: 6, new GradientCheckOptions { MaxElementsPerVariable = 24 }).AssertPassed();
    }

    [Fact]
    public void SaveLoad_InAModel_RoundTripsBitForBit()
    {
        Sequential model = LayerTestKit.TrainedModel([100], 4, new MelSpectrogram(32, 8, 24, SpectralWindow.Hamming, 8000, 12, maxFreq: 3000));
        Model loaded = LayerTestKit.AssertRoundTrip(model, LayerTestKit.Data([100], 4).X);
        Assert.Equal(3000.0, loaded.Layers.OfType<MelSpectrogram>().Single().MaxFreq);
    }

    [Fact]
    public void Config_HasKerasKeys_AndReadsAKerasConfig()
    {
        string json = new MelSpectrogram().GetConfig().ToJson();
        Assert.Contains("\"fft_length\":2048,\"sequence_stride\":512,\"sequence_length\":2048,\"window\":\"hann\",\"sampling_rate\":16000,\"num_mel_bins\":128,\"min_freq\":20,\"max_freq\":8000,\"power_to_db\":true,\"top_db\":80,\"mag_exp\":2,\"min_power\":1E-10,\"ref_power\":1", json, StringComparison.Ordinal);
        MelSpectrogram layer = MelSpectrogram.FromConfig(HashingTests.Read("""{"name": "mel", "trainable": true, "dtype": "float32", "fft_length": 512, "sequence_stride": 128, "sequence_length": null, "window": null, "sampling_rate": 22050, "num_mel_bins": 40, "min_freq": 0.0, "max_freq": null, "power_to_db": false, "top_db": 60.0, "mag_exp": 1.0, "min_power": 1e-8, "ref_power": 2.0}"""));
        Assert.Equal((512, 128, 512, SpectralWindow.None, 22050, 40, 0.0, 11025.0, false, 60.0, 1.0, 1e-8, 2.0),
            (layer.FftLength, layer.SequenceStride, layer.SequenceLength, layer.Window, layer.SamplingRate, layer.NumMelBins, layer.MinFreq, layer.MaxFreq, layer.PowerToDb, layer.TopDb, layer.MagExp, layer.MinPower, layer.RefPower));
        Assert.Throws<InvalidDataException>(() => MelSpectrogram.FromConfig(HashingTests.Read("""{"window": "blackman"}""")));
        Assert.Throws<InvalidDataException>(() => MelSpectrogram.FromConfig(HashingTests.Read("""{"fft_length": 256, "sequence_length": 512}""")));
    }

    [Fact]
    public void BadArguments_AreRefusedByName()
    {
        // mel_spectrogram_test.py, test_invalid_fft_length_raises.
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new MelSpectrogram(fftLength: 256, sequenceStride: 256, sequenceLength: 512, numMelBins: 80));
        Assert.Contains("fftLength greater than or equal to sequenceLength", error.Message, StringComparison.Ordinal);
        Assert.Equal("sequenceLength", error.ParamName);
        Assert.Equal("maxFreq", Assert.Throws<ArgumentOutOfRangeException>(() => new MelSpectrogram(minFreq: 100, maxFreq: 50)).ParamName);
        Assert.Equal("window", Assert.Throws<ArgumentOutOfRangeException>(() => new MelSpectrogram(window: SpectralWindow.Blackman)).ParamName);
        Assert.Equal("minPower", Assert.Throws<ArgumentOutOfRangeException>(() => new MelSpectrogram(minPower: 0)).ParamName);
        Assert.Equal("numMelBins", Assert.Throws<ArgumentOutOfRangeException>(() => new MelSpectrogram(numMelBins: 0)).ParamName);
        var rank = Assert.Throws<ArgumentException>(() => new MelSpectrogram(name: "mel").Build(new TensorShape(16000, 1)));
        Assert.Contains("MelSpectrogram 'mel' expects input (None, samples) but got (None, 16000, 1)", rank.Message, StringComparison.Ordinal);
        var shortInput = Assert.Throws<ArgumentException>(() => new MelSpectrogram(name: "mel").Build(new TensorShape(1024)));
        Assert.Contains("input (None, 1024) is too short to reflect-pad by fftLength / 2 = 1024 samples", shortInput.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Training_AllocatesNothingAfterWarmUp() =>
        LayerTestKit.AssertTrainingAllocatesNothing([90], new Dense(90), new MelSpectrogram(32, 8, samplingRate: 8000, numMelBins: 8));

    [Fact]
    public void LinearToMelWeightMatrix_IsTheFilterbankOfTheLayersSettings_BeforeItIsBuilt()
    {
        var layer = new MelSpectrogram(48, 12, samplingRate: 11025, numMelBins: 7, minFreq: 100, maxFreq: 4000);
        Tensor weights = layer.LinearToMelWeightMatrix();
        Assert.Equal(new TensorShape(25, 7), weights.Shape);
        float[] expected = new float[25 * 7];
        Spectral.MelWeights(7, 25, 11025, 100, 4000, expected);
        Assert.Equal(expected, weights.ToArray());
        Assert.False(layer.IsBuilt);
    }

    [Property(Replay = Seed, MaxTest = 30)]
    public void WindowedDftMatrix_TimesAFrame_IsTheFramesWindowedDft(long seed)
    {
        // A frame of fft samples times the matrix against the float64 DFT of its windowed middle (ops.stft's centred window).
        var random = new SeededRandom(seed);
        int fft = 2 + random.NextInt(60), length = 1 + random.NextInt(fft), bins = (fft / 2) + 1;
        var window = (SpectralWindow)random.NextInt(3);
        var layer = new MelSpectrogram(fft, 4, length, window);
        int taps = window == SpectralWindow.None ? fft : length, offset = window == SpectralWindow.None ? 0 : (fft - length) / 2;
        double[] w = new double[taps];
        Spectral.Window(window, periodic: true, w);
        float[] frame = Tensor.RandomNormal(new TensorShape(fft), seed).ToArray();
        double[] re = new double[bins], im = new double[bins];
        Spectral.ReferenceStft(frame, 1, 1, -offset, w, offset, 1.0, fft, bins, re, im);
        foreach ((bool imaginary, double[] expected) in new[] { (false, re), (true, im) })
        {
            float[] matrix = layer.WindowedDftMatrix(imaginary).ToArray();
            Assert.Equal(fft * bins, matrix.Length);
            for (int f = 0; f < bins; f++)
            {
                double sum = 0;
                for (int t = 0; t < fft; t++)
                {
                    sum += frame[t] * (double)matrix[(t * bins) + f];
                    Assert.True(t >= offset && t < offset + taps || matrix[(t * bins) + f] == 0f, $"row {t} lies outside the window [{offset}, {offset + taps}) but is not zero");
                }

                Assert.True(Math.Abs(sum - expected[f]) <= 1e-5 * (1 + Math.Abs(expected[f])), $"fft {fft}, length {length}, {window}, bin {f} (imaginary: {imaginary}): {sum} vs {expected[f]}");
            }
        }
    }

    [Fact]
    public void Training_SameBitsWithOneAndTwoThreads() =>
        LayerTestKit.AssertSameBitsWithOneAndTwoThreads([120], () => [new Dense(120), new MelSpectrogram(64, 16, samplingRate: 8000, numMelBins: 16)]);

    // Keras' MelSpectrogram in float64: reflect pad, DFT of each windowed frame (window centred in the fft frame), |X|^e,
    // the mel matrix, the dB scale with the batch-wide top_db floor; output (batch, mels, frames).
    private static double[] Reference(float[] x, int batch, int samples, int fft, int stride, int length, SpectralWindow window, int rate, int mels,
        double minFreq, double maxFreq, bool db, double topDb, double magExp, double minPower, double refPower, out int frames)
    {
        int half = fft / 2, padded = samples + (2 * half), bins = half + 1;
        frames = ((padded - fft) / stride) + 1;
        int taps = window == SpectralWindow.None ? fft : length, offset = window == SpectralWindow.None ? 0 : (fft - length) / 2;
        double[] w = new double[taps];
        Spectral.Window(window, periodic: true, w);
        float[] weights = new float[bins * mels];
        Spectral.MelWeights(mels, bins, rate, minFreq, maxFreq, weights);
        double[] re = new double[frames * bins], im = new double[frames * bins], result = new double[batch * mels * frames];
        float[] signal = new float[padded];
        for (int b = 0; b < batch; b++)
        {
            for (int p = 0; p < padded; p++)
            {
                int t = p - half;
                t = t < 0 ? -t : t >= samples ? (2 * (samples - 1)) - t : t;
                signal[p] = x[(b * samples) + t];
            }

            // The window's first tap at offset within each fft frame: frame o starts at o·stride + offset of the padded signal.
            Spectral.ReferenceStft(signal, frames, stride, -offset, w, offset, 1.0, fft, bins, re, im);
            for (int o = 0; o < frames; o++)
            {
                for (int m = 0; m < mels; m++)
                {
                    double sum = 0;
                    for (int f = 0; f < bins; f++)
                    {
                        double magnitude = Math.Sqrt((re[(o * bins) + f] * re[(o * bins) + f]) + (im[(o * bins) + f] * im[(o * bins) + f]));
                        sum += Math.Pow(magnitude, magExp) * weights[(f * mels) + m];
                    }

                    result[(((b * mels) + m) * frames) + o] = db ? (10 * Math.Log10(Math.Max(sum, minPower))) - (10 * Math.Log10(Math.Max(Math.Abs(refPower), minPower))) : sum;
                }
            }
        }

        if (db)
        {
            double floor = result.Max() - topDb;
            for (int k = 0; k < result.Length; k++)
            {
                result[k] = Math.Max(result[k], floor);
            }
        }

        return result;
    }
}
