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
/// NeuralNet's exported BatchNormalization (Sub, Mul, [Mul], [Add] by constants) is found here too (<see cref="ExportedBatchNorm"/>),
/// and its bilinear UpSampling2D (two Gathers blended by Mul and Add, <see cref="BilinearUpSamplingImport"/>).
/// Each family's search has its file (DecomposedPatterns.Gelu.cs, .LayerNorm.cs, .ExportedBatchNorm.cs, .BilinearUpSampling.cs); this one holds the
/// walk over the nodes and the product, sum and producer readers they share.
/// </summary>
internal sealed partial class DecomposedPatterns
{
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
            if (!_claimed.Contains(i) && _nodes[i].Domain is "" or "ai.onnx" && (MatchGelu(i) ?? MatchLayerNorm(i) ?? MatchExportedBatchNorm(i) ?? MatchBilinearUpSampling(i)) is (HashSet<int> nodes, OpConverter fused) && !nodes.Overlaps(_claimed))
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
