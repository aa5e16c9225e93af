using System.Text.Json.Nodes;
using NeuralNet.Layers;
using NeuralNet.Models;

namespace NeuralNet.Keras;

/// <summary>
/// The config.json of a <c>.keras</c> archive from a model: NeuralNet's architecture and compile configuration (Keras'
/// own <c>get_config</c> forms) with what Keras' <c>deserialize_keras_object</c> needs to find each built-in class: a
/// <c>module</c> (<c>keras.layers</c>, <c>keras.initializers</c>, ...) on every component, and the model's
/// <c>module</c>, <c>registered_name</c> and <c>build_config</c> as Keras' <c>serialize_keras_object</c> writes them.
/// </summary>
internal static class KerasConfigWriter
{
    // The entries of a Bidirectional direction's Keras initial_state, what Keras' halving counts: a SimpleRNN, LSTM or
    // GRU layer's states, an RNN's cell's states, or one entry per cell of an RNN over stacked cells ([h, c] for an
    // LSTMCell, h for the others), as NeuralNet's writer nests them.
    private static int InitialStateEntries(Layer direction) => direction switch
    {
        Recurrent recurrent => recurrent.StateCount,
        Rnn { Cell: StackedRnnCells stacked } => stacked.Cells.Count,
        Rnn rnn => rnn.StateCount,
        _ => 0,
    };

    /// <summary>The config.json object of <paramref name="model"/>.</summary>
    public static JsonObject Write(Model model)
    {
        KerasRnnCells.RefuseUserCells(model);
        // Before anything is written: a built-in layer Keras has no class for would make a file Keras cannot load.
        KerasLayerClasses.RefuseAll(model, weightsOnly: false);

        foreach (Bidirectional bidirectional in model.Layers.OfType<Bidirectional>())
        {
            if (bidirectional.IsBuilt && bidirectional.InputShapes.Count > 1
                && InitialStateEntries(bidirectional.ForwardLayer) is int forward && InitialStateEntries(bidirectional.BackwardLayer) is int backward && forward != backward)
            {
                // Keras 3's Bidirectional.call splits initial_state in halves: 3 entries would go 1 forward, 2 backward.
                throw new NotSupportedException(
                    $"Layer '{bidirectional.Name}' (Bidirectional) takes initial states for a forward layer of {forward} initial_state entries and a backward layer of {backward} (an entry is a state, or a stacked cell's states), which Keras 3 cannot read (it splits the list in halves). Save it with Model.Save, or use layers whose initial_state lists are as long.");
            }
        }

        var root = (JsonObject)JsonNode.Parse(model.ToJson())!;
        var config = (JsonObject)root["config"]!;

        // NeuralNet's model seed (which draws new weights) is not a Keras model argument: Keras' constructor would refuse it.
        config.Remove("seed");
        string? compileConfig = model.GetCompileConfig();
        bool sequential = (string?)root["class_name"] == "Sequential";
        var result = new JsonObject
        {
            ["module"] = sequential ? "keras" : "keras.src.models.functional",
            ["class_name"] = sequential ? "Sequential" : "Functional",
            ["config"] = config.DeepClone(),
            ["registered_name"] = sequential ? null : "Functional",
        };
        var written = (JsonObject)result["config"]!;
        if (sequential && root["build_input_shape"] is JsonNode shape)
        {
            // Keras keeps the shape in the Sequential's config and again as its build_config.
            written["build_input_shape"] = shape.DeepClone();
            result["build_config"] = new JsonObject { ["input_shape"] = shape.DeepClone() };
        }

        if (written["layers"] is JsonArray layers)
        {
            KerasOperations.Write(model, layers, sequential);
            foreach (JsonNode? layer in layers.Where(l => l is not JsonObject item || !KerasArchive.IsOperation(item)))
            {
                MarkLayer(layer);
            }
        }

        if (compileConfig is not null)
        {
            var compile = (JsonObject)JsonNode.Parse(compileConfig)!;
            if (compile["optimizer"]?["config"]?["exclude_from_weight_decay"] is not null)
            {
                throw new NotSupportedException($"Model '{model.Name}''s optimizer excludes variables from weight decay, which Keras keeps out of its optimizer config (its optimizers would refuse the key): the file would train differently in Keras. Save the weights with SaveWeights and compile in Keras.");
            }

            Mark(compile["optimizer"], "keras.optimizers");
            if (compile["optimizer"]?["config"] is JsonObject optimizer)
            {
                Mark(optimizer["learning_rate"], "keras.optimizers.schedules");
            }

            MarkAll(compile["loss"], "keras.losses");
            MarkAll(compile["metrics"], "keras.metrics");
            MarkAll(compile["weighted_metrics"], "keras.metrics");
            result["compile_config"] = compile;
        }

        return result;
    }

