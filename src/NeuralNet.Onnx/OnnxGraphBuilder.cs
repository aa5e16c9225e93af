using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using Google.Protobuf;
using NeuralNet.Onnx.Protobuf;

namespace NeuralNet.Onnx;

/// <summary>
/// Builds one ONNX graph: unique value names, nodes named after the layer being converted, initializers (a shared layer's
/// parameters written once), small constants, and the transposes between NeuralNet's channels-last layout and the
/// channels-first layout of ONNX's image and volume operators (each made at most once per value).
/// </summary>
internal sealed class OnnxGraphBuilder
{

    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly Dictionary<object, Dictionary<string, string>> _initializers = new(ReferenceEqualityComparer.Instance);
    private Dictionary<string, OnnxValue> _relaidOut = new(StringComparer.Ordinal);
    private Dictionary<string, string> _shared = new(StringComparer.Ordinal);
    private GraphProto _target;

    /// <summary>Starts an empty graph for <paramref name="opset"/>.</summary>
    public OnnxGraphBuilder(int opset)
    {
        Opset = opset;
        _target = Graph;
    }

    /// <summary>The opset the graph is written for.</summary>
    public int Opset { get; }

    /// <summary>The graph built so far (the main graph; see <see cref="Subgraph"/> for a loop's body).</summary>
    public GraphProto Graph { get; } = new();

    /// <summary>The name of the layer being converted: the prefix of the names of the nodes and values it adds.</summary>
    public string Scope { get; set; } = "";

    /// <summary>Reserves <paramref name="name"/> as is (a graph input or output); false if it is taken.</summary>
    public bool Reserve(string name) => _names.Add(name);

    /// <summary>A name not used yet: <c>Scope/suffix</c>, then <c>Scope/suffix_1</c>, ...</summary>
    public string NewName(string suffix)
    {
        string stem = Scope.Length == 0 ? suffix : $"{Scope}/{suffix}";
        string name = stem;
        for (int k = 1; !_names.Add(name); k++)
        {
            name = string.Create(CultureInfo.InvariantCulture, $"{stem}_{k}");
        }

        return name;
    }

    /// <summary>Adds a node of <paramref name="opType"/> reading <paramref name="inputs"/>; returns the name of its one output.</summary>
    public string Node(string opType, IReadOnlyList<string> inputs, params ReadOnlySpan<AttributeProto> attributes)
    {
        string output = NewName(opType);
        var node = new NodeProto { Name = output, OpType = opType };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        foreach (AttributeProto attribute in attributes)
        {
            node.Attribute.Add(attribute);
        }

        _target.Node.Add(node);
        return output;
    }

    /// <summary>Adds a node with <paramref name="outputCount"/> outputs (an empty input name omits an optional input); returns their names.</summary>
    public string[] MultiOutputNode(string opType, IReadOnlyList<string> inputs, int outputCount, params ReadOnlySpan<AttributeProto> attributes)
    {
        string name = NewName(opType);
        var node = new NodeProto { Name = name, OpType = opType };
        node.Input.AddRange(inputs);
        var outputs = new string[outputCount];
        for (int i = 0; i < outputCount; i++)
        {
            outputs[i] = i == 0 ? name : NewName($"{opType}_output{i}");
        }

        node.Output.AddRange(outputs);
        foreach (AttributeProto attribute in attributes)
        {
            node.Attribute.Add(attribute);
        }

        _target.Node.Add(node);
        return outputs;
    }

    /// <summary>As <see cref="Node(string, IReadOnlyList{string}, ReadOnlySpan{AttributeProto})"/> for a value with the given shape and layout.</summary>
    public OnnxValue Node(string opType, IReadOnlyList<string> inputs, TensorShape shape, Layout layout, params ReadOnlySpan<AttributeProto> attributes) =>
        new(Node(opType, inputs, attributes), shape, layout);

    /// <summary>
    /// The initializer holding <paramref name="parameter"/>'s value, re-laid out by <paramref name="relayout"/> when given: added on
    /// first use and named <c>Scope/parameter</c>; later uses with the same <paramref name="dims"/> (a shared layer's other
    /// calls) read the same one. A call that needs other dims (a shared layer whose per-channel weights broadcast over a
    /// channels-first image in one call and a channels-last one in another) gets its own.
    /// </summary>
    public string Initializer(Parameter parameter, long[]? dims = null, Func<float[], float[]>? relayout = null)
    {
        dims ??= [.. parameter.Shape.Dimensions.ToArray().Select(d => (long)d)];
        string shape = string.Join(",", dims);
        if (!_initializers.TryGetValue(parameter, out Dictionary<string, string>? byShape))
        {
            byShape = new Dictionary<string, string>(StringComparer.Ordinal);
            _initializers[parameter] = byShape;
        }

        if (!byShape.TryGetValue(shape, out string? name))
        {
            float[] values = parameter.Value.AsReadOnlySpan().ToArray();
            name = Floats(parameter.Name, dims, relayout is null ? values : relayout(values));
            byShape[shape] = name;
        }

        return name;
    }

