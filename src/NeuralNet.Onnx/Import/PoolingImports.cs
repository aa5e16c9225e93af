using System.Globalization;
using NeuralNet.Layers;
using NeuralNet.Models;

namespace NeuralNet.Onnx.Import;

/// <summary>MaxPool, AveragePool, GlobalAveragePool and GlobalMaxPool over images as NeuralNet's 2-D pooling layers.</summary>
internal static class PoolingImports
{
    public static void Register(Dictionary<string, OpConverter> all)
    {
        all["MaxPool"] = (node, graph) => Pool(node, graph, max: true);
        all["AveragePool"] = (node, graph) => Pool(node, graph, max: false);
        all["GlobalAveragePool"] = (node, graph) => Global(node, graph, max: false);
        all["GlobalMaxPool"] = (node, graph) => Global(node, graph, max: true);
    }

    private static void Pool(ImportedNode node, ImportGraph graph, bool max)
    {
        var attributes = max
            ? new NodeAttributes(node, "auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "storage_order", "strides")
            : new NodeAttributes(node, "auto_pad", "ceil_mode", "count_include_pad", "dilations", "kernel_shape", "pads", "strides");
        ImportedValue x = graph.Image(node, 0, "X");
        long[] k = attributes.Ints("kernel_shape") ?? throw node.Invalid("attribute kernel_shape is missing");
        if (k.Length != 2 || !k.All(ImportSizes.IsLength))
        {
            throw node.Invalid($"attribute kernel_shape={ImportText.List(k)} is not two lengths in {ImportSizes.LengthRange}");
        }

        long[] s = attributes.Ints("strides", 2, 1);
        if (!s.All(ImportSizes.IsLength))
        {
            throw node.Invalid($"attribute strides={ImportText.List(s)} is not two steps in {ImportSizes.LengthRange}");
        }

        if (attributes.Ints("dilations", 2, 1).Any(v => v != 1))
        {
            throw node.Refuse($"attribute dilations={ImportText.List(attributes.Ints("dilations")!)}; NeuralNet's pooling windows are not dilated");
        }

        (int Height, int Width) window = ((int)k[0], (int)k[1]), strides = ((int)s[0], (int)s[1]);
        WindowPadding padding = WindowPadding.Read(node, attributes, x.Dims[2], x.Dims[3], window, strides);
        bool countPads = !max && attributes.Int("count_include_pad", 0) != 0;
        if (padding.Padding == Padding.Same && countPads)
        {
            // Keras' 'same' average leaves the pads out of the count; counted pads are zeros in front of a 'valid' pool.
            padding = padding with { Padding = Padding.Valid };
        }

        long[] p = padding.Pads;
        long height = WindowPadding.Output(x.Dims[2], p[0], p[2], window.Height, strides.Height);
        long width = WindowPadding.Output(x.Dims[3], p[1], p[3], window.Width, strides.Width);

        // ONNX pads a max with −∞: where every window holds a real pixel (PyTorch's pad <= kernel / 2 ensures it), edge copies give the same max.
        bool everyWindowReal = p[0] < window.Height && p[1] < window.Width
            && ((height - 1) * strides.Height) - p[0] < x.Dims[2] && ((width - 1) * strides.Width) - p[1] < x.Dims[3];
        if (padding.IsExplicit && !countPads && !(max && everyWindowReal))
        {
            throw node.Refuse(string.Create(CultureInfo.InvariantCulture,
                $"attribute pads={ImportText.List(padding.Pads)} for a {x.Dims[2]}×{x.Dims[3]} input; NeuralNet.Onnx imports {node.OpType} with no pads or the pads of Keras' 'same' ({ImportText.List(padding.SamePads)}) here{(max ? ", or pads that leave a real pixel in every window" : ", or any pads with count_include_pad=1")}"));
        }
        if (attributes.Int("ceil_mode", 0) != 0 && (Ceil(x.Dims[2], p[0], p[2], window.Height, strides.Height) != height || Ceil(x.Dims[3], p[1], p[3], window.Width, strides.Width) != width))
        {
            throw node.Refuse(string.Create(CultureInfo.InvariantCulture,
                $"attribute ceil_mode=1 adds a partial window on this {x.Dims[2]}×{x.Dims[3]} input; NeuralNet.Onnx imports ceil_mode=1 only where it gives floor's output"));
        }

        graph.Define(node, [x.Dims[0], x.Dims[1], height, width], b =>
        {
            SymbolicTensor input = padding.Apply(b[x], edge: max, x.Dims[2], x.Dims[3]);

            Layer pool = max ? new MaxPooling2D(window, strides, padding.Padding) : new AveragePooling2D(window, strides, padding.Padding);
            return pool.Call(input);
        });
    }

    // ONNX's ceil mode, as ONNX Runtime computes it: a last window that would start in the end padding is dropped.
    private static long Ceil(long input, long before, long after, int window, int stride)
    {
        long output = ((input + before + after - window + stride - 1) / stride) + 1;
        return (output - 1) * stride >= input + before ? output - 1 : output;
    }

    private static void Global(ImportedNode node, ImportGraph graph, bool max)
    {
        _ = new NodeAttributes(node);
        ImportedValue x = graph.Image(node, 0, "X");
        graph.Define(node, [x.Dims[0], x.Dims[1], 1, 1], b => max
            ? new Reshape(1, 1, (int)x.Dims[1]).Call(new GlobalMaxPooling2D().Call(b[x]))
            : new GlobalAveragePooling2D(keepDims: true).Call(b[x]));
    }
}
