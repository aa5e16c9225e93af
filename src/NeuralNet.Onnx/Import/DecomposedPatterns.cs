using System.Globalization;
using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Onnx.Protobuf;

namespace NeuralNet.Onnx.Import;

/// <summary>
/// GELU and LayerNorm as opsets before 20 and 17 write them (torch.onnx's symbolic_opset9 <c>gelu</c> and
/// <c>native_layer_norm</c>), found before the nodes are converted: each matched subgraph imports as one
/// <see cref="Gelu"/> activation or <see cref="Layers.LayerNormalization"/>, at its last node. Products and sums are read
/// up to order and grouping (<c>0.5·x·(1 + erf(x/√2))</c>, <c>x·0.5·(1 + erf(x·0.7071))</c>, <c>Pow(x, 3)</c> or
/// <c>x·x·x</c>); a value inside a match must have no reader outside it. What does not match imports node by node.
/// NeuralNet's exported BatchNormalization (Sub, Mul, [Mul], [Add] by constants) is found here too (DecomposedPatterns.ExportedBatchNorm.cs,
/// <see cref="ExportedBatchNorm"/>).
/// </summary>
internal sealed partial class DecomposedPatterns
{
    private const double Sqrt2 = 1.4142135623730951, TanhBeta = 0.7978845608028654, TanhKappa = 0.044715;

    private readonly IList<NodeProto> _nodes;
    private readonly IReadOnlyDictionary<string, int> _consumers;
    private readonly Dictionary<string, int> _producer = new(StringComparer.Ordinal);
    private readonly Dictionary<string, double> _scalars = new(StringComparer.Ordinal);
    private readonly HashSet<string> _constants = new(StringComparer.Ordinal);
    private readonly HashSet<int> _claimed = [];
    private readonly Dictionary<int, OpConverter> _anchors = [];

    private DecomposedPatterns(GraphProto g, IReadOnlyDictionary<string, int> consumers, string source)
    {
        _nodes = g.Node;
        _consumers = consumers;
        foreach (TensorProto initializer in g.Initializer)
        {
            AddConstant(initializer.Name, initializer, $"ONNX file '{source}': initializer '{initializer.Name}'");
        }

        for (int i = 0; i < _nodes.Count; i++)
        {
            NodeProto n = _nodes[i];
            foreach (string output in n.Output)
            {
                _producer.TryAdd(output, i);
            }

            if (n.OpType == "Constant" && n.Output.Count == 1 && n.Attribute.Count == 1)
            {
                AttributeProto a = n.Attribute[0];
                // A damaged value is reported naming its node, as the Constant's own converter would.
                _ = a.Name == "value" && a.T is not null ? AddConstant(n.Output[0], a.T, $"ONNX file '{source}': {new ImportedNode(n, i, source).Description}'s value")
                    : a.Name == "value_float" && _constants.Add(n.Output[0]) && _scalars.TryAdd(n.Output[0], a.F);
            }
        }

        // From the last node back, so that the outermost product of a GELU is its anchor.
        for (int i = _nodes.Count - 1; i >= 0; i--)
        {
            if (!_claimed.Contains(i) && _nodes[i].Domain is "" or "ai.onnx" && (MatchGelu(i) ?? MatchLayerNorm(i) ?? MatchExportedBatchNorm(i)) is (HashSet<int> nodes, OpConverter fused) && !nodes.Overlaps(_claimed))
            {
                _claimed.UnionWith(nodes);
                _anchors[i] = fused;
            }
        }
    }

    /// <summary>The GELU, LayerNorm and exported-BatchNormalization subgraphs of <paramref name="g"/>; <paramref name="consumers"/> counts each value's readers (graph outputs included); <paramref name="source"/> names the file in messages.</summary>
    public static DecomposedPatterns Find(GraphProto g, IReadOnlyDictionary<string, int> consumers, string source) => new(g, consumers, source);

    /// <summary>Whether node <paramref name="index"/> lies inside a match, before its last node: it is not converted.</summary>
    public bool Skips(int index) => _claimed.Contains(index) && !_anchors.ContainsKey(index);

    /// <summary>The converter of the match that ends at node <paramref name="index"/>, if one does.</summary>
    public OpConverter? Fused(int index) => _anchors.GetValueOrDefault(index);

    private bool AddConstant(string name, TensorProto tensor, string what)
    {
        _constants.Add(name);
        if (tensor.Dims.All(d => d == 1) && tensor.DataType is OnnxConstant.Float or OnnxConstant.Double or OnnxConstant.Int32 or OnnxConstant.Int64
            && tensor.DataLocation != 1 && tensor.ExternalData.Count == 0)
        {
            OnnxConstant c = OnnxConstant.Read(tensor, what);
            if (c.Values.Length == 1)
            {
                _scalars[name] = c.Values[0];
            }
        }

        return true;
    }

