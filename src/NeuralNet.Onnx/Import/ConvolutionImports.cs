using System.Globalization;
using NeuralNet.Layers;
using NeuralNet.Models;

namespace NeuralNet.Onnx.Import;

/// <summary>Conv over images as Conv2D (groups too) or DepthwiseConv2D, its OIHW weights laid out as Keras' HWIO; over (N, C, L) sequences see <see cref="Conv1DImports"/>.</summary>
internal static class ConvolutionImports
{
    public static void Register(Dictionary<string, OpConverter> all) => all["Conv"] = Conv;

    private static void Conv(ImportedNode node, ImportGraph graph)
    {
        var attributes = new NodeAttributes(node, "auto_pad", "dilations", "group", "kernel_shape", "pads", "strides");
        ImportedValue given = graph.Computed(node, 0, "X");
        if (given.Rank == 3)
        {
            Conv1DImports.Define(node, graph, attributes, given);
            return;
        }

        if (given.Rank != 4)
        {
            throw node.Refuse($"input 0 (X) has dimensions {ImportText.Dims(given.Dims)}; NeuralNet.Onnx imports Conv on (N, C, L) sequences (Conv1D) and (N, C, H, W) images (Conv2D)");
        }

        ImportedValue x = graph.Image(node, 0, "X");
        OnnxConstant w = graph.Constant(node, 1, "W, the weights");
        if (w.Dims.Length != 4)
        {
            throw node.Invalid($"W has dimensions {w.Shape}; a 2-D convolution's weights are (M, C/group, kH, kW)");
        }

        if (w.Dims.Any(v => v < 1))
        {
            throw node.Invalid($"W has dimensions {w.Shape}; every length of a convolution's weights (filters, channels, kernel) is at least 1");
        }

        long groupValue = attributes.Int("group", 1);
        if (!ImportSizes.IsLength(groupValue))
        {
            throw node.Invalid(string.Create(CultureInfo.InvariantCulture, $"attribute group={groupValue} is not in {ImportSizes.LengthRange}"));
        }

        int channels = (int)x.Dims[1], filters = (int)w.Dims[0], group = (int)groupValue;
        (int Height, int Width) kernel = ((int)w.Dims[2], (int)w.Dims[3]);
        if (attributes.Ints("kernel_shape") is long[] shape && !shape.SequenceEqual(w.Dims[2..]))
        {
            throw node.Invalid($"attribute kernel_shape={ImportText.List(shape)} differs from the weights' {w.Shape}");
        }

        if (group < 1 || channels % group != 0 || filters % group != 0 || w.Dims[1] != channels / group)
        {
            throw node.Invalid(string.Create(CultureInfo.InvariantCulture,
                $"group={group} does not fit {channels} input channels and weights {w.Shape} (expected (M, C/group, kH, kW) with group dividing C and M)"));
        }

        long[] s = attributes.Ints("strides", 2, 1), d = attributes.Ints("dilations", 2, 1);
        if (!s.All(ImportSizes.IsLength) || !d.All(ImportSizes.IsLength))
        {
            throw node.Invalid($"strides {ImportText.List(s)} and dilations {ImportText.List(d)} must be in {ImportSizes.LengthRange}");
        }

        if (s.Any(v => v > 1) && d.Any(v => v > 1))
        {
            throw node.Refuse($"strides {ImportText.List(s)} with dilations {ImportText.List(d)}; Keras' convolutions (and NeuralNet's) take strides above 1 or dilations above 1, not both");
        }

        (int Height, int Width) strides = ((int)s[0], (int)s[1]), dilation = ((int)d[0], (int)d[1]);
        long extentHeight = ((kernel.Height - 1L) * dilation.Height) + 1, extentWidth = ((kernel.Width - 1L) * dilation.Width) + 1;
        if (!ImportSizes.IsLength(extentHeight) || !ImportSizes.IsLength(extentWidth))
        {
            throw node.Invalid($"a kernel {ImportText.List(w.Dims[2..])} dilated by {ImportText.List(d)} spans more than 2147483647 pixels");
        }

        (int Height, int Width) extent = ((int)extentHeight, (int)extentWidth);
        WindowPadding padding = WindowPadding.Read(node, attributes, x.Dims[2], x.Dims[3], extent, strides);
        long[] p = padding.Pads;
        long[] dims = [x.Dims[0], filters,
            WindowPadding.Output(x.Dims[2], p[0], p[2], extent.Height, strides.Height),
            WindowPadding.Output(x.Dims[3], p[1], p[3], extent.Width, strides.Width)];
        float[]? bias = null;
        if (graph.Optional(node, 2) is ImportedValue biasValue)
        {
            OnnxConstant constant = biasValue.Constant ?? throw node.Refuse($"input B '{biasValue.Name}' is computed by the graph; NeuralNet.Onnx imports a convolution's bias only as a constant");
            bias = constant.Dims.SequenceEqual([(long)filters]) ? constant.ToFloats()
                : throw node.Invalid(string.Create(CultureInfo.InvariantCulture, $"the bias has dimensions {constant.Shape}, expected [{filters}]"));
        }

        bool depthwise = group == channels && group > 1;
        float[] weights = w.ToFloats();
        // OIHW -> Keras' HWIO (Conv2D, groups included), or (C·M, 1, kH, kW) -> (kH, kW, C, M) for a depthwise one.
        float[] kernelValues = depthwise
            ? ImportLayout.Transpose(weights, [channels, filters / channels, kernel.Height, kernel.Width], [2, 3, 0, 1])
            : ImportLayout.Transpose(weights, [filters, channels / group, kernel.Height, kernel.Width], [2, 3, 1, 0]);
        graph.Define(node, dims, b =>
        {
            SymbolicTensor input = padding.Apply(b[x], edge: false, x.Dims[2], x.Dims[3]);

            Layer conv = depthwise
                ? new DepthwiseConv2D(kernel, strides, padding.Padding, filters / channels, dilation, useBias: bias is not null)
                : new Conv2D(filters, kernel, strides, padding.Padding, dilation, group, useBias: bias is not null);
            SymbolicTensor y = conv.Call(input);
            b.Weight(conv, "kernel", kernelValues);
            if (bias is not null)
            {
                b.Weight(conv, "bias", bias);
            }

            return y;
        });
    }
}
