using System.Globalization;
using System.Text.Json.Nodes;
using static NeuralNet.Keras.KerasConfigItems;

namespace NeuralNet.Keras;

/// <summary>
/// Rewrites a Keras config whose layers include whole models (<c>keras.Sequential([base_model, head])</c>, a functional
/// model calling an encoder) into one functional graph of layers, as NeuralNet runs nested models, and records the
/// HDF5 group Keras keeps each layer's weights in (<c>layers/functional/layers/dense</c>).
/// </summary>
/// <remarks>
/// Each call of a nested model is replaced by its layers, their inbound tensors bound to the call's arguments, and the
/// call's <c>training</c> argument given to every inlined call that does not fix its own, as NeuralNet runs a model
/// called in a mode (<see cref="Models.Model.Call(Models.SymbolicTensor, bool)"/>).
/// A nested layer whose name the larger model already uses gets the nested model's name in front (<c>encoder_dense</c>). A nested model called twice
/// (shared weights) is refused: inlining it twice would give two sets of weights.
/// </remarks>
internal sealed partial class KerasModelInliner
{
    private readonly List<JsonNode> _layers = [];
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _groups = new(StringComparer.Ordinal);
    private readonly List<(string Layer, string Model, string Name)> _origins = [];
    private readonly List<string> _models = [];
    private readonly string _source;

    private KerasModelInliner(string source) => _source = source;

    /// <summary>Whether <paramref name="root"/>'s layers include a model.</summary>
    public static bool HasNestedModels(JsonObject root) => Items(root["config"] as JsonObject).Any(IsModel);

    /// <summary>
    /// The functional config of <paramref name="root"/> with every nested model replaced by its layers, and the Keras
    /// weight group of every layer of it, by the layer's name in the new config.
    /// </summary>
    /// <exception cref="NotSupportedException">A nested model is called more than once, or with inputs by name.</exception>
    /// <exception cref="InvalidDataException">The config is not a model config Keras writes.</exception>
    /// <remarks>
    /// Origins gives, for each layer of the new config in order, the model of the root's layer list it came from ("" for
    /// the root's own layers) and its name there: Keras 2 files keep a nested model's weights in that model's group, each
    /// named after the layer that owns it.
    /// </remarks>
    public static (JsonObject Root, Dictionary<string, string> Groups, IReadOnlyList<(string Layer, string Model, string Name)> Origins) Inline(JsonObject root, string source, string entry = "config.json")
    {
        var inliner = new KerasModelInliner($"{source}: {entry}");
        JsonObject config = root["config"] as JsonObject ?? throw inliner.Error("the model has no \"config\" object");
        foreach (JsonObject item in Items(config).Where(i => !IsModel(i)))
        {
            inliner._names.Add(NameOf(item));
        }

        bool sequential = KerasConfigItems.Text(root["class_name"]) == "Sequential";
        List<JsonArray> inputs;
        List<JsonArray> outputs;
        if (sequential)
        {
            JsonArray input = inliner.RootInput(config, root);
            inputs = [input];
            outputs = inliner.InlineSequential(config, string.Empty, input, training: null, root: true);
        }
        else
        {
            inputs = [];
            outputs = inliner.InlineFunctional(config, string.Empty, bound: null, training: null, rootInputs: inputs);
        }

        var flat = new JsonObject
        {
            ["class_name"] = "Functional",
            ["config"] = new JsonObject
            {
                ["name"] = config["name"]?.DeepClone(),
                ["trainable"] = config["trainable"]?.DeepClone() ?? true,
                ["layers"] = new JsonArray([.. inliner._layers]),
                ["input_layers"] = new JsonArray([.. inputs]),
                ["output_layers"] = new JsonArray([.. outputs]),
            },
        };
        return (flat, inliner._groups, inliner._origins);
    }

    // A functional model's layers, in order; nested models inlined. `bound` gives the tensors its inputs take (null: the
    // root model, whose inputs stay and are listed in rootInputs). Returns its output tensors.
    private List<JsonArray> InlineFunctional(JsonObject config, string path, List<JsonArray>? bound, bool? training, List<JsonArray> rootInputs)
    {
        string owner = bound is null ? string.Empty : NameOf(config);
        return InlineFunctional(config, path, owner, bound, training, rootInputs);
    }

