using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using NeuralNet.Onnx.Protobuf;
using AttributeType = NeuralNet.Onnx.Protobuf.AttributeProto.Types.AttributeType;

namespace NeuralNet.Onnx.Tests.Import;

/// <summary>
/// Builds ONNX graphs by hand, as PyTorch's exporter writes them (NCHW images, OIHW weights, Gemm with transB=1),
/// with seeded random weights, and runs them in ONNX Runtime: the reference the imported models are checked against.
/// </summary>
internal sealed class OnnxGraphs(int seed)
{
    private readonly GraphProto _graph = new() { Name = "torch_jit" };
    private readonly Random _random = new(seed);
    private int _count;

    /// <summary>A float input; dimension −1 is the dynamic batch axis "N".</summary>
    public string Input(string name, params long[] dims)
    {
        _graph.Input.Add(Value(name, dims));
        return name;
    }

    /// <summary>A float initializer of uniform values in [−scale, scale], or in [0.5, 1.5) for a variance.</summary>
    public string Weight(long[] dims, float scale = 0.5f, bool positive = false)
    {
        var tensor = new TensorProto { Name = $"w{_count++}", DataType = 1 };
        tensor.Dims.AddRange(dims);
        long count = dims.Aggregate(1L, (a, d) => a * d);
        for (long i = 0; i < count; i++)
        {
            tensor.FloatData.Add(positive ? 0.5f + (float)_random.NextDouble() : ((float)_random.NextDouble() * 2 - 1) * scale);
        }

        _graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    /// <summary>A float initializer holding <paramref name="values"/> under <paramref name="dims"/>.</summary>
    public string Floats(long[] dims, params float[] values)
    {
        var tensor = new TensorProto { Name = $"f{_count++}", DataType = 1 };
        tensor.Dims.AddRange(dims);
        tensor.FloatData.AddRange(values);
        _graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    /// <summary>An int64 initializer (a Reshape's shape), as raw little-endian bytes, as PyTorch writes it.</summary>
    public string Int64s(params long[] values)
    {
        var tensor = new TensorProto { Name = $"i{_count++}", DataType = 7, RawData = ByteString.CopyFrom([.. values.SelectMany(BitConverter.GetBytes)]) };
        tensor.Dims.Add(values.Length);
        _graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    /// <summary>An integer initializer (a Gather's indices) of ONNX element type <paramref name="dataType"/> (6 int32, 7 int64) under <paramref name="dims"/>.</summary>
    public string Integers(int dataType, long[] dims, params long[] values)
    {
        var tensor = new TensorProto { Name = $"i{_count++}", DataType = dataType };
        tensor.Dims.AddRange(dims);
        if (dataType == 6)
        {
            tensor.Int32Data.AddRange(values.Select(v => (int)v));
        }
        else
        {
            tensor.Int64Data.AddRange(values);
        }

        _graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    /// <summary>A Constant node holding int64 <paramref name="values"/> (as torch.onnx writes a Reshape's shape).</summary>
    public string ConstantNode(params long[] values)
    {
        var tensor = new TensorProto { DataType = 7 };
        tensor.Dims.Add(values.Length);
        tensor.Int64Data.AddRange(values);
        return Node("Constant", [], new AttributeProto { Name = "value", Type = AttributeType.Tensor, T = tensor });
    }

    /// <summary>A Constant node holding an int64 scalar (as torch.onnx writes the index of <c>x.size(0)</c>'s Gather).</summary>
    public string ConstantScalar(long value)
    {
        var tensor = new TensorProto { DataType = 7 };
        tensor.Int64Data.Add(value);
        return Node("Constant", [], new AttributeProto { Name = "value", Type = AttributeType.Tensor, T = tensor });
    }

    /// <summary>Adds a node and returns the name of its output.</summary>
    public string Node(string op, string[] inputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = $"/{op.ToLowerInvariant()}_{_count}" };
        node.Input.AddRange(inputs);
        node.Output.Add($"t{_count++}");
        node.Attribute.AddRange(attributes);
        _graph.Node.Add(node);
        return node.Output[0];
    }

    /// <summary>Marks <paramref name="name"/> as a graph output (its type only: ONNX Runtime infers the shape).</summary>
    public void Output(string name) =>
        _graph.Output.Add(new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1 } } });

    public static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeType.Int, I = value };

    public static AttributeProto Float(string name, float value) => new() { Name = name, Type = AttributeType.Float, F = value };

    public static AttributeProto String(string name, string value) => new() { Name = name, Type = AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    public static AttributeProto Ints(string name, params long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }

    /// <summary>The model file at <paramref name="opset"/>.</summary>
    public byte[] ToBytes(int opset = 17)
    {
        var model = new ModelProto { IrVersion = 8, ProducerName = "test", Graph = _graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = opset });
        return model.ToByteArray();
    }

    /// <summary>The graph being built, for tests that break ONNX's rules on purpose.</summary>
    public GraphProto Graph => _graph;

    /// <summary>A float scalar initializer of <paramref name="value"/>.</summary>
    public string Scalar(float value)
    {
        var tensor = new TensorProto { Name = $"s{_count++}", DataType = 1 };
        tensor.FloatData.Add(value);
        _graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    /// <summary>Runs <paramref name="onnx"/> in ONNX Runtime on one input; returns every output with its dimensions.</summary>
    public static (float[] Values, int[] Dimensions)[] Run(byte[] onnx, string input, float[] values, int[] dims)
    {
        using var options = new SessionOptions { LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
        using var session = new InferenceSession(onnx, options);
        using IDisposableReadOnlyCollection<DisposableNamedOnnxValue> results =
            session.Run([NamedOnnxValue.CreateFromTensor(input, new DenseTensor<float>(values, dims))]);
        return [.. results.Select(r => r.AsTensor<float>()).Select(t => (t.ToArray(), t.Dimensions.ToArray()))];
    }

    private static ValueInfoProto Value(string name, long[] dims)
    {
        var shape = new TensorShapeProto();
        shape.Dim.AddRange(dims.Select(d => d < 0 ? new TensorShapeProto.Types.Dimension { DimParam = "N" } : new TensorShapeProto.Types.Dimension { DimValue = d }));
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1, Shape = shape } } };
    }
}
