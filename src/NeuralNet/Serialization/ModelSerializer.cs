using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Preprocessing;
using NeuralNet.Training;

namespace NeuralNet.Serialization;

/// <summary>
/// Model and weights files: one safetensors file whose tensors are the weights (<c>dense/kernel</c>), optionally the
/// optimizer state (<c>optimizer/dense/kernel/momentum</c>), and whose <c>__metadata__</c> holds the architecture
/// (<c>model_config</c>: a Sequential's layer list, or a functional model's layers with their inbound nodes, as Keras
/// writes them), the training configuration (<c>compile_config</c>) and the training state (<c>training_state</c>:
/// iteration count, Fit count and random-stream states). Components are written and created through
/// <see cref="SerializationRegistry"/>. See docs/serialization.md.
/// </summary>
internal static class ModelSerializer
{
    public const string FormatKey = "format";
    public const string VersionKey = "format_version";
    public const string ModelFormat = "neuralnet.model";
    public const string WeightsFormat = "neuralnet.weights";
    public const string Version = "1";
    public const string ModelConfigKey = "model_config";
    public const string CompileConfigKey = "compile_config";
    public const string TrainingStateKey = "training_state";
    public const string PreprocessingKey = "preprocessing";
    public const string OptimizerPrefix = "optimizer/";

    private const int MaxLayers = 10_000;
    private const int MaxNodes = 100_000;
    private static readonly JsonDocumentOptions s_jsonOptions = new() { MaxDepth = 32, CommentHandling = JsonCommentHandling.Disallow };

    /// <summary>The tensors and metadata of a model file (<paramref name="includeTraining"/>: optimizer and training state too).</summary>
    /// <exception cref="NotSupportedException">A component is a custom type that is not registered.</exception>
    public static (List<KeyValuePair<string, Tensor>> Tensors, Dictionary<string, string> Metadata) DescribeModel(Model model, bool includeTraining)
    {
        RequireBuilt(model, "save");
        var tensors = WeightTensors(model);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [FormatKey] = ModelFormat,
            [VersionKey] = Version,
            [ModelConfigKey] = ModelConfig(model).ToJsonString(),
        };

        if (model.Optimizer is Optimizer optimizer)
        {
            metadata[CompileConfigKey] = CompileConfig(model, optimizer).ToJsonString();
        }

        if (model.Preprocessing.Count > 0)
        {
            var preprocessing = new JsonObject();
            foreach (var (name, preprocessor) in model.Preprocessing)
            {
                preprocessing[name] = SerializationRegistry.Serialize(preprocessor);
            }

            metadata[PreprocessingKey] = preprocessing.ToJsonString();
        }

        if (includeTraining)
        {
            metadata[TrainingStateKey] = TrainingState(model).ToJsonString();
            if (model.Optimizer is Optimizer opt)
            {
                foreach (var (parameter, slot, value) in opt.GetStateTensors())
                {
                    tensors.Add(new($"{OptimizerPrefix}{model.ParameterName(parameter)}/{slot}", value));
                }
            }
        }

