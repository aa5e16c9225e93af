using NeuralNet.Layers;

namespace NeuralNet.Kernels;

/// <summary>
/// One axis of a separable resize as a weight table: output index o reads the <see cref="Span"/> input indices
/// <c>Start[o] .. Start[o] + Span − 1</c> with weights <c>Weight[o · Span + k]</c> (zero past the taps o uses). Every index is
/// inside the axis, so the kernel needs no bounds check.
/// </summary>
internal sealed record ResizeTable(int[] Start, float[] Weight, int Span)
{
    /// <summary>The number of output indices.</summary>
    public int Output => Start.Length;
}

/// <summary>
/// The weight tables of Keras' kernel-based resizes as TensorFlow computes them (Keras' TensorFlow backend is the
/// reference): <c>tf.image.resize</c> with half-pixel centers, one table per axis.
/// </summary>
/// <remarks>
/// <code>
/// bicubic, no antialias   ResizeBicubic(half_pixel_centers): s = (o + 0.5) · in / out − 0.5, taps floor(s) − 1 .. floor(s) + 2,
///                         Keys' cubic (a = −0.5) read from TensorFlow's 1024-entry table (the fraction of s rounded to
///                         1/1024), taps outside the image dropped and the rest renormalized to sum 1
/// lanczos3 / lanczos5,    ScaleAndTranslate: sample c = (o + 0.5) · in / out, tap i weighs K((i + 0.5 − c) / ks), renormalized;
/// antialiased bicubic     ks = max(in / out, 1) with antialias (the kernel widened when shrinking), else 1
/// and bilinear            (bicubic uses Keys' cubic exactly, bilinear the triangle kernel)
/// area                    ResizeArea: output o averages the input interval [o · in / out, (o + 1) · in / out], each tap
///                         weighted by its overlap with the interval divided by in / out
/// </code>
/// TensorFlow computes these in float32 and so does <see cref="Build"/>, step for step, so the tables match
/// TensorFlow's to rounding. jax.image.resize (Keras' JAX backend) computes bicubic from the exact fraction rather than
/// the 1024-entry table (ONNX Runtime's exact cubic was 0.157 away on pixels in [0, 255] upsampling by 3, whose fractions
/// 1/3 and 2/3 are not multiples of 1/1024),
/// has no area, and otherwise agrees. <see cref="Reference"/> is the float64 twin the tests compare with.
/// </remarks>
internal static class ResizeTables
{
    private const int CubicTableSize = 1024;

    // FLT_MIN, the smallest normal float: TensorFlow renormalizes a span unless its weights sum below 1000 · FLT_MIN.
    private const float MinNormal = 1.17549435e-38f;

    // TensorFlow's Keys cubic coefficient table (resize_bicubic_op.cc, a = −0.5): entry 2i is the weight at distance
    // i / 1024, entry 2i + 1 the weight at distance 1 + i / 1024, computed in double and stored as float.
    private static readonly float[] s_cubicTable = MakeCubicTable(-0.5);

    /// <summary>Whether <paramref name="interpolation"/> (with <paramref name="antialias"/>) is computed from weight tables.</summary>
    public static bool UsesTables(Interpolation interpolation, bool antialias) =>
        interpolation is Interpolation.Bicubic or Interpolation.Lanczos3 or Interpolation.Lanczos5 or Interpolation.Area
        || (interpolation == Interpolation.Bilinear && antialias);

    /// <summary>The table of one axis of <paramref name="input"/> indices resized to <paramref name="output"/>, shifted by <paramref name="offset"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The interpolation is not one of <see cref="UsesTables"/>.</exception>
    public static ResizeTable Build(Interpolation interpolation, bool antialias, int input, int output, int offset)
    {
        var taps = new List<(int Index, float Weight)>[output];
        for (int o = 0; o < output; o++)
        {
            taps[o] = interpolation switch
            {
                Interpolation.Bicubic when !antialias => CubicTaps(input, output, o),
                Interpolation.Bicubic => KernelTaps(input, output, o, antialias, 2f, KeysCubic),
                Interpolation.Bilinear => KernelTaps(input, output, o, antialias, 1f, Triangle),
                Interpolation.Lanczos3 => KernelTaps(input, output, o, antialias, 3f, x => Lanczos(3f, x)),
                Interpolation.Lanczos5 => KernelTaps(input, output, o, antialias, 5f, x => Lanczos(5f, x)),
                Interpolation.Area => AreaTaps(input, output, o),
                _ => throw new ArgumentOutOfRangeException(nameof(interpolation), interpolation, "Weight tables exist for Bicubic, Lanczos3, Lanczos5, Area and antialiased Bilinear only."),
            };
        }

        return Pack(taps, input, offset);
    }

