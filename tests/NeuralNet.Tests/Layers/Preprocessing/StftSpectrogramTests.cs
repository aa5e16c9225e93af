using FsCheck.Xunit;
using NeuralNet.Initializers;
using NeuralNet.Kernels;
using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Serialization;
using NeuralNet.Tests.GradientChecking;
using NeuralNet.Tests.Layers.Normalization;
using Xunit;

namespace NeuralNet.Tests.Layers.Preprocessing;

public class StftSpectrogramTests
{
    private const string Seed = "(20261205,25)";

    [Property(Replay = Seed, MaxTest = 60)]
    public void Forward_RandomGeometry_EqualsAFloat64Dft(long seed)
    {
        // Every mode from one float64 DFT of each frame: re/im, p = re² + im², then Keras' per-mode formula.
        var random = new SeededRandom(seed);
        int frameLength = 2 + random.NextInt(30), step = 1 + random.NextInt(frameLength), fft = frameLength + random.NextInt(20);
        int channels = 1 + random.NextInt(3), steps = frameLength + random.NextInt(40), batch = 1 + random.NextInt(2);
        bool same = random.NextInt(2) == 1, expand = random.NextInt(2) == 1, periodic = random.NextInt(2) == 1;
        var window = (SpectralWindow)random.NextInt(4);
        var scaling = (SpectrogramScaling)random.NextInt(3);
        var mode = (SpectrogramMode)random.NextInt(7);
        var layer = new StftSpectrogram(mode, frameLength, step, fft, window, periodic, scaling, same ? Padding.Same : Padding.Valid, expand);
        Tensor x = Tensor.RandomNormal(new TensorShape(batch, steps, channels), seed);
        float[] y = layer.Forward(x, training: false).ToArray();

        int frames = same ? (steps + step - 1) / step : ((steps - frameLength) / step) + 1;
        int padBefore = same ? Math.Max(((frames - 1) * step) + frameLength - steps, 0) / 2 : 0;
        int bins = (fft / 2) + 1, features = mode == SpectrogramMode.Stft ? 2 * bins : bins;
        Assert.Equal(batch * frames * channels * features, y.Length);
        double[] w = new double[frameLength];
        Spectral.Window(window, periodic, w);
        double scale = Spectral.WindowScale(w, scaling, window != SpectralWindow.None);
        double[] re = new double[frames * bins], im = new double[frames * bins];
        float[] xs = x.ToArray(), signal = new float[steps];
        for (int b = 0; b < batch; b++)
        {
            for (int c = 0; c < channels; c++)
            {
                for (int t = 0; t < steps; t++)
                {
                    signal[t] = xs[(((b * steps) + t) * channels) + c];
                }

                // Keras' kernels evaluate the DFT at 2 (bins − 1) points, which is fft for even sizes and fft − 1 for odd ones.
                Spectral.ReferenceStft(signal, frames, step, padBefore, w, 0, scale, 2 * (bins - 1), bins, re, im);
                for (int o = 0; o < frames; o++)
                {
                    for (int f = 0; f < bins; f++)
                    {
                        double r = re[(o * bins) + f], i = im[(o * bins) + f], p = (r * r) + (i * i);
                        int at(int feature) => expand ? (((((b * frames) + o) * features) + feature) * channels) + c : (((b * frames) + o) * channels * features) + (c * features) + feature;
                        double magnitude = Math.Sqrt(Math.Max(p, 1e-7));
                        double expected = mode switch
                        {
                            SpectrogramMode.Real or SpectrogramMode.Stft => r,
                            SpectrogramMode.Imag => i,
                            SpectrogramMode.Psd => f > 0 && f < bins - 1 ? 2 * p : p,
                            SpectrogramMode.Magnitude => magnitude,
                            SpectrogramMode.Log => Math.Log(magnitude),
                            _ => Math.Atan2(i, r),
                        };
                        double tolerance = mode == SpectrogramMode.Angle ? 1e-3 : 1e-4 * (1 + Math.Abs(expected));
                        if (mode == SpectrogramMode.Angle && Math.Sqrt(p) < 1e-3)
                        {
                            continue; // the phase of a near-zero bin is rounding noise in float32
                        }

                        if (mode == SpectrogramMode.Log && p < 1e-5)
                        {
                            tolerance = 1e-2;
                        }

                        Assert.True(Math.Abs(y[at(f)] - expected) <= tolerance, $"{mode} frame {o} bin {f}: {y[at(f)]} vs {expected}");
                        if (mode == SpectrogramMode.Stft)
                        {
                            Assert.True(Math.Abs(y[at(bins + f)] - i) <= 1e-4 * (1 + Math.Abs(i)), $"stft imaginary frame {o} bin {f}: {y[at(bins + f)]} vs {i}");
                        }
                    }
                }
            }
        }
    }

