using System.Globalization;
using NeuralNet.Layers;

namespace NeuralNet.Onnx.Import;

/// <summary>
/// How a ConvTranspose node's windows (see <see cref="TransposedWindow"/>) are computed by a NeuralNet Conv*Transpose:
/// its <see cref="Padding"/> and <see cref="OutputPadding"/>, and the indices a Cropping layer after it removes from
/// the start and end of each spatial axis (none where the layer's windows are the node's).
/// </summary>
internal sealed record ConvTransposePlan(Padding Padding, int[]? OutputPadding, (int Before, int After)[] Crops, long[] Output)
{
    /// <summary>Whether a Cropping layer follows the convolution.</summary>
    public bool HasCrop => Crops.Any(c => c.Before != 0 || c.After != 0);

    /// <summary>
    /// The node's window on each spatial axis, from its attributes, as ONNX Runtime computes them (opset 11 and later):
    /// <c>output_shape</c> when given (the node's <c>pads</c> ignored, as the operator's definition says), else
    /// <c>auto_pad</c>'s VALID (the full map and <c>output_padding</c>), SAME_UPPER / SAME_LOWER (in · stride long),
    /// or NOTSET's <c>pads</c> (begin pads, then end pads). Where output_shape or auto_pad leave an odd total of pads,
    /// SAME_UPPER puts the odd one at the end and SAME_LOWER and NOTSET at the start (the operator's definition, which
    /// ONNX Runtime 1.32 follows: the tests compare all three).
    /// </summary>
    public static TransposedWindow[] OnnxWindows(ImportedNode node, NodeAttributes attributes, long[] input, long[] kernel, long[] strides, long[] dilations, long[] outputPadding)
    {
        int rank = input.Length;
        string autoPad = attributes.String("auto_pad", "NOTSET");
        if (autoPad is not ("NOTSET" or "VALID" or "SAME_UPPER" or "SAME_LOWER"))
        {
            throw node.Invalid($"attribute auto_pad='{autoPad}' is not NOTSET, VALID, SAME_UPPER or SAME_LOWER");
        }

        long[]? outputShape = attributes.Ints("output_shape");
        if (outputShape is not null && outputShape.Length != rank)
        {
            throw node.Invalid(string.Create(CultureInfo.InvariantCulture,
                $"attribute output_shape={ImportText.List(outputShape)} holds {outputShape.Length} values; expected {rank}, the spatial lengths (ONNX Runtime refuses the others)"));
        }

        // The operator's definition takes pads only with NOTSET; ONNX Runtime refuses the file otherwise, so they are not dropped.
        if (autoPad != "NOTSET" && attributes.Ints("pads") is { Length: > 0 } given)
        {
            throw node.Invalid($"attribute pads={ImportText.List(given)} with auto_pad='{autoPad}'; pads may be given only with auto_pad NOTSET (ONNX Runtime refuses the file: the pads attribute cannot be used simultaneously with auto_pad)");
        }

        long[] pads = attributes.Ints("pads", 2 * rank, 0);
        if (outputShape is null && autoPad == "NOTSET" && pads.Any(p => p < 0))
        {
            throw node.Refuse($"attribute pads={ImportText.List(pads)}; negative pads (a ConvTranspose output wider than its full map on the start side) are not imported");
        }

        var windows = new TransposedWindow[rank];
        for (int i = 0; i < rank; i++)
        {
            long full = TransposedWindow.Full(input[i], kernel[i], strides[i], dilations[i]) + outputPadding[i];
            long? wanted = outputShape is not null ? outputShape[i]
                : autoPad is "SAME_UPPER" or "SAME_LOWER" ? input[i] * strides[i]
                : null;
            if (wanted is long length)
            {
                long total = full - length;
                if (length < 1 || total < 0)
                {
                    string source = outputShape is not null ? $"attribute output_shape={ImportText.List(outputShape)}" : $"auto_pad='{autoPad}'";
                    throw node.Refuse(string.Create(CultureInfo.InvariantCulture,
                        $"{source} asks for {length} outputs on spatial axis {i}, where the full map with output_padding holds {full}; NeuralNet.Onnx imports output lengths from 1 to the full map's"));
                }

                long start = autoPad == "SAME_UPPER" ? total / 2 : total - (total / 2);
                windows[i] = new(start, length);
            }
            else if (autoPad == "VALID")
            {
                windows[i] = new(0, full);
            }
            else
            {
                windows[i] = new(pads[i], full - pads[i] - pads[rank + i]);
            }
        }

        return windows;
    }

    /// <summary>
    /// The NeuralNet layer for <paramref name="windows"/>: a Keras padding and output padding whose windows are the
    /// node's, preferring no output padding and 'valid'; else 'valid' with the output padding that reaches the node's
    /// last index, and a crop. Refused, naming the node and the node's <paramref name="attributeOutputPadding"/> and
    /// <paramref name="attributePads"/>, where that output padding is not below the stride (Keras' rule).
    /// </summary>
    public static ConvTransposePlan Choose(ImportedNode node, TransposedWindow[] windows, long[] input, long[] kernel, long[] strides, long[] dilations, long[] attributeOutputPadding, long[] attributePads)
    {
        int rank = windows.Length;
        long[] Needed(Padding padding) => [.. Enumerable.Range(0, rank).Select(i =>
            padding == Padding.Valid
                ? windows[i].Length - TransposedWindow.Full(input[i], kernel[i], strides[i], dilations[i])
                : windows[i].Length - ((input[i] - 1) * strides[i]) - ((((kernel[i] - 1) * dilations[i]) + 1) % 2))];
        TransposedWindow[] Keras(Padding padding, long[]? outputPadding) =>
            [.. Enumerable.Range(0, rank).Select(i => TransposedWindow.Keras(input[i], kernel[i], strides[i], dilations[i], padding, outputPadding?[i]))];
        bool Fits(long[] outputPadding) => outputPadding.Select((p, i) => p >= 0 && p < strides[i]).All(b => b);

        (Padding, long[]?)[] exact = [(Padding.Valid, null), (Padding.Same, null), (Padding.Valid, Needed(Padding.Valid)), (Padding.Same, Needed(Padding.Same))];
        foreach ((Padding padding, long[]? outputPadding) in exact)
        {
            if ((outputPadding is null || Fits(outputPadding)) && Keras(padding, outputPadding).SequenceEqual(windows))
            {
                return Plan(padding, outputPadding, windows, windows);
            }
        }

        // 'valid' starts at the full map's first index; output padding extends it past the last, to the node's end.
        long[] reach = [.. windows.Select((w, i) => Math.Max(0, w.End - TransposedWindow.Full(input[i], kernel[i], strides[i], dilations[i])))];
        if (!Fits(reach))
        {
            throw node.Refuse($"its output reaches {ImportText.List(reach)} indices past the full map (output_padding={ImportText.List(attributeOutputPadding)} beyond the end pads of pads={ImportText.List(attributePads)}), not fewer than strides {ImportText.List(strides)}; NeuralNet's Conv*Transpose (as Keras') takes an output padding below the stride");
        }

        long[]? chosen = reach.Any(r => r > 0) ? reach : null;
        return Plan(Padding.Valid, chosen, Keras(Padding.Valid, chosen), windows);
    }

    private static ConvTransposePlan Plan(Padding padding, long[]? outputPadding, TransposedWindow[] layer, TransposedWindow[] windows) => new(
        padding,
        outputPadding is null ? null : [.. outputPadding.Select(p => (int)p)],
        [.. layer.Zip(windows, (k, w) => ((int)(w.Start - k.Start), (int)(k.End - w.End)))],
        [.. layer.Select(k => k.Length)]);
}
