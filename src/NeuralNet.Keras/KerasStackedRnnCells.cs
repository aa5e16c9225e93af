using System.Globalization;
using System.Text.Json.Nodes;

namespace NeuralNet.Keras;

/// <summary>
/// Keras' <c>RNN(StackedRNNCells([c1, c2, ...]))</c> read as recurrent layers in a row: at every step Keras runs the
/// input through <c>c1</c>, its output through <c>c2</c>, and so on (stacked_rnn_cells.py's <c>call</c>), each cell with
/// its own state, which is what the cells' own layers compute one after the other when every one but the last returns
/// its sequence. Keras' <c>go_backwards</c> reverses the input and returns the outputs in the order the steps ran
/// (rnn.py passes it to <c>backend.rnn</c> and flips nothing back), so only the first layer goes backwards and the
/// others read its outputs in that order. The last layer keeps the <c>RNN</c>'s name, so later layers' inbound nodes
/// and the model's outputs need no change; the others are named <c>&lt;rnn&gt;_&lt;cell name&gt;</c>.
/// </summary>
/// <remarks>
/// Weights: saving_lib walks the <c>RNN</c>'s attribute <c>cell</c> and the <c>StackedRNNCells</c>' list <c>cells</c>,
/// naming each cell by its class (<c>_save_container_state</c>), so cell k's variables are
/// <c>&lt;rnn group&gt;/cell/cells/lstm_cell/vars/0..2</c>, then <c>lstm_cell_1</c>, <c>gru_cell</c>, ... Each new layer's
/// group is its cell's group, whose <c>vars</c> hold the weights (<see cref="CellVars"/>). Kept as NeuralNet's
/// <c>Rnn(StackedRnnCells(...))</c>, which runs Keras' stacked step itself, with the weights from the same groups:
/// <c>return_state</c> (Keras returns every cell's states), initial states given to the call, <c>go_backwards</c> in a
/// model with a mask source (Keras passes a reversed sequence on with its mask unreversed, which a row of layers would
/// apply to other steps than the stacked cells do), and an <c>RNN</c> over stacked cells inside a wrapper.
/// </remarks>
internal static class KerasStackedRnnCells
{
    private const string CellsSegment = "/cell/cells/";

    private static readonly Dictionary<string, string> s_layers = new(StringComparer.Ordinal)
    {
        ["SimpleRNNCell"] = "SimpleRNN",
        ["LSTMCell"] = "LSTM",
        ["GRUCell"] = "GRU",
    };

    /// <summary>The group whose <c>vars</c> hold a recurrent layer's weights: the layer's <c>cell</c>, or the layer's own group when it is a cell of stacked cells.</summary>
    public static string CellVars(string layerGroup) =>
        layerGroup.Contains(CellsSegment, StringComparison.Ordinal) ? layerGroup : layerGroup + "/cell";

    /// <summary>Whether <paramref name="item"/> is an <c>RNN</c> over <c>StackedRNNCells</c>.</summary>
    public static bool IsStacked(JsonObject item) =>
        KerasConfigItems.Text(item["class_name"]) == "RNN" && KerasConfigItems.Text(item["config"].Key("cell").Key("class_name")) == "StackedRNNCells";