    [Fact]
    public void Forward_CosineAtABin_SpectrumScalingReadsHalfItsAmplitude()
    {
        // x = 3 cos(2π·5t/64) over one 64-sample frame under a periodic hann window (Σw = 32), spectrum scaling (÷ Σw):
        // |X[5]| = 3·(64/4)/32 = 1.5, |X[4]| = |X[6]| = 3·(64/8)/32 = 0.75, every other bin 0; psd doubles interior bins: 2·1.5² = 4.5.
        // Without a window Keras applies no scaling at all (its initializer scales only a window): |X[5]| = 3·64/2 = 96.
        float[] signal = [.. Enumerable.Range(0, 64).Select(t => (float)(3 * Math.Cos(2 * Math.PI * 5 * t / 64)))];
        Tensor x = Tensor.FromArray(signal, 1, 64, 1);
        float[] magnitude = new StftSpectrogram(SpectrogramMode.Magnitude, 64, periodic: true, scaling: SpectrogramScaling.Spectrum).Forward(x, false).ToArray();
        float[] psd = new StftSpectrogram(SpectrogramMode.Psd, 64, periodic: true, scaling: SpectrogramScaling.Spectrum).Forward(x, false).ToArray();
        float[] plain = new StftSpectrogram(SpectrogramMode.Magnitude, 64, window: SpectralWindow.None, scaling: SpectrogramScaling.Spectrum).Forward(x, false).ToArray();
        Assert.Equal(33, magnitude.Length);
        Assert.Equal(1.5f, magnitude[5], 5);
        Assert.Equal(0.75f, magnitude[4], 5);
        Assert.Equal(0.75f, magnitude[6], 5);
        Assert.Equal(4.5f, psd[5], 4);
        Assert.Equal(96f, plain[5], 3);
        Assert.All(magnitude.Where((_, f) => f is < 4 or > 6), v => Assert.True(v < 1e-3f, $"{v}"));
    }

    [Fact]
    public void Build_KerasTestShapes_MatchKerasLayerTests()
    {
        // stft_spectrogram_test.py, test_spectrogram_basics: expected output shapes and weight counts.
        AssertShape(new StftSpectrogram(SpectrogramMode.Stft, 500, 25, 1024), [16000, 1], [(15500 / 25) + 1, 513 * 2], 2);
        AssertShape(new StftSpectrogram(SpectrogramMode.Real, 150, 71, 4096), [160000, 1], [(159850 / 71) + 1, 2049], 1);
        AssertShape(new StftSpectrogram(SpectrogramMode.Imag, 150, 43, 512, padding: Padding.Same), [160000, 1], [(160000 / 43) + 1, 257], 1);
        AssertShape(new StftSpectrogram(frameLength: 150, frameStep: 10, fftLength: 512, padding: Padding.Same), [160000, 3], [160000 / 10, 257 * 3], 2);
        AssertShape(new StftSpectrogram(frameLength: 150, frameStep: 10, fftLength: 512, padding: Padding.Same, expandDims: true), [160000, 3], [160000 / 10, 257, 3], 2);

        // The docstring: frame 256, step 128, fft 512 on 10 s at 16 kHz -> (1249, 257); 'same' with 2 channels -> (1250, 514).
        AssertShape(new StftSpectrogram(frameLength: 256, frameStep: 128, fftLength: 512), [160000, 1], [1249, 257], 2);
        AssertShape(new StftSpectrogram(frameLength: 256, frameStep: 128, fftLength: 512, window: SpectralWindow.Hamming, padding: Padding.Same), [160000, 2], [1250, 514], 2);

        // test_tf_data_compatibility: fft 715 (not a power of two) -> 358 bins.
        AssertShape(new StftSpectrogram(frameLength: 256, frameStep: 128, fftLength: 715, padding: Padding.Same, scaling: SpectrogramScaling.None), [16000, 1], [16000 / 128, 358], 2);

        static void AssertShape(StftSpectrogram layer, int[] input, int[] output, int weights)
        {
            layer.Build(new TensorShape(input));
            Assert.Equal(new TensorShape(output), layer.OutputShape);
            Assert.Equal(weights, layer.Parameters.Count);
            Assert.All(layer.Parameters, p => Assert.Equal(new TensorShape(layer.FrameLength, 1, (layer.FftLength / 2) + 1), p.Value.Shape));
        }
    }

