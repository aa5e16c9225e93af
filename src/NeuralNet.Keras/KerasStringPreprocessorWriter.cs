using System.Globalization;
using System.Text.Json.Nodes;
using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Preprocessing;

namespace NeuralNet.Keras;

/// <summary>
/// The reverse of <see cref="KerasStringPreprocessors"/> for <see cref="KerasFormat.SaveModel"/>: each
/// <see cref="Model.Preprocessing"/> entry goes back in front of the model input it feeds, as the Keras layer on a string
/// <c>keras.Input</c> it was (the text-classification tutorial's <c>keras.Model(inputs, model(vectorize_layer(inputs)))</c>).
/// The layer is written as Keras writes it (index_lookup.py <c>get_config</c> / <c>save_assets</c>): one given its vocabulary
/// at construction (<c>HasInputVocabulary</c>, Keras' <c>input_vocabulary</c>) keeps it, and its TF-IDF weights, inline in
/// its config and has no asset; any other (adapted, or given one later) has <c>"vocabulary": null</c> and
/// <c>"idf_weights": null</c> in its config and the vocabulary (special tokens included, joined by "\n") as
/// <c>assets/layers/&lt;snake class name&gt;/vocabulary.txt</c>. In TF-IDF mode the weights are <c>vars/idf_weights</c> either
/// way (<c>save_own_variables</c>); a <c>TextVectorization</c>'s asset and weights are written a second time under
/// <c>_lookup_layer</c>, as saving_lib walks its inner lookup. Keras' <c>from_config</c> or <c>load_assets</c> then gives the
/// layer the same vocabulary and weights, and <see cref="KerasFormat.LoadModel(string)"/> makes it the same preprocessor.
/// </summary>
internal static class KerasStringPreprocessorWriter
{
    private const string Policy = "float32";

    private static readonly char[] LineBreaks = ['\n', '\r', '\v', '\f', '\x1c', '\x1d', '\x1e', '\x85', '\u2028', '\u2029'];

    /// <summary>A preprocessor written as a layer: its group in the archive (<c>layers/text_vectorization</c>, after its class as saving_lib names groups) and what it keeps.</summary>
    /// <param name="Group">The layer's path in the weights file and under <c>assets/</c>.</param>
    /// <param name="Vocabulary">Its vocabulary, special tokens included.</param>
    /// <param name="IdfWeights">Its TF-IDF weights as Keras' <c>idf_weights_const</c> (padded to <c>max_tokens</c> with <c>pad_to_max_tokens</c>), or null outside TF-IDF mode.</param>
    /// <param name="HasInnerLookup">Whether saving_lib writes a second copy under <c>_lookup_layer</c> (a <c>TextVectorization</c>).</param>
    /// <param name="InConfig">Whether the vocabulary is in the layer's config (given at construction), so that no asset is written.</param>
    public sealed record Placed(string Group, IReadOnlyList<string> Vocabulary, float[]? IdfWeights, bool HasInnerLookup, bool InConfig)
    {
        /// <summary>The groups saving_lib makes for the layer (its <c>vars</c>, and its inner lookup's).</summary>
        public IEnumerable<string> Groups => HasInnerLookup ? [Group + "/vars", $"{Group}/{KerasLookupAssets.InnerLookup}/vars"] : [Group + "/vars"];

        /// <summary>The <c>vars/idf_weights</c> datasets, in TF-IDF mode.</summary>
        public IEnumerable<(string Path, Tensor Value, bool IsInteger)> Datasets => IdfWeights is null
            ? []
            : Groups.Select(g => ($"{g}/{KerasLookupVariables.DatasetName}", Tensor.FromArray((float[])IdfWeights.Clone(), IdfWeights.Length), false));

        /// <summary>The vocabulary assets: the zip entry and its text (Keras' <c>"\n".join</c>, no trailing newline); none for a vocabulary in the config.</summary>
        public IEnumerable<(string Entry, string Text)> Assets => InConfig ? [] : Groups.Select(g =>
            ($"assets/{g[..^"/vars".Length]}/{KerasLookupAssets.FileName}", string.Join("\n", Vocabulary)));
    }

