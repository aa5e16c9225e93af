using FsCheck.Xunit;
using NeuralNet.Kernels;
using Xunit;

namespace NeuralNet.Tests.Kernels;

/// <summary>Keras' RGB ↔ HSV conversions: the float32 kernel against its float64 twin, known colours, round trips, duals.</summary>
public class ColorSpaceTests
{
    private const string Seed = "(20261205,25)";

    // Pixels with values in [-0.5, 1.5], a third of them with two or three equal channels (the tie branches).
    private static float[] RandomPixels(SeededRandom random, int pixels)
    {
        var rgb = new float[pixels * 3];
        for (int i = 0; i < rgb.Length; i++)
        {
            rgb[i] = (random.NextSingle() * 2f) - 0.5f;
        }

        for (int p = 0; p < pixels; p++)
        {
            switch (random.NextInt(6))
            {
                case 0: rgb[(p * 3) + 1] = rgb[p * 3]; break;
                case 1: rgb[(p * 3) + 2] = rgb[(p * 3) + 1]; break;
                case 2: rgb[(p * 3) + 2] = rgb[(p * 3) + 1] = rgb[p * 3]; break;
            }
        }

        return rgb;
    }

    private static double CircularDistance(double a, double b)
    {
        double d = Math.Abs(a - b) % 1;
        return Math.Min(d, 1 - d);
    }

    [Property(Replay = Seed, MaxTest = 60)]
    public void RgbToHsv_RandomPixels_EqualsFloat64Reference(long seed)
    {
        var random = new SeededRandom(seed);
        float[] rgb = RandomPixels(random, random.NextInt(40) + 1);
        var hsv = new float[rgb.Length];
        var expected = new double[rgb.Length];
        ColorSpace.RgbToHsv(rgb, hsv);
        ColorSpace.RgbToHsvReference(Array.ConvertAll(rgb, v => (double)v), expected);
        for (int i = 0; i < rgb.Length; i += 3)
        {
            string pixel = $"pixel ({rgb[i]}, {rgb[i + 1]}, {rgb[i + 2]})";
            // Hue is circular: 1 - tiny in float64 may round to 1 in float32.
            Assert.True(CircularDistance(expected[i], hsv[i]) <= 1e-6, $"{pixel}: hue {hsv[i]} instead of {expected[i]}");
            Assert.True(Math.Abs(expected[i + 1] - hsv[i + 1]) <= 1e-6 * (1 + Math.Abs(expected[i + 1])), $"{pixel}: saturation {hsv[i + 1]} instead of {expected[i + 1]}");
            Assert.Equal(expected[i + 2], hsv[i + 2]);
        }
    }

