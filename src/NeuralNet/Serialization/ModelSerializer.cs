using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Optimizers;

namespace NeuralNet.Serialization;

/// <summary>
/// Model and weights files: one safetensors file whose tensors are the weights (<c>dense/kernel</c>), optionally the
/// optimizer state (<c>optimizer/dense/kernel/momentum</c>), and whose <c>__metadata__</c> holds the architecture
/// (<c>model_config</c>, Keras-style JSON), the training configuration (<c>compile_config</c>) and the training state
/// (<c>training_state</c>: iteration count, Fit count and random-stream states). See docs/serialization.md.
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
    public const string OptimizerPrefix = "optimizer/";

    private const int MaxLayers = 10_000;
    private static readonly JsonDocumentOptions s_jsonOptions = new() { MaxDepth = 32, CommentHandling = JsonCommentHandling.Disallow };

    /// <summary>The tensors and metadata of a model file (<paramref name="includeTraining"/>: optimizer and training state too).</summary>
    public static (List<KeyValuePair<string, Tensor>> Tensors, Dictionary<string, string> Metadata) DescribeModel(Sequential model, int fitCount, bool includeTraining)
    {
        RequireBuilt(model, "save");
        var tensors = WeightTensors(model);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [FormatKey] = ModelFormat,
            [VersionKey] = Version,
            [ModelConfigKey] = Json(json => WriteModelConfig(json, model)),
        };

        if (model.Optimizer is Optimizer optimizer && model.Loss is not null)
        {
            metadata[CompileConfigKey] = Json(json =>
            {
                json.WriteStartObject();
                TrainingConfigs.WriteCompileConfig(json, optimizer, model.Loss, model.Metrics);
                json.WriteEndObject();
            });
        }

        if (includeTraining)
        {
            metadata[TrainingStateKey] = Json(json => WriteTrainingState(json, model, fitCount));
            if (model.Optimizer is Optimizer opt)
            {
                foreach (var (parameter, slot, value) in opt.GetStateTensors())
                {
                    tensors.Add(new($"{OptimizerPrefix}{ParameterName(model, parameter)}/{slot}", value));
                }
            }
        }

        return (tensors, metadata);
    }

    /// <summary>The tensors and metadata of a weights file.</summary>
    public static (List<KeyValuePair<string, Tensor>> Tensors, Dictionary<string, string> Metadata) DescribeWeights(Sequential model)
    {
        RequireBuilt(model, "save the weights of");
        return (WeightTensors(model), new Dictionary<string, string>(StringComparer.Ordinal) { [FormatKey] = WeightsFormat, [VersionKey] = Version });
    }

    /// <summary>Creates a model from a model file: architecture, weights, compile configuration and training state.</summary>
    /// <returns>The model and the Fit count saved with it (0 when the file has no training state).</returns>
    public static (Sequential Model, int FitCount) ReadModel(SafeTensorsFile file)
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
        using var modelDoc = ParseJson(file, ModelConfigKey, required: true)!;
        var root = new ConfigObject(modelDoc.RootElement, source, ModelConfigKey);
        string className = root.String("class_name");
        if (className != "Sequential")
        {
            throw root.Error($"the model class is \"{FormatError.Shorten(className)}\"; NeuralNet reads Sequential models.");
        }

        var config = root.Object("config");
        string name = config.String("name", "sequential");
        if (string.IsNullOrWhiteSpace(name))
        {
            throw config.Error("the model name is empty.");
        }

        long seed = config.Long("seed", 0);
        var layerArray = config.Required("layers");
        if (layerArray.ValueKind != JsonValueKind.Array || layerArray.GetArrayLength() is 0 or > MaxLayers)
        {
            throw config.Error($"\"layers\" must be an array of 1 to {MaxLayers} layers.");
        }

        var layers = new List<Layer>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var element in layerArray.EnumerateArray())
        {
            var layer = LayerConfigs.Read(element, source, layers.Count);
            if (!names.Add(layer.Name))
            {
                throw config.Error($"two layers are named '{FormatError.Shorten(layer.Name)}'.");
            }

            if (layer is InputLayer && layers.Count > 0)
            {
                throw config.Error($"layer {layers.Count} is an InputLayer; only the first layer can be one.");
            }

            layers.Add(layer);
        }

        TensorShape inputShape = layers[0] is InputLayer input ? input.Shape : ReadBuildInputShape(root);

        // Build layer by layer, checking the file's tensors against the shapes each layer will create before it allocates them.
        var parameters = new Dictionary<string, Parameter>(StringComparer.Ordinal);
        TensorShape shape = inputShape;
        for (int i = 0; i < layers.Count; i++)
        {
            Layer layer = layers[i];
            layer.Seed = SeededRandom.Derive(seed, i);
            var expected = LayerConfigs.ExpectedParameters(layer, shape);
            if (expected is not null)
            {
                foreach (var (parameterName, parameterShape) in expected)
                {
                    RequireTensor(file, $"{layer.Name}/{parameterName}", parameterShape, $"{LayerConfigs.ClassName(layer)} '{layer.Name}' built for input {shape.ToBatchString()}");
                }
            }

            try
            {
                layer.Build(shape);
            }
            catch (ArgumentException ex)
            {
                throw FormatError.Create(source, null, $"layer {i} ('{FormatError.Shorten(layer.Name)}', {LayerConfigs.ClassName(layer)}) cannot take input {shape.ToBatchString()}: {ex.Message}", ex);
            }

            foreach (var parameter in layer.Parameters)
            {
                string tensorName = $"{layer.Name}/{parameter.Name}";
                var tensor = RequireTensor(file, tensorName, parameter.Shape.Dimensions.ToArray(), $"{LayerConfigs.ClassName(layer)} '{layer.Name}'");
                tensor.CopyTo(parameter.Value);
                parameters.Add(tensorName, parameter);
            }

            shape = layer.OutputShape;
        }

        Sequential model;
        try
        {
            model = new Sequential(layers, name, seed);
            model.Build(inputShape);
        }
        catch (ArgumentException ex)
        {
            throw config.Error(ex.Message, ex);
        }

        foreach (string tensorName in file.Names)
        {
            if (!parameters.ContainsKey(tensorName) && !tensorName.StartsWith(OptimizerPrefix, StringComparison.Ordinal))
            {
                throw FormatError.Create(source, tensorName, "the tensor matches no parameter of the model described in the file.");
            }
        }

        using var compileDoc = ParseJson(file, CompileConfigKey, required: false);
        if (compileDoc is not null)
        {
            var compile = new ConfigObject(compileDoc.RootElement, source, CompileConfigKey);
            model.Compile(TrainingConfigs.ReadOptimizer(compile), TrainingConfigs.ReadLoss(compile), TrainingConfigs.ReadMetrics(compile));
        }

        int fitCount = 0;
        using var stateDoc = ParseJson(file, TrainingStateKey, required: false);
        if (stateDoc is not null)
        {
            fitCount = ReadTrainingState(new ConfigObject(stateDoc.RootElement, source, TrainingStateKey), model, file, parameters);
        }
        else if (file.Names.Any(n => n.StartsWith(OptimizerPrefix, StringComparison.Ordinal)))
        {
            throw FormatError.Create(source, file.Names.First(n => n.StartsWith(OptimizerPrefix, StringComparison.Ordinal)), $"optimizer state without a \"{TrainingStateKey}\".");
        }

        return (model, fitCount);
    }

    /// <summary>
    /// Checks that <paramref name="file"/> has exactly the model's parameters (optimizer state is ignored), then copies
    /// them in; on any mismatch nothing is copied.
    /// </summary>
    public static void ReadWeights(Sequential model, SafeTensorsFile file)
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
            RequireTensor(file, tensorName, parameter.Shape.Dimensions.ToArray(), $"model '{model.Name}'");
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
        }
    }

    /// <summary>The name of a parameter in files: <c>layer/parameter</c>.</summary>
    public static string ParameterName(Sequential model, Parameter parameter)
    {
        foreach (Layer layer in model.Layers)
        {
            foreach (Parameter p in layer.Parameters)
            {
                if (ReferenceEquals(p, parameter))
                {
                    return $"{layer.Name}/{p.Name}";
                }
            }
        }

        throw new InvalidOperationException($"Parameter '{parameter.Name}' does not belong to model '{model.Name}'; was the optimizer used with another model?");
    }

    private static List<KeyValuePair<string, Tensor>> WeightTensors(Sequential model)
    {
        var tensors = new List<KeyValuePair<string, Tensor>>();
        foreach (Layer layer in model.Layers)
        {
            if (layer.Name.Contains('/', StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"Layer '{layer.Name}' cannot be saved: '/' separates layer and parameter names in files, so layer names must not contain it.");
            }

            foreach (Parameter parameter in layer.Parameters)
            {
                tensors.Add(new($"{layer.Name}/{parameter.Name}", parameter.Value));
            }
        }

        return tensors;
    }

    private static void WriteModelConfig(Utf8JsonWriter json, Sequential model)
    {
        json.WriteStartObject();
        json.WriteString("class_name", "Sequential");
        json.WriteStartObject("config");
        json.WriteString("name", model.Name);
        json.WriteNumber("seed", model.Seed);
        json.WriteStartArray("layers");
        foreach (Layer layer in model.Layers)
        {
            LayerConfigs.Write(json, layer);
        }

        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteStartArray("build_input_shape");
        json.WriteNullValue();
        foreach (int d in model.InputShape.Dimensions)
        {
            json.WriteNumberValue(d);
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WriteTrainingState(Utf8JsonWriter json, Sequential model, int fitCount)
    {
        json.WriteStartObject();
        json.WriteNumber("iterations", model.Optimizer?.Iterations ?? 0);
        json.WriteNumber("fit_count", fitCount);
        json.WriteStartObject("random_states");
        Span<ulong> state = stackalloc ulong[SeededRandom.StateLength];
        foreach (Layer layer in model.Layers)
        {
            if (layer is Dropout dropout)
            {
                dropout.MaskRandom.GetState(state);
                json.WriteStartArray(layer.Name);
                foreach (ulong value in state)
                {
                    // As strings: JSON readers in other languages lose precision on integers above 2^53.
                    json.WriteStringValue(value.ToString(CultureInfo.InvariantCulture));
                }

                json.WriteEndArray();
            }
        }

        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static int ReadTrainingState(ConfigObject state, Sequential model, SafeTensorsFile file, Dictionary<string, Parameter> parameters)
    {
        long iterations = state.Long("iterations", 0, minimum: 0);
        int fitCount = state.Int("fit_count", 0, minimum: 0);
        var optimizer = model.Optimizer;
        if (iterations > 0 && optimizer is null)
        {
            throw state.Error($"the file records {iterations} optimizer iterations but has no \"{CompileConfigKey}\".");
        }

        if (optimizer is not null)
        {
            var slots = optimizer.StateSlotNames;
            foreach (string tensorName in file.Names)
            {
                if (!tensorName.StartsWith(OptimizerPrefix, StringComparison.Ordinal))
                {
                    continue;
                }

                int lastSlash = tensorName.LastIndexOf('/');
                string parameterName = tensorName[OptimizerPrefix.Length..Math.Max(OptimizerPrefix.Length, lastSlash)];
                string slot = tensorName[(lastSlash + 1)..];
                int slotIndex = IndexOf(slots, slot);
                if (!parameters.TryGetValue(parameterName, out var parameter) || slotIndex < 0)
                {
                    throw FormatError.Create(file.Source, tensorName, $"the tensor matches no state of the {optimizer.Name} optimizer (slots: {string.Join(", ", slots)}) for a parameter of the model.");
                }

                var tensor = RequireTensor(file, tensorName, parameter.Shape.Dimensions.ToArray(), $"the optimizer state of '{parameterName}'");
                tensor.CopyTo(optimizer.GetOrCreateState(parameter)[slotIndex]);
            }

            optimizer.Iterations = iterations;
        }

        var randoms = state.Get("random_states");
        if (randoms is not null)
        {
            var states = state.Object("random_states");
            Span<ulong> values = stackalloc ulong[SeededRandom.StateLength];
            foreach (Layer layer in model.Layers)
            {
                if (layer is not Dropout dropout || !states.Has(layer.Name))
                {
                    continue;
                }

                var array = states.Required(layer.Name);
                if (array.ValueKind != JsonValueKind.Array || array.GetArrayLength() != SeededRandom.StateLength)
                {
                    throw states.Error($"the random state of '{FormatError.Shorten(layer.Name)}' must be an array of {SeededRandom.StateLength} strings.");
                }

                int k = 0;
                foreach (var item in array.EnumerateArray())
                {
                    if (item.ValueKind != JsonValueKind.String || !ulong.TryParse(item.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out values[k]))
                    {
                        throw states.Error($"the random state of '{FormatError.Shorten(layer.Name)}' has {ConfigObject.Describe(item)} at {k}; expected an unsigned integer as a string.");
                    }

                    k++;
                }

                if (!dropout.MaskRandom.SetState(values))
                {
                    throw states.Error($"the random state of '{FormatError.Shorten(layer.Name)}' is not a state the generator can be in.");
                }
            }
        }

        return fitCount;
    }

    private static int IndexOf(IReadOnlyList<string> slots, string slot)
    {
        for (int i = 0; i < slots.Count; i++)
        {
            if (slots[i] == slot)
            {
                return i;
            }
        }

        return -1;
    }

    private static Tensor RequireTensor(SafeTensorsFile file, string tensorName, int[] shape, string needer)
    {
        if (!file.TryGetTensor(tensorName, out var tensor))
        {
            throw FormatError.Create(file.Source, tensorName, $"missing: {needer} needs it with shape {SafeTensorsHeader.FormatShape(Array.ConvertAll(shape, d => (long)d))}.");
        }

        if (!tensor.Shape.Dimensions.SequenceEqual(shape))
        {
            throw FormatError.Create(file.Source, tensorName, $"has shape {SafeTensorsHeader.FormatShape(Array.ConvertAll(tensor.Shape.Dimensions.ToArray(), d => (long)d))} but {needer} needs {SafeTensorsHeader.FormatShape(Array.ConvertAll(shape, d => (long)d))}.");
        }

        return tensor;
    }

    private static TensorShape ReadBuildInputShape(ConfigObject root)
    {
        if (!root.Has("build_input_shape"))
        {
            throw root.Error("the model has no InputLayer and no \"build_input_shape\", so its input shape is unknown.");
        }

        int[] dims = root.PositiveInts("build_input_shape", 8, allowLeadingNull: true);
        var first = root.Required("build_input_shape").EnumerateArray().FirstOrDefault();
        if (first.ValueKind == JsonValueKind.Number && dims.Length > 0)
        {
            dims = dims[1..];
        }

        if (dims.Length == 0)
        {
            throw root.Error("\"build_input_shape\" has no sample dimensions.");
        }

        return ComponentConfigs.Construct(root, () => new TensorShape(dims));
    }

    private static void CheckVersion(SafeTensorsFile file)
    {
        string version = file.Metadata.GetValueOrDefault(VersionKey) ?? string.Empty;
        if (version != Version)
        {
            throw FormatError.Create(file.Source, null, $"format_version \"{FormatError.Shorten(version)}\" is not one this NeuralNet reads (\"{Version}\").");
        }
    }

    private static JsonDocument? ParseJson(SafeTensorsFile file, string key, bool required)
    {
        if (!file.Metadata.TryGetValue(key, out string? text))
        {
            return required ? throw FormatError.Create(file.Source, null, $"the metadata has no \"{key}\".") : null;
        }

        try
        {
            return JsonDocument.Parse(text, s_jsonOptions);
        }
        catch (JsonException ex)
        {
            throw FormatError.Create(file.Source, null, $"\"{key}\" is not valid JSON: {ex.Message}", ex);
        }
    }

    private static void RequireBuilt(Sequential model, string action)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!model.IsBuilt)
        {
            throw new InvalidOperationException($"Cannot {action} model '{model.Name}' before it is built: start it with an InputLayer, call Build, or train it first.");
        }
    }

    private static string Json(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            write(json);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