    /// <summary>
    /// Replaces every <c>RNN</c> over stacked cells in the model's own layer list by the cells' layers, and gives each
    /// new layer its cell's weight group in <paramref name="groups"/> (the last, which keeps the <c>RNN</c>'s name, too).
    /// </summary>
    /// <exception cref="InvalidDataException">An <c>RNN</c> over stacked cells cannot be read as layers (see the remarks).</exception>
    public static void Expand(JsonObject root, Dictionary<string, string> groups, string source)
    {
        if (root["config"].Key("layers") is not JsonArray layers || !layers.Any(l => l is JsonObject item && IsStacked(item)))
        {
            return;
        }

        var names = new HashSet<string>(KerasConfigItems.Items(root["config"] as JsonObject).Select(KerasConfigItems.NameOf), StringComparer.Ordinal);
        bool masked = HasMaskSource(root);
        var before = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        for (int i = 0; i < layers.Count; i++)
        {
            if (layers[i] is JsonObject item && IsStacked(item))
            {
                if (ExpandItem(item, groups, names, masked, source) is not List<JsonObject> expanded)
                {
                    continue;
                }

                layers.RemoveAt(i);
                foreach (JsonObject layer in expanded)
                {
                    layers.Insert(i++, layer);
                }

                i--;
                List<string> added = [.. expanded.Select(l => (string)l["config"]!["name"]!)];
                before[added[^1]] = added[..^1];
            }
        }

        // The groups' order is the order of Keras' trainable_variables, which the optimizer's variables follow: the RNN's
        // StackedRNNCells holds its cells in list order, so the earlier cells' layers go just before the RNN's own name.
        if (before.Count > 0)
        {
            List<KeyValuePair<string, string>> ordered = [.. groups];
            var generated = before.Values.SelectMany(n => n).ToHashSet(StringComparer.Ordinal);
            groups.Clear();
            foreach ((string name, string group) in ordered)
            {
                if (generated.Contains(name))
                {
                    continue;
                }

                foreach (string earlier in before.GetValueOrDefault(name) ?? [])
                {
                    groups[earlier] = ordered.First(g => g.Key == earlier).Value;
                }

                groups[name] = group;
            }
        }
    }

    // The cells' layers in a row, or null when the RNN stays NeuralNet's Rnn over StackedRnnCells (see the remarks).
    private static List<JsonObject>? ExpandItem(JsonObject item, Dictionary<string, string> groups, HashSet<string> names, bool masked, string source)
    {
        var config = (JsonObject)item["config"]!;
        string name = KerasConfigItems.NameOf(item);
        string where = $"{source}: layer '{name}' (RNN over StackedRNNCells)";
        List<(JsonObject Config, string LayerClass)> cellItems = CheckCells(item, source);
        var cells = (JsonArray)config["cell"]!["config"]!["cells"]!; // CheckCells made sure it is a list of cell objects
        bool state = config["return_state"] is JsonValue returnState && returnState.TryGetValue(out bool s) && s;
        bool backwards = config["go_backwards"] is JsonValue goBackwards && goBackwards.TryGetValue(out bool b) && b;
        JsonArray? nodes = item["inbound_nodes"] as JsonArray;
        if (state || (backwards && masked) || !SequenceAlone(nodes))
        {
            return null;
        }

        if (!groups.TryGetValue(name, out string? group))
        {
            throw new InvalidDataException($"{where} has no weight group.");
        }

        List<string> cellGroups = KerasNames.ContainerNames(cells.Select(c => KerasConfigItems.Text(c!["class_name"])!));
        var result = new List<JsonObject>(cellItems.Count);
        string? previous = null;
        for (int k = 0; k < cellItems.Count; k++)
        {
            bool last = k == cellItems.Count - 1;
            string layerName = last ? name : UniqueName(name + "_" + (KerasConfigItems.Text(cellItems[k].Config["name"]) ?? KerasNames.ToSnakeCase(KerasConfigItems.Text(cells[k]!["class_name"])!)), names);
            var merged = (JsonObject)cellItems[k].Config.DeepClone();
            foreach (var (key, value) in config)
            {
                if (key is not ("cell" or "trainable"))
                {
                    merged[key] = value?.DeepClone();
                }
            }

            // A cell Keras froze stays frozen under a trainable RNN, and every cell of a frozen RNN is frozen.
            merged["trainable"] = Flag(config["trainable"]) && Flag(cellItems[k].Config["trainable"]);

            merged["name"] = layerName;
            if (!last)
            {
                merged["return_sequences"] = true;
            }

            if (k > 0)
            {
                merged["go_backwards"] = false;
            }

            var layer = new JsonObject
            {
                ["module"] = "keras.layers",
                ["class_name"] = cellItems[k].LayerClass,
                ["config"] = merged,
                ["registered_name"] = null,
            };
            if (item.ContainsKey("name"))
            {
                layer["name"] = layerName;
            }

            if (nodes is not null)
            {
                layer["inbound_nodes"] = previous is null ? nodes.DeepClone() : ChainedNodes(nodes, previous, Units(cellItems[k - 1].Config));
            }

            groups[layerName] = $"{group}{CellsSegment}{cellGroups[k]}";
            result.Add(layer);
            previous = layerName;
        }

        return result;
    }