    /// <summary>A float initializer named <c>Scope/suffix</c> with <paramref name="dims"/> and <paramref name="values"/> (little-endian raw data).</summary>
    public string Floats(string suffix, long[] dims, ReadOnlySpan<float> values)
    {
        var tensor = new TensorProto { Name = NewName(suffix), DataType = (int)TensorProto.Types.DataType.Float };
        tensor.Dims.AddRange(dims);
        var bytes = new byte[values.Length * sizeof(float)];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), values[i]);
        }

        tensor.RawData = ByteString.CopyFrom(bytes);
        Graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    /// <summary>A float scalar initializer (rank 0).</summary>
    public string Scalar(string suffix, float value) => Floats(suffix, [], [value]);

    /// <summary>A one-dimensional int64 initializer (shapes, axes, repeats).</summary>
    public string Int64s(string suffix, params ReadOnlySpan<long> values) =>
        Words(suffix, TensorProto.Types.DataType.Int64, [values.Length], values);

    /// <summary>A uint64 initializer with <paramref name="dims"/> (the hashes' words and constants; <c>[]</c> for a scalar).</summary>
    public string UInt64s(string suffix, long[] dims, params ReadOnlySpan<ulong> values) =>
        Words(suffix, TensorProto.Types.DataType.Uint64, dims, MemoryMarshal.Cast<ulong, long>(values));

    // 64-bit words as little-endian raw data (a uint64's bits are its int64 reinterpretation's).
    private string Words(string suffix, TensorProto.Types.DataType type, long[] dims, ReadOnlySpan<long> values)
    {
        var tensor = new TensorProto { Name = NewName(suffix), DataType = (int)type };
        tensor.Dims.AddRange(dims);
        var bytes = new byte[values.Length * sizeof(long)];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(i * sizeof(long)), values[i]);
        }

        tensor.RawData = ByteString.CopyFrom(bytes);
        Graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    /// <summary>
    /// A graph for a Scan's body with <paramref name="inputs"/>: the nodes <paramref name="build"/> adds go into it, and it
    /// returns the body's outputs.
    /// Names stay unique across the main graph and its bodies (ONNX's single assignment), initializers stay in the main
    /// graph (a body reads them, as any outer value, by name), and values made once per graph (transposes,
    /// <see cref="Shared"/>) are not shared across the boundary.
    /// </summary>
    public GraphProto Subgraph(string name, IReadOnlyList<ValueInfoProto> inputs, Func<IReadOnlyList<ValueInfoProto>> build)
    {
        var body = new GraphProto { Name = NewName(name) };
        body.Input.AddRange(inputs);
        (GraphProto target, Dictionary<string, OnnxValue> relaidOut, Dictionary<string, string> shared) = (_target, _relaidOut, _shared);
        (_target, _relaidOut, _shared) = (body, new(StringComparer.Ordinal), new(StringComparer.Ordinal));
        try
        {
            body.Output.AddRange(build());
        }
        finally
        {
            (_target, _relaidOut, _shared) = (target, relaidOut, shared);
        }

        return body;
    }

    /// <summary>A value of a body's signature: its name and element type, its shape left to the Scan that runs it.</summary>
    public static ValueInfoProto Typed(string name, TensorProto.Types.DataType type) =>
        new() { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type } } };

    /// <summary>
    /// The value <paramref name="build"/> makes, made once per <paramref name="key"/> in the current graph: what two converters
    /// both need from one value (Masking's real positions, for its output and for the mask it makes) is computed once.
    /// </summary>
    public string Shared(string key, Func<string> build)
    {
        if (!_shared.TryGetValue(key, out string? name))
        {
            name = build();
            _shared[key] = name;
        }

        return name;
    }

    /// <summary><paramref name="value"/> in NeuralNet's channels-last layout (a transpose after a channels-first image or volume, made once).</summary>
    public OnnxValue ChannelsLast(OnnxValue value) => value.Layout == Layout.ChannelsLast ? value : Relayout(value, Layout.ChannelsLast, ToLast(value.Rank));

    /// <summary>The image (rank 4) or volume (rank 5) <paramref name="value"/> in ONNX's channels-first layout (a transpose, made once).</summary>
    public OnnxValue ChannelsFirst(OnnxValue value) => value.Layout == Layout.ChannelsFirst ? value : Relayout(value, Layout.ChannelsFirst, ToFirst(value.Rank));

    /// <summary>The position in <paramref name="value"/>'s layout of the axis NeuralNet numbers <paramref name="axis"/> (batch axis 0).</summary>
    public static int AxisIn(OnnxValue value, int axis) =>
        value.Layout == Layout.ChannelsLast ? axis : Array.IndexOf(ToFirst(value.Rank), (long)axis);

    /// <summary>A per-channel constant shaped to broadcast over <paramref name="value"/>: (C) channels last, (C, 1, 1) or (C, 1, 1, 1) channels first.</summary>
    public string ChannelConstant(OnnxValue value, string suffix, ReadOnlySpan<float> perChannel) =>
        Floats(suffix, value.Layout == Layout.ChannelsFirst ? [perChannel.Length, .. Enumerable.Repeat(1L, value.Rank - 2)] : [perChannel.Length], perChannel);

    // (batch, spatial..., channels) -> (batch, channels, spatial...): for rank 4 (0, 3, 1, 2), for rank 5 (0, 4, 1, 2, 3).
    private static long[] ToFirst(int rank) => [0, rank - 1, .. Enumerable.Range(1, rank - 2).Select(a => (long)a)];

    // The inverse: for rank 4 (0, 2, 3, 1), for rank 5 (0, 2, 3, 4, 1).
    private static long[] ToLast(int rank) => [0, .. Enumerable.Range(2, rank - 2).Select(a => (long)a), 1];

    private OnnxValue Relayout(OnnxValue value, Layout layout, long[] permutation)
    {
        string key = $"{value.Name}\0{layout}";
        if (!_relaidOut.TryGetValue(key, out OnnxValue result))
        {
            if (value.Rank is not (4 or 5))
            {
                throw new InvalidOperationException($"Only images (rank 4) and volumes (rank 5) change layout, but '{value.Name}' has rank {value.Rank}.");
            }

            string savedScope = Scope;
            Scope = value.Name;
            result = Node("Transpose", [value.Name], value.Shape, layout, OnnxAttribute.Ints("perm", permutation));
            Scope = savedScope;
            _relaidOut[key] = result;
        }

        return result;
    }
}
