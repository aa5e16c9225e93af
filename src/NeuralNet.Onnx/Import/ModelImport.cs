using System.Globalization;
using NeuralNet.Layers;
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
        // The op_type of each reader of each value ("" for a graph output).
        var readers = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach ((string name, string op) in g.Node.SelectMany(n => n.Input.Select(i => (i, n.OpType))).Concat(g.Output.Select(o => (o.Name, string.Empty))))
        {
            (readers.TryGetValue(name, out List<string>? ops) ? ops : readers[name] = []).Add(op);
        }

        Dictionary<string, int> consumers = readers.ToDictionary(r => r.Key, r => r.Value.Count, StringComparer.Ordinal);
        var graph = new ImportGraph(source, opset, consumers, readers);
        foreach (TensorProto initializer in g.Initializer)
        {
            graph.Add(ImportedValue.FromConstant(initializer.Name, OnnxConstant.Read(initializer, $"ONNX file '{source}': initializer '{initializer.Name}'")));
        }

        // A file NeuralNet exported takes and gives tensors in NeuralNet's layouts: its inputs are channels last whatever
        // reads them first (a Rescaling before the exporter's Transpose; an image straight to an output), and its
        // outputs are read back in the file's axis order.
        bool neuralNetLayouts = model.ProducerName == OnnxExporter.Producer;
        // Files of IR version 3 and older list initializers among the inputs too; those are weights, not inputs.
        List<ImportedValue> inputs = [.. g.Input.Where(i => !graph.TryGet(i.Name, out _)).Select(i => ReadInput(i, source, graph, neuralNetLayouts || ChannelsLast(g, i.Name)))];
        if (inputs.Count == 0)
        {
            throw new NotSupportedException($"ONNX file '{source}': the graph has no input that is not an initializer; a NeuralNet model starts from at least one input.");
        }

        foreach (ImportedValue input in inputs)
        {
            graph.Add(input);
        }

        // GELU and LayerNorm written out in elementary operators (older opsets) import as one layer, at their last node.
        DecomposedPatterns patterns = DecomposedPatterns.Find(g, consumers, source);
        for (int i = 0; i < g.Node.Count; i++)
        {
            if (patterns.Skips(i))
            {
                continue;
            }

            var node = new ImportedNode(g.Node[i], i, source);
            if (node.Proto.Domain is not ("" or "ai.onnx"))
            {
                throw node.Refuse($"domain '{node.Proto.Domain}' is not ONNX's default domain; NeuralNet.Onnx imports standard operators only");
            }

            if (patterns.Fused(i) is OpConverter fused)
            {
                fused(node, graph);
                continue;
            }

            if (ShapeFolding.TryFold(node, graph))
            {
                continue;
            }

            if (!OpConverters.All.TryGetValue(node.OpType, out OpConverter? converter))
            {
                throw node.Refuse($"operator {node.OpType} is not imported; NeuralNet.Onnx imports {string.Join(", ", OnnxImporter.SupportedOperators)}");
            }

            converter(node, graph);
        }

        ImportedValue[] outputs = [.. g.Output.Select(o => graph.TryGet(o.Name, out ImportedValue value)
            ? value.Folded is null ? value : throw new NotSupportedException($"ONNX file '{source}': output '{o.Name}' is a constant; NeuralNet.Onnx imports outputs the graph computes from its inputs.")
            : throw new InvalidDataException($"ONNX file '{source}': output '{o.Name}' is computed by no node."))];
        if (outputs.Length == 0)
        {
            throw new InvalidDataException($"ONNX file '{source}': the graph has no outputs.");
        }

        // A NeuralNet model reads every input it lists: an input no output depends on (valid ONNX) is refused by name.
        var needed = new HashSet<string>(g.Output.Select(o => o.Name), StringComparer.Ordinal);
        foreach (NodeProto node in g.Node.Reverse())
        {
            if (node.Output.Any(needed.Contains))
            {
                needed.UnionWith(node.Input);
            }
        }

        string[] unused = [.. inputs.Where(i => !needed.Contains(i.Name)).Select(i => $"'{i.Name}'")];
        if (unused.Length > 0)
        {
            throw new NotSupportedException($"ONNX file '{source}': input {string.Join(", ", unused)} is read by no output; NeuralNet.Onnx imports graphs whose every input is used (export without it).");
        }

        // Everything is checked: build the layers, then set their weights in the model that created them.
        var build = new ImportBuild();
        var names = new HashSet<string>(StringComparer.Ordinal);
        Input[] symbolic = [.. inputs.Select(v => new Input(new TensorShape(v.SampleShape), UniqueName(LayerName(v.Name), names)))];
        for (int i = 0; i < inputs.Count; i++)
        {
            build[inputs[i]] = symbolic[i];
        }

        foreach (Action<ImportBuild> step in graph.Steps)
        {
            step(build);
        }

        // One tensor given as two outputs (an Identity, a Dropout of rate 0 or a no-op Reshape aliases its input; PyTorch
        // writes an Identity when a module returns a tensor twice): each repeat gets an Identity layer of its own.
        var results = new SymbolicTensor[outputs.Length];
        for (int i = 0; i < results.Length; i++)
        {
            SymbolicTensor y = build[outputs[i]];
            if (neuralNetLayouts && outputs[i].IsImage)
            {
                // Held channels last for the convolutions inside, given in the file's order: what the exported model gave.
                y = new Permute([3, 1, 2]).Call(y);
            }

            results[i] = results.Take(i).Contains(y, ReferenceEqualityComparer.Instance) ? new Identity().Call(y) : y;
        }

        var functional = new Functional(symbolic, results, LayerName(g.Name) ?? "onnx_model");
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

    // Inputs are float tensors of fixed lengths but the batch: (N, C, H, W) images become channels-last (H, W, C) inputs;
    // other ranks (a volume's (N, C, D, H, W) too, for a 3-D ConvTranspose) are held in ONNX's order.
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

        if (tensor.Shape is null || tensor.Shape.Dim.Count is < 2 or > 5)
        {
            throw new NotSupportedException($"{what} has {(tensor.Shape is null ? "no shape" : string.Create(CultureInfo.InvariantCulture, $"rank {tensor.Shape.Dim.Count}"))}; NeuralNet.Onnx imports inputs of rank 2 to 5 with known lengths (a batch axis and 1 to 4 more).");
        }

        var dims = new long[tensor.Shape.Dim.Count];
        dims[0] = -1;
        for (int a = 1; a < dims.Length; a++)
        {
            TensorShapeProto.Types.Dimension dim = tensor.Shape.Dim[a];
            if (dim.ValueCase != TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue)
            {
                throw new NotSupportedException(string.Create(CultureInfo.InvariantCulture,
                    $"{what} has a dynamic length on axis {a} ({(dim.DimParam.Length > 0 ? $"'{dim.DimParam}'" : "unknown")}); NeuralNet.Onnx imports a dynamic batch axis only: export with fixed lengths on the other axes."));
            }

            dims[a] = ImportSizes.IsLength(dim.DimValue) ? dim.DimValue
                : dim.DimValue == 0 ? throw new NotSupportedException(string.Create(CultureInfo.InvariantCulture,
                    $"{what} has length 0 on axis {a} (an empty tensor); NeuralNet layers need a length of at least 1 on every axis."))
                : throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                    $"{what} has length {dim.DimValue} on axis {a}; NeuralNet holds lengths in {ImportSizes.LengthRange}."));
        }

        if (ImportSizes.Product(dims.Skip(1)) is null)
        {
            throw new InvalidDataException($"{what} has dimensions {ImportText.Dims(dims)}: more than 2147483647 values per sample, which NeuralNet does not hold.");
        }

        if (tensor.Shape.Dim[0] is { ValueCase: TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue, DimValue: > 0 } fixedBatch)
        {
            // A file exported without a dynamic batch axis: the imported model takes any batch, and Reshapes to that length reshape the batch.
            graph.FixedBatch ??= fixedBatch.DimValue;
        }

        return ImportedValue.Computed(input.Name, dims, image: dims.Length == 4 && !channelsLast);
    }

    // Names that clean-up makes equal ('a.b' and 'a_b') get a suffix: a model's layer names are unique.
    private static string? UniqueName(string? name, HashSet<string> taken)
    {
        if (name is null)
        {
            return null;
        }

        string unique = name;
        for (int i = 2; !taken.Add(unique); i++)
        {
            unique = string.Create(CultureInfo.InvariantCulture, $"{name}_{i}");
        }

        return unique;
    }

    // ONNX names hold '/', ':' or '.', which NeuralNet's file keys (layer/parameter) reserve.
    private static string? LayerName(string name)
    {
        string safe = new([.. name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' ? c : '_')]);
        return safe.Trim('_').Length == 0 ? null : safe;
    }
}
