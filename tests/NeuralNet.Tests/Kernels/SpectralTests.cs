using NeuralNet.Kernels;
using NeuralNet.Layers;
using Xunit;

namespace NeuralNet.Tests.Kernels;

public class SpectralTests
{
    [Theory]
    // scipy.signal.get_window values: hann(5) symmetric, hann(4, fftbins=True), hamming(5), blackman(5), hamming(4) periodic.
    [InlineData(SpectralWindow.Hann, false, new[] { 0.0, 0.5, 1.0, 0.5, 0.0 })]
    [InlineData(SpectralWindow.Hann, true, new[] { 0.0, 0.5, 1.0, 0.5 })]
    [InlineData(SpectralWindow.Hamming, false, new[] { 0.08, 0.54, 1.0, 0.54, 0.08 })]
    [InlineData(SpectralWindow.Hamming, true, new[] { 0.08, 0.54, 1.0, 0.54 })]
    [InlineData(SpectralWindow.Blackman, false, new[] { 0.0, 0.34, 1.0, 0.34, 0.0 })]
    [InlineData(SpectralWindow.None, false, new[] { 1.0, 1.0, 1.0 })]
    [InlineData(SpectralWindow.Hann, false, new[] { 1.0 })]
    public void Window_SmallLengths_AreScipys(SpectralWindow window, bool periodic, double[] expected)
    {
        double[] actual = new double[expected.Length];
        Spectral.Window(window, periodic, actual);
        Assert.Equal(expected, actual, (a, b) => Math.Abs(a - b) < 1e-15);
    }

    [Fact]
    public void StftKernel_IsTheKerasInitializerFormula()
    {
        // STFTInitializer: kernel[t, 0, f] = cos/sin(−2π t f / N) · w[t] / sqrt(Σ w²), N = 2 (bins − 1) (here 8 for 5 bins).
        double[] w = new double[6];
        Spectral.Window(SpectralWindow.Hann, false, w);
        double scale = Spectral.WindowScale(w, SpectrogramScaling.Density, true);
        Assert.Equal(Math.Sqrt(w.Sum(v => v * v)), scale, 15);
        float[] re = new float[6 * 5], im = new float[6 * 5];
        Spectral.StftKernel(false, w, scale, 5, re);
        Spectral.StftKernel(true, w, scale, 5, im);
        for (int t = 0; t < 6; t++)
        {
            for (int f = 0; f < 5; f++)
            {
                double angle = -2 * t * (f / 8.0) * Math.PI;
                Assert.Equal((float)(Math.Cos(angle) * w[t] / scale), re[(t * 5) + f], 6);
                Assert.Equal((float)(Math.Sin(angle) * w[t] / scale), im[(t * 5) + f], 6);
            }
        }
    }

    [Fact]
    public void MelWeights_HtkTriangles_PeakAtOneWithAZeroDcRow()
    {
        // TensorFlow's linear_to_mel_weight_matrix doc values are reproduced from the formula: every column is a triangle in
        // mel space with peak ≤ 1, the DC row is 0, and a bin exactly at a band centre weighs 1 in that band.
        const int bins = 129, mels = 20;
        float[] w = new float[bins * mels];
        Spectral.MelWeights(mels, bins, 8000, 125, 3800, w);
        Assert.All(w[..mels], v => Assert.Equal(0f, v));
        for (int m = 0; m < mels; m++)
        {
            float peak = 0;
            for (int b = 0; b < bins; b++)
            {
                peak = Math.Max(peak, w[(b * mels) + m]);
            }

            Assert.InRange(peak, 0.5f, 1f);
        }

        // Bin 40 is 40 · 4000 / 128 = 1250 Hz; its weights are the two triangles around its mel value.
        double mel = Spectral.HertzToMel(1250), lo = Spectral.HertzToMel(125), hi = Spectral.HertzToMel(3800), step = (hi - lo) / (mels + 1);
        for (int m = 0; m < mels; m++)
        {
            double left = lo + (m * step), centre = left + step, right = centre + step;
            double expected = Math.Max(0, Math.Min((mel - left) / (centre - left), (right - mel) / (right - centre)));
            Assert.Equal(expected, w[(40 * mels) + m], 5);
        }
    }
}