    /// <summary>
    /// The float64 reference: the dense (output, input) matrix of the same resize, from the formulas in the remarks
    /// evaluated in double over every input index (not through spans).
    /// </summary>
    public static double[,] Reference(Interpolation interpolation, bool antialias, int input, int output)
    {
        var w = new double[output, input];
        double scale = (double)input / output;
        for (int o = 0; o < output; o++)
        {
            for (int i = 0; i < input; i++)
            {
                w[o, i] = interpolation switch
                {
                    Interpolation.Bicubic when !antialias => ReferenceCubic(o, i, scale),
                    Interpolation.Area => Math.Max(0, Math.Min(i + 1, (o + 1) * scale) - Math.Max(i, o * scale)) / scale,
                    _ => ReferenceKernel(interpolation, (i + 0.5 - ((o + 0.5) * scale)) / (antialias ? Math.Max(scale, 1) : 1)),
                };
            }

            // Area's overlaps sum to 1 already; the kernels are renormalized over the taps inside the image.
            double sum = 0;
            for (int i = 0; i < input; i++)
            {
                sum += w[o, i];
            }

            if (interpolation != Interpolation.Area)
            {
                for (int i = 0; i < input; i++)
                {
                    w[o, i] /= sum;
                }
            }
        }

        return w;
    }

    // ResizeBicubic with half-pixel centers and Keys' cubic (GetWeightsAndIndices<HalfPixelScaler, true>), in float.
    private static List<(int, float)> CubicTaps(int input, int output, int o)
    {
        float scale = (float)input / output;
        float s = ((o + 0.5f) * scale) - 0.5f;
        int i0 = (int)MathF.Floor(s);
        float delta = s - i0;
        int offset = (int)MathF.Round(delta * CubicTableSize, MidpointRounding.ToEven);
        float[] weights =
        [
            s_cubicTable[(offset * 2) + 1], s_cubicTable[offset * 2],
            s_cubicTable[(CubicTableSize - offset) * 2], s_cubicTable[((CubicTableSize - offset) * 2) + 1],
        ];
        var taps = new List<(int, float)>(4);
        float sum = 0f;
        for (int k = 0; k < 4; k++)
        {
            int index = i0 - 1 + k;
            weights[k] = index >= 0 && index < input ? weights[k] : 0f;
            sum += weights[k];
        }

        // TensorFlow renormalizes unless the sum is (nearly) zero.
        float inverse = MathF.Abs(sum) >= 1000f * MinNormal ? 1f / sum : 1f;
        for (int k = 0; k < 4; k++)
        {
            int index = i0 - 1 + k;
            if (index >= 0 && index < input)
            {
                taps.Add((index, weights[k] * inverse));
            }
        }

        return taps;
    }

    // ScaleAndTranslate's ComputeSpansCore with translation 0, in float.
    private static List<(int, float)> KernelTaps(int input, int output, int o, bool antialias, float radius, Func<float, float> kernel)
    {
        float scale = (float)output / input;
        float inverseScale = (float)(1.0 / scale);
        float kernelScale = antialias ? MathF.Max(inverseScale, 1f) : 1f;
        float inverseKernelScale = (float)(1.0 / kernelScale);
        float sample = (o + 0.5f) * inverseScale;
        var taps = new List<(int, float)>();
        if (sample < 0 || sample > input)
        {
            return taps;
        }

        int start = Math.Clamp((int)MathF.Ceiling(sample - (radius * kernelScale) - 0.5f), 0, input - 1);
        int end = Math.Clamp((int)MathF.Floor(sample + (radius * kernelScale) - 0.5f), 0, input - 1) + 1;
        float sum = 0f;
        for (int i = start; i < end; i++)
        {
            float weight = kernel(MathF.Abs(((i + 0.5f) - sample) * inverseKernelScale));
            sum += weight;
            taps.Add((i, weight));
        }

        if (MathF.Abs(sum) < 1000f * MinNormal)
        {
            // TensorFlow leaves such a span's weights at zero.
            return [];
        }

        float inverse = 1f / sum;
        for (int k = 0; k < taps.Count; k++)
        {
            taps[k] = (taps[k].Item1, taps[k].Item2 * inverse);
        }

        return taps;
    }

