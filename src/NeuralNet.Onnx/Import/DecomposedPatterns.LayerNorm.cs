using System.Globalization;
using NeuralNet.Onnx.Protobuf;

namespace NeuralNet.Onnx.Import;

// The search for LayerNorm written out in nodes (opsets before 17), and the affine and standardization pieces the
// exported-BatchNormalization search shares, apart from the GELU search so that each file holds one pattern family.
internal sealed partial class DecomposedPatterns
{
    // y = (x − mean(x)) / sqrt(mean((x − mean(x))²) + eps) [· gamma] [+ beta], the means over one axis with keepdims; the
    // square may be a product and the division a product by a Reciprocal (NeuralNet's own export).
    private (HashSet<int>, OpConverter)? MatchLayerNorm(int anchor)
    {
        var nodes = new HashSet<int> { anchor };
        NodeProto top = _nodes[anchor];
        string? beta = null, gamma = null;
        NodeProto current = top;
        if (current.OpType == "Add" && Affine(current, nodes) is (string b, NodeProto scaled))
        {
            (beta, current) = (b, scaled);
        }

        if (current.OpType == "Mul" && Affine(current, nodes) is (string w, NodeProto divided))
        {
            (gamma, current) = (w, divided);
        }

        // x̂ = centred / √(variance + ε) (torch.onnx), or centred · Reciprocal(√(variance + ε)) (NeuralNet's exporter).
        if (current.Input.Count != 2 || Standardized(current, nodes) is not (string centred, string root))
        {
            return null;
        }

        // The variance: mean(centred²), the square as Pow(centred, 2) or centred · centred.
        if (Producer(root, "Sqrt", nodes) is not NodeProto sqrt
            || Producer(sqrt.Input[0], "Add", nodes) is null || Sum(sqrt.Input[0], nodes) is not (double epsilon, [string variance])
            || Producer(variance, "ReduceMean", nodes) is not NodeProto varianceMean
            || (Producer(varianceMean.Input[0], "Pow", nodes) ?? Producer(varianceMean.Input[0], "Mul", nodes)) is not NodeProto square
            || square.Input.Count != 2 || square.Input[0] != centred
            || !(square.OpType == "Pow" ? Scalar(square.Input[1]) is 2.0 : square.Input[1] == centred)
            || Producer(centred, "Sub", nodes, readers: square.OpType == "Pow" ? 2 : 3) is not NodeProto sub
            || Producer(sub.Input[1], "ReduceMean", nodes) is not NodeProto mean || mean.Input[0] != sub.Input[0]
            || MeanAxis(mean) is not long axis || MeanAxis(varianceMean) != axis)
        {
            return null;
        }

        string x = sub.Input[0];
        OpConverter fused = (node, graph) =>
        {
            ImportedValue input = Input(node, graph, x, "LayerNorm");
            // NeuralNet's last axis: an image's channels (axis 1, channels-first LayerNorm as in ConvNeXt), another tensor's last axis.
            bool overChannels = input.IsImage && (axis == 1 || axis == 1 - input.Rank);
            if (!overChannels && (input.IsImage || (axis != -1 && axis != input.Rank - 1)))
            {
                throw node.Refuse(string.Create(CultureInfo.InvariantCulture,
                    $"it ends a LayerNorm written as ReduceMean, Sub, Pow, Sqrt and Div over axis {axis} of {ImportText.Dims(input.Dims)}; NeuralNet.Onnx imports layer normalization over the last axis, or over the channels of an (N, C, H, W) image (not over its height or width)"));
            }

            float[]? Weight(string? name, string what) => name is null ? null
                : !graph.TryGet(name, out ImportedValue value) || value.Constant is not OnnxConstant c ? throw node.Refuse($"the LayerNorm's {what} '{name}' is not a constant")
                : c.Values.Length == 1 || ChannelConstants.IsPerIndex(input, c) ? c.Vector(node, (int)(overChannels ? input.Dims[1] : input.Dims[^1]), what, perChannel: overChannels)
                : throw node.Refuse($"the LayerNorm's {what} '{name}' has dimensions {c.Shape}; one value per index of the normalized axis is expected");
            NormalizationImports.DefineLayerNormalization(node, graph, input, Weight(gamma, "scale (gamma)"), Weight(beta, "offset (beta)"), (float)epsilon);
        };
        return (nodes, fused);
    }

    // The centred value and the root it is divided by: Div(centred, root), or Mul of centred and Reciprocal(root) (either order).
    private (string Centred, string Root)? Standardized(NodeProto node, HashSet<int> nodes)
    {
        if (node.OpType == "Div" && !_constants.Contains(node.Input[1]))
        {
            return (node.Input[0], node.Input[1]);
        }

        if (node.OpType == "Mul")
        {
            for (int k = 0; k < 2; k++)
            {
                if (Producer(node.Input[1 - k], "Reciprocal", nodes) is NodeProto reciprocal && reciprocal.Input.Count == 1)
                {
                    return (node.Input[k], reciprocal.Input[0]);
                }
            }
        }

        return null;
    }

    // An Add or Mul of a constant (a LayerNorm's beta or gamma) and a value made by the Mul or Div before it, read only here.
    private (string Constant, NodeProto Previous)? Affine(NodeProto node, HashSet<int> nodes)
    {
        if (node.Input.Count != 2)
        {
            return null;
        }

        for (int k = 0; k < 2; k++)
        {
            string c = node.Input[k], v = node.Input[1 - k];
            if (_constants.Contains(c) && !_constants.Contains(v) && (Producer(v, "Mul", nodes) ?? Producer(v, "Div", nodes)) is NodeProto previous)
            {
                return (c, previous);
            }
        }

        return null;
    }

    // A ReduceMean's one axis (attribute before opset 18, input after) with keepdims=1; null otherwise.
    private long? MeanAxis(NodeProto mean)
    {
        if (mean.Attribute.Any(a => a.Name is not ("axes" or "keepdims")) || mean.Attribute.Any(a => a.Name == "keepdims" && a.I != 1))
        {
            return null;
        }

        AttributeProto? axes = mean.Attribute.FirstOrDefault(a => a.Name == "axes");
        return axes is { Ints.Count: 1 } ? axes.Ints[0]
            : axes is null && mean.Input.Count == 2 && Scalar(mean.Input[1]) is double a ? (long)a
            : null;
    }
}
