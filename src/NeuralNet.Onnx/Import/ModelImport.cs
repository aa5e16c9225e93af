using System.Globalization;
using NeuralNet.Models;
using NeuralNet.Onnx.Protobuf;

namespace NeuralNet.Onnx.Import;

/// <summary>An ONNX model as a NeuralNet functional model: every node checked and planned first, then the layers built and their weights set.</summary>
internal static class ModelImport
{
    public static Functional Run(ModelProto model, string source)
    {
        GraphProto g = model.Graph ?? throw new InvalidDataException($"ONNX file '{source}' holds no graph.");
        int opset = Opset(model, source);
        var consumers = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (string name in g.Node.SelectMany(n => n.Input).Concat(g.Output.Select(o => o.Name)))
        {
            consumers[name] = consumers.GetValueOrDefault(name) + 1;
        }

        var graph = new ImportGraph(source, opset, consumers);
        foreach (TensorProto initializer in g.Initializer)
        {
            if (graph.TryGet(initializer.Name, out _))
            {
                throw new InvalidDataException($"ONNX file '{source}': initializer '{initializer.Name}' is given twice.");
            }

            graph.Add(ImportedValue.FromConstant(initializer.Name, OnnxConstant.Read(initializer, $"ONNX file '{source}': initializer '{initializer.Name}'")));
        }

        // Files of IR version 3 and older list initializers among the inputs too; those are weights, not inputs.
        List<ImportedValue> inputs = [.. g.Input.Where(i => !graph.TryGet(i.Name, out _)).Select(i => ReadInput(i, source, graph, ChannelsLast(g, i.Name)))];
        if (inputs.Count == 0)
        {
            throw new NotSupportedException($"ONNX file '{source}': the graph has no input that is not an initializer; a NeuralNet model starts from at least one input.");
        }

        foreach (ImportedValue input in inputs)
        {
            graph.Add(input);
        }

        for (int i = 0; i < g.Node.Count; i++)
        {
            var node = new ImportedNode(g.Node[i], i, source);
            if (node.Proto.Domain is not ("" or "ai.onnx"))
            {
                throw node.Refuse($"domain '{node.Proto.Domain}' is not ONNX's default domain; NeuralNet.Onnx imports standard operators only");
            }

            if (!OpConverters.All.TryGetValue(node.OpType, out OpConverter? converter))
            {
                throw node.Refuse($"operator {node.OpType} is not imported; NeuralNet.Onnx imports {string.Join(", ", OnnxImporter.SupportedOperators)}");
            }

            converter(node, graph);
        }

        ImportedValue[] outputs = [.. g.Output.Select(o => graph.TryGet(o.Name, out ImportedValue value)
            ? value.Constant is null ? value : throw new NotSupportedException($"ONNX file '{source}': output '{o.Name}' is a constant; NeuralNet.Onnx imports outputs the graph computes from its inputs.")
            : throw new InvalidDataException($"ONNX file '{source}': output '{o.Name}' is computed by no node."))];
        if (outputs.Length == 0)
        {
            throw new InvalidDataException($"ONNX file '{source}': the graph has no outputs.");
        }

        // Everything is checked: build the layers, then set their weights in the model that created them.
        var build = new ImportBuild();
        Input[] symbolic = [.. inputs.Select(v => new Input(new TensorShape(v.SampleShape), LayerName(v.Name)))];
        for (int i = 0; i < inputs.Count; i++)
        {
            build[inputs[i]] = symbolic[i];
        }

        foreach (Action<ImportBuild> step in graph.Steps)
        {
            step(build);
        }

        var functional = new Functional(symbolic, [.. outputs.Select(o => build[o])], LayerName(g.Name) ?? "onnx_model");
        build.AssignWeights();
        return functional;
    }

    private static int Opset(ModelProto model, string source)
    {
        OperatorSetIdProto? set = model.OpsetImport.FirstOrDefault(o => o.Domain is "" or "ai.onnx")
            ?? throw new InvalidDataException($"ONNX file '{source}' imports no opset of ONNX's default domain.");
        if (set.Version is < OnnxImporter.MinimumOpset or > OnnxImporter.MaximumOpset)
        {
            throw new NotSupportedException(string.Create(CultureInfo.InvariantCulture,
                $"ONNX file '{source}' uses opset {set.Version}; NeuralNet.Onnx imports opsets {OnnxImporter.MinimumOpset} to {OnnxImporter.MaximumOpset} (export again with e.g. opset_version=17)."));
        }

        return (int)set.Version;
    }

    // Inputs are float tensors of fixed lengths but the batch: (N, C, H, W) images become channels-last (H, W, C) inputs.
    // An input that only Transposes to channels first (as NeuralNet's exporter writes) is channels last already.
    private static bool ChannelsLast(GraphProto g, string input)
    {
        NodeProto[] readers = [.. g.Node.Where(n => n.Input.Contains(input))];
        return readers.Length > 0 && readers.All(n => n.OpType == "Transpose" && n.Attribute.Count == 1 && ShapeImports.ToChannelsFirst([.. n.Attribute[0].Ints]))
            && !g.Output.Any(o => o.Name == input);
    }

    private static ImportedValue ReadInput(ValueInfoProto input, string source, ImportGraph graph, bool channelsLast)
    {
        string what = $"ONNX file '{source}': input '{input.Name}'";
        TypeProto.Types.Tensor tensor = input.Type?.TensorType ?? throw new NotSupportedException($"{what} is not a tensor; NeuralNet.Onnx imports tensor inputs.");
        if (tensor.ElemType != 1)
        {
            throw new NotSupportedException($"{what} has element type {OnnxConstant.TypeName(tensor.ElemType)}; NeuralNet.Onnx imports float inputs.");
        }

        if (tensor.Shape is null || tensor.Shape.Dim.Count is < 2 or > 4)
        {
            throw new NotSupportedException($"{what} has {(tensor.Shape is null ? "no shape" : string.Create(CultureInfo.InvariantCulture, $"rank {tensor.Shape.Dim.Count}"))}; NeuralNet.Onnx imports inputs of rank 2 to 4 with known lengths (a batch axis and 1 to 3 more).");
        }

        var dims = new long[tensor.Shape.Dim.Count];
        dims[0] = -1;
        for (int a = 1; a < dims.Length; a++)
        {
            TensorShapeProto.Types.Dimension dim = tensor.Shape.Dim[a];
            dims[a] = dim.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue && dim.DimValue > 0 ? dim.DimValue
                : throw new NotSupportedException(string.Create(CultureInfo.InvariantCulture,
                    $"{what} has a dynamic length on axis {a} ({(dim.DimParam.Length > 0 ? $"'{dim.DimParam}'" : "unknown")}); NeuralNet.Onnx imports a dynamic batch axis only: export with fixed lengths on the other axes."));
        }

        if (tensor.Shape.Dim[0] is { ValueCase: TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue, DimValue: > 0 } fixedBatch)
        {
            // A file exported without a dynamic batch axis: the imported model takes any batch, and Reshapes to that length reshape the batch.
            graph.FixedBatch ??= fixedBatch.DimValue;
        }

        return ImportedValue.Computed(input.Name, dims, image: dims.Length == 4 && !channelsLast);
    }

    // ONNX names hold '/', ':' or '.', which NeuralNet's file keys (layer/parameter) reserve.
    private static string? LayerName(string name)
    {
        string safe = new([.. name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' ? c : '_')]);
        return safe.Trim('_').Length == 0 ? null : safe;
    }
}