    // ResizeArea: the overlap of [o · scale, (o + 1) · scale] with each input pixel [i, i + 1], over scale, in float.
    private static List<(int, float)> AreaTaps(int input, int output, int o)
    {
        float scale = (float)input / output;
        float low = o * scale, high = (o + 1) * scale;
        int start = (int)MathF.Floor(low), end = (int)MathF.Ceiling(high);
        var taps = new List<(int, float)>(end - start);
        for (int i = start; i < end; i++)
        {
            float overlap = i < low ? (i + 1 > high ? scale : i + 1 - low) : (i + 1 > high ? high - i : 1f);

            // Float rounding can put `high` a hair past the last pixel: TensorFlow bounds that index to the edge.
            taps.Add((Math.Clamp(i, 0, input - 1), overlap / scale));
        }

        return taps;
    }

    // Packs the taps of every output into one span width, each start moved left where its taps would pass the axis' end.
    private static ResizeTable Pack(List<(int Index, float Weight)>[] taps, int input, int offset)
    {
        int span = 1;
        foreach (var list in taps)
        {
            if (list.Count > 0)
            {
                span = Math.Max(span, list[^1].Index - list[0].Index + 1);
            }
        }

        span = Math.Min(span, input);
        int output = taps.Length;
        var start = new int[output];
        var weight = new float[output * span];
        for (int o = 0; o < output; o++)
        {
            List<(int Index, float Weight)> list = taps[o];
            int first = list.Count > 0 ? Math.Min(list[0].Index, input - span) : 0;
            start[o] = first + offset;
            foreach ((int index, float w) in list)
            {
                weight[(o * span) + index - first] += w;
            }
        }

        return new ResizeTable(start, weight, span);
    }

    private static float[] MakeCubicTable(double a)
    {
        var table = new float[(CubicTableSize + 1) * 2];
        for (int i = 0; i <= CubicTableSize; i++)
        {
            double x = (float)(i * 1.0 / CubicTableSize);
            table[i * 2] = (float)(((((a + 2) * x) - (a + 3)) * x * x) + 1);
            x += 1.0;
            table[(i * 2) + 1] = (float)(((((a * x) - (5 * a)) * x) + (8 * a)) * x - (4 * a));
        }

        return table;
    }

    // TensorFlow's sampling kernels (sampling_kernels.h), in float.
    private static float KeysCubic(float x) => x >= 2f ? 0f : x >= 1f ? ((((-0.5f * x) + 2.5f) * x) - 4f) * x + 2f : ((1.5f * x) - 2.5f) * x * x + 1f;

    private static float Triangle(float x) => x < 1f ? 1f - x : 0f;

    private static float Lanczos(float radius, float x)
    {
        const float Pi = 3.14159265359f;
        if (x > radius)
        {
            return 0f;
        }

        // The limit of sin(x) / x at 0.
        return x <= 1e-3f ? 1f : radius * MathF.Sin(Pi * x) * MathF.Sin(Pi * x / radius) / (Pi * Pi * x * x);
    }

    private static double ReferenceCubic(int o, int i, double scale)
    {
        double s = ((o + 0.5) * scale) - 0.5;
        double i0 = Math.Floor(s);
        double quantized = i0 + (Math.Round((s - i0) * CubicTableSize, MidpointRounding.ToEven) / CubicTableSize);
        return i - i0 >= -1 && i - i0 <= 2 ? ReferenceKeys(Math.Abs(i - quantized)) : 0;
    }

    private static double ReferenceKernel(Interpolation interpolation, double x)
    {
        x = Math.Abs(x);
        return interpolation switch
        {
            Interpolation.Bicubic => ReferenceKeys(x),
            Interpolation.Bilinear => Math.Max(0, 1 - x),
            _ => ReferenceLanczos(interpolation == Interpolation.Lanczos3 ? 3 : 5, x),
        };
    }

    private static double ReferenceKeys(double x) =>
        x >= 2 ? 0 : x >= 1 ? (-0.5 * x * x * x) + (2.5 * x * x) - (4 * x) + 2 : (1.5 * x * x * x) - (2.5 * x * x) + 1;

    private static double ReferenceLanczos(int radius, double x) =>
        x >= radius ? 0 : x == 0 ? 1 : radius * Math.Sin(Math.PI * x) * Math.Sin(Math.PI * x / radius) / (Math.PI * Math.PI * x * x);
}
