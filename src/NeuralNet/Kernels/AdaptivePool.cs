using System.Numerics.Tensors;

namespace NeuralNet.Kernels;

/// <summary>
/// Adaptive average and max pooling of one channels-last sample (Keras' <c>ops.adaptive_average_pool</c> and
/// <c>ops.adaptive_max_pool</c>, PyTorch's <c>AdaptiveAvgPool3d</c> / <c>AdaptiveMaxPool3d</c>): each output pixel is the
/// mean or the largest value, per channel, of its box of windows (<see cref="AdaptivePoolShape.Window"/> along each axis).
/// Float64 reference twins beside them.
/// </summary>
internal static class AdaptivePool
{
    /// <summary>Writes each output pixel's mean of its window into <paramref name="output"/> (the window's rows summed in order, then divided by its size).</summary>
    public static void Average(ReadOnlySpan<float> input, Span<float> output, in AdaptivePoolShape shape)
    {
        int c = shape.Channels;
        for (int pixel = 0, at = 0; pixel < shape.OutputPixels; pixel++, at += c)
        {
            (int d0, int d1, int h0, int h1, int w0, int w1) = shape.Box(pixel);
            Span<float> row = output.Slice(at, c);
            row.Clear();
            for (int d = d0; d < d1; d++)
            {
                for (int h = h0; h < h1; h++)
                {
                    for (int w = w0; w < w1; w++)
                    {
                        TensorPrimitives.Add(row, input.Slice(shape.Offset(d, h, w), c), row);
                    }
                }
            }

            TensorPrimitives.Divide(row, (float)((d1 - d0) * (h1 - h0) * (w1 - w0)), row);
        }
    }

    /// <summary>
    /// Writes each output pixel's largest value of its window into <paramref name="output"/>, and into
    /// <paramref name="winners"/> the input index (within the sample) it came from: the first of equal values in
    /// (depth, height, width) order. As in the library's other max poolings, a NaN is kept only
    /// when it is a window's first value (Keras' backends propagate it).
    /// </summary>
    public static void Max(ReadOnlySpan<float> input, Span<float> output, Span<int> winners, in AdaptivePoolShape shape)
    {
        int c = shape.Channels;
        for (int pixel = 0, at = 0; pixel < shape.OutputPixels; pixel++, at += c)
        {
            (int d0, int d1, int h0, int h1, int w0, int w1) = shape.Box(pixel);
            Span<float> row = output.Slice(at, c);
            Span<int> from = winners.Slice(at, c);
            int first = shape.Offset(d0, h0, w0);
            input.Slice(first, c).CopyTo(row);
            for (int ch = 0; ch < c; ch++)
            {
                from[ch] = first + ch;
            }

            for (int d = d0; d < d1; d++)
            {
                for (int h = h0; h < h1; h++)
                {
                    for (int w = w0; w < w1; w++)
                    {
                        int offset = shape.Offset(d, h, w);
                        ReadOnlySpan<float> values = input.Slice(offset, c);
                        for (int ch = 0; ch < c; ch++)
                        {
                            if (values[ch] > row[ch])
                            {
                                row[ch] = values[ch];
                                from[ch] = offset + ch;
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>Overwrites <paramref name="inputGradient"/> with the gradient of <see cref="Average"/>: each output's gradient shared evenly over its window.</summary>
    public static void AverageBackward(ReadOnlySpan<float> outputGradient, Span<float> inputGradient, in AdaptivePoolShape shape)
    {
        int c = shape.Channels;
        inputGradient.Clear();
        for (int pixel = 0, at = 0; pixel < shape.OutputPixels; pixel++, at += c)
        {
            (int d0, int d1, int h0, int h1, int w0, int w1) = shape.Box(pixel);
            float count = (d1 - d0) * (h1 - h0) * (w1 - w0);
            ReadOnlySpan<float> upstream = outputGradient.Slice(at, c);
            for (int d = d0; d < d1; d++)
            {
                for (int h = h0; h < h1; h++)
                {
                    for (int w = w0; w < w1; w++)
                    {
                        Span<float> target = inputGradient.Slice(shape.Offset(d, h, w), c);
                        for (int ch = 0; ch < c; ch++)
                        {
                            target[ch] += upstream[ch] / count;
                        }
                    }
                }
            }
        }
    }

    /// <summary>Overwrites <paramref name="inputGradient"/> with the gradient of <see cref="Max"/>: each output's gradient to the input it came from.</summary>
    public static void MaxBackward(ReadOnlySpan<float> outputGradient, ReadOnlySpan<int> winners, Span<float> inputGradient)
    {
        inputGradient.Clear();
        for (int at = 0; at < outputGradient.Length; at++)
        {
            inputGradient[winners[at]] += outputGradient[at];
        }
    }

    /// <summary>
    /// The float64 twin of <see cref="Average"/> (<paramref name="maximum"/> false) or <see cref="Max"/> (true), written
    /// from the rule as PyTorch states it: window i of an axis is [floor(i·in / out), ceil((i + 1)·in / out)).
    /// </summary>
    public static double[] Reference(ReadOnlySpan<float> input, AdaptivePoolShape shape, bool maximum)
    {
        var output = new double[shape.OutputSize];
        int c = shape.Channels;
        for (int od = 0; od < shape.OutDepth; od++)
        {
            for (int oh = 0; oh < shape.OutHeight; oh++)
            {
                for (int ow = 0; ow < shape.OutWidth; ow++)
                {
                    (int d0, int d1) = ReferenceWindow(od, shape.Depth, shape.OutDepth);
                    (int h0, int h1) = ReferenceWindow(oh, shape.Height, shape.OutHeight);
                    (int w0, int w1) = ReferenceWindow(ow, shape.Width, shape.OutWidth);
                    for (int ch = 0; ch < c; ch++)
                    {
                        double sum = 0, best = double.NegativeInfinity;
                        for (int d = d0; d < d1; d++)
                        {
                            for (int h = h0; h < h1; h++)
                            {
                                for (int w = w0; w < w1; w++)
                                {
                                    double value = input[(((((d * shape.Height) + h) * shape.Width) + w) * c) + ch];
                                    sum += value;
                                    best = Math.Max(best, value);
                                }
                            }
                        }

                        output[(((((od * shape.OutHeight) + oh) * shape.OutWidth) + ow) * c) + ch] =
                            maximum ? best : sum / ((d1 - d0) * (h1 - h0) * (w1 - w0));
                    }
                }
            }
        }

        return output;
    }

    private static (int First, int End) ReferenceWindow(int index, int input, int outputs) =>
        ((int)Math.Floor((double)index * input / outputs), (int)Math.Ceiling((double)(index + 1) * input / outputs));
}
