using NeuralNet.Layers;

namespace NeuralNet.Onnx.Import;

/// <summary>
/// A transposed convolution's output along one axis, as a window of its full map: input pixel i through tap a lands on
/// full-map index i · stride + a · dilation, so the full map is (in − 1) · stride + (k − 1) · dilation + 1 long; an output
/// starts <see cref="Start"/> indices into it and is <see cref="Length"/> long (indices past the full map hold zeros,
/// plus the bias). ONNX's ConvTranspose and Keras' Conv*Transpose both compute such a window; they differ only in how
/// their attributes choose it, so an ONNX window is a Keras layer's window when the two are equal, and a crop of it when
/// the Keras window holds it.
/// </summary>
internal readonly record struct TransposedWindow(long Start, long Length)
{
    /// <summary>The full map's length: (in − 1) · stride + (kernel − 1) · dilation + 1.</summary>
    public static long Full(long input, long kernel, long stride, long dilation) => ((input - 1) * stride) + ((kernel - 1) * dilation) + 1;

    /// <summary>
    /// The window NeuralNet's (Keras') Conv*Transpose gives along one axis, for <paramref name="padding"/> and
    /// <paramref name="outputPadding"/> (null for Keras' default): the rule of NeuralNet's DilatedConvGeometry.TransposeAxis
    /// (Keras' _convert_conv_transpose_padding_args_from_keras_to_jax), written again here because that one is internal
    /// to NeuralNet; the import tests check the two agree by comparing imported models with ONNX Runtime.
    /// </summary>
    public static TransposedWindow Keras(long input, long kernel, long stride, long dilation, Padding padding, long? outputPadding)
    {
        long extent = ((kernel - 1) * dilation) + 1, left, right;
        if (padding == Padding.Valid)
        {
            long extra = outputPadding ?? (Math.Max(extent, stride) - extent);
            left = extent - 1;
            right = extent - 1 + extra;
        }
        else
        {
            long padLength = outputPadding is long op ? extent + (extent % 2) - 2 + op : stride + extent - 2;
            left = Math.Min((padLength / 2) + (padLength % 2), extent - 1);
            right = padLength - left;
        }

        return new(extent - 1 - left, ((input - 1) * stride) + 2 + left + right - extent);
    }

    /// <summary>Where the window ends (exclusive), in full-map indices.</summary>
    public long End => Start + Length;

    /// <summary>Whether this window holds all of <paramref name="inner"/>.</summary>
    public bool Holds(TransposedWindow inner) => Start <= inner.Start && End >= inner.End;
}
