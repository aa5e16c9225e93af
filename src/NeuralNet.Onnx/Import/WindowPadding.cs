using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Onnx.Converters;

namespace NeuralNet.Onnx.Import;

/// <summary>
/// ONNX's auto_pad and pads of a 2-D window (Conv, MaxPool, AveragePool) as Keras' padding: none is 'valid', the pads
/// Keras' 'same' would choose for this input are 'same', other pads are explicit (zeros in front, where zeros are what
/// the window should see; edge copies in front of a max, which ONNX pads with −∞).
/// </summary>
internal readonly record struct WindowPadding(Padding Padding, long[] Pads, long[] SamePads)
{
    /// <summary>Whether the pads are neither none nor Keras' 'same' ones.</summary>
    public bool IsExplicit => Padding == Padding.Valid && Pads.Any(p => p != 0);

    /// <summary>
    /// Reads the node's padding for an input of <paramref name="height"/> × <paramref name="width"/> and windows of
    /// <paramref name="window"/> (dilated extent); <paramref name="given"/> stands for the <c>pads</c> attribute (a 1-D
    /// node's read as an L × 1 image's).
    /// </summary>
    public static WindowPadding Read(ImportedNode node, NodeAttributes attributes, long height, long width, (int Height, int Width) window, (int Height, int Width) strides,
        long[]? given = null)
    {
        string autoPad = attributes.String("auto_pad", "NOTSET");
        long[] same = SamePadding.Pads(Padding.Same, (int)height, (int)width, window, strides);
        switch (autoPad)
        {
            case "VALID":
                return new(Padding.Valid, new long[4], same);
            case "SAME_UPPER":
                // ONNX's SAME_UPPER puts the odd pixel at the end, as Keras' (TensorFlow's) 'same' does.
                return new(Padding.Same, same, same);
            case "NOTSET":
                break;
            default:
                throw node.Refuse($"attribute auto_pad='{autoPad}'; NeuralNet.Onnx imports NOTSET (explicit pads), VALID and SAME_UPPER (Keras' 'same'), not SAME_LOWER, which puts the odd pixel first");
        }

        long[] pads = given ?? attributes.Ints("pads", 4, 0);

        // Messages quote the node's own attribute (a 1-D node's [begin, end]), not the 2-D reading of it.
        string written = ImportText.List(attributes.Ints("pads") ?? pads);
        if (pads.Any(p => p < 0))
        {
            throw node.Refuse($"attribute pads={written}; negative pads (cropping) are not imported");
        }

        if (pads.Any(p => p > int.MaxValue))
        {
            throw node.Invalid($"attribute pads={written} holds a length above 2147483647");
        }

        return pads.All(p => p == 0) ? new(Padding.Valid, pads, same)
            : pads.SequenceEqual(same) ? new(Padding.Same, pads, same)
            : new(Padding.Valid, pads, same);
    }

    /// <summary>The output length along an axis: ONNX's floor((in + pads − window) / stride) + 1.</summary>
    public static long Output(long input, long before, long after, int window, int stride) => ((input + before + after - window) / stride) + 1;

    /// <summary>
    /// <paramref name="input"/>, of <paramref name="height"/> × <paramref name="width"/> pixels, with the explicit pads
    /// (none when not <see cref="IsExplicit"/>): zeros (a ZeroPadding2D), or, when <paramref name="edge"/>, copies of the
    /// edge rows and columns. A max over a window that holds a real pixel is the same with edge copies as with ONNX's
    /// −∞ pads: the window's real part is a rectangle that holds every edge pixel a pad of the window copies.
    /// </summary>
    public SymbolicTensor Apply(SymbolicTensor input, bool edge, long height, long width)
    {
        if (!IsExplicit)
        {
            return input;
        }

        if (!edge)
        {
            return new ZeroPadding2D((((int)Pads[0], (int)Pads[2]), ((int)Pads[1], (int)Pads[3]))).Call(input);
        }

        SymbolicTensor rows = Edges(input, 1, (int)height, (int)Pads[0], (int)Pads[2]);
        return Edges(rows, 2, (int)width, (int)Pads[1], (int)Pads[3]);
    }

    // Joins `before` copies of the first row (axis 1) or column (axis 2), the input and `after` copies of the last.
    private static SymbolicTensor Edges(SymbolicTensor input, int axis, int length, int before, int after)
    {
        if (before == 0 && after == 0)
        {
            return input;
        }

        SymbolicTensor Copies(bool first, int count)
        {
            (int, int) crop = first ? (0, length - 1) : (length - 1, 0);
            SymbolicTensor line = new Cropping2D(axis == 1 ? (crop, (0, 0)) : ((0, 0), crop)).Call(input);
            return count == 1 ? line : new UpSampling2D(axis == 1 ? (count, 1) : (1, count)).Call(line);
        }

        List<SymbolicTensor> parts = [];
        if (before > 0)
        {
            parts.Add(Copies(first: true, before));
        }

        parts.Add(input);
        if (after > 0)
        {
            parts.Add(Copies(first: false, after));
        }

        return new Concatenate(axis).Call([.. parts]);
    }
}
