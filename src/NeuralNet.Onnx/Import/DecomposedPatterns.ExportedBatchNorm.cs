using NeuralNet.Onnx.Protobuf;

namespace NeuralNet.Onnx.Import;

// The search for NeuralNet's exported BatchNormalization chain (ExportedBatchNorm converts a match), apart from the
// GELU and LayerNorm searches so that each file holds one pattern family.
internal sealed partial class DecomposedPatterns
{
    // NeuralNet's exported BatchNormalization: Sub (mean), Mul (factor), [Mul (gamma)], [Add (beta)], each by a constant,
    // each value read only by the next node; whether the constants are per channel is known only when converting.
    private (HashSet<int>, OpConverter)? MatchExportedBatchNorm(int anchor)
    {
        var nodes = new HashSet<int> { anchor };
        NodeProto current = _nodes[anchor];
        string? beta = null, gamma = null;
        if (current.OpType == "Add")
        {
            if (Affine(current, nodes) is not (string b, { OpType: "Mul" } scaled))
            {
                return null;
            }

            (beta, current) = (b, scaled);
        }

        var withGamma = new HashSet<int>(nodes);
        string factor;
        NodeProto sub;
        if (ByConstant(current, "Mul", withGamma) is (string g, NodeProto inner) && ByConstant(inner, "Sub", withGamma) is (string k, NodeProto s))
        {
            (gamma, factor, sub, nodes) = (g, k, s, withGamma);
        }
        else if (ByConstant(current, "Sub", nodes) is (string k2, NodeProto s2))
        {
            (factor, sub) = (k2, s2);
        }
        else
        {
            return null;
        }

        if (sub.Input.Count != 2 || _constants.Contains(sub.Input[0]) || !_constants.Contains(sub.Input[1]))
        {
            return null;
        }

        (string x, string mean) = (sub.Input[0], sub.Input[1]);
        (NodeProto, int)[] chain = [.. nodes.Order().Select(i => (_nodes[i], i))];
        OpConverter fused = (node, graph) => ExportedBatchNorm.Define(node, graph, x, mean, factor, gamma, beta, chain);
        return (nodes, fused);
    }

    // A Mul of a constant and a value made by an op node read only here: the constant and that node (added to nodes).
    private (string Constant, NodeProto Previous)? ByConstant(NodeProto node, string op, HashSet<int> nodes)
    {
        if (node.OpType != "Mul" || node.Input.Count != 2)
        {
            return null;
        }

        for (int k = 0; k < 2; k++)
        {
            string c = node.Input[k], v = node.Input[1 - k];
            if (_constants.Contains(c) && !_constants.Contains(v) && Producer(v, op, nodes) is NodeProto previous)
            {
                return (c, previous);
            }
        }

        return null;
    }
}
