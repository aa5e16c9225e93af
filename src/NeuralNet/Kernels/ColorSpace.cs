namespace NeuralNet.Kernels;

/// <summary>
/// Keras' RGB ↔ HSV conversions and grayscale weights, on interleaved channels-last pixels, with a float64 reference
/// twin of each. The formulas are those of <c>keras/src/backend/numpy/image.py</c> (<c>rgb_to_hsv</c>, <c>hsv_to_rgb</c>,
/// after dm_pix; the JAX and PyTorch backends use the same ones, TensorFlow its own <c>tf.image</c> kernels).
/// </summary>
/// <remarks>
/// <code>
/// rgb, hsv: (pixels, 3) interleaved, h, s in [0, 1] for RGB values ≥ 0
/// rgb_to_hsv: |x| &lt; eps → 0 (eps = float32 machine epsilon); v = max(r, g, b); m = min; d = v − m
///             s = d / v (0 where v ≤ 0); n = 1 / (6 · (d if d &gt; 0 else 1))
///             h = n (g − b) if v == r, else n (b − r) + 2/6 if v == g, else n (r − g) + 4/6; h = 0 where d ≤ 0; h += 1 where h &lt; 0
/// hsv_to_rgb: e = 6 · mod(h, 1); dr = clip(|e − 3| − 1, 0, 1); dg = clip(2 − |e − 2|, 0, 1); db = clip(2 − |e − 4|, 0, 1)
///             c = v · (1 − s + s · dc) for c in r, g, b
/// grayscale:  0.2989 r + 0.5870 g + 0.1140 b (Keras' rgb_to_grayscale, after tf.image)
/// </code>
/// </remarks>
internal static class ColorSpace
{
    /// <summary>Keras' grayscale weight of red.</summary>
    public const float RedWeight = 0.2989f;

    /// <summary>Keras' grayscale weight of green.</summary>
    public const float GreenWeight = 0.5870f;

    /// <summary>Keras' grayscale weight of blue.</summary>
    public const float BlueWeight = 0.1140f;

    /// <summary>float32's machine epsilon (<c>ml_dtypes.finfo("float32").eps</c>): smaller magnitudes count as 0.</summary>
    public const float Epsilon = 1.1920929e-7f;

    /// <summary>Converts interleaved RGB pixels to HSV.</summary>
    /// <exception cref="ArgumentException">The lengths differ or are not a multiple of 3.</exception>
    public static void RgbToHsv(ReadOnlySpan<float> rgb, Span<float> hsv)
    {
        Validate(rgb.Length, hsv.Length);
        for (int i = 0; i < rgb.Length; i += 3)
        {
            (hsv[i], hsv[i + 1], hsv[i + 2]) = RgbToHsv(rgb[i], rgb[i + 1], rgb[i + 2]);
        }
    }

    /// <summary>Converts interleaved HSV pixels to RGB.</summary>
    /// <exception cref="ArgumentException">The lengths differ or are not a multiple of 3.</exception>
    public static void HsvToRgb(ReadOnlySpan<float> hsv, Span<float> rgb)
    {
        Validate(hsv.Length, rgb.Length);
        for (int i = 0; i < hsv.Length; i += 3)
        {
            (rgb[i], rgb[i + 1], rgb[i + 2]) = HsvToRgb(hsv[i], hsv[i + 1], hsv[i + 2]);
        }
    }

    /// <summary>One pixel of <see cref="RgbToHsv(ReadOnlySpan{float}, Span{float})"/>, in float32 as Keras computes it.</summary>
    public static (float H, float S, float V) RgbToHsv(float r, float g, float b)
    {
        r = MathF.Abs(r) < Epsilon ? 0f : r;
        g = MathF.Abs(g) < Epsilon ? 0f : g;
        b = MathF.Abs(b) < Epsilon ? 0f : b;
        float v = MathF.Max(MathF.Max(r, g), b), m = MathF.Min(MathF.Min(r, g), b), range = v - m;
        float s = v > 0 ? range / v : 0f;
        float norm = 1f / (6f * (range > 0 ? range : 1f));
        float h = v == g ? (norm * (b - r)) + (2f / 6f) : (norm * (r - g)) + (4f / 6f);
        h = v == r ? norm * (g - b) : h;

        // Keras adds 1 where the hue before the d > 0 mask is negative (it never is where d = 0: both differences are 0).
        h = (range > 0 ? h : 0f) + (h < 0 ? 1f : 0f);
        return (h, s, v);
    }

    /// <summary>One pixel of <see cref="HsvToRgb(ReadOnlySpan{float}, Span{float})"/>, in float32 as Keras computes it.</summary>
    public static (float R, float G, float B) HsvToRgb(float h, float s, float v)
    {
        float e = (h - MathF.Floor(h)) * 6f;
        float dr = Math.Clamp(MathF.Abs(e - 3f) - 1f, 0f, 1f);
        float dg = Math.Clamp(2f - MathF.Abs(e - 2f), 0f, 1f);
        float db = Math.Clamp(2f - MathF.Abs(e - 4f), 0f, 1f);
        float oneMinusS = 1f - s;
        return (v * (oneMinusS + (s * dr)), v * (oneMinusS + (s * dg)), v * (oneMinusS + (s * db)));
    }