        return (tensors, metadata);
    }

    /// <summary>
    /// Builds what <see cref="DescribeModel"/> (or, with <paramref name="weightsOnly"/>, <see cref="DescribeWeights"/>) builds
    /// without writing anything, so that a model a save would refuse (an unregistered layer, a layer name with '/') fails
    /// before training rather than at <c>ModelCheckpoint</c>'s first save.
    /// </summary>
    /// <exception cref="InvalidOperationException">The model is not built, or a layer name contains '/'.</exception>
    /// <exception cref="NotSupportedException">A component is a custom type that is not registered.</exception>
    public static void CheckSavable(Model model, bool weightsOnly)
    {
        if (weightsOnly)
        {
            _ = DescribeWeights(model);
        }
        else
        {
            _ = DescribeModel(model, includeTraining: false);
        }
    }

    /// <summary>The tensors and metadata of a weights file.</summary>
    public static (List<KeyValuePair<string, Tensor>> Tensors, Dictionary<string, string> Metadata) DescribeWeights(Model model)
    {
        RequireBuilt(model, "save the weights of");
        return (WeightTensors(model), new Dictionary<string, string>(StringComparer.Ordinal) { [FormatKey] = WeightsFormat, [VersionKey] = Version });
    }

    /// <summary>The architecture alone, as the <c>model_config</c> JSON of a model file (Keras' <c>model.to_json()</c>).</summary>
    /// <exception cref="NotSupportedException">A component is a custom type that is not registered.</exception>
    public static string ArchitectureJson(Model model)
    {
        RequireBuilt(model, "describe");
        return ModelConfig(model).ToJsonString();
    }

    /// <summary>
    /// Creates a model from an architecture alone (<see cref="ArchitectureJson"/>, or a file's <c>model_config</c>), with new
    /// weights drawn from the layers' seeds: those of the model's seed in the JSON, or of <paramref name="seed"/>.
    /// </summary>
    /// <exception cref="InvalidDataException">The JSON is malformed, hostile or names a class that is not registered.</exception>
    public static Model ReadArchitecture(string json, string source, long? seed)
    {
        Config root;
        try
        {
            using JsonDocument document = JsonDocument.Parse(json, s_jsonOptions);
            root = Config.FromJson(document.RootElement, source, ModelConfigKey);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            throw FormatError.Create(source, null, $"the architecture is not valid JSON: {ex.Message}", ex);
        }

        return ReadArchitecture(root, loaded: null, seed);
    }

    // The model a model_config describes, its parameters read from the file (loaded) or new (null), seeded from seed or the config's.
    private static Model ReadArchitecture(Config root, FileParameters? loaded, long? seed)
    {
        string className = root.GetString("class_name");
        return className switch
        {
            "Sequential" => ReadSequential(root, loaded, seed),
            "Functional" => ReadFunctional(root, loaded, seed),
            _ => throw root.Error($"the model class is \"{FormatError.Shorten(className)}\"; NeuralNet reads Sequential and Functional models."),
        };
    }

    /// <summary>Creates a model from a model file: architecture, weights, compile configuration and training state.</summary>
    public static Model ReadModel(SafeTensorsFile file)
    {
        string source = file.Source;
        string format = file.Metadata.GetValueOrDefault(FormatKey) ?? string.Empty;
        if (format != ModelFormat)
        {
            throw FormatError.Create(source, null, format == WeightsFormat
                ? "the file holds weights only (written by SaveWeights); create the model in code and call LoadWeights."
                : $"not a NeuralNet model file: its metadata has no \"{FormatKey}\": \"{ModelFormat}\" (a plain safetensors file can be loaded with LoadWeights).");
        }

        CheckVersion(file);
        Config root = ParseJson(file, ModelConfigKey, required: true)!;
        var loaded = new FileParameters(file);
        Model model = ReadArchitecture(root, loaded, seed: null);

        foreach (string tensorName in file.Names)
        {
            if (!loaded.Parameters.ContainsKey(tensorName) && !tensorName.StartsWith(OptimizerPrefix, StringComparison.Ordinal))
            {
                throw FormatError.Create(source, tensorName, "the tensor matches no parameter of the model described in the file.");
            }
        }

        if (ParseJson(file, CompileConfigKey, required: false) is Config compile)
        {
            ReadCompileConfig(compile, model);
        }

        if (ParseJson(file, PreprocessingKey, required: false) is Config preprocessing)
        {
            ReadPreprocessing(preprocessing, model);
        }

        if (ParseJson(file, TrainingStateKey, required: false) is Config state)
        {
            ReadTrainingState(state, model, file, loaded.Parameters);
        }
        else if (file.Names.FirstOrDefault(n => IsOptimizerState(n, loaded.Parameters)) is string orphan)
        {
            throw FormatError.Create(source, orphan, $"optimizer state without a \"{TrainingStateKey}\".");
        }

        return model;
    }

    /// <summary>
    /// Checks that <paramref name="file"/> has exactly the model's parameters (optimizer state is ignored), then copies
    /// them in; on any mismatch nothing is copied.
    /// </summary>
    public static void ReadWeights(Model model, SafeTensorsFile file)
    {
        RequireBuilt(model, "load weights into");
        var expected = new Dictionary<string, Parameter>(StringComparer.Ordinal);
        foreach (Layer layer in model.Layers)
        {
            foreach (Parameter parameter in layer.Parameters)
            {
                expected.Add($"{layer.Name}/{parameter.Name}", parameter);
            }
        }

        foreach (var (tensorName, parameter) in expected)
        {
            RequireTensor(file, tensorName, parameter.Shape, $"model '{model.Name}'");
        }

        foreach (string tensorName in file.Names)
        {
            if (!expected.ContainsKey(tensorName) && !tensorName.StartsWith(OptimizerPrefix, StringComparison.Ordinal))
            {
                throw FormatError.Create(file.Source, tensorName, $"the tensor matches no parameter of model '{model.Name}' (its parameters: {string.Join(", ", expected.Keys.Take(12))}{(expected.Count > 12 ? ", ..." : string.Empty)}).");
            }
        }

        foreach (var (tensorName, parameter) in expected)
        {
            file[tensorName].CopyTo(parameter.Value);
            parameter.PendingInitializer = null;
        }
    }

    /// <summary>
    /// Puts the weights, optimizer state and training state (iterations, random streams, Fit count) of a model file back
    /// into <paramref name="model"/>, which must have the same parameters and an optimizer of the same type keeping the
    /// same state (<c>BackupAndRestore</c>). Every tensor is checked before anything changes: a state tensor the optimizer
    /// does not keep, or a parameter with only part of the optimizer's slots (a file written without <c>UseEma</c>
    /// restored into an optimizer with it), is refused, naming the slots. The optimizer's state is then exactly the
    /// file's: state it had for parameters the file has none for is dropped (they start afresh).
    /// </summary>
    public static void RestoreTrainingState(Model model, SafeTensorsFile file)
    {
        RequireBuilt(model, "restore the training state of");
        if ((file.Metadata.GetValueOrDefault(FormatKey) ?? string.Empty) != ModelFormat)
        {
            throw FormatError.Create(file.Source, null, $"not a NeuralNet model file: its metadata has no \"{FormatKey}\": \"{ModelFormat}\".");
        }

        CheckVersion(file);
        Config state = ParseJson(file, TrainingStateKey, required: true)!;

        // Read the whole file into a model of its own first: every part of it is checked there, so that nothing below
        // can fail half-way through; it also names the optimizer the file was written with.
        Model written = ReadModel(file);
        if (model.Optimizer is Optimizer current && written.Optimizer is Optimizer saved && saved.GetType() != current.GetType())
        {
            throw FormatError.Create(file.Source, null, $"the file was written with the {saved.Name} optimizer, but model '{model.Name}' is compiled with {current.Name}.");
        }

        var parameters = new Dictionary<string, Parameter>(StringComparer.Ordinal);
        foreach (Layer layer in model.Layers)
        {
            foreach (Parameter parameter in layer.Parameters)
            {
                parameters.Add($"{layer.Name}/{parameter.Name}", parameter);
            }
        }

        if (model.Optimizer is Optimizer optimizer)
        {
            CheckOptimizerState(file, optimizer, parameters, $"model '{model.Name}'");
        }
        else if (file.Names.FirstOrDefault(n => IsOptimizerState(n, parameters)) is string orphan)
        {
            throw FormatError.Create(file.Source, orphan, $"optimizer state, but model '{model.Name}' is not compiled.");
        }

        ReadWeights(model, file);
        ReadTrainingState(state, model, file, parameters);

        // The rate is optimizer state too (ReduceLROnPlateau may have lowered it); a schedule carries its own.
        if (model.Optimizer is Optimizer optimizerNow && optimizerNow.Schedule is null && written.Optimizer is Optimizer { Schedule: null } optimizerThen)
        {
            optimizerNow.LearningRate = optimizerThen.LearningRate;
        }
    }

    // The optimizer state of a file against the optimizer that is to take it, before anything changes: every state tensor
    // is a slot the optimizer keeps, for a parameter of the model, with its shape; and a parameter with state has every
    // slot the optimizer keeps. Loading part of a parameter's state would train on slots that belong to different options
    // (restoring Adam's momentum and velocity into an Adam with UseEma would leave the averages at the weights, or at 0,
    // and FinalizeVariableValues would put those in the model), so it is refused, as Keras' load_own_variables skips an
    // optimizer whose variables do not match (with a warning); here the mismatch is an error naming the slots. A
    // parameter with no state at all starts afresh: a layer that was frozen while the file was written has none.
    private static void CheckOptimizerState(SafeTensorsFile file, Optimizer optimizer, Dictionary<string, Parameter> parameters, string owner)
    {
        List<string> slots = [.. optimizer.StateSlotNames];
        var found = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (string tensorName in file.Names)
        {
            if (!IsOptimizerState(tensorName, parameters))
            {
                continue;
            }

            (string parameterName, string slot) = SplitStateName(tensorName);
            if (!parameters.TryGetValue(parameterName, out Parameter? parameter) || !slots.Contains(slot))
            {
                throw FormatError.Create(file.Source, tensorName, $"the tensor matches no state of the {optimizer.Name} optimizer (slots: {string.Join(", ", slots)}) for a parameter of {owner}; was the file written with another optimizer, or other options (UseEma, GradientAccumulationSteps, momentum, centered, AmsGrad)?");
            }

            RequireTensor(file, tensorName, optimizer.StateShape(parameter, slots.IndexOf(slot)), $"the optimizer state of '{parameterName}'");
            if (!found.TryGetValue(parameterName, out List<string>? present))
            {
                found.Add(parameterName, present = []);
            }

            present.Add(slot);
        }

        foreach ((string parameterName, List<string> present) in found)
        {
            string[] missing = [.. slots.Where(slot => !present.Contains(slot))];
            if (missing.Length > 0)
            {
                throw FormatError.Create(file.Source, $"{OptimizerPrefix}{parameterName}/{missing[0]}", $"missing: the {optimizer.Name} optimizer of {owner} keeps {string.Join(", ", slots)} for each parameter, but the file has only {string.Join(", ", present)} for '{parameterName}' (no {string.Join(", ", missing)}). The file was written with other optimizer options (UseEma, GradientAccumulationSteps, momentum, centered, AmsGrad); restore it into an optimizer configured as the one that wrote it, or start without it. Nothing was changed.");
            }
        }
    }

    // "optimizer/dense/kernel/momentum" -> ("dense/kernel", "momentum").
    private static (string Parameter, string Slot) SplitStateName(string tensorName)
    {
        int lastSlash = tensorName.LastIndexOf('/');
        return (tensorName[OptimizerPrefix.Length..Math.Max(OptimizerPrefix.Length, lastSlash)], tensorName[(lastSlash + 1)..]);
    }

    // Optimizer state is every tensor under "optimizer/" that is not a weight of the model: a layer may be named
    // "optimizer" (its weights are "optimizer/kernel", ...). The file format is unchanged; a state tensor named exactly as a
    // weight cannot be written (SafeTensors refuses a name that appears twice).
    private static bool IsOptimizerState(string tensorName, Dictionary<string, Parameter> weights) =>
        tensorName.StartsWith(OptimizerPrefix, StringComparison.Ordinal) && !weights.ContainsKey(tensorName);

    private static List<KeyValuePair<string, Tensor>> WeightTensors(Model model)
    {
        var tensors = new List<KeyValuePair<string, Tensor>>();
        foreach (Layer layer in model.Layers)
        {
            if (layer.Name.Contains('/', StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"Layer '{layer.Name}' cannot be saved: '/' separates layer and parameter names in files, so layer names must not contain it.");
            }

            // A LoRA layer's raw weight, A and B, not Keras' merged weight: a training state saved with them resumes exactly.
            foreach (Parameter parameter in layer.Parameters)
            {
                tensors.Add(new($"{layer.Name}/{parameter.Name}", parameter.Value));
            }
        }

        return tensors;
    }

    // A Sequential as 0.1.0 wrote it: the layers in order; a functional model as Keras writes one, every layer with its
    // inbound nodes, each a call on tensors named [layer, node, tensor].
    private static JsonObject ModelConfig(Model model)
    {
        var config = new JsonObject { ["name"] = model.Name, ["trainable"] = model.Trainable, ["seed"] = model.Seed };
        var layers = new JsonArray();
        config["layers"] = layers;
        if (model is Sequential sequential)
        {
            foreach (Layer layer in sequential.Layers)
            {
                layers.Add((JsonNode)SerializationRegistry.Serialize(layer));
            }

            JsonArray buildShape = BatchShape(model.Inputs[0]);
            buildShape[0] = CarriedBatch(model.Layers);
            return new JsonObject { ["class_name"] = "Sequential", ["config"] = config, ["build_input_shape"] = buildShape };
        }

        Graph graph = ((Functional)model).Graph;
        foreach (Layer layer in graph.Layers)
        {
            JsonObject item = SerializationRegistry.Serialize(layer);
            item["name"] = layer.Name;
            var nodes = new JsonArray();
            foreach (Node node in graph.NodesOf(layer))
            {
                if (node.IsInput)
                {
                    continue;
                }

                // A recurrent layer's initial states go by keyword, as Keras 3 writes lstm(x, initial_state=[h, c]), nested
                // as Keras' RNN over stacked cells takes them (InitialStateNesting); other calls of several tensors as one
                // list, as Add()([a, b]).
                bool statesByKeyword = node.Layer is Recurrent or Rnn or ConvLstm or Bidirectional && node.Inputs.Length > 1;
                JsonArray args;
                JsonObject kwargs;
                if (AttentionCallArguments.Applies(node.Layer))
                {
                    (args, kwargs) = AttentionCallArguments.WriteCall(node, t => KerasTensor(graph, t));
                }
                else
                {
                    args = [node.Inputs.Length == 1 || statesByKeyword ? KerasTensor(graph, node.Inputs[0]) : new JsonArray([.. node.Inputs.Select(t => KerasTensor(graph, t))])];
                    kwargs = [];
                }

                if (statesByKeyword)
                {
                    kwargs["initial_state"] = InitialStateNesting.Group(node.Layer, [.. node.Inputs.Skip(1).Select(t => KerasTensor(graph, t))]);
                }

                if (node.Reverse)
                {
                    kwargs["reverse"] = true;
                }

                if (node.Training is bool training)
                {
                    kwargs["training"] = training;
                }

                nodes.Add((JsonNode)new JsonObject { ["args"] = args, ["kwargs"] = kwargs });
            }

            if (AttentionCallArguments.Applies(layer) && item["config"] is JsonObject layerConfig)
            {
                AttentionCallArguments.StripOptions(layerConfig);
            }

            item["inbound_nodes"] = nodes;
            layers.Add((JsonNode)item);
        }

        if (CarriedBatch(graph.Layers) is int batch)
        {
            foreach (JsonNode? item in layers)
            {
                if ((string?)item?["class_name"] == "InputLayer" && item["config"]?["batch_shape"] is JsonArray { Count: > 0 } batchShape)
                {
                    batchShape[0] = batch;
                }
            }
        }

        config["input_layers"] = new JsonArray([.. graph.Inputs.Select(t => History(graph, t))]);
        config["output_layers"] = new JsonArray([.. graph.Outputs.Select(t => History(graph, t))]);
        return new JsonObject { ["class_name"] = "Functional", ["config"] = config };
    }

    private static JsonNode KerasTensor(Graph graph, SymbolicTensor tensor) => new JsonObject
    {
        ["class_name"] = "__keras_tensor__",
        ["config"] = new JsonObject { ["shape"] = BatchShape(tensor), ["dtype"] = "float32", ["keras_history"] = History(graph, tensor) },
    };

    private static JsonNode History(Graph graph, SymbolicTensor tensor) => new JsonArray(tensor.Layer.Name, graph.LocalIndex(tensor.Node), tensor.OutputIndex);

    // Keras' batch shape: null for the batch and for every variable axis.
    // The batch size a stateful layer's carried states are fixed to (at any depth), null before its first call and after
    // ResetStates. Written as the inputs' batch size: Keras 3's RNN.build refuses stateful=True on a dynamic batch size
    // and creates its state variables for this one; NeuralNet's reader ignores the batch size.
    private static int? CarriedBatch(IReadOnlyList<Layer> layers)
    {
        foreach (Layer layer in layers)
        {
            Tensor[] carried = layer is IStatefulLayer { Stateful: true } stateful ? stateful.CarriedStates : [];
            if (carried.Length > 0)
            {
                return carried[0].Shape[0];
            }

            if (CarriedBatch(layer.InnerLayers) is int inner)
            {
                return inner;
            }
        }

        return null;
    }

    private static JsonArray BatchShape(SymbolicTensor tensor)
    {
        var array = new JsonArray { null };
        for (int a = 0; a < tensor.Shape.Rank; a++)
        {
            array.Add(tensor.Shape[a] == tensor.ProbeShape[a] ? (JsonNode)JsonValue.Create(tensor.Shape[a]) : null);
        }

        return array;
    }

    // Keras' compile config: one loss for every output, or losses, weights and metrics by output name.
    /// <summary>The compile_config of a compiled model, as JSON text (what <see cref="Model.GetCompileConfig"/> returns).</summary>
    public static string CompileConfigJson(Model model, Optimizer optimizer) => CompileConfig(model, optimizer).ToJsonString();

    private static JsonObject CompileConfig(Model model, Optimizer optimizer)
    {
        var config = new JsonObject { ["optimizer"] = SerializationRegistry.Serialize(optimizer) };
        IReadOnlyList<string> names = model.OutputNames;
        IReadOnlyList<Loss?> losses = model.Losses;
        IReadOnlyList<Metric[]> metrics = model.OutputMetrics;
        IReadOnlyList<Metric[]> weighted = model.OutputWeightedMetrics;
        bool anyWeighted = weighted.Any(m => m.Length > 0);
        // Keras writes "loss": null for compile(optimizer) without a loss.
        bool noLoss = losses.All(l => l is null);
        if ((model.Loss is not null || noLoss) && model.LossWeights is null && names.Count == 1)
        {
            config["loss"] = model.Loss is Loss shared ? SerializationRegistry.Serialize(shared) : null;
            config["metrics"] = new JsonArray([.. metrics[0].Select(SerializationRegistry.SerializeMetric)]);
            if (anyWeighted)
            {
                config["weighted_metrics"] = new JsonArray([.. weighted[0].Select(SerializationRegistry.SerializeMetric)]);
            }

            return config;
        }

        var lossByName = new JsonObject();
        var metricsByName = new JsonObject();
        for (int k = 0; k < names.Count; k++)
        {
            lossByName[names[k]] = losses[k] is Loss loss ? SerializationRegistry.Serialize(loss) : null;
            metricsByName[names[k]] = new JsonArray([.. metrics[k].Select(SerializationRegistry.SerializeMetric)]);
        }

        config["loss"] = noLoss ? null : lossByName;
        if (model.LossWeights is IReadOnlyList<float> weights)
        {
            var weightsByName = new JsonObject();
            for (int k = 0; k < names.Count; k++)
            {
                weightsByName[names[k]] = weights[k];
            }

            config["loss_weights"] = weightsByName;
        }

        config["metrics"] = metricsByName;
        if (anyWeighted)
        {
            var weightedByName = new JsonObject();
            for (int k = 0; k < names.Count; k++)
            {
                weightedByName[names[k]] = new JsonArray([.. weighted[k].Select(SerializationRegistry.SerializeMetric)]);
            }

            config["weighted_metrics"] = weightedByName;
        }

        return config;
    }

    private static JsonObject TrainingState(Model model)
    {
        var randoms = new JsonObject();
        Span<ulong> state = stackalloc ulong[SeededRandom.StateLength];
        foreach (var (key, random) in RandomLayers(model))
        {
            random.LayerRandom.GetState(state);

            // As strings: JSON readers in other languages lose precision on integers above 2^53.
            var values = new JsonArray();
            foreach (ulong value in state)
            {
                values.Add((JsonNode)JsonValue.Create(value.ToString(CultureInfo.InvariantCulture)));
            }

            randoms[key] = values;
        }

        return new JsonObject
        {
            ["iterations"] = model.Optimizer?.StepCount ?? 0,
            ["fit_count"] = model.FitCount,
            ["random_states"] = randoms,
        };
    }

    // The layer's name for its first call; name#k for the instance of its k-th call in the model.
    private static string RandomStateKey(Layer instance) =>
        instance.CallIndex == 0 ? instance.Name : string.Create(CultureInfo.InvariantCulture, $"{instance.Name}#{instance.CallIndex}");

    // Every layer of the model that draws random numbers, with the key of its state: the layer instances, and the layers
    // wrappers run inside themselves (TimeDistributed's copy, Bidirectional's two), keyed wrapper/inner ("bidirectional/forward_lstm").
    private static IEnumerable<(string Key, IRandomLayer Layer)> RandomLayers(Model model)
    {
        var pending = new Stack<(string Key, Layer Layer)>();
        foreach (Layer instance in model.LayerInstances.Reverse())
        {
            pending.Push((RandomStateKey(instance), instance));
        }

        while (pending.TryPop(out var item))
        {
            if (item.Layer is IRandomLayer random)
            {
                yield return (item.Key, random);
            }

            IReadOnlyList<Layer> inner = item.Layer.InnerLayers;
            for (int i = inner.Count - 1; i >= 0; i--)
            {
                pending.Push(($"{item.Key}/{inner[i].Name}", inner[i]));
            }
        }
    }

    private static Sequential ReadSequential(Config root, FileParameters? loaded, long? seedOverride = null)
    {
        Config config = root.GetConfig("config");
        string name = ReadModelName(config, "sequential");
        long seed = seedOverride ?? config.GetInt64("seed", 0);
        List<(Layer Layer, Config Item)> layers = ReadLayerList(config);
        TensorShape inputShape = layers[0].Layer is InputLayer input ? input.Shape : ReadBuildInputShape(root, config);
        TensorShape shape = inputShape;
        for (int i = 0; i < layers.Count; i++)
        {
            if (layers[i].Layer is InputLayer && i > 0)
            {
                throw config.Error(string.Create(CultureInfo.InvariantCulture, $"layer {i} is an InputLayer; only the first layer can be one."));
            }

            Layer layer = layers[i].Layer;
            layer.Seed = SeededRandom.Derive(seed, i);
            layer.IsSeeded = true;
            BuildFromFile(layer, [shape], loaded, layers[i].Item);
            shape = layer.OutputShape;
        }

        try
        {
            var model = new Sequential(layers.Select(l => l.Layer), name, seed);
            model.Build(inputShape);
            ReadModelTrainable(config, model);
            return model;
        }
        catch (ArgumentException ex)
        {
            throw config.Error(ex.Message, ex);
        }
    }

    private static Functional ReadFunctional(Config root, FileParameters? loaded, long? seedOverride = null)
    {
        Config config = root.GetConfig("config");
        string name = ReadModelName(config, "functional");
        long seed = seedOverride ?? config.GetInt64("seed", 0);
        List<(Layer Layer, Config Item)> layers = ReadLayerList(config);

        // Every layer's calls, each a list of [layer, node, tensor] references, read before any layer is built.
        var pending = new List<(Layer Layer, Config Item, List<InboundCall> Calls)>();
        int totalNodes = 0;
        foreach ((Layer layer, Config item) in layers)
        {
            var calls = ReadInboundNodes(item, layer);
            totalNodes += calls.Count;
            if (totalNodes > MaxNodes)
            {
                throw config.Error(string.Create(CultureInfo.InvariantCulture, $"the layers have more than {MaxNodes} inbound nodes in all."));
            }

            pending.Add((layer, item, calls));
        }

        // Call the layers in any order their inputs allow (a shared layer's later call may need layers listed after it):
        // each layer waits on the first tensor its next call lacks and is woken when that tensor is produced, so every
        // call is made once whatever the order of the list.
        var produced = new Dictionary<(string Layer, int Node), SymbolicTensor[]>();
        var waiting = new Dictionary<(string Layer, int Node), List<int>>();
        var nextCall = new int[pending.Count];
        var ready = new Queue<int>();
        for (int i = 0; i < pending.Count; i++)
        {
            if (pending[i].Layer is InputLayer inputLayer)
            {
                produced[(inputLayer.Name, 0)] = [new Input(inputLayer)];
            }
        }

        void Schedule(int i)
        {
            if (nextCall[i] >= pending[i].Calls.Count)
            {
                return;
            }

            TensorReference? missing = pending[i].Calls[nextCall[i]].Tensors.Cast<TensorReference?>().FirstOrDefault(r => !produced.ContainsKey((r!.Value.Layer, r.Value.Node)));
            if (missing is TensorReference m)
            {
                (waiting.TryGetValue((m.Layer, m.Node), out List<int>? list) ? list : waiting[(m.Layer, m.Node)] = []).Add(i);
            }
            else
            {
                ready.Enqueue(i);
            }
        }

        for (int i = 0; i < pending.Count; i++)
        {
            Schedule(i);
        }

        while (ready.TryDequeue(out int i))
        {
            (Layer layer, Config item, List<InboundCall> calls) = pending[i];
            InboundCall call = calls[nextCall[i]];
            SymbolicTensor[] inputs = [.. call.Tensors.Select(r => Resolve(produced, r, item))];
            if (!layer.IsBuilt)
            {
                // A ReversibleEmbedding called in reverse first (a head reusing embeddings) is built for ids, as CallReverse does.
                BuildFromFile(layer, call.Reverse ? [ReversibleEmbedding.IdsShapeFor(inputs[0].Shape)] : [.. inputs.Select(t => t.Shape)], loaded, item);
            }

            try
            {
                SymbolicTensor[] outputs = call.Reverse ? [((ReversibleEmbedding)layer).CallReverse(inputs[0])] : layer.CallOutputs(inputs);
                if (call.Training is bool training)
                {
                    outputs[0].Node.Training = training;
                }

                produced[(layer.Name, nextCall[i])] = outputs;
            }
            catch (ArgumentException ex)
            {
                throw item.Error(ex.Message, ex);
            }

            if (waiting.Remove((layer.Name, nextCall[i]), out List<int>? woken))
            {
                foreach (int j in woken)
                {
                    Schedule(j);
                }
            }

            nextCall[i]++;
            Schedule(i);
        }

        for (int i = 0; i < pending.Count; i++)
        {
            if (nextCall[i] < pending[i].Calls.Count)
            {
                TensorReference missing = pending[i].Calls[nextCall[i]].Tensors.First(r => !produced.ContainsKey((r.Layer, r.Node)));
                throw pending[i].Item.Error(string.Create(CultureInfo.InvariantCulture,
                    $"inbound node {nextCall[i]} reads [\"{FormatError.Shorten(missing.Layer)}\", {missing.Node}, {missing.Tensor}], which no layer of the file produces (or only through a cycle)."));
            }
        }

        SymbolicTensor[] modelInputs = ReadTensorList(config, "input_layers", produced);
        SymbolicTensor[] modelOutputs = ReadTensorList(config, "output_layers", produced);
        Functional model;
        try
        {
            model = new Functional(modelInputs, modelOutputs, name, seed);
        }
        catch (ArgumentException ex)
        {
            throw config.Error(ex.Message, ex);
        }

        if (model.Layers.Count != layers.Count)
        {
            Layer stray = layers.Select(l => l.Layer).First(l => !model.Layers.Contains(l));
            throw config.Error($"layer '{FormatError.Shorten(stray.Name)}' is not between the model's inputs and outputs.");
        }

        ReadModelTrainable(config, model);
        return model;
    }

    // Keras' model-level "trainable": false freezes the whole model (its trainable_weights are then empty, whatever its
    // layers say); true leaves each layer as its own configuration set it.
    private static void ReadModelTrainable(Config config, Model model)
    {
        if (config.Contains("trainable") && !config.GetBoolean("trainable"))
        {
            model.Trainable = false;
        }
    }

    private static string ReadModelName(Config config, string fallback)
    {
        string name = config.GetString("name", fallback);
        return string.IsNullOrWhiteSpace(name) ? throw config.Error("the model name is empty.") : name;
    }

    // Creates every layer of "layers" (unbuilt) through the registry, checking names.
    private static List<(Layer Layer, Config Item)> ReadLayerList(Config config)
    {
        if (config.GetNode("layers") is not JsonArray array || array.Count is 0 or > MaxLayers)
        {
            throw config.Error(string.Create(CultureInfo.InvariantCulture, $"\"layers\" must be an array of 1 to {MaxLayers} layers."));
        }

        var layers = new List<(Layer, Config)>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        Config list = config.At($"{config.Path}.layers");
        for (int i = 0; i < array.Count; i++)
        {
            if (array[i] is not JsonObject obj)
            {
                throw list.Error(string.Create(CultureInfo.InvariantCulture, $"layer {i} must be an object but is {Config.Describe(array[i])}."));
            }

            Config item = Config.Wrap(obj, config.Source, string.Create(CultureInfo.InvariantCulture, $"layer {i}"));
            string className = item.GetString("class_name");
            Config layerConfig = item.Contains("config") ? item.GetConfig("config") : throw item.Error("\"config\" is missing.");
            string layerName = layerConfig.GetString("name", string.Empty);
            string where = string.Create(CultureInfo.InvariantCulture, $"layer {i} ('{FormatError.Shorten(layerName)}', {FormatError.Shorten(className)})");
            item = Config.Wrap(AttentionCallArguments.FoldOptions(obj, className, item.At(where)), config.Source, where);
            if (layerName.Length == 0)
            {
                throw layerConfig.At(where).Error("\"name\" is missing or empty.");
            }

            if (layerName.Contains('/', StringComparison.Ordinal))
            {
                throw item.Error("layer names cannot contain '/', which separates layer and parameter names in tensor names.");
            }

            if (item.Contains("name") && item.GetString("name") != layerName)
            {
                throw item.Error($"\"name\" is \"{FormatError.Shorten(item.GetString("name"))}\" but the layer's config names it \"{FormatError.Shorten(layerName)}\".");
            }

            if (!names.Add(layerName))
            {
                throw config.Error($"two layers are named '{FormatError.Shorten(layerName)}'.");
            }

            var layer = (Layer)SerializationRegistry.CreateFromItem(SerializationRegistry.ComponentKind.Layer, item, where);
            if (layer.Name != layerName)
            {
                if (layer.Name.Length != 0)
                {
                    throw item.Error($"the layer created from the config is named '{FormatError.Shorten(layer.Name)}', not '{FormatError.Shorten(layerName)}'.");
                }

                layer.Name = layerName;
            }

            layers.Add((layer, item));
        }

        return layers;
    }

    // Builds a layer for its input shapes, each parameter it creates checked against the file's tensor of that name and
    // shape before it is allocated, then filled from it.
    private static void BuildFromFile(Layer layer, TensorShape[] shapes, FileParameters? loaded, Config item)
    {
        string input = shapes.Length == 1 ? shapes[0].ToBatchString() : "[" + string.Join(", ", shapes.Select(s => s.ToBatchString())) + "]";
        try
        {
            if (loaded is null)
            {
                // An architecture alone: new parameters, filled from the layer's seed when the model is created.
                layer.BuildUninitialized(shapes);
            }
            else
            {
                loaded.BuildingFor = input;
                layer.Build(shapes, loaded);
            }
        }
        catch (Exception ex) when (ex is ArgumentException or OverflowException)
        {
            throw item.Error($"cannot take input {input}: {ex.Message}", ex);
        }
    }

    private static List<InboundCall> ReadInboundNodes(Config item, Layer layer)
    {
        var calls = new List<InboundCall>();
        JsonNode? nodes = item.GetNode("inbound_nodes");
        if (nodes is null)
        {
            return layer is InputLayer ? calls : throw item.Error("\"inbound_nodes\" is missing.");
        }

        if (nodes is not JsonArray array)
        {
            throw item.Error($"\"inbound_nodes\" must be an array but is {Config.Describe(nodes)}.");
        }

        if (layer is InputLayer && array.Count > 0)
        {
            throw item.Error("an InputLayer has no inbound nodes.");
        }

        for (int n = 0; n < array.Count; n++)
        {
            string where = string.Create(CultureInfo.InvariantCulture, $"{item.Path}.inbound_nodes[{n}]");
            // An attention layer may take all its tensors by keyword (mha(query=x, value=y)).
            bool attention = AttentionCallArguments.Applies(layer);
            if (array[n] is not JsonObject node || node["args"] is not JsonArray args || (args.Count == 0 && !attention))
            {
                throw item.At(where).Error("must be an object whose \"args\" is a non-empty array (empty only for an attention layer that takes its tensors by keyword).");
            }

            // Keras writes a call's tensors as one list (Add()([a, b])) or as positional arguments (mha(query, value));
            // a keyword argument this reader does not apply (a tensor, training=True) is refused, not dropped.
            JsonNode? first = args.Count > 0 ? args[0] : null;
            if (first is JsonArray && args.Count > 1)
            {
                throw item.At(where).Error("passes a list of tensors and further positional arguments; expected one list, or tensors as separate arguments.");
            }

            bool takesStates = layer is Recurrent or Rnn or ConvLstm or Bidirectional;
            JsonNode?[] tensors = first is JsonArray list ? [.. list]
                // Keras 3's positional initial state, lstm(x, [h, c]) (initial_state is call's second parameter), nested
                // per cell for an RNN over stacked cells (rnn(x, [[h, c], h2])).
                : takesStates && args.Count == 2 && args[1] is JsonArray positionalStates ? [first, .. InitialStateNesting.Flatten(positionalStates)]
                : [.. args];
            if (attention)
            {
                tensors = AttentionCallArguments.ReadTensors(layer, tensors, node["kwargs"] as JsonObject, item.At(where));
            }

            if (tensors.Length == 0)
            {
                throw item.At(where).Error("the call has no input tensors.");
            }

            bool? training = null;
            bool reverse = false;
            if (node["kwargs"] is JsonObject kwargs)
            {
                if (kwargs.FirstOrDefault(k => k.Value is not null && k.Key is not ("training" or "initial_state") && !(k.Key == "reverse" && layer is ReversibleEmbedding)
                    && !(attention && AttentionCallArguments.Reads(layer, k.Key))) is { Key: not null } keyword)
                {
                    throw item.At(where).Error($"passes \"{keyword.Key}\" by keyword, which NeuralNet does not read; only \"training\", \"initial_state\" (recurrent layers), \"reverse\" (ReversibleEmbedding), the attention layers' call arguments and null keyword arguments are accepted.");
                }

                // Keras' ReversibleEmbedding call(inputs, reverse=True): hidden states projected back to logits.
                reverse = CallKeyword.ReadFlag(kwargs, "reverse", item.At(where)) ?? false;
                if (reverse && tensors.Length != 1)
                {
                    throw item.At(where).Error(string.Create(CultureInfo.InvariantCulture, $"calls the layer in reverse on {tensors.Length} tensors; a reverse call takes one tensor of hidden states."));
                }

                // Keras 3 writes a recurrent call's initial states by keyword (lstm(x, initial_state=[h, c])); NeuralNet
                // takes them as the call's further inputs, after the sequence.
                if (kwargs["initial_state"] is JsonNode states)
                {
                    if (!takesStates)
                    {
                        throw item.At(where).Error($"passes \"initial_state\" to a {layer.TypeName}; only the recurrent layers (SimpleRNN, LSTM, GRU, RNN, the ConvLSTMs, Bidirectional) take initial states here.");
                    }

                    // Older tf.keras configs list the states with the sequence and repeat them by keyword: they count once.
                    if (tensors.Length == 1)
                    {
                        JsonNode?[] given = [.. InitialStateNesting.Flatten(states)];
                        tensors = [.. tensors, .. given];
                    }
                }

                training = CallKeyword.ReadFlag(kwargs, "training", item.At(where));
            }

            calls.Add(new InboundCall([.. tensors.Select(t => ReadReference(t, item.At(where)))], training, reverse));
        }

        return calls;
    }

    private static TensorReference ReadReference(JsonNode? node, Config where)
    {
        if (node is not JsonObject obj || obj["config"] is not JsonObject config || config["keras_history"] is not JsonArray { Count: 3 } history
            || history[0]?.GetValueKind() != JsonValueKind.String
            || (obj["class_name"] is JsonNode kind && (kind.GetValueKind() != JsonValueKind.String || kind.GetValue<string>() != "__keras_tensor__")))
        {
            throw where.Error("an input tensor must be {\"class_name\": \"__keras_tensor__\", \"config\": {\"keras_history\": [layer, node, tensor]}}.");
        }

        var reference = Config.Wrap(new JsonObject { ["node"] = history[1]?.DeepClone(), ["tensor"] = history[2]?.DeepClone() }, where.Source, where.Path);
        int nodeIndex = reference.GetInt32("node", minimum: 0, maximum: MaxNodes);
        int tensorIndex = reference.GetInt32("tensor", minimum: 0, maximum: MaxNodes);
        return new TensorReference(history[0]!.GetValue<string>(), nodeIndex, tensorIndex);
    }

    // The tensor a [layer, node, tensor] reference names among the outputs its layer's call produced.
    private static SymbolicTensor Resolve(Dictionary<(string Layer, int Node), SymbolicTensor[]> produced, TensorReference reference, Config where)
    {
        SymbolicTensor[] outputs = produced[(reference.Layer, reference.Node)];
        return reference.Tensor < outputs.Length ? outputs[reference.Tensor]
            : throw where.Error(string.Create(CultureInfo.InvariantCulture,
                $"[\"{FormatError.Shorten(reference.Layer)}\", {reference.Node}, {reference.Tensor}] names output {reference.Tensor} of a call that has {outputs.Length} output(s)."));
    }

    private static SymbolicTensor[] ReadTensorList(Config config, string key, Dictionary<(string Layer, int Node), SymbolicTensor[]> produced)
    {
        JsonNode? node = config.GetNode(key);
        if (node is not JsonArray { Count: > 0 } array)
        {
            throw config.Error($"\"{key}\" must be a non-empty array of [layer, node, tensor].");
        }

        // Keras writes a single triple for a model built on one tensor, a list of triples otherwise.
        JsonNode?[] triples = array[0]?.GetValueKind() == JsonValueKind.String ? [array] : [.. array];
        var result = new SymbolicTensor[triples.Length];
        for (int i = 0; i < triples.Length; i++)
        {
            var wrapper = new JsonObject { ["config"] = new JsonObject { ["keras_history"] = triples[i]?.DeepClone() } };
            TensorReference reference = ReadReference(wrapper, config.At($"{config.Path}.{key}"));
            result[i] = produced.ContainsKey((reference.Layer, reference.Node))
                ? Resolve(produced, reference, config)
                : throw config.Error($"\"{key}\" names [\"{FormatError.Shorten(reference.Layer)}\", {reference.Node}, {reference.Tensor}], which no layer of the file produces.");
        }

        return result;
    }

    // The named preprocessors ({"text": {"class_name": "TextVectorization", "config": {...}}}), created through the registry.
    private static void ReadPreprocessing(Config preprocessing, Model model)
    {
        foreach (string name in preprocessing.Keys.ToList())
        {
            Config item = preprocessing.GetConfig(name);
            model.Preprocessing[name] = (Preprocessor)SerializationRegistry.CreateFromItem(SerializationRegistry.ComponentKind.Preprocessor, item, $"{PreprocessingKey}.{name}");
        }
    }

    private static void ReadCompileConfig(Config compile, Model model)
    {
        var optimizer = (Optimizer)SerializationRegistry.CreateFromItem(SerializationRegistry.ComponentKind.Optimizer, compile.GetConfig("optimizer"), $"{compile.Path}.optimizer");
        IReadOnlyList<string> names = model.OutputNames;
        JsonNode? loss = compile.GetNode("loss");
        Loss?[] losses;
        if (loss is null)
        {
            // Keras' compile(optimizer) without a loss writes "loss": null.
            losses = compile.Keys.Contains("loss") ? new Loss?[names.Count] : throw compile.Error("\"loss\" is missing.");
        }
        else if (loss is JsonObject byName && !byName.ContainsKey("class_name"))
        {
            CheckOutputNames(compile, "loss", byName, names);
            losses = [.. names.Select(n => byName[n] is JsonNode l ? SerializationRegistry.Deserialize<Loss>(l, compile.GetConfig("loss"), n) : null)];
        }
        else if (loss is JsonArray byPosition)
        {
            // Keras keeps compile(loss=[...]) as given: one loss (or null) per output, in the outputs' order.
            CheckOnePerOutput(compile, "loss", byPosition, names);
            Config list = compile.At($"{compile.Path}.loss");
            losses = [.. byPosition.Select((l, i) => l is null ? null : SerializationRegistry.Deserialize<Loss>(l, list, string.Create(CultureInfo.InvariantCulture, $"[{i}]")))];
        }
        else
        {
            Loss single = SerializationRegistry.Deserialize<Loss>(loss, compile, "loss");
            losses = [.. names.Select(_ => single)];
        }

        float[]? weights = null;
        if (compile.GetNode("loss_weights") is JsonArray weightList)
        {
            CheckOnePerOutput(compile, "loss_weights", weightList, names);
            weights = [.. weightList.Select((w, i) => w is JsonValue v && v.TryGetValue(out double d) && double.IsFinite(d) ? (float)d
                : throw compile.Error(string.Create(CultureInfo.InvariantCulture, $"\"loss_weights\"[{i}] must be a number but is {Config.Describe(w)}.")))];
        }
        else if (compile.GetNode("loss_weights") is not null)
        {
            Config weightConfig = compile.GetConfig("loss_weights");
            CheckOutputNames(compile, "loss_weights", weightConfig.Json, names);
            weights = [.. names.Select(n => weightConfig.GetSingle(n, 1f))];
        }

        Metric[][] metrics = ReadMetricsPerOutput(compile, "metrics", names);
        Metric[][]? weightedMetrics = compile.GetNode("weighted_metrics") is null ? null : ReadMetricsPerOutput(compile, "weighted_metrics", names);
        try
        {
            model.Compile(optimizer, losses, weights, metrics, weightedMetrics);
        }
        catch (ArgumentException ex)
        {
            throw compile.Error(ex.Message, ex);
        }
    }

    // A metric list for one output ([...]) or per output ({"name": [...]}), as Keras writes "metrics" and "weighted_metrics".
    private static Metric[][] ReadMetricsPerOutput(Config compile, string key, IReadOnlyList<string> names)
    {
        JsonNode? node = compile.GetNode(key);
        if (node is JsonObject byName)
        {
            CheckOutputNames(compile, key, byName, names);
            Config perOutput = compile.GetConfig(key);
            return [.. names.Select(n => ReadMetricList(perOutput, n))];
        }

        if (names.Count > 1 && node is JsonArray byPosition && byPosition.Count == names.Count && byPosition.All(m => m is null or JsonArray))
        {
            // Keras' compile(metrics=[[...], [...]]): one list (or null) per output, in the outputs' order.
            return [.. byPosition.Select((m, i) =>
            {
                string position = string.Create(CultureInfo.InvariantCulture, $"[{i}]");
                return m is null ? [] : ReadMetricList(Config.Wrap(new JsonObject { [position] = m.DeepClone() }, compile.Source, $"{compile.Path}.{key}"), position);
            })];
        }

        Metric[] flat = node is null ? [] : ReadMetricList(compile, key);
        return names.Count == 1 ? [flat] : flat.Length == 0 ? [.. names.Select(_ => Array.Empty<Metric>())]
            : throw compile.Error($"\"{key}\" must be given per output (an object by output name) for a model with several outputs.");
    }

    private static Metric[] ReadMetricList(Config owner, string key)
    {
        if (owner.GetNode(key) is not JsonArray { Count: <= 64 } array)
        {
            throw owner.Error($"\"{key}\" must be an array of at most 64 metrics.");
        }

        Config list = owner.At($"{owner.Path}.{key}");
        var metrics = new Metric[array.Count];
        for (int i = 0; i < array.Count; i++)
        {
            metrics[i] = array[i] is JsonNode item
                ? SerializationRegistry.Deserialize<Metric>(item, list, string.Create(CultureInfo.InvariantCulture, $"[{i}]"))
                : throw list.Error(string.Create(CultureInfo.InvariantCulture, $"metric {i} is null."));

            // Keras logs a metric named by a string under that string ("mae"), so a reloaded model logs what it logged before.
            if (array[i]!.GetValueKind() == System.Text.Json.JsonValueKind.String)
            {
                metrics[i].Rename(array[i]!.GetValue<string>(), key);
            }
        }

        return metrics;
    }

    private static void CheckOnePerOutput(Config compile, string key, JsonArray byPosition, IReadOnlyList<string> names)
    {
        if (byPosition.Count != names.Count)
        {
            throw compile.Error(string.Create(CultureInfo.InvariantCulture,
                $"\"{key}\" is a list of {byPosition.Count}, but the model has {names.Count} outputs ({string.Join(", ", names)}); give one entry per output."));
        }
    }

    private static void CheckOutputNames(Config compile, string key, JsonObject byName, IReadOnlyList<string> names)
    {
        foreach ((string name, _) in byName)
        {
            if (!names.Contains(name))
            {
                throw compile.Error($"\"{key}\" names \"{FormatError.Shorten(name)}\", which is not an output of the model ({string.Join(", ", names)}).");
            }
        }
    }

    private static void ReadTrainingState(Config state, Model model, SafeTensorsFile file, Dictionary<string, Parameter> parameters)
    {
        long iterations = state.GetInt64("iterations", 0, minimum: 0);
        int fitCount = state.GetInt32("fit_count", 0, minimum: 0);
        Optimizer? optimizer = model.Optimizer;
        if (iterations > 0 && optimizer is null)
        {
            throw state.Error($"the file records {iterations} optimizer iterations but has no \"{CompileConfigKey}\".");
        }

        if (optimizer is not null)
        {
            // Checked in full first; then the optimizer's state becomes exactly the file's (whatever it held before).
            CheckOptimizerState(file, optimizer, parameters, "the model");
            optimizer.ResetState();
            List<string> slots = [.. optimizer.StateSlotNames];
            foreach (string tensorName in file.Names)
            {
                if (IsOptimizerState(tensorName, parameters))
                {
                    (string parameterName, string slot) = SplitStateName(tensorName);
                    file[tensorName].CopyTo(optimizer.GetOrCreateState(parameters[parameterName], slots.IndexOf(slot)));
                }
            }

            optimizer.StepCount = iterations;
        }

        if (state.Contains("random_states"))
        {
            Config states = state.GetConfig("random_states");
            Span<ulong> values = stackalloc ulong[SeededRandom.StateLength];
            foreach (var (key, random) in RandomLayers(model))
            {
                if (!states.Contains(key))
                {
                    continue;
                }

                if (states.GetNode(key) is not JsonArray { Count: SeededRandom.StateLength } array)
                {
                    throw states.Error($"the random state of '{FormatError.Shorten(key)}' must be an array of {SeededRandom.StateLength} strings.");
                }

                for (int k = 0; k < array.Count; k++)
                {
                    if (array[k]?.GetValueKind() != JsonValueKind.String || !ulong.TryParse(array[k]!.GetValue<string>(), NumberStyles.None, CultureInfo.InvariantCulture, out values[k]))
                    {
                        throw states.Error($"the random state of '{FormatError.Shorten(key)}' has {Config.Describe(array[k])} at {k}; expected an unsigned integer as a string.");
                    }
                }

                if (!random.LayerRandom.SetState(values))
                {
                    throw states.Error($"the random state of '{FormatError.Shorten(key)}' is not a state the generator can be in.");
                }
            }
        }

        model.FitCount = fitCount;
    }

    private static Tensor RequireTensor(SafeTensorsFile file, string tensorName, TensorShape shape, string needer)
    {
        if (!file.TryGetTensor(tensorName, out Tensor? tensor))
        {
            throw FormatError.Create(file.Source, tensorName, $"missing: {needer} needs it with shape {FormatShape(shape.Dimensions)}.");
        }

        if (tensor.Shape != shape)
        {
            throw FormatError.Create(file.Source, tensorName, $"has shape {FormatShape(tensor.Shape.Dimensions)} but {needer} needs {FormatShape(shape.Dimensions)}.");
        }

        return tensor;
    }

    private static string FormatShape(ReadOnlySpan<int> dimensions)
    {
        long[] dims = new long[dimensions.Length];
        for (int i = 0; i < dims.Length; i++)
        {
            dims[i] = dimensions[i];
        }

        return SafeTensorsHeader.FormatShape(dims);
    }

    private static TensorShape ReadBuildInputShape(Config root, Config config)
    {
        Config owner = root.Contains("build_input_shape") ? root : config.Contains("build_input_shape") ? config
            : throw root.Error("the model has no InputLayer and no \"build_input_shape\", so its input shape is unknown.");
        // Keras writes (batch, ...sample), the batch null or a number.
        int?[] dims = owner.GetNullableInt32Array("build_input_shape", InputLayer.MaxRank, minimum: 1, skipFirst: true);
        if (dims.Length == 0)
        {
            throw owner.Error("\"build_input_shape\" has no sample dimensions.");
        }

        if (Array.IndexOf(dims, null) >= 0)
        {
            throw owner.Error("\"build_input_shape\" has variable (null) sample lengths; a Sequential declares them with an InputLayer as its first layer.");
        }

        try
        {
            return new TensorShape([.. dims.Select(d => d!.Value)]);
        }
        catch (ArgumentException ex)
        {
            throw owner.Error(ex.Message, ex);
        }
    }

    private static void CheckVersion(SafeTensorsFile file)
    {
        string version = file.Metadata.GetValueOrDefault(VersionKey) ?? string.Empty;
        if (version != Version)
        {
            throw FormatError.Create(file.Source, null, $"format_version \"{FormatError.Shorten(version)}\" is not one this NeuralNet reads (\"{Version}\").");
        }
    }

    private static Config? ParseJson(SafeTensorsFile file, string key, bool required)
    {
        if (!file.Metadata.TryGetValue(key, out string? text))
        {
            return required ? throw FormatError.Create(file.Source, null, $"the metadata has no \"{key}\".") : null;
        }

        try
        {
            using JsonDocument document = JsonDocument.Parse(text, s_jsonOptions);
            return Config.FromJson(document.RootElement, file.Source, key);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            throw FormatError.Create(file.Source, null, $"\"{key}\" is not valid JSON: {ex.Message}", ex);
        }
    }

    private static void RequireBuilt(Model model, string action)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!model.IsBuilt)
        {
            throw new InvalidOperationException($"Cannot {action} model '{model.Name}' before it is built: start it with an InputLayer, call Build, or train it first.");
        }
    }

    private readonly record struct TensorReference(string Layer, int Node, int Tensor);

    // One call read from "inbound_nodes": its input tensors, Keras' training argument (null: the model's mode) and whether
    // it is a ReversibleEmbedding's reverse call.
    private readonly record struct InboundCall(TensorReference[] Tensors, bool? Training, bool Reverse);

    // Parameters of layers being loaded: each checked against the file's tensor of the same name and shape before it is
    // allocated, then filled from it.
    private sealed class FileParameters(SafeTensorsFile file) : Layer.ParameterSource
    {
        public Dictionary<string, Parameter> Parameters { get; } = new(StringComparer.Ordinal);

        /// <summary>The input shapes of the layer being built, for messages.</summary>
        public string BuildingFor { get; set; } = string.Empty;

        public override Parameter Create(Layer layer, int index, string name, TensorShape shape, bool trainable, Regularizers.Regularizer? regularizer, Initializers.Initializer initializer)
        {
            string tensorName = $"{layer.Name}/{name}";
            Tensor tensor = RequireTensor(file, tensorName, shape, $"{SerializationRegistry.ClassNameOf(layer)} '{layer.Name}' built for input {BuildingFor}");
            var parameter = new Parameter(name, shape, trainable, regularizer);
            tensor.CopyTo(parameter.Value);
            if (!Parameters.TryAdd(tensorName, parameter))
            {
                throw FormatError.Create(file.Source, tensorName, $"{layer} creates two parameters named '{name}'.");
            }

            return parameter;
        }
    }
}
