using NeuralNet.Layers;

namespace NeuralNet.Onnx.Converters;

/// <summary>Keras' padding as ONNX's explicit <c>pads</c>: 'same' pads so that the output is ceil(input / stride), the odd pixel at the bottom and right (and back).</summary>
internal static class SamePadding
{
    /// <summary>ONNX's pads (top, left, bottom, right) for a window over an image of <paramref name="height"/> by <paramref name="width"/>.</summary>
    public static long[] Pads(Padding padding, int height, int width, (int Height, int Width) window, (int Height, int Width) strides) =>
        Pads(padding, [height, width], [window.Height, window.Width], [strides.Height, strides.Width]);

    /// <summary>ONNX's pads (front, top, left, back, bottom, right) for a window over a volume of <paramref name="input"/>'s (depth, height, width).</summary>
    public static long[] Pads(Padding padding, (int Depth, int Height, int Width) input, (int Depth, int Height, int Width) window, (int Depth, int Height, int Width) strides) =>
        Pads(padding, [input.Depth, input.Height, input.Width], [window.Depth, window.Height, window.Width], [strides.Depth, strides.Height, strides.Width]);

    // ONNX's order: the begins of every spatial axis, then the ends; 'valid' pads nothing.
    private static long[] Pads(Padding padding, int[] input, int[] window, int[] strides)
    {
        var pads = new long[2 * input.Length];
        if (padding == Padding.Valid)
        {
            return pads;
        }

        for (int a = 0; a < input.Length; a++)
        {
            (pads[a], pads[a + input.Length]) = Axis(input[a], window[a], strides[a]);
        }

        return pads;
    }

    private static (long Before, long After) Axis(int input, int window, int stride)
    {
        int output = (input + stride - 1) / stride;
        int total = Math.Max(((output - 1) * stride) + window - input, 0);
        return (total / 2, total - (total / 2));
    }
}
