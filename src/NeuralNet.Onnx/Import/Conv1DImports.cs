using System.Globalization;
using NeuralNet.Layers;
using NeuralNet.Models;

namespace NeuralNet.Onnx.Import;

/// <summary>
/// Conv over (N, C, L) sequences (PyTorch's <c>nn.Conv1d</c>) as Conv1D, or DepthwiseConv1D when <c>group</c> is the
/// channels, between two Permutes (NeuralNet holds a sequence in ONNX's (N, C, L) order; the layers read (N, L, C)).
/// The (M, C, k) weights are laid out as Keras' (k, C, M) ((C·m, 1, k) as (k, C, m) for a depthwise one); pads as the
/// 2-D import reads them (<see cref="WindowPadding"/>): none 'valid', Keras' 'same' ones (the odd one after, as
/// SAME_UPPER) 'same', others a ZeroPadding1D in front of a 'valid' convolution.
/// </summary>
internal static class Conv1DImports
{
    public static void Define(ImportedNode node, ImportGraph graph, NodeAttributes attributes, ImportedValue x)
    {
        OnnxConstant w = graph.Constant(node, 1, "W, the weights");
        if (w.Dims.Length != 3 || w.Dims.Any(v => v < 1))
        {
            throw node.Invalid($"W has dimensions {w.Shape}; a 1-D convolution's weights are (M, C/group, k), each length at least 1");
        }

        long groupValue = attributes.Int("group", 1), channels = x.Dims[1], filters = w.Dims[0], kernel = w.Dims[2];
        if (!ImportSizes.IsLength(groupValue) || channels % groupValue != 0 || filters % groupValue != 0 || w.Dims[1] != channels / groupValue)
        {
            throw node.Invalid(string.Create(CultureInfo.InvariantCulture,
                $"group={groupValue} does not fit {channels} input channels and weights {w.Shape} (expected (M, C/group, k) with group dividing C and M)"));
        }

        bool depthwise = groupValue == channels && groupValue > 1;
        if (groupValue != 1 && !depthwise)
        {
            throw node.Refuse(string.Create(CultureInfo.InvariantCulture,
                $"attribute group={groupValue} over {channels} channels; NeuralNet's Conv1D (as Keras') has no groups: NeuralNet.Onnx imports a 1-D Conv with group 1 (Conv1D) or group = channels (DepthwiseConv1D)"));
        }

        if (attributes.Ints("kernel_shape") is long[] shape && !shape.SequenceEqual([kernel]))
        {
            throw node.Invalid($"attribute kernel_shape={ImportText.List(shape)} differs from the weights' {w.Shape}");
        }

        long stride = attributes.Ints("strides", 1, 1)[0], dilation = attributes.Ints("dilations", 1, 1)[0];
        long extent = ((kernel - 1) * dilation) + 1;
        if (!ImportSizes.IsLength(stride) || !ImportSizes.IsLength(dilation) || !ImportSizes.IsLength(extent))
        {
            throw node.Invalid(string.Create(CultureInfo.InvariantCulture, $"kernel {kernel}, stride {stride} and dilation {dilation} (a span of {extent}) must be in {ImportSizes.LengthRange}"));
        }

        if (stride > 1 && dilation > 1)
        {
            throw node.Refuse(string.Create(CultureInfo.InvariantCulture,
                $"strides [{stride}] with dilations [{dilation}]; Keras' convolutions (and NeuralNet's) take strides above 1 or dilations above 1, not both"));
        }

        // The 2-D reading on an L × 1 image: pads [begin, end] become [top, 0, bottom, 0].
        WindowPadding padding = Read(node, attributes, x.Dims[2], (int)extent, (int)stride);
        long before = padding.Pads[0], after = padding.Pads[2];
        long length = WindowPadding.Output(x.Dims[2], before, after, (int)extent, (int)stride);
        if (length < 1)
        {
            throw node.Refuse(string.Create(CultureInfo.InvariantCulture, $"a span of {extent} over {x.Dims[2]} steps with pads [{before}, {after}] leaves no output; NeuralNet layers need a length of at least 1"));
        }

        float[]? bias = null;
        if (graph.Optional(node, 2) is ImportedValue biasValue)
        {
            OnnxConstant constant = biasValue.Constant ?? throw node.Refuse($"input B '{biasValue.Name}' is computed by the graph; NeuralNet.Onnx imports a convolution's bias only as a constant");
            bias = constant.Dims.SequenceEqual([filters]) ? constant.ToFloats()
                : throw node.Invalid(string.Create(CultureInfo.InvariantCulture, $"the bias has dimensions {constant.Shape}, expected [{filters}]"));
        }

        // (M, C, k) -> Keras' (k, C, M); a depthwise (C·m, 1, k), filter c·m + j, -> (k, C, m).
        int[] weightDims = depthwise ? [(int)channels, (int)(filters / channels), (int)kernel] : [.. w.Dims.Select(v => (int)v)];
        float[] kernelValues = ImportLayout.Transpose(w.ToFloats(), weightDims, depthwise ? [2, 0, 1] : [2, 1, 0]);
        graph.Define(node, [x.Dims[0], filters, length], b =>
        {
            SymbolicTensor input = ImportBuild.Permuted(b[x], 2, 1);
            if (padding.IsExplicit)
            {
                input = new ZeroPadding1D(((int)before, (int)after)).Call(input);
            }

            Layer conv = depthwise
                ? new DepthwiseConv1D((int)kernel, (int)stride, padding.Padding, (int)(filters / channels), (int)dilation, useBias: bias is not null)
                : new Conv1D((int)filters, (int)kernel, (int)stride, padding.Padding, (int)dilation, useBias: bias is not null);
            SymbolicTensor y = conv.Call(input);
            b.Weight(conv, "kernel", kernelValues);
            if (bias is not null)
            {
                b.Weight(conv, "bias", bias);
            }

            return ImportBuild.Permuted(ConvTransposeImports.CheckBuilt(node, conv.GetType().Name, y, [length, filters]), 2, 1);
        });
    }

    // A 1-D node's auto_pad and pads read as the 2-D import reads them, for an L × 1 image.
    private static WindowPadding Read(ImportedNode node, NodeAttributes attributes, long steps, int extent, int stride)
    {
        long[] pads = attributes.Ints("pads", 2, 0);
        return WindowPadding.Read(node, attributes, steps, 1, (extent, 1), (stride, 1), [pads[0], 0, pads[1], 0]);
    }
}