    [Fact]
    public void Build_Defaults_AreKeras()
    {
        var layer = new StftSpectrogram();
        Assert.Equal(SpectrogramMode.Log, layer.Mode);
        Assert.Equal(256, layer.FrameLength);
        Assert.Equal(128, layer.FrameStep);
        Assert.Equal(256, layer.FftLength);
        Assert.Equal(512, new StftSpectrogram(frameLength: 300).FftLength);
        layer.Build(new TensorShape(1000, 1));
        Assert.Equal(["real_kernel", "imag_kernel"], layer.Parameters.Select(p => p.Name));
        Assert.True(layer.Trainable);
        Assert.Equal(2 * 256 * 129, layer.TrainableParameterCount);
    }

    [Theory]
    [InlineData(SpectrogramMode.Real)]
    [InlineData(SpectrogramMode.Imag)]
    [InlineData(SpectrogramMode.Stft)]
    [InlineData(SpectrogramMode.Psd)]
    [InlineData(SpectrogramMode.Magnitude)]
    [InlineData(SpectrogramMode.Log)]
    [InlineData(SpectrogramMode.Angle)]
    public void Backward_EveryMode_MatchesNumericalGradients(SpectrogramMode mode)
    {
        // Random signals keep |X| well away from 0, where log, magnitude and angle are singular.
        var layer = new StftSpectrogram(mode, 8, 3, 10, padding: Padding.Same, expandDims: mode == SpectrogramMode.Psd);
        Tensor x = Tensor.RandomNormal(new TensorShape(2, 17, 2), 7);
        var options = new GradientCheckOptions { MaxElementsPerVariable = 400 };
        if (mode == SpectrogramMode.Angle)
        {
            // The DC and Nyquist rows of the initial imaginary kernel are 0, so im = 0 there for every real signal: on atan2's
            // branch cut (a jump of 2π where re < 0). A trained kernel leaves it; so does this nudge.
            layer.Forward(x, training: false);
            Span<float> kernel = layer.ImagKernel!.Value.AsSpan();
            float[] nudge = Tensor.RandomNormal(layer.ImagKernel.Value.Shape, 9, 0f, 0.05f).ToArray();
            for (int i = 0; i < kernel.Length; i++)
            {
                kernel[i] += nudge[i];
            }
        }

        GradientChecker.CheckLayer(layer, x, seed: 3, options).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void Backward_Frozen_StillPassesTheInputGradient()
    {
        var layer = new StftSpectrogram(SpectrogramMode.Log, 8, 4, 8, window: SpectralWindow.Hamming, scaling: SpectrogramScaling.Spectrum) { Trainable = false };
        GradientCheckReport report = GradientChecker.CheckLayer(layer, Tensor.RandomNormal(new TensorShape(2, 20, 1), 8), seed: 4);
        report.AssertPassed(maxKinkFraction: 0);
        Assert.Equal(0, layer.TrainableParameterCount);
    }

    [Fact]
    public void SaveLoad_InAModel_RoundTripsBitForBit()
    {
        Sequential model = LayerTestKit.TrainedModel([40, 2], 4, new StftSpectrogram(SpectrogramMode.Magnitude, 16, 8, 32, SpectralWindow.Blackman, periodic: true));
        LayerTestKit.AssertRoundTrip(model, LayerTestKit.Data([40, 2], 4).X);
    }

    [Fact]
    public void Config_HasKerasKeys_AndReadsAKerasConfig()
    {
        string json = new StftSpectrogram().GetConfig().ToJson();
        Assert.Contains("\"mode\":\"log\",\"frame_length\":256,\"frame_step\":null,\"fft_length\":null,\"window\":\"hann\",\"periodic\":false,\"scaling\":\"density\",\"padding\":\"valid\",\"data_format\":\"channels_last\",\"expand_dims\":false", json, StringComparison.Ordinal);
        var keras = HashingTests.Read("""{"name": "stft", "trainable": false, "dtype": "float32", "mode": "psd", "frame_length": 150, "frame_step": 10, "fft_length": 512, "window": null, "periodic": true, "scaling": null, "padding": "same", "data_format": "channels_last", "expand_dims": true}""");
        var layer = StftSpectrogram.FromConfig(keras);
        Assert.Equal((SpectrogramMode.Psd, 150, 10, 512, SpectralWindow.None, true, SpectrogramScaling.None, Padding.Same, true),
            (layer.Mode, layer.FrameLength, layer.FrameStep, layer.FftLength, layer.Window, layer.Periodic, layer.Scaling, layer.Padding, layer.ExpandDims));
        Assert.False(((StftSpectrogram)SerializationRegistry.Recreate(new StftSpectrogram { Trainable = false })).Trainable);
        Assert.Throws<InvalidDataException>(() => StftSpectrogram.FromConfig(HashingTests.Read("""{"window": "tukey"}""")));
        Assert.Throws<InvalidDataException>(() => StftSpectrogram.FromConfig(HashingTests.Read("""{"data_format": "channels_first"}""")));
        Assert.Throws<InvalidDataException>(() => StftSpectrogram.FromConfig(HashingTests.Read("""{"mode": "spectrogram"}""")));
    }

    [Fact]
    public void StftInitializer_IsRegisteredUnderItsKerasName()
    {
        var initializer = new StftInitializer(true, SpectralWindow.Hamming, SpectrogramScaling.Spectrum, periodic: true);
        Assert.Equal("""{"side":"imag","window":"hamming","periodic":true,"scaling":"spectrum"}""", initializer.GetConfig().ToJson());
        Config saved = new Config().Set("k", initializer);
        Assert.Contains("\"class_name\":\"STFTInitializer\"", saved.ToJson(), StringComparison.Ordinal);
        var back = Assert.IsType<StftInitializer>(saved.GetInitializer("k"));
        var alias = Assert.IsType<StftInitializer>(HashingTests.Read("""{"k": {"class_name": "STFT", "config": {"side": "real", "window": null, "periodic": false, "scaling": null}}}""").GetInitializer("k"));
        Assert.Equal((false, SpectralWindow.None, SpectrogramScaling.None), (alias.Imaginary, alias.Window, alias.Scaling));
        Assert.Equal((true, SpectralWindow.Hamming, SpectrogramScaling.Spectrum, true), (back.Imaginary, back.Window, back.Scaling, back.Periodic));
        float[] values = new float[4 * 3];
        back.Initialize(values, new TensorShape(4, 1, 3), 0);
        Assert.Equal(0f, values[0]); // sin(0) = 0 on the imaginary side
        Assert.Throws<ArgumentException>(() => back.Initialize(new float[8], new TensorShape(4, 2), 0));
    }

    [Fact]
    public void BadArguments_AreRefusedByName()
    {
        // stft_spectrogram_test.py, test_exceptions.
        Assert.Equal("frameStep", Assert.Throws<ArgumentOutOfRangeException>(() => new StftSpectrogram(frameLength: 256, frameStep: 1024, fftLength: 512)).ParamName);
        Assert.Equal("frameStep", Assert.Throws<ArgumentOutOfRangeException>(() => new StftSpectrogram(frameLength: 256, frameStep: 0, fftLength: 512)).ParamName);
        var fft = Assert.Throws<ArgumentOutOfRangeException>(() => new StftSpectrogram(frameLength: 256, frameStep: 32, fftLength: 128));
        Assert.Equal("fftLength", fft.ParamName);
        Assert.Contains("fftLength=128, frameLength=256", fft.Message, StringComparison.Ordinal);
        Assert.Equal("padding", Assert.Throws<ArgumentOutOfRangeException>(() => new StftSpectrogram(padding: Padding.Causal)).ParamName);
        Assert.Equal("mode", Assert.Throws<ArgumentOutOfRangeException>(() => new StftSpectrogram((SpectrogramMode)9)).ParamName);
        Assert.Equal("frameLength", Assert.Throws<ArgumentOutOfRangeException>(() => new StftSpectrogram(frameLength: 1)).ParamName);

        var wrongRank = Assert.Throws<ArgumentException>(() => new StftSpectrogram(name: "spec").Build(new TensorShape(1000)));
        Assert.Contains("STFTSpectrogram 'spec' expects input (None, steps, channels) but got (None, 1000)", wrongRank.Message, StringComparison.Ordinal);
        var tooShort = Assert.Throws<ArgumentException>(() => new StftSpectrogram(name: "spec").Build(new TensorShape(100, 1)));
        Assert.Contains("a frame of 256 samples does not fit input (None, 100, 1)", tooShort.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Training_AllocatesNothingAfterWarmUp() =>
        LayerTestKit.AssertTrainingAllocatesNothing([48, 2], new StftSpectrogram(SpectrogramMode.Log, 16, 8, 16, padding: Padding.Same));

    [Fact]
    public void Training_SameBitsWithOneAndTwoThreads() =>
        LayerTestKit.AssertSameBitsWithOneAndTwoThreads([64, 2], () => [new StftSpectrogram(SpectrogramMode.Magnitude, 16, 4, 32)]);
}