    private List<JsonArray> InlineFunctional(JsonObject config, string path, string owner, List<JsonArray>? bound, bool? training, List<JsonArray> rootInputs)
    {
        List<JsonObject> items = [.. Items(config)];
        List<string> groups = KerasNames.ContainerNames(items.Select(i => KerasConfigItems.Text(i["class_name"]) ?? string.Empty));
        var scope = new Scope();
        List<JsonArray> declaredInputs = Triples(config["input_layers"], "input_layers");
        for (int i = 0; i < items.Count; i++)
        {
            JsonObject item = items[i];
            string name = NameOf(item);
            string group = Join(path, "layers/" + groups[i]);
            if (IsClass(item, "InputLayer"))
            {
                if (bound is null)
                {
                    Emit(item, name, group);
                    scope.Renamed[name] = name;
                    continue;
                }

                int position = declaredInputs.FindIndex(t => KerasConfigItems.Text(t[0]) == name);
                if (position < 0 || position >= bound.Count)
                {
                    throw Error($"the nested model's input '{name}' is not one of its {bound.Count} call argument(s)");
                }

                scope.Tensors[(name, 0, 0)] = bound[position];
            }
            else if (IsModel(item))
            {
                InlineCall(item, group, scope, training);
            }
            else
            {
                string newName = bound is null ? name : Unique(owner, name);
                scope.Renamed[name] = newName;
                JsonObject copy = Emit(item, newName, group);
                copy["inbound_nodes"] = RewriteNodes(item["inbound_nodes"], scope, training, name);
            }
        }

        if (bound is null)
        {
            rootInputs.AddRange(declaredInputs.Select(t => scope.Resolve(scope.FromModelTriple(t), this)));
        }

        return [.. Triples(config["output_layers"], "output_layers").Select(t => scope.Resolve(scope.FromModelTriple(t), this))];
    }

    // A Sequential's layers chained from `input`; nested models inlined. Returns its output tensor.
    private List<JsonArray> InlineSequential(JsonObject config, string path, JsonArray input, bool? training, bool root)
    {
        // Keras' Sequential.layers leaves out the InputLayer, so the container numbering starts after it.
        List<JsonObject> items = [.. Items(config).Where(i => KerasConfigItems.Text(i["class_name"]) != "InputLayer")];
        List<string> groups = KerasNames.ContainerNames(items.Select(i => KerasConfigItems.Text(i["class_name"]) ?? string.Empty));
        JsonArray current = input;
        for (int i = 0; i < items.Count; i++)
        {
            JsonObject item = items[i];
            string group = Join(path, "layers/" + groups[i]);
            if (IsModel(item))
            {
                List<JsonArray> outputs = InlineModel(item, group, [current], training);
                current = outputs.Count == 1 ? outputs[0] : throw Error($"the nested model '{NameOf(item)}' in a Sequential has {outputs.Count} outputs; a Sequential passes on one");
                continue;
            }

            string name = NameOf(item);
            string newName = root ? name : Unique(NameOf(config), name);
            JsonObject copy = Emit(item, newName, group);
            copy["inbound_nodes"] = new JsonArray(Node([current], training));
            current = new JsonArray(newName, 0, 0);
        }

        return [current];
    }

    // One call of a nested model: its layers inlined on the call's arguments.
    private void InlineCall(JsonObject item, string group, Scope scope, bool? training)
    {
        string name = NameOf(item);
        if (item["inbound_nodes"] is not JsonArray { Count: 1 } nodes || nodes[0] is not JsonObject node)
        {
            throw new NotSupportedException($"{_source}: the nested model '{name}' is called {(item["inbound_nodes"] as JsonArray)?.Count ?? 0} times; NeuralNet.Keras reads a nested model called once (a shared nested model would have to keep one set of weights).");
        }

        List<JsonArray> arguments = [.. Arguments(node, name).Select(t => scope.Resolve(t, this))];
        if (!IsClass(item, "Sequential"))
        {
            scope.NestedFunctional.Add(name);
        }

        bool? callTraining = node["kwargs"].Key("training") is JsonValue flag && flag.TryGetValue(out bool value) ? value : training;
        List<JsonArray> outputs = InlineModel(item, group, arguments, callTraining);
        for (int k = 0; k < outputs.Count; k++)
        {
            scope.Tensors[(name, 0, k)] = outputs[k];
        }
    }

    private List<JsonArray> InlineModel(JsonObject item, string group, List<JsonArray> arguments, bool? training)
    {
        JsonObject config = item["config"] as JsonObject ?? throw Error($"the nested model '{NameOf(item)}' has no \"config\" object");
        _models.Add(NameOf(item));
        try
        {
            return IsClass(item, "Sequential")
                ? InlineSequential(config, group, arguments.Count == 1 ? arguments[0] : throw Error($"the nested Sequential '{NameOf(item)}' is called on {arguments.Count} tensors"), training, root: false)
                : InlineFunctional(config, group, arguments, training, rootInputs: []);
        }
        finally
        {
            _models.RemoveAt(_models.Count - 1);
        }
    }

    // The root Sequential's input: its InputLayer, or one made from build_input_shape.
    private JsonArray RootInput(JsonObject config, JsonObject root)
    {
        JsonObject? input = Items(config).FirstOrDefault(i => KerasConfigItems.Text(i["class_name"]) == "InputLayer");
        string name = input is null ? Unique(string.Empty, "input_layer") : NameOf(input);
        if (input is null)
        {
            JsonNode shape = config["build_input_shape"] ?? root["build_config"].Key("input_shape")
                ?? throw Error("the Sequential model has no InputLayer and no build_input_shape");
            input = new JsonObject
            {
                ["class_name"] = "InputLayer",
                ["config"] = new JsonObject { ["batch_shape"] = shape.DeepClone(), ["dtype"] = "float32", ["sparse"] = false, ["name"] = name },
            };
        }

        Emit(input, name, group: null);
        return new JsonArray(name, 0, 0);
    }