    // y = 0.5·x·(1 + erf(x/√2)), or 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
    private (HashSet<int>, OpConverter)? MatchGelu(int anchor)
    {
        if (_nodes[anchor].OpType is not ("Mul" or "Div") || _nodes[anchor].Output.Count != 1)
        {
            return null;
        }

        var nodes = new HashSet<int>();
        (double half, List<string> factors) = Product(_nodes[anchor].Output[0], true, nodes);
        if (!Close(half, 0.5) || factors.Count != 2)
        {
            return null;
        }

        foreach ((string x, string onePlus) in new[] { (factors[0], factors[1]), (factors[1], factors[0]) })
        {
            var inner = new HashSet<int>(nodes);
            if (Producer(onePlus, "Add", inner) is null || Sum(onePlus, inner) is not (double one, [string f]) || !Close(one, 1))
            {
                continue;
            }

            if (Producer(f, "Erf", inner) is NodeProto erf && Product(erf.Input[0], false, inner) is (double r, [string x1]) && Close(r, 1 / Sqrt2) && x1 == x)
            {
                return (inner, Fused(x, approximate: false));
            }

            if (Producer(f, "Tanh", inner) is NodeProto tanh && Product(tanh.Input[0], false, inner) is (double beta, [string s]) && Close(beta, TanhBeta)
                && Producer(s, "Add", inner) is not null && Sum(s, inner) is (double zero, [string p, string q]) && Close(zero, 0)
                && (p == x ? q : q == x ? p : null) is string cubeTerm
                && Product(cubeTerm, false, inner) is (double kappa, [string c1, string c2, string c3]) && Close(kappa, TanhKappa) && c1 == x && c2 == x && c3 == x)
            {
                return (inner, Fused(x, approximate: true));
            }
        }

        return null;

        static OpConverter Fused(string x, bool approximate) => (node, graph) =>
        {
            ImportedValue input = Input(node, graph, x, approximate ? "GELU (tanh approximation)" : "GELU");
            graph.Define(node, input.Dims, b => new Activation(new Gelu(approximate)).Call(b[input]), input.IsImage);
        };
    }

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

    // The coefficient and the other factors of a product of Mul nodes, Div by constants and Pow by 2 or 3; the nodes read are added.
    private (double Coefficient, List<string> Factors) Product(string value, bool top, HashSet<int> nodes)
    {
        double coefficient = 1;
        var factors = new List<string>();
        void Walk(string v, bool first)
        {
            if (Scalar(v) is double c)
            {
                coefficient *= c;
                return;
            }

            NodeProto? n = Producer(v, "Mul", nodes, first ? null : 1) ?? Producer(v, "Div", nodes, first ? null : 1, constantSecond: true) ?? Producer(v, "Pow", nodes, first ? null : 1, constantSecond: true);
            if (n is null)
            {
                factors.Add(v);
                return;
            }

            switch (n.OpType)
            {
                case "Mul":
                    Walk(n.Input[0], false);
                    Walk(n.Input[1], false);
                    break;
                case "Div":
                    Walk(n.Input[0], false);
                    coefficient /= Scalar(n.Input[1])!.Value;
                    break;
                default:
                    for (int k = 0; k < (int)Scalar(n.Input[1])!.Value; k++)
                    {
                        Walk(n.Input[0], false);
                    }

                    break;
            }
        }

        Walk(value, top);
        return (coefficient, factors);
    }

    // The constant and the other terms of a sum of Add nodes read only inside it; the nodes read are added.
    private (double Constant, List<string> Terms) Sum(string value, HashSet<int> nodes)
    {
        double constant = 0;
        var terms = new List<string>();
        void Walk(string v)
        {
            if (Scalar(v) is double c)
            {
                constant += c;
            }
            else if (Producer(v, "Add", nodes) is NodeProto n && n.Input.Count == 2)
            {
                Walk(n.Input[0]);
                Walk(n.Input[1]);
            }
            else
            {
                terms.Add(v);
            }
        }

        Walk(value);
        return (constant, terms);
    }

    // The node of type op that makes value, when free and read by exactly readers nodes (any number for null); it is added to nodes.
    private NodeProto? Producer(string value, string op, HashSet<int> nodes, int? readers = 1, bool constantSecond = false)
    {
        if (!_producer.TryGetValue(value, out int i) || _claimed.Contains(i) || _nodes[i].OpType != op || _nodes[i].Domain is not ("" or "ai.onnx")
            || (readers is int r && _consumers.GetValueOrDefault(value) != r && !nodes.Contains(i)))
        {
            return null;
        }

        NodeProto n = _nodes[i];
        if (constantSecond && (n.Input.Count != 2 || Scalar(n.Input[1]) is not double c || (op == "Pow" && c is not (2 or 3)) || c == 0))
        {
            return null;
        }

        nodes.Add(i);
        return n;
    }

    private double? Scalar(string name) => _scalars.TryGetValue(name, out double v) ? v : null;

    private static bool Close(double actual, double expected) => Math.Abs(actual - expected) <= (1e-6 * Math.Abs(expected)) + 1e-7;

    private static ImportedValue Input(ImportedNode node, ImportGraph graph, string name, string what) =>
        graph.TryGet(name, out ImportedValue value) && value.Folded is null ? value
            : throw node.Refuse($"it ends a {what} written out in operators whose input '{name}' is not a tensor the graph computes");
}