    /// <summary>
    /// Puts every preprocessor of <paramref name="model"/> into <paramref name="root"/> (config.json's model item, as
    /// <see cref="KerasConfigWriter.Write"/> made it) as a layer on a string Input, in front of the model input it feeds.
    /// Only the JSON changes.
    /// </summary>
    /// <exception cref="NotSupportedException">
    /// A preprocessor has no Keras layer on a string input (not a <see cref="TextVectorization"/> or
    /// <see cref="StringLookup"/>, an inverting lookup), has no vocabulary yet, feeds no model input or one another
    /// preprocessor feeds too, or there are several of one class (see the remarks in <see cref="KerasFormat.SaveModel"/>).
    /// </exception>
    public static List<Placed> Place(Model model, JsonObject root)
    {
        var placed = new List<Placed>();
        if (model.Preprocessing.Count == 0)
        {
            return placed;
        }

        var config = (JsonObject)root["config"]!;
        var layers = (JsonArray)config["layers"]!;
        bool sequential = KerasConfigItems.IsClass(root, "Sequential");
        List<(string Name, JsonArray Shape)> inputs = Inputs(model, config, layers, sequential);
        var claimed = new Dictionary<string, string>(StringComparer.Ordinal);
        var classes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, preprocessor) in model.Preprocessing)
        {
            string what = $"Model '{model.Name}''s preprocessor '{key}' ({preprocessor.GetType().Name})";
            JsonObject item = LayerConfig(preprocessor, key, what, out JsonNode?[]? output, out Placed state);
            string className = (string)item["class_name"]!;
            if (classes.TryGetValue(className, out string? other))
            {
                // saving_lib numbers the groups of one class in the order of Keras' model.layers, which for layers on
                // separate Inputs depends on how Keras walks the graph: a guess here could swap their vocabularies.
                throw new NotSupportedException($"{what} and '{other}' are both {className} layers; SaveModel writes one preprocessor of each class (Keras numbers the groups of several in an order NeuralNet cannot be sure of). Nothing was written; save the model with Model.Save.");
            }

            classes[className] = key;

            // An int-mode StringLookup gives ids in its strings' shape, which any input of that shape takes (a label encoder
            // kept beside the model too): only its key tells the input it feeds, as LoadModel keys the layer of a Keras file
            // by its Input's name (keras.Input(shape=(1,), name="user_id", dtype="string") -> StringLookup() -> Embedding).
            bool idsByKey = output is null;
            List<(string Name, JsonArray Shape)> fed = idsByKey ? [.. inputs.Where(i => i.Name == key)] : [.. inputs.Where(i => Fits(output!, i.Shape))];
            if (idsByKey && fed.Count == 0)
            {
                string names = string.Join(", ", inputs.Select(i => $"'{i.Name}'"));
                throw new NotSupportedException(
                    $"{what} gives ids in the shape of its strings, so SaveModel cannot tell which model input it feeds, if any: a StringLookup in int mode is written in front of the input whose name is its key (the model's inputs: {names}). Nothing was written; key it by the name of the input it feeds (model.Preprocessing[\"user_id\"] for the Input named \"user_id\"), or save the model with Model.Save.");
            }

            if (fed.Count != 1)
            {
                string found = string.Join(", ", inputs.Select(i => $"'{i.Name}' {Format(i.Shape)}"));
                throw new NotSupportedException(
                    $"{what} gives {Format(output!)}, which {(fed.Count == 0 ? "no" : "more than one")} input of the model takes (inputs: {found}); SaveModel writes a preprocessor as the Keras layer in front of the one input it feeds, as Keras keeps it. Nothing was written; save the model with Model.Save.");
            }

            string inputName = fed[0].Name;
            if (claimed.TryGetValue(inputName, out string? first))
            {
                throw new NotSupportedException($"{what} and '{first}' both feed the input '{inputName}'; Keras has one layer on a string Input. Nothing was written; save the model with Model.Save.");
            }

            // Keyed by the input it feeds (the structured-data tutorial's keras.Input(name="thal") -> StringLookup()), the
            // string Input keeps that name and the layer gets the name Keras would have given it (string_lookup), which
            // LoadModel keys by the Input's name again. Keyed otherwise, the layer bears the key, which no other layer
            // or input may then bear.
            // An input Keras would have named itself (input_layer, an unnamed Input's) says nothing of the column, so
            // LoadModel keys by the layer's name there: a key of that name would not come back.
            string layerName = key;
            string freshName = FreshName(KerasNames.ToSnakeCase(className), config, inputs, model.Preprocessing.Keys);
            bool automaticInput = KerasStringPreprocessors.IsAutomaticInputName(inputName, freshName);
            string nameTheInput = $"name the Input (new Input(shape, name: \"thal\")) and key the preprocessor by that name, or use a key no layer or input has";
            if (key == inputName && automaticInput)
            {
                throw new NotSupportedException($"{what} is keyed by the name of the input it feeds, '{inputName}', which is the name Keras gives an input it was not given one: LoadModel would not key it so (it would come back as '{freshName}'). Nothing was written; {nameTheInput}.");
            }
            else if (key == inputName)
            {
                layerName = freshName;
            }
            else if (KerasConfigItems.Items(config).Any(l => KerasConfigItems.NameOf(l) == key) || inputs.Any(i => i.Name == key))
            {
                string remedy = automaticInput ? nameTheInput : $"put it in Preprocessing under the name of the input it feeds ('{inputName}'), or under a key no layer or input has";
                throw new NotSupportedException($"{what} feeds the input '{inputName}' and would be written as the layer '{key}', but the model already has another layer or input of that name. Nothing was written; {remedy}.");
            }

            ((JsonObject)item["config"]!)["name"] = layerName;
            claimed[inputName] = key;
            JsonArray stringShape = idsByKey ? (JsonArray)fed[0].Shape.DeepClone() : StringShape(preprocessor);
            if (sequential)
            {
                Prepend(root, config, layers, item, stringShape, inputName);
            }
            else
            {
                Insert(config, layers, item, layerName, inputName, stringShape);
            }

            placed.Add(state);
        }

        return placed;
    }

    // The model's inputs with their batch shapes as config.json holds them. A Sequential without an InputLayer (built
    // for a shape) gets one of its build_input_shape, as the string layer needs a string Input before it.
    private static List<(string Name, JsonArray Shape)> Inputs(Model model, JsonObject config, JsonArray layers, bool sequential)
    {
        List<JsonObject> items = [.. layers.OfType<JsonObject>().Where(l => KerasConfigItems.IsClass(l, "InputLayer"))];
        if (sequential && items.Count == 0)
        {
            var shape = config["build_input_shape"] is JsonArray built
                ? (JsonArray)built.DeepClone()
                : new JsonArray([null, .. model.Inputs[0].Shape.Dimensions.ToArray().Select(d => (JsonNode?)JsonValue.Create(d))]);
            // The keys InputLayer.GetConfig writes (older Keras 3 releases refuse others), under a name no layer has.
            string name = "input_layer";
            for (int n = 1; KerasConfigItems.Items(config).Any(l => KerasConfigItems.NameOf(l) == name); n++)
            {
                name = "input_layer_" + n.ToString(CultureInfo.InvariantCulture);
            }

            var input = new JsonObject
            {
                ["module"] = "keras.layers",
                ["class_name"] = "InputLayer",
                ["config"] = new JsonObject { ["batch_shape"] = shape, ["dtype"] = "float32", ["sparse"] = false, ["name"] = name },
                ["registered_name"] = null,
            };
            layers.Insert(0, input);
            items.Add(input);
        }

        return [.. items.Select(i => (KerasConfigItems.NameOf(i), (JsonArray)((JsonObject)i["config"]!)["batch_shape"]!))];
    }

    // Keras' automatic name for a layer of the class (its to_snake_case, numbered from _1 when taken): one no layer, input
    // or preprocessor key of the model has.
    private static string FreshName(string snake, JsonObject config, List<(string Name, JsonArray Shape)> inputs, ICollection<string> keys)
    {
        string name = snake;
        for (int n = 1; KerasConfigItems.Items(config).Any(l => KerasConfigItems.NameOf(l) == name) || inputs.Any(i => i.Name == name) || keys.Contains(name); n++)
        {
            name = snake + "_" + n.ToString(CultureInfo.InvariantCulture);
        }

        return name;
    }

    // The layer's item as Keras' get_config writes it: the vocabulary and weights inline for a layer given them at
    // construction, kept apart (an asset, a variable) for any other.
    private static JsonObject LayerConfig(Preprocessor preprocessor, string key, string what, out JsonNode?[]? output, out Placed state)
    {
        const string Remedy = "Nothing was written; save the model with Model.Save, which keeps every preprocessor.";
        (string className, bool hasVocabulary, bool inConfig, IReadOnlyList<string> vocabulary, bool tfIdf, bool padded, int? maxTokens) = preprocessor switch
        {
            TextVectorization v => ("TextVectorization", v.HasVocabulary, v.HasInputVocabulary, v.HasVocabulary ? v.GetVocabulary() : [], v.OutputMode == TextOutputMode.TfIdf, v.PadToMaxTokens, v.MaxTokens),
            StringLookup { Invert: true } => throw new NotSupportedException($"{what} inverts (ids to strings), so it feeds no model input: Keras' archive has no place for it. {Remedy}"),
            StringLookup l => ("StringLookup", l.HasVocabulary, l.HasInputVocabulary, l.HasVocabulary ? l.GetVocabulary() : [], l.OutputMode == CategoryOutputMode.TfIdf, l.PadToMaxTokens, l.MaxTokens),
            _ => throw new NotSupportedException($"{what} has no Keras layer on a string input that SaveModel writes (it writes TextVectorization and StringLookup). {Remedy}"),
        };
        if (!hasVocabulary)
        {
            throw new NotSupportedException($"{what} has no vocabulary yet: Keras would have nothing to load into the layer. Nothing was written; call Adapt or SetVocabulary first.");
        }

        // Keras reads the vocabulary asset back with str.splitlines(), which also breaks at these: a token holding one
        // would come back as two tokens and shift every id after it. (A vocabulary in the config is a JSON list: any token goes.)
        int broken = inConfig ? -1 : vocabulary.ToList().FindIndex(t => t.IndexOfAny(LineBreaks) >= 0);
        if (broken >= 0)
        {
            throw new NotSupportedException(string.Create(CultureInfo.InvariantCulture,
                $"{what}: vocabulary token {broken} ({JsonValue.Create(vocabulary[broken])!.ToJsonString()}) holds a line break, and Keras' vocabulary file has one token per line (read with Python's str.splitlines). {Remedy}"));
        }

        var source = (JsonObject)JsonNode.Parse(preprocessor.GetConfig().ToJson())!;
        var config = new JsonObject
        {
            ["name"] = key,
            ["trainable"] = true,
            ["dtype"] = new JsonObject { ["module"] = "keras", ["class_name"] = "DTypePolicy", ["config"] = new JsonObject { ["name"] = Policy }, ["registered_name"] = null },
        };
        foreach (var (name, value) in source)
        {
            // Keras' StringLookup.get_config leaves vocabulary_dtype out (its __init__ passes "string" itself: from_config
            // would get it twice).
            if (name != "name" && !(name == "vocabulary_dtype" && preprocessor is StringLookup))
            {
                // Keras' get_config of an adapted layer: the vocabulary is an asset, the TF-IDF weights a variable.
                config[name] = name is "vocabulary" or "idf_weights" && !inConfig ? null : value?.DeepClone();
            }
        }

        // The weights the config holds are one per index (the OOV index's first), as Keras' idf_weights_const.
        float[]? idf = tfIdf && source["idf_weights"] is JsonArray weights ? Padded([.. weights.Select(w => (float)w!.GetValue<double>())], padded, maxTokens) : null;
        output = OutputShape(preprocessor, vocabulary.Count);
        // saving_lib names a layer's group after its class (layers/text_vectorization), not its name.
        state = new Placed("layers/" + (preprocessor is TextVectorization ? "text_vectorization" : "string_lookup"), vocabulary, idf, preprocessor is TextVectorization, inConfig);
        return new JsonObject { ["module"] = "keras.layers", ["class_name"] = className, ["config"] = config, ["registered_name"] = null };
    }

    // Keras' idf_weights_const: padded with zeros to max_tokens with pad_to_max_tokens.
    private static float[] Padded(float[] idf, bool padded, int? maxTokens) =>
        padded && maxTokens is int max && max > idf.Length ? [.. idf, .. new float[max - idf.Length]] : idf;

    // What the preprocessor gives, without the batch axis (a null entry: any length); null for an int-mode StringLookup,
    // whose ids have its strings' shape, whatever that is.
    private static JsonNode?[]? OutputShape(Preprocessor preprocessor, int vocabularySize) => preprocessor switch
    {
        StringLookup { OutputMode: CategoryOutputMode.Int } => null,
        TextVectorization { OutputMode: TextOutputMode.Int } v => [v.OutputSequenceLength is int n ? JsonValue.Create(n) : null],
        TextVectorization v => [JsonValue.Create(v.PadToMaxTokens && v.MaxTokens is int max ? max : vocabularySize)],
        StringLookup l => [JsonValue.Create(l.PadToMaxTokens && l.MaxTokens is int max ? max : vocabularySize)],
        _ => throw new ArgumentException($"{preprocessor.GetType().Name} is not written as a layer.", nameof(preprocessor)),
    };

    // Whether an input of batch shape `input` takes what the preprocessor gives: the same sample axes.
    private static bool Fits(JsonNode?[] output, JsonArray input)
    {
        JsonNode?[] sample = [.. input.Skip(1)];
        return sample.Length == output.Length && sample.Zip(output).All(p => Number(p.First) == Number(p.Second));
    }

    // The string Input's batch shape as Keras records it: the tutorial's keras.Input(shape=(1,), dtype="string") for a
    // TextVectorization (which reads one string per sample); a one-hot StringLookup's (None, 1), one token per sample; in
    // the other modes Keras' rows of tokens, which NeuralNet's Transform takes of any length: (None, None). (An int-mode
    // StringLookup's is the shape of the input it feeds: Keras' ids keep the strings' shape.)
    private static JsonArray StringShape(Preprocessor preprocessor) => preprocessor switch
    {
        TextVectorization => [null, 1],
        StringLookup { OutputMode: CategoryOutputMode.OneHot } => [null, 1],
        _ => [null, null],
    };

    // A Sequential: its InputLayer takes strings and the layer comes right after it.
    private static void Prepend(JsonObject root, JsonObject config, JsonArray layers, JsonObject item, JsonArray stringShape, string inputName)
    {
        var input = (JsonObject)layers.OfType<JsonObject>().First(l => KerasConfigItems.NameOf(l) == inputName)["config"]!;
        input["batch_shape"] = stringShape.DeepClone();
        input["dtype"] = "string";
        layers.Insert(layers.IndexOf(input.Parent) + 1, item);
        config["build_input_shape"] = stringShape.DeepClone();
        root["build_config"] = new JsonObject { ["input_shape"] = stringShape.DeepClone() };
    }

    // A functional model: a string InputLayer of the input's name, the layer called on it, and what read the input
    // (inbound nodes, outputs) reads the layer.
    private static void Insert(JsonObject config, JsonArray layers, JsonObject item, string name, string inputName, JsonArray stringShape)
    {
        var inputItem = layers.OfType<JsonObject>().First(l => KerasConfigItems.IsClass(l, "InputLayer") && KerasConfigItems.NameOf(l) == inputName);
        KerasStringPreprocessors.Reroute(config, inputName, name);
        var input = (JsonObject)inputItem["config"]!;
        input["batch_shape"] = stringShape.DeepClone();
        input["dtype"] = "string";
        item["name"] = name;
        item["inbound_nodes"] = new JsonArray(new JsonObject
        {
            ["args"] = new JsonArray(new JsonObject
            {
                ["class_name"] = "__keras_tensor__",
                ["config"] = new JsonObject { ["shape"] = stringShape.DeepClone(), ["dtype"] = "string", ["keras_history"] = new JsonArray(inputName, 0, 0) },
            }),
            ["kwargs"] = new JsonObject(),
        });
        layers.Insert(layers.IndexOf(inputItem) + 1, item);
    }

    private static int? Number(JsonNode? node) => node is JsonValue value && value.TryGetValue(out int n) ? n : null;

    private static string Format(IEnumerable<JsonNode?> shape) =>
        "(" + string.Join(", ", shape.Select(d => Number(d) is int n ? n.ToString(CultureInfo.InvariantCulture) : "None")) + ")";
}