    // Copies a layer item into the flat graph under `name`; `group` is where Keras keeps its weights.
    private JsonObject Emit(JsonObject item, string name, string? group)
    {
        var copy = (JsonObject)item.DeepClone();
        if (copy["config"] is JsonObject config)
        {
            config["name"] = name;
        }

        if (copy.ContainsKey("name"))
        {
            copy["name"] = name;
        }

        _names.Add(name);
        _layers.Add(copy);
        _origins.Add((name, _models.Count > 0 ? _models[0] : string.Empty, NameOf(item)));
        if (group is not null)
        {
            _groups[name] = group;
        }

        return copy;
    }

    // A layer's calls with their tensors renamed and the enclosing call's training argument where they fix none.
    private JsonArray RewriteNodes(JsonNode? nodes, Scope scope, bool? training, string layer)
    {
        var result = new JsonArray();
        foreach (JsonNode? node in nodes as JsonArray ?? [])
        {
            if (node is not JsonObject call)
            {
                throw Error($"layer '{layer}' has an inbound node that is not an object");
            }

            var copy = (JsonObject)call.DeepClone();
            RenameTensors(copy["args"], scope);
            // Tensors passed by keyword too: initial_state, an attention layer's attention_mask or mask list.
            foreach (KeyValuePair<string, JsonNode?> keyword in copy["kwargs"] as JsonObject ?? [])
            {
                RenameTensors(keyword.Value, scope);
            }

            // NeuralNet's rule for a model called in a mode: a call that fixed its own keeps it (see docs/keras.md for Keras 3).
            if (training is bool mode && copy["kwargs"].Key("training") is null)
            {
                var kwargs = copy["kwargs"] as JsonObject ?? [];
                kwargs["training"] = mode;
                copy["kwargs"] = kwargs;
            }

            result.Add(copy);
        }

        return result;
    }

    private void RenameTensors(JsonNode? node, Scope scope)
    {
        if (node is JsonObject { } tensor && tensor["config"] is JsonObject config && config["keras_history"] is JsonArray history)
        {
            config["keras_history"] = scope.Resolve(history, this);
        }
        else if (node is JsonArray list)
        {
            foreach (JsonNode? element in list)
            {
                RenameTensors(element, scope);
            }
        }
    }

    private static JsonObject Node(IEnumerable<JsonArray> inputs, bool? training)
    {
        var args = new JsonArray([.. inputs.Select(t => (JsonNode)KerasConfigItems.TensorFrom(t.DeepClone()))]);
        var kwargs = new JsonObject();
        if (training is bool mode)
        {
            kwargs["training"] = mode;
        }

        return new JsonObject { ["args"] = args, ["kwargs"] = kwargs };
    }

    // The tensors a call passes: args[0] as a list (several inputs) or the args themselves.
    private IEnumerable<JsonArray> Arguments(JsonObject node, string model)
    {
        JsonNode?[] args = node["args"] is JsonArray list ? [.. list] : [];
        JsonNode?[] tensors = args.Length == 1 && args[0] is JsonArray inner ? [.. inner] : args;
        foreach (JsonNode? tensor in tensors)
        {
            yield return tensor.Key("config").Key("keras_history") as JsonArray
                ?? throw new NotSupportedException($"{_source}: the nested model '{model}' is called with arguments that are not a tensor or a list of tensors (inputs by name are not read).");
        }
    }

    private List<JsonArray> Triples(JsonNode? node, string key)
    {
        if (node is not JsonArray { Count: > 0 } array)
        {
            throw Error($"\"{key}\" must be a non-empty array");
        }

        // Keras writes one triple for a model built on one tensor, a list of triples otherwise.
        return array[0] is JsonValue ? [array] : [.. array.Select(t => t is JsonArray { Count: > 0 } triple ? triple : throw Error($"\"{key}\" holds {t?.ToJsonString()}, not a [layer, node, tensor] triple"))];
    }

    private string Unique(string owner, string name)
    {
        if (_names.Add(name))
        {
            return name;
        }

        string prefix = owner.Length == 0 ? name : owner + "_" + name;
        string candidate = prefix;
        for (int n = 1; !_names.Add(candidate); n++)
        {
            candidate = string.Create(CultureInfo.InvariantCulture, $"{prefix}_{n}");
        }

        return candidate;
    }

    private static string Join(string path, string child) => path.Length == 0 ? child : path + "/" + child;

    private InvalidDataException Error(string message) => new($"{_source}: {message}.");
}
