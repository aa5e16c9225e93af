using System.Globalization;
using System.Reflection;
using Google.Protobuf;
using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Onnx.Converters;
using NeuralNet.Onnx.Protobuf;
using NeuralNet.Serialization;

namespace NeuralNet.Onnx;

/// <summary>
/// Writes a built model as an ONNX file that ONNX Runtime (and other ONNX tools) run with the same results as
/// <see cref="Model.Predict(ModelData, int, IEnumerable{NeuralNet.Training.Callback}?, int, System.IO.TextWriter?, CancellationToken)"/>: inputs and outputs named after the model's, a dynamic batch
/// dimension, images laid out channels last as in NeuralNet (transposed to ONNX's channels-first operators inside the graph).
/// </summary>
/// <example>
/// <code>
/// model.ExportOnnx("digits.onnx");                                   // opset 17
/// model.ExportOnnx("digits.onnx", new OnnxExportOptions { Opset = 21, ModelVersion = 3 });
/// </code>
/// </example>
public static class OnnxExporter
{
    /// <summary>The oldest opset written: NeuralNet's layers use opset 13's operators (Softmax over one axis, Unsqueeze with axes as an input).</summary>
    public const int MinimumOpset = 13;

    /// <summary>The newest opset written.</summary>
    public const int MaximumOpset = 23;

    /// <summary>The opset written unless the options choose another (see <see cref="OnnxExportOptions.Opset"/>).</summary>
    public const int DefaultOpset = 17;

    // Protocol Buffers messages are limited to 2 GiB; bigger models would need ONNX's external-data files.
    private const long MaximumParameterBytes = int.MaxValue - (64L << 20);

    /// <summary>The layer types that have an ONNX form (their exact types: a subclass or a layer of your own has none).</summary>
    public static IReadOnlyList<string> SupportedLayers => LayerConverters.SupportedTypeNames;

    /// <summary>
    /// Writes <paramref name="model"/> to the ONNX file <paramref name="path"/>, atomically: the previous file stays
    /// intact and no partial file is left if anything fails.
    /// </summary>
    /// <param name="model">A built model (built explicitly, by a first Fit or Predict, or loaded).</param>
    /// <param name="path">The file to write; its folder must exist.</param>
    /// <param name="options">The opset and metadata; defaults when null.</param>
    /// <exception cref="InvalidOperationException">The model is not built.</exception>
    /// <exception cref="NotSupportedException">A layer or activation has no ONNX form, or a layer reads a mask the exporter cannot follow to it (the message names them), or the model is over 2 GB.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The opset is outside <see cref="MinimumOpset"/>..<see cref="MaximumOpset"/>.</exception>
    /// <exception cref="IOException">The file cannot be written (the message names it); the previous file is unchanged.</exception>
    public static void ExportOnnx(this Model model, string path, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        byte[] bytes = ToOnnxBytes(model, options);
        AtomicFile.Write(path, stream => stream.Write(bytes));
    }

    /// <summary>Writes <paramref name="model"/> as ONNX to <paramref name="stream"/>; nothing is written if the model cannot be exported.</summary>
    /// <param name="model">A built model.</param>
    /// <param name="stream">A writable stream; left open.</param>
    /// <param name="options">The opset and metadata; defaults when null.</param>
    /// <exception cref="InvalidOperationException">The model is not built.</exception>
    /// <exception cref="NotSupportedException">A layer or activation has no ONNX form, or a layer reads a mask the exporter cannot follow to it (the message names them), or the model is over 2 GB.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The opset is outside <see cref="MinimumOpset"/>..<see cref="MaximumOpset"/>.</exception>
    public static void ExportOnnx(this Model model, Stream stream, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanWrite)
        {
            throw new ArgumentException("The stream is not writable.", nameof(stream));
        }

