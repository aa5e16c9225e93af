using NeuralNet.Layers;
using NeuralNet.Onnx.Converters;

namespace NeuralNet.Onnx.Import;

/// <summary>
/// ONNX's auto_pad and pads of a 2-D window (Conv, MaxPool, AveragePool) as Keras' padding: none is 'valid', the pads
/// Keras' 'same' would choose for this input are 'same', other pads are explicit (a ZeroPadding2D in front, where zeros
/// are what the window should see).
/// </summary>
internal readonly record struct WindowPadding(Padding Padding, long[] Pads)
{
    /// <summary>Whether the pads are neither none nor Keras' 'same' ones.</summary>
    public bool IsExplicit => Padding == Padding.Valid && Pads.Any(p => p != 0);

    /// <summary>Reads the node's padding for an input of <paramref name="height"/> × <paramref name="width"/> and windows of <paramref name="window"/> (dilated extent).</summary>
    public static WindowPadding Read(ImportedNode node, NodeAttributes attributes, long height, long width, (int Height, int Width) window, (int Height, int Width) strides)
    {
        string autoPad = attributes.String("auto_pad", "NOTSET");
        long[] same = SamePadding.Pads(Padding.Same, (int)height, (int)width, window, strides);
        switch (autoPad)
        {
            case "VALID":
                return new(Padding.Valid, new long[4]);
            case "SAME_UPPER":
                // ONNX's SAME_UPPER puts the odd pixel at the end, as Keras' (TensorFlow's) 'same' does.
                return new(Padding.Same, same);
            case "NOTSET":
                break;
            default:
                throw node.Refuse($"attribute auto_pad='{autoPad}'; NeuralNet.Onnx imports NOTSET (explicit pads), VALID and SAME_UPPER (Keras' 'same'), not SAME_LOWER, which puts the odd pixel first");
        }

        long[] pads = attributes.Ints("pads", 4, 0);
        if (pads.Any(p => p < 0))
        {
            throw node.Refuse($"attribute pads={ImportText.List(pads)}; negative pads (cropping) are not imported");
        }

        if (pads.Any(p => p > int.MaxValue))
        {
            throw node.Invalid($"attribute pads={ImportText.List(pads)} holds a length above 2147483647");
        }

        return pads.All(p => p == 0) ? new(Padding.Valid, pads)
            : pads.SequenceEqual(same) ? new(Padding.Same, pads)
            : new(Padding.Valid, pads);
    }

    /// <summary>The output length along an axis: ONNX's floor((in + pads − window) / stride) + 1.</summary>
    public static long Output(long input, long before, long after, int window, int stride) => ((input + before + after - window) / stride) + 1;

    /// <summary>A ZeroPadding2D of the explicit pads.</summary>
    public ZeroPadding2D ZeroPadding() => new((((int)Pads[0], (int)Pads[2]), ((int)Pads[1], (int)Pads[3])));
}
