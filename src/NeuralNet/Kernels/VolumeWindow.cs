using System.Numerics.Tensors;

namespace NeuralNet.Kernels;

/// <summary>
/// Copies and repeats boxes of channels-last volumes (depth, height, width, channels): the kernels of ZeroPadding3D,
/// Cropping3D and UpSampling3D. A volume's size is given as (Depth, Height, Width); a position as (d, h, w).
/// </summary>
internal static class VolumeWindow
{
    /// <summary>
    /// destination[to + (d, h, w), :] = source[from + (d, h, w), :] for every (d, h, w) in <paramref name="extent"/>;
    /// the rest of destination is left as it is.
    /// </summary>
    public static void Copy(ReadOnlySpan<float> source, (int Depth, int Height, int Width) sourceSize, (int D, int H, int W) from,
        Span<float> destination, (int Depth, int Height, int Width) destinationSize, (int D, int H, int W) to, (int Depth, int Height, int Width) extent, int channels)
    {
        int run = extent.Width * channels;
        for (int d = 0; d < extent.Depth; d++)
        {
            for (int h = 0; h < extent.Height; h++)
            {
                int s = Offset(sourceSize, from.D + d, from.H + h, from.W, channels), t = Offset(destinationSize, to.D + d, to.H + h, to.W, channels);
                source.Slice(s, run).CopyTo(destination.Slice(t, run));
            }
        }
    }

    /// <summary>
    /// Nearest-neighbour upsampling by integer factors: output[d, h, w, :] = input[d / fd, h / fh, w / fw, :], the
    /// output being (D·fd, H·fh, W·fw). Overwrites the output.
    /// </summary>
    public static void Repeat(ReadOnlySpan<float> input, (int Depth, int Height, int Width) inputSize, (int Depth, int Height, int Width) factors, int channels, Span<float> output)
    {
        int outHeight = inputSize.Height * factors.Height, outWidth = inputSize.Width * factors.Width, row = outWidth * channels;
        int at = 0;
        for (int d = 0; d < inputSize.Depth * factors.Depth; d++)
        {
            for (int h = 0; h < outHeight; h++, at += row)
            {
                ReadOnlySpan<float> sourceRow = input.Slice(Offset(inputSize, d / factors.Depth, h / factors.Height, 0, channels), inputSize.Width * channels);
                Span<float> targetRow = output.Slice(at, row);
                for (int w = 0; w < outWidth; w++)
                {
                    sourceRow.Slice(w / factors.Width * channels, channels).CopyTo(targetRow.Slice(w * channels, channels));
                }
            }
        }
    }

    /// <summary>The gradient of <see cref="Repeat"/>: inputGradient[d, h, w, :] = Σ of the output gradient over its fd·fh·fw copies. Overwrites inputGradient.</summary>
    public static void SumRepeats(ReadOnlySpan<float> outputGradient, (int Depth, int Height, int Width) inputSize, (int Depth, int Height, int Width) factors, int channels,
        Span<float> inputGradient)
    {
        inputGradient.Clear();
        int outHeight = inputSize.Height * factors.Height, outWidth = inputSize.Width * factors.Width, row = outWidth * channels;
        int at = 0;
        for (int d = 0; d < inputSize.Depth * factors.Depth; d++)
        {
            for (int h = 0; h < outHeight; h++, at += row)
            {
                Span<float> targetRow = inputGradient.Slice(Offset(inputSize, d / factors.Depth, h / factors.Height, 0, channels), inputSize.Width * channels);
                ReadOnlySpan<float> sourceRow = outputGradient.Slice(at, row);
                for (int w = 0; w < outWidth; w++)
                {
                    Span<float> target = targetRow.Slice(w / factors.Width * channels, channels);
                    TensorPrimitives.Add(target, sourceRow.Slice(w * channels, channels), target);
                }
            }
        }
    }

    private static int Offset((int Depth, int Height, int Width) size, int d, int h, int w, int channels) => ((((d * size.Height) + h) * size.Width) + w) * channels;
}