    private const string ConvNeXtModule = "keras.src.applications.convnext";

    private static readonly string[] s_convNeXtLayers = ["LayerScale", "StochasticDepth"];

    // A layer item and the components in its config: initializers, regularizers, constraints, wrapped layers.
    private static void MarkLayer(JsonNode? item)
    {
        // Keras defines LayerScale and StochasticDepth in convnext.py without exporting them: it writes them under that
        // module with their class name as registered_name, and finds them there when loading.
        string? convNeXt = item is JsonObject named && s_convNeXtLayers.FirstOrDefault(c => KerasConfigItems.IsClass(named, c)) is string found ? found : null;
        Mark(item, convNeXt is null ? "keras.layers" : ConvNeXtModule, convNeXt);
        if (item?["config"] is not JsonObject config)
        {
            return;
        }

        if (convNeXt == "StochasticDepth")
        {
            // Keras' StochasticDepth(drop_path_rate, **kwargs) would refuse NeuralNet's seed (Layer's unrecognized
            // kwargs); Keras draws from the global seed generator instead.
            config.Remove("seed");
        }

        bool pipeline = KerasConfigItems.IsClass((JsonObject)item, "Pipeline");
        if (pipeline)
        {
            if (config["activity_regularizer"] is JsonNode regularizer)
            {
                throw new NotSupportedException($"Layer '{config["name"]}' (Pipeline) has the activity regularizer {regularizer.ToJsonString()}, which Keras' Pipeline(layers, name) cannot take (its from_config passes every key to the constructor): put the regularizer on the pipeline's last layer, or save with Model.Save.");
            }

            // Keras' Pipeline.get_config holds "layers" and "name" only, and from_config passes every key to its
            // constructor, which takes no other: its inner layers' configs carry their trainable flags, and NeuralNet's
            // seed (the inner layers' own seeds are in their configs) has no Keras counterpart.
            config.Remove("trainable");
            config.Remove("dtype");
            config.Remove("activity_regularizer");
            config.Remove("seed");
        }

        foreach (var (key, value) in config.ToList())
        {
            if (key.EndsWith("activation", StringComparison.Ordinal) && value is JsonObject activation)
            {
                // A registered activation (a built-in one with its default settings is already a name).
                if (KerasActivations.Write(activation, config, key) is var written && !ReferenceEquals(written, activation))
                {
                    config[key] = written;
                }
            }

            if (key is "layer" or "backward_layer" or "cell")
            {
                MarkLayer(value);
            }
            else if (pipeline && key == "layers" && value is JsonArray pipelineLayers)
            {
                foreach (JsonNode? inner in pipelineLayers)
                {
                    MarkLayer(inner);
                }
            }
            else if (key == "cells" && value is JsonArray cells)
            {
                // StackedRNNCells' list of cells.
                foreach (JsonNode? cell in cells)
                {
                    MarkLayer(cell);
                }
            }
            else if (key.EndsWith("_initializer", StringComparison.Ordinal))
            {
                Mark(value, "keras.initializers");
            }
            else if (key.EndsWith("_regularizer", StringComparison.Ordinal))
            {
                Mark(value, "keras.regularizers");
            }
            else if (key.EndsWith("_constraint", StringComparison.Ordinal))
            {
                Mark(value, "keras.constraints");
            }
        }
    }

    // Every component in a value that may be one, a list of them or a dictionary of them (per output).
    private static void MarkAll(JsonNode? node, string module)
    {
        switch (node)
        {
            case JsonObject item when item.ContainsKey("class_name"):
                Mark(item, module);
                break;
            case JsonObject byName:
                foreach (var (_, value) in byName)
                {
                    MarkAll(value, module);
                }

                break;
            case JsonArray list:
                foreach (JsonNode? value in list)
                {
                    MarkAll(value, module);
                }

                break;
        }
    }

    // A built-in component gets Keras' module; a registered one (with its registered_name) is left for the user's
    // Keras code to register under that name.
    private static void Mark(JsonNode? node, string module, string? registeredName = null)
    {
        if (node is JsonObject item && item.ContainsKey("class_name") && !item.ContainsKey("module") && item["registered_name"] is null)
        {
            var ordered = new JsonObject { ["module"] = module };
            foreach (var (key, value) in item.ToList())
            {
                item.Remove(key);
                ordered[key] = value;
            }

            ordered["registered_name"] = registeredName;
            foreach (var (key, value) in ordered.ToList())
            {
                ordered.Remove(key);
                item[key] = value;
            }
        }
    }
}