    /// <summary>
    /// The stacked cells' configs and the layer each becomes, checked: Keras' SimpleRNNCell, LSTMCell and GRUCell, at least one.
    /// </summary>
    /// <exception cref="InvalidDataException">The <c>RNN</c> holds no cells, or a cell of another class (a user's cell), named.</exception>
    public static List<(JsonObject Config, string LayerClass)> CheckCells(JsonObject item, string source)
    {
        string where = $"{source}: layer '{KerasConfigItems.NameOf(item)}' (RNN over StackedRNNCells)";
        if (item["config"].Key("cell").Key("config").Key("cells") is not JsonArray cells || cells.Count == 0)
        {
            throw new InvalidDataException($"{where} holds no cells; Keras' StackedRNNCells takes a list of cells.");
        }

        var cellItems = new List<(JsonObject Config, string LayerClass)>();
        foreach (JsonNode? cell in cells)
        {
            string cellClass = KerasConfigItems.Text(cell.Key("class_name")) ?? "(no class_name)";
            bool keras = cell is JsonObject && KerasConfigItems.Text(cell["registered_name"]) is null or "" && (KerasConfigItems.Text(cell["module"]) is not string module || module.StartsWith("keras", StringComparison.Ordinal));
            if (cell.Key("config") is not JsonObject cellConfig || !keras || !s_layers.TryGetValue(cellClass, out string? layerClass))
            {
                throw new InvalidDataException($"{where} holds a cell of class \"{cellClass}\"; NeuralNet reads stacked SimpleRNNCell, LSTMCell and GRUCell cells.");
            }

            cellItems.Add((cellConfig, layerClass));
        }

        return cellItems;
    }

    // Each call of the RNN has its sequence as its one argument; initial states would belong to several layers.
    private static bool SequenceAlone(JsonArray? nodes) => (nodes ?? []).All(node =>
        node.Key("args") is JsonArray args && args.Count == 1 && args[0] is JsonObject
        && !(node.Key("kwargs").Key("initial_state") is JsonNode state && state.GetValueKind() != System.Text.Json.JsonValueKind.Null));

    // Call k of the layer after `previous` takes call k's output of `previous`: (batch, steps, units of the previous cell).
    private static JsonArray ChainedNodes(JsonArray nodes, string previous, JsonNode? units)
    {
        var chained = new JsonArray();
        for (int k = 0; k < nodes.Count; k++)
        {
            var tensorConfig = (nodes[k]!["args"]![0]!["config"] as JsonObject)?.DeepClone() as JsonObject ?? [];
            if (tensorConfig["shape"] is JsonArray shape && shape.Count > 0)
            {
                shape[^1] = units?.DeepClone();
            }

            tensorConfig["keras_history"] = new JsonArray(previous, k, 0);
            chained.Add(new JsonObject
            {
                ["args"] = new JsonArray(KerasConfigItems.Tensor(tensorConfig)),
                ["kwargs"] = nodes[k]!["kwargs"]?.DeepClone() ?? new JsonObject(),
            });
        }

        return chained;
    }

    private static JsonNode? Units(JsonObject cellConfig) => cellConfig["units"];

    private static string UniqueName(string wanted, HashSet<string> names)
    {
        string name = wanted;
        for (int n = 1; !names.Add(name); n++)
        {
            name = string.Create(CultureInfo.InvariantCulture, $"{wanted}_{n}");
        }

        return name;
    }

    // A Masking layer or an Embedding with mask_zero anywhere in the model (nested models are inlined before this).
    private static bool HasMaskSource(JsonNode? node) => node switch
    {
        JsonObject o => KerasConfigItems.Text(o["class_name"]) == "Masking"
            || (o["mask_zero"] is JsonValue v && v.TryGetValue(out bool maskZero) && maskZero)
            || o.Any(p => HasMaskSource(p.Value)),
        JsonArray a => a.Any(HasMaskSource),
        _ => false,
    };

    // A config's boolean flag, true when absent (Keras' default for "trainable").
    private static bool Flag(JsonNode? node) => node is not JsonValue value || !value.TryGetValue(out bool flag) || flag;

}