    /// <summary>Keras' grayscale value of one pixel.</summary>
    public static float Gray(float r, float g, float b) => (RedWeight * r) + (GreenWeight * g) + (BlueWeight * b);

    /// <summary>
    /// One pixel of Keras' <c>rgb_to_hsv</c> on values that carry their derivatives with respect to the pixel's input
    /// channels: the same operations and branches as the float32 kernel, for the layers' backward passes.
    /// </summary>
    public static (PixelDual H, PixelDual S, PixelDual V) RgbToHsv(PixelDual r, PixelDual g, PixelDual b)
    {
        r = Math.Abs(r.Value) < Epsilon ? 0 : r;
        g = Math.Abs(g.Value) < Epsilon ? 0 : g;
        b = Math.Abs(b.Value) < Epsilon ? 0 : b;
        PixelDual v = PixelDual.Max(PixelDual.Max(r, g), b), m = PixelDual.Min(PixelDual.Min(r, g), b), range = v - m;
        PixelDual s = v.Value > 0 ? range / v : 0;
        PixelDual norm = 1 / (6 * (range.Value > 0 ? range : 1));
        PixelDual h = v.Value == g.Value ? (norm * (b - r)) + (2.0 / 6) : (norm * (r - g)) + (4.0 / 6);
        h = v.Value == r.Value ? norm * (g - b) : h;
        h = (range.Value > 0 ? h : 0) + (h.Value < 0 ? 1 : 0);
        return (h, s, v);
    }

    /// <summary>One pixel of Keras' <c>hsv_to_rgb</c> on values that carry their derivatives (mod and clip as autodiff takes them).</summary>
    public static (PixelDual R, PixelDual G, PixelDual B) HsvToRgb(PixelDual h, PixelDual s, PixelDual v)
    {
        PixelDual e = (h - Math.Floor(h.Value)) * 6;
        PixelDual dr = PixelDual.Clip(PixelDual.Abs(e - 3) - 1, 0, 1);
        PixelDual dg = PixelDual.Clip(2 - PixelDual.Abs(e - 2), 0, 1);
        PixelDual db = PixelDual.Clip(2 - PixelDual.Abs(e - 4), 0, 1);
        PixelDual oneMinusS = 1 - s;
        return (v * (oneMinusS + (s * dr)), v * (oneMinusS + (s * dg)), v * (oneMinusS + (s * db)));
    }

    /// <summary>Plain float64 twin of <see cref="RgbToHsv(ReadOnlySpan{float}, Span{float})"/> (the same formulas, eps the float32 one).</summary>
    public static void RgbToHsvReference(ReadOnlySpan<double> rgb, Span<double> hsv)
    {
        Validate(rgb.Length, hsv.Length);
        for (int i = 0; i < rgb.Length; i += 3)
        {
            double r = Math.Abs(rgb[i]) < Epsilon ? 0 : rgb[i], g = Math.Abs(rgb[i + 1]) < Epsilon ? 0 : rgb[i + 1], b = Math.Abs(rgb[i + 2]) < Epsilon ? 0 : rgb[i + 2];
            double v = Math.Max(Math.Max(r, g), b), m = Math.Min(Math.Min(r, g), b), range = v - m;
            double h;
            if (range <= 0)
            {
                h = 0;
            }
            else if (v == r)
            {
                h = (g - b) / (6 * range);
            }
            else if (v == g)
            {
                h = ((b - r) / (6 * range)) + (2.0 / 6);
            }
            else
            {
                h = ((r - g) / (6 * range)) + (4.0 / 6);
            }

            hsv[i] = h < 0 ? h + 1 : h;
            hsv[i + 1] = v > 0 ? range / v : 0;
            hsv[i + 2] = v;
        }
    }

    /// <summary>Plain float64 twin of <see cref="HsvToRgb(ReadOnlySpan{float}, Span{float})"/>.</summary>
    public static void HsvToRgbReference(ReadOnlySpan<double> hsv, Span<double> rgb)
    {
        Validate(hsv.Length, rgb.Length);
        for (int i = 0; i < hsv.Length; i += 3)
        {
            double e = (hsv[i] - Math.Floor(hsv[i])) * 6, s = hsv[i + 1], v = hsv[i + 2];
            rgb[i] = v * (1 - s + (s * Math.Clamp(Math.Abs(e - 3) - 1, 0, 1)));
            rgb[i + 1] = v * (1 - s + (s * Math.Clamp(2 - Math.Abs(e - 2), 0, 1)));
            rgb[i + 2] = v * (1 - s + (s * Math.Clamp(2 - Math.Abs(e - 4), 0, 1)));
        }
    }

    private static void Validate(int source, int destination)
    {
        if (source % 3 != 0 || destination != source)
        {
            throw new ArgumentException($"Colour conversion expects interleaved pixels of 3 channels and a destination of the same length; got {source} and {destination} values.");
        }
    }
}