        stream.Write(ToOnnxBytes(model, options));
    }

    /// <summary>The ONNX file of <paramref name="model"/> as bytes: the same model and options always give the same bytes.</summary>
    /// <inheritdoc cref="ExportOnnx(Model, Stream, OnnxExportOptions?)" path="/exception"/>
    public static byte[] ToOnnxBytes(this Model model, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        return BuildModel(model, options ?? new OnnxExportOptions()).ToByteArray();
    }

    internal static ModelProto BuildModel(Model model, OnnxExportOptions options)
    {
        if (!model.IsBuilt)
        {
            throw new InvalidOperationException($"Model '{model.Name}' is not built, so its shapes and weights are unknown; build it (Build, a first Fit or Predict, or Load) before exporting it to ONNX.");
        }

        if (model.Inputs.FirstOrDefault(t => t.VariableAxes.Count > 0) is SymbolicTensor variable)
        {
            // The converters write fixed lengths into Reshape, Slice and Expand nodes; symbolic lengths would need them all reworked.
            throw new NotSupportedException(string.Create(CultureInfo.InvariantCulture,
                $"Model '{model.Name}' has input '{variable.Layer.Name}' with variable axes [{string.Join(", ", variable.VariableAxes)}] (declared null); ONNX export writes fixed lengths only. Build a copy of the model on an Input of fixed length and load the weights into it (model.GetWeights / SetWeights) to export it."));
        }

        List<SymbolicTensor> order = TopologicalOrder(model.Outputs);
        MaskFlow masks = CheckSupported(model, order);
        CheckOpset(model, options.Opset);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.BatchDimensionName, nameof(options));
        long parameterBytes = model.ParameterCount * sizeof(float);
        if (parameterBytes > MaximumParameterBytes)
        {
            throw new NotSupportedException(string.Create(CultureInfo.InvariantCulture,
                $"Model '{model.Name}' has {parameterBytes} bytes of parameters; NeuralNet.Onnx writes models up to 2 GB (one Protocol Buffers message), not ONNX's external-data files."));
        }

        var graph = new OnnxGraphBuilder(options.Opset);
        graph.Graph.Name = model.Name;
        IReadOnlyList<string> inputNames = model.InputNames, outputNames = model.OutputNames;
        foreach (string name in inputNames.Concat(outputNames))
        {
            graph.Reserve(name);
        }

        var values = new Dictionary<SymbolicTensor, OnnxValue>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < model.Inputs.Count; i++)
        {
            SymbolicTensor input = model.Inputs[i];
            graph.Graph.Input.Add(ValueInfo(inputNames[i], input.Shape, options.BatchDimensionName));
            values[input] = new OnnxValue(inputNames[i], input.Shape, Layout.ChannelsLast);
        }

        // Every output of a layer call, written once, when the first of them is reached (a call with several outputs,
        // Bidirectional without a merge, is reached once per output).
        var calls = new Dictionary<LayerCall, OnnxValue[]>();
        foreach (SymbolicTensor tensor in order.Where(t => !values.ContainsKey(t)))
        {
            var call = new LayerCall(tensor.Layer, tensor.InboundTensors, tensor.Layer is ReversibleEmbedding ? tensor.Shape.Rank : 0);
            if (!calls.TryGetValue(call, out OnnxValue[]? outputs))
            {
                graph.Scope = tensor.Layer.Name;
                outputs = WriteCall(graph, tensor, [.. tensor.InboundTensors.Select(t => values[t])], masks, values);
                calls[call] = outputs;
            }

            values[tensor] = outputs[tensor.OutputIndex];
        }

        graph.Scope = "";
        NameOutputs(graph, model, values, outputNames, options.BatchDimensionName);

        var proto = new ModelProto
        {
            IrVersion = IrVersion(options.Opset),
            ProducerName = Producer,
            ProducerVersion = ProducerVersion(),
            ModelVersion = options.ModelVersion,
            DocString = options.Description ?? $"Model '{model.Name}' ({model.GetType().Name}, {model.ParameterCount} parameters) exported by NeuralNet.Onnx.",
            Graph = graph.Graph,
        };
        proto.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = options.Opset });
        proto.MetadataProps.Add(new StringStringEntryProto { Key = "model_name", Value = model.Name });
        proto.MetadataProps.Add(new StringStringEntryProto { Key = "model_version", Value = options.ModelVersion.ToString(CultureInfo.InvariantCulture) });
        return proto;
    }

    // The outputs of the layer call that gives tensor, in output order (one for all but a recurrent layer returning its
    // states and Bidirectional with states or without a merge), each layer written by its masked form when it reads a mask.
    private static OnnxValue[] WriteCall(OnnxGraphBuilder graph, SymbolicTensor tensor, OnnxValue[] inputs, MaskFlow masks, Dictionary<SymbolicTensor, OnnxValue> values)
    {
        Layer layer = tensor.Layer;
        string?[]? maskValues = masks.ReadBy(tensor) is { } arriving
            ? [.. arriving.Select(m => m is null ? null : masks.Value(graph, m, t => values[t]))]
            : null;
        return layer switch
        {
            // A recurrent layer reads the mask of its sequence only (its initial states' are not read, as in Predict).
            Recurrent recurrent => RecurrentConverter.Outputs(graph, recurrent, inputs, maskValues?[0]),
            Bidirectional bidirectional => BidirectionalConverter.Outputs(graph, bidirectional, inputs, maskValues?[0]),
            ConvLstm convLstm => ConvLstmConverter.Outputs(graph, convLstm, inputs),
            Split or Unstack => SplitConverters.Outputs(graph, layer, inputs),
            MultiHeadAttention { ReturnAttentionScores: true } multiHead when !HigherRankScores(multiHead) => MultiHeadAttentionConverter.Outputs(graph, multiHead, inputs, maskValues ?? new string?[inputs.Length]),
            Attention { ReturnAttentionScores: true } or AdditiveAttention { ReturnAttentionScores: true } => ScoreAttentionConverter.Outputs(graph, layer, inputs, maskValues?[0], maskValues?[1]),
            _ when maskValues is null => [LayerConverters.Find(layer)!(graph, layer, inputs, tensor.Shape)],
            _ => [MaskedLayerConverters.Find(layer)!(graph, layer, inputs, maskValues, tensor.Shape)],
        };
    }

    // A MultiHeadAttention returning its scores for inputs of higher rank than (batch, steps, features): only its output is written.
    private static bool HigherRankScores(Layer layer) => layer is MultiHeadAttention { ReturnAttentionScores: true } multiHead && multiHead.InputShapes[0].Rank > 2;

    // The IR version that came with each opset (ONNX's versioning table), so that readers of that era accept the file.
    private static long IrVersion(int opset) => opset switch
    {
        <= 14 => 7,
        <= 18 => 8,
        <= 20 => 9,
        <= 22 => 10,
        _ => 11,
    };

    /// <summary>
    /// The producer_name of the files this exporter writes. Their inputs and outputs are in NeuralNet's layouts (images
    /// channels last), which the importer reads them in: it cannot tell an (N, H, W, C) input from an (N, C, H, W) one by
    /// its shape.
    /// </summary>
    internal const string Producer = "NeuralNet";

    private static string ProducerVersion()
    {
        string version = typeof(OnnxExporter).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
        int metadata = version.IndexOf('+', StringComparison.Ordinal);
        return metadata < 0 ? version : version[..metadata];
    }

    // Every tensor the outputs depend on, each after the tensors it reads.
    private static List<SymbolicTensor> TopologicalOrder(IReadOnlyList<SymbolicTensor> outputs)
    {
        var order = new List<SymbolicTensor>();
        var visited = new HashSet<SymbolicTensor>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<(SymbolicTensor Tensor, int Next)>();
        foreach (SymbolicTensor output in outputs.Where(visited.Add))
        {
            stack.Push((output, 0));
            while (stack.Count > 0)
            {
                (SymbolicTensor tensor, int next) = stack.Pop();
                if (next < tensor.InboundTensors.Count)
                {
                    stack.Push((tensor, next + 1));
                    SymbolicTensor inbound = tensor.InboundTensors[next];
                    if (visited.Add(inbound))
                    {
                        stack.Push((inbound, 0));
                    }
                }
                else
                {
                    order.Add(tensor);
                }
            }
        }

        return order;
    }

    // Every layer and activation must have an ONNX form, and every mask a layer reads must be followed to it; the first
    // that is not is named, before anything is built.
    private static MaskFlow CheckSupported(Model model, List<SymbolicTensor> order)
    {
        MaskFlow masks = MaskFlow.Follow(model, order);
        if (order.FirstOrDefault(t => t.Training == true) is SymbolicTensor trained)
        {
            // The exported graph is the inference form of every layer; a call Predict runs in training mode (Monte Carlo
            // dropout, batch statistics) would compute something else.
            throw new NotSupportedException(
                $"Layer '{trained.Layer.Name}' ({trained.Layer.GetType().FullName}) of model '{model.Name}' is called with training: true, so Predict runs it in training mode, which an exported graph cannot do (NeuralNet.Onnx writes every layer's inference form); call it without the argument to export the model.");
        }

        foreach (Layer layer in order.Where(t => t.InboundTensors.Count > 0).Select(t => t.Layer).Distinct())
        {
            CheckLayer(model, layer, "");
        }

        // The scores of attention over several axes would need the axes converter to lay them out too; when nothing reads
        // them, the layer's output is written alone, as without returnAttentionScores.
        if (order.FirstOrDefault(t => t.OutputIndex == 1 && HigherRankScores(t.Layer)) is { } scores)
        {
            var multiHead = (MultiHeadAttention)scores.Layer;
            throw new NotSupportedException(
                $"Layer '{multiHead.Name}' ({multiHead.GetType().FullName}) of model '{model.Name}' returns its attention scores (returnAttentionScores) for inputs of rank {multiHead.InputShapes[0].Rank + 1}, and the model reads them, which NeuralNet.Onnx writes only for (batch, steps, features) inputs; export a model that does not read the scores (its attention output alone is written).");
        }

        return masks;
    }

    // One layer, and the layers a wrapper runs (named with the wrapper, since the model's list does not show them).
    private static void CheckLayer(Model model, Layer layer, string within)
    {
        // An Rnn (a Bidirectional's direction too) is refused below whether stateful or not: advising a copy with
        // Stateful = false would lead to the next refusal.
        if (layer is Recurrent { Stateful: true } || (layer is Bidirectional { Stateful: true } wrapper && wrapper.ForwardLayer is Recurrent && wrapper.BackwardLayer is Recurrent))
        {
            // Predict carries its final states into the next call; an exported graph starts every call from zeros.
            throw new NotSupportedException(
                $"Layer '{layer.Name}'{within} ({layer.GetType().FullName}) of model '{model.Name}' is stateful (its states carry from one call to the next), which an exported graph cannot do; export a copy built with Stateful = false and the same weights.");
        }

        if (layer is Rnn rnn)
        {
            // Any cell, a user's too, runs there one call per step; ONNX's RNN, LSTM and GRU operators are written for the layers.
            throw new NotSupportedException(
                $"Layer '{layer.Name}'{within} ({layer.GetType().FullName}, over {rnn.Cell.TypeName}) of model '{model.Name}' has no ONNX form in NeuralNet.Onnx: export the SimpleRnn, Lstm or Gru layer, which computes what Rnn over its cell computes, with the same weights.");
        }

        if (layer.OutputCount > 1 && layer is not (Recurrent or Bidirectional or ConvLstm or MultiHeadAttention or Attention or AdditiveAttention or Split or Unstack))
        {
            // Only the recurrent layers (their states: returnState), Bidirectional, the attention layers (their scores:
            // returnAttentionScores), Split and Unstack have several outputs, and they write them all.
            throw new NotSupportedException(
                $"Layer '{layer.Name}'{within} ({layer.GetType().FullName}) of model '{model.Name}' has {layer.OutputCount} outputs, which NeuralNet.Onnx writes only for recurrent layers (ConvLSTM too), Bidirectional, attention layers, Split and Unstack.");
        }

        if (LayerConverters.Find(layer) is null)
        {
            // Every type of NeuralNet's own has a form (a test checks it), so this is a user's layer or a subclass: listing
            // the 140-odd supported types would bury the point.
            throw new NotSupportedException(
                $"Layer '{layer.Name}'{within} ({layer.GetType().FullName}) of model '{model.Name}' has no ONNX form in NeuralNet.Onnx, so the model cannot be exported: export converts NeuralNet's own layer types by their exact type (OnnxExporter.SupportedLayers lists them), not layers of your own or subclasses of NeuralNet's; build the part it computes from those layers to export the model.");
        }

        ActivationFunction? activation = layer switch
        {
            Dense dense => dense.Activation,
            Conv2D conv => conv.Activation,
            Conv1D conv1D => conv1D.Activation,
            DepthwiseConv2D depthwise => depthwise.Activation,
            SeparableConv2D separable => separable.Activation,
            Conv2DTranspose transpose => transpose.Activation,
            DepthwiseConv1D depthwise1D => depthwise1D.Activation,
            SeparableConv1D separable1D => separable1D.Activation,
            Conv1DTranspose transpose1D => transpose1D.Activation,
            Conv3D conv3D => conv3D.Activation,
            Conv3DTranspose transpose3D => transpose3D.Activation,
            Activation act => act.Function,
            _ => null,
        };
        if (activation is not null && !ActivationConverter.IsSupported(activation))
        {
            throw ActivationConverter.Unsupported(activation, layer);
        }

        if (layer is Discretization { BinBoundaries: null })
        {
            // Predict refuses it too.
            throw new InvalidOperationException(
                $"Layer '{layer.Name}'{within} (Discretization) of model '{model.Name}' has no bin boundaries yet, so it cannot be exported to ONNX; call Adapt with sample data, or give binBoundaries to its constructor, before exporting.");
        }

        if (layer is IntegerLookup { HasVocabulary: false })
        {
            throw new InvalidOperationException(
                $"Layer '{layer.Name}'{within} (IntegerLookup) of model '{model.Name}' has no vocabulary yet, so it cannot be exported to ONNX; call Adapt with sample data, or give a vocabulary, before exporting.");
        }

        if (layer is Recurrent recurrent)
        {
            RecurrentConverter.CheckActivations(recurrent);
        }

        if (layer is ConvLstm convLstm)
        {
            ConvLstmConverter.CheckActivations(convLstm);
        }

        IEnumerable<Layer> wrapped = layer switch
        {
            Bidirectional bidirectional => [bidirectional.ForwardLayer, bidirectional.BackwardLayer],
            TimeDistributed timeDistributed => [timeDistributed.InnerLayer],
            Pipeline pipeline => pipeline.RunningLayers,
            _ => [],
        };
        foreach (Layer inner in wrapped)
        {
            CheckLayer(model, inner, $" (inside '{layer.Name}')");
        }
    }

    private static void CheckOpset(Model model, int opset)
    {
        if (opset < MinimumOpset)
        {
            Layer first = model.Layers.FirstOrDefault(l => l is not InputLayer) ?? model.Layers[0];
            throw new ArgumentOutOfRangeException(nameof(opset), opset, string.Create(CultureInfo.InvariantCulture,
                $"Opset {opset} is too old for model '{model.Name}': its layers (the first, '{first.Name}' ({first.TypeName})) need opset {MinimumOpset} or later; NeuralNet.Onnx writes opsets {MinimumOpset} to {MaximumOpset}."));
        }

        if (opset > MaximumOpset)
        {
            throw new ArgumentOutOfRangeException(nameof(opset), opset, string.Create(CultureInfo.InvariantCulture,
                $"Opset {opset} is newer than NeuralNet.Onnx writes; choose an opset from {MinimumOpset} to {MaximumOpset}."));
        }
    }

    // Outputs carry the model's output names: the producing node's output is renamed, or an Identity node added when the
    // value is a graph input or already another output. A graph input that is an output under its own name needs nothing.
    private static void NameOutputs(OnnxGraphBuilder graph, Model model, Dictionary<SymbolicTensor, OnnxValue> values, IReadOnlyList<string> outputNames, string batchName)
    {
        var claimed = new HashSet<string>(model.InputNames, StringComparer.Ordinal);

        // Old name -> output name, for values renamed here: the builder's cached channels-last transpose of an image still
        // answers with the old name when a second output reads the same image.
        var renamed = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < model.Outputs.Count; i++)
        {
            SymbolicTensor output = model.Outputs[i];
            string name = outputNames[i];
            OnnxValue value = graph.ChannelsLast(values[output]);
            string valueName = renamed.GetValueOrDefault(value.Name, value.Name);
            if (valueName == name)
            {
                // A graph input under its own name (output names are unique, so nothing else carries it): ONNX lets a
                // graph output name a graph input, and an Identity would define the name twice.
            }
            else if (claimed.Contains(valueName))
            {
                graph.Graph.Node.Add(new NodeProto { Name = name, OpType = "Identity", Input = { valueName }, Output = { name } });
            }
            else
            {
                Rename(graph.Graph, valueName, name);
                renamed[valueName] = name;
                foreach (SymbolicTensor key in values.Keys.Where(k => values[k].Name == valueName).ToList())
                {
                    values[key] = values[key] with { Name = name };
                }
            }

            claimed.Add(name);
            graph.Graph.Output.Add(ValueInfo(name, output.Shape, batchName));
        }
    }

    private static void Rename(GraphProto graph, string from, string to)
    {
        foreach (NodeProto node in graph.Node)
        {
            for (int k = 0; k < node.Input.Count; k++)
            {
                if (node.Input[k] == from)
                {
                    node.Input[k] = to;
                }
            }

            for (int k = 0; k < node.Output.Count; k++)
            {
                if (node.Output[k] == from)
                {
                    node.Output[k] = to;
                }
            }
        }
    }

    private static ValueInfoProto ValueInfo(string name, TensorShape sampleShape, string batchName)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = batchName });
        foreach (int d in sampleShape.Dimensions)
        {
            shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        }

        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }
}
