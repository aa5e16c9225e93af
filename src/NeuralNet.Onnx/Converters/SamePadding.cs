using NeuralNet.Layers;

namespace NeuralNet.Onnx.Converters;

/// <summary>Keras' padding as ONNX's explicit <c>pads</c>: 'same' pads so that the output is ceil(input / stride), the odd pixel at the bottom and right.</summary>
internal static class SamePadding
{
    /// <summary>ONNX's pads (top, left, bottom, right) for a window over an image of <paramref name="height"/> by <paramref name="width"/>.</summary>
    public static long[] Pads(Padding padding, int height, int width, (int Height, int Width) window, (int Height, int Width) strides)
    {
        if (padding == Padding.Valid)
        {
            return [0, 0, 0, 0];
        }

        (long top, long bottom) = Axis(height, window.Height, strides.Height);
        (long left, long right) = Axis(width, window.Width, strides.Width);
        return [top, left, bottom, right];
    }

    private static (long Before, long After) Axis(int input, int window, int stride)
    {
        int output = (input + stride - 1) / stride;
        int total = Math.Max(((output - 1) * stride) + window - input, 0);
        return (total / 2, total - (total / 2));
    }
}