    [Property(Replay = Seed, MaxTest = 60)]
    public void HsvToRgb_RandomPixels_EqualsFloat64Reference(long seed)
    {
        var random = new SeededRandom(seed);
        int pixels = random.NextInt(40) + 1;
        var hsv = new float[pixels * 3];
        for (int i = 0; i < hsv.Length; i += 3)
        {
            // Hues beyond [0, 1] exercise the mod; saturations beyond 1 occur in RandomSaturation with Keras' clip.
            hsv[i] = (random.NextSingle() * 3f) - 1f;
            hsv[i + 1] = random.NextSingle() * 1.5f;
            hsv[i + 2] = (random.NextSingle() * 2f) - 0.5f;
        }

        var rgb = new float[hsv.Length];
        var expected = new double[hsv.Length];
        ColorSpace.HsvToRgb(hsv, rgb);
        ColorSpace.HsvToRgbReference(Array.ConvertAll(hsv, v => (double)v), expected);
        for (int i = 0; i < hsv.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - rgb[i]) <= 2e-6 * (1 + Math.Abs(expected[i])), $"value {i}: {rgb[i]} instead of {expected[i]}");
        }
    }

    [Property(Replay = Seed, MaxTest = 60)]
    public void HsvToRgb_OfRgbToHsv_GivesThePixelBack(long seed)
    {
        var random = new SeededRandom(seed);
        float[] rgb = RandomPixels(random, random.NextInt(40) + 1);
        for (int i = 0; i < rgb.Length; i++)
        {
            rgb[i] = Math.Abs(rgb[i]);
        }

        var hsv = new float[rgb.Length];
        var back = new float[rgb.Length];
        ColorSpace.RgbToHsv(rgb, hsv);
        ColorSpace.HsvToRgb(hsv, back);
        for (int i = 0; i < rgb.Length; i++)
        {
            Assert.True(Math.Abs(rgb[i] - back[i]) <= 1e-6 * (1 + rgb[i]), $"value {i}: {back[i]} instead of {rgb[i]}");
        }
    }

    [Theory]
    [InlineData(1, 0, 0, 0, 1, 1)]
    [InlineData(0, 1, 0, 1.0 / 3, 1, 1)]
    [InlineData(0, 0, 1, 2.0 / 3, 1, 1)]
    [InlineData(1, 0, 1, 5.0 / 6, 1, 1)]
    [InlineData(0.5, 0.5, 0.5, 0, 0, 0.5)]
    [InlineData(0, 0, 0, 0, 0, 0)]
    [InlineData(1, 2, 3, 7.0 / 12, 2.0 / 3, 3)]
    [InlineData(1e-8, 0.5, 0.25, 5.0 / 12, 1, 0.5)]
    public void RgbToHsv_KnownColours(double r, double g, double b, double h, double s, double v)
    {
        // The last: red below float32's epsilon counts as 0, as in Keras.
        (float hh, float ss, float vv) = ColorSpace.RgbToHsv((float)r, (float)g, (float)b);
        Assert.Equal(h, hh, 6);
        Assert.Equal(s, ss, 6);
        Assert.Equal(v, vv, 6);
    }

    [Fact]
    public void Lengths_NotWholePixelsOrDifferent_AreRefused()
    {
        Assert.Contains("3 channels", Assert.Throws<ArgumentException>(() => ColorSpace.RgbToHsv(new float[4], new float[4])).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => ColorSpace.HsvToRgb(new float[6], new float[3]));
    }

    // The duals carry the derivatives of the same formulas: compared with central differences of the float64 twins.
    [Property(Replay = Seed, MaxTest = 40)]
    public void Duals_RoundTripThroughAHueShift_MatchFiniteDifferences(long seed)
    {
        var random = new SeededRandom(seed);
        double[] x = [0.05 + (random.NextDouble() * 0.9), 0.05 + (random.NextDouble() * 0.9), 0.05 + (random.NextDouble() * 0.9)];
        double shift = random.NextDouble() - 0.5, saturation = random.NextDouble() * 2;

        double[] Reference(double[] rgb)
        {
            var hsv = new double[3];
            var result = new double[3];
            ColorSpace.RgbToHsvReference(rgb, hsv);
            hsv[0] += shift;
            hsv[1] *= saturation;
            ColorSpace.HsvToRgbReference(hsv, result);
            return result;
        }

        (PixelDual h, PixelDual s, PixelDual v) = ColorSpace.RgbToHsv(PixelDual.Channel(x[0], 0), PixelDual.Channel(x[1], 1), PixelDual.Channel(x[2], 2));
        (PixelDual r, PixelDual g, PixelDual b) = ColorSpace.HsvToRgb(h + shift, s * saturation, v);
        PixelDual[] outputs = [r, g, b];
        double[] value = Reference(x);
        const double step = 1e-6;
        for (int j = 0; j < 3; j++)
        {
            double[] plus = [.. x], minus = [.. x];
            plus[j] += step;
            minus[j] -= step;
            double[] up = Reference(plus), down = Reference(minus);
            for (int c = 0; c < 3; c++)
            {
                Assert.Equal(value[c], outputs[c].Value, 12);
                double numeric = (up[c] - down[c]) / (2 * step);
                // A step across a sector edge of the hue (a kink) is rare; one-sided slopes then bracket the dual.
                double left = (value[c] - down[c]) / step, right = (up[c] - value[c]) / step;
                bool kink = Math.Abs(left - right) > 1e-3;
                Assert.True(kink || Math.Abs(numeric - outputs[c].D(j)) <= 1e-5 * (1 + Math.Abs(numeric)),
                    $"d out{c} / d x{j}: dual {outputs[c].D(j)}, finite difference {numeric} at ({x[0]}, {x[1]}, {x[2]}), shift {shift}, saturation {saturation}");
            }
        }
    }
}
