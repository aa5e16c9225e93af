using System.Text.Json.Nodes;
using NeuralNet.Layers;
using NeuralNet.Models;

namespace NeuralNet.Keras;

/// <summary>
/// Keras' generic <c>RNN</c> layer over one of its built-in cells (<c>keras.layers.RNN(keras.layers.LSTMCell(8))</c>) is
/// the cell's own recurrent layer (<c>LSTM(8)</c>): the same step, the same weights in the same place
/// (<c>layers/rnn/cell/vars/0..2</c>, as <c>layers/lstm/cell/vars</c>), the same call arguments. A file's config is read
/// with each such <c>RNN</c> written as that layer, once its weight groups are numbered from the file's own class names
/// (an <c>RNN</c>'s group is <c>rnn</c>, <c>rnn_1</c>, ...).
/// </summary>
internal static class KerasRnnCells
{
    private static readonly Dictionary<string, string> s_layers = new(StringComparer.Ordinal)
    {
        ["SimpleRNNCell"] = "SimpleRNN",
        ["LSTMCell"] = "LSTM",
        ["GRUCell"] = "GRU",
    };

    /// <summary>
    /// Rewrites every <c>RNN</c> item under <paramref name="node"/> (layer lists and wrapped layers alike) in place. With
    /// <paramref name="groups"/> (a Keras 3 model config and its layers' weight groups), an <c>RNN</c> over
    /// <c>StackedRNNCells</c> in the model's own layer list first becomes the cells' layers in a row
    /// (<see cref="KerasStackedRnnCells"/>), their groups added; any other stays an <c>RNN</c>, read as NeuralNet's
    /// <c>Rnn</c> over <c>StackedRnnCells</c>.
    /// </summary>
    /// <exception cref="InvalidDataException">An <c>RNN</c> wraps another cell (convolutional or a user's), no cell, or stacked cells that cannot be read as layers.</exception>
    public static void Rewrite(JsonNode? node, string source, Dictionary<string, string>? groups = null)
    {
        if (groups is not null && node is JsonObject root)
        {
            KerasStackedRnnCells.Expand(root, groups, source);
        }

        RewriteItems(node, source);
    }

    private static void RewriteItems(JsonNode? node, string source)
    {
        switch (node)
        {
            case JsonObject item:
                if (KerasStackedRnnCells.IsStacked(item))
                {
                    // Not expanded into layers (see KerasStackedRnnCells): read as NeuralNet's Rnn over StackedRnnCells.
                    KerasStackedRnnCells.CheckCells(item, source);
                }
                else if (KerasConfigItems.Text(item["class_name"]) == "RNN" && item["config"] is JsonObject config)
                {
                    RewriteItem(item, config, source);
                }

                foreach (var (_, value) in item.ToList())
                {
                    RewriteItems(value, source);
                }

                break;
            case JsonArray array:
                foreach (JsonNode? element in array)
                {
                    RewriteItems(element, source);
                }

                break;
        }
    }

    // The cell's config (units, activations, initializers, dropout, ...) with the RNN's own keys over it: its name,
    // trainable, dtype, return_sequences, return_state, go_backwards, stateful, unroll, zero_output_for_mask.
    private static void RewriteItem(JsonObject item, JsonObject config, string source)
    {
        string name = KerasConfigItems.Text(config["name"]) ?? KerasConfigItems.Text(item["name"]) ?? "?";
        JsonObject? cell = config["cell"] as JsonObject;
        string cellClass = cell is null ? "(none)" : KerasConfigItems.Text(cell["class_name"]) ?? "(no class_name)";
        // A user's cell carries its registered name (or its own module); Keras' cells are keras.layers' (tf.keras 2 files may omit the module).
        bool keras = cell is not null && KerasConfigItems.Text(cell["registered_name"]) is null or "" && (KerasConfigItems.Text(cell["module"]) is not string module || module.StartsWith("keras", StringComparison.Ordinal));
        if (cell.Key("config") is not JsonObject cellConfig || !keras || !s_layers.TryGetValue(cellClass, out string? layerClass))
        {
            throw new InvalidDataException(
                $"{source}: layer '{name}' is an RNN over a cell of class \"{cellClass}\"; NeuralNet reads an RNN over Keras' SimpleRNNCell, LSTMCell or GRUCell " +
                "(as the SimpleRNN, LSTM or GRU layer), and StackedRNNCells of those. " +
                "For the others, stack recurrent layers (each but the last with return_sequences) instead.");
        }

        var merged = (JsonObject)cellConfig.DeepClone();
        foreach (var (key, value) in config)
        {
            if (key != "cell")
            {
                merged[key] = value?.DeepClone();
            }
        }

        item["class_name"] = layerClass;
        item["module"] = "keras.layers";
        item["registered_name"] = null;
        item["config"] = merged;
    }

    /// <summary>
    /// Refuses, before anything is written, an <c>Rnn</c> whose cell (or one of its stacked cells) is not one of Keras' cells:
    /// Keras would need the user's own Python cell, and its weights have no Keras path.
    /// </summary>
    /// <exception cref="NotSupportedException">The layer and the cell's type are named.</exception>
    public static void RefuseUserCells(Model model)
    {
        foreach (Rnn rnn in WithWrapped(model.Layers).OfType<Rnn>())
        {
            // The RNN's own StackedRnnCells is written; stacked cells inside it are not (the reader takes one level).
            foreach (RnnCell cell in StackedRnnCells.AllCells(rnn.Cell).Skip(rnn.Cell is StackedRnnCells ? 1 : 0))
            {
                if (cell is not (SimpleRnnCell or LstmCell or GruCell))
                {
                    throw new NotSupportedException(
                        $"Layer '{rnn.Name}' (RNN) runs the cell {cell.GetType().FullName}, which has no Keras equivalent here: a Keras file holds SimpleRNNCell, LSTMCell, GRUCell and one StackedRNNCells of those (not stacked cells inside stacked cells). Save the model with Model.Save (register the cell with SerializationRegistry.Register) instead.");
                }
            }
        }
    }

    // The layers and every layer a wrapper (TimeDistributed, Pipeline, Bidirectional, SpectralNormalization) holds, at any depth.
    internal static IEnumerable<Layer> WithWrapped(IEnumerable<Layer> layers)
    {
        foreach (Layer layer in layers)
        {
            yield return layer;
            IEnumerable<Layer> inner = layer switch
            {
                TimeDistributed t => [t.InnerLayer],
                SpectralNormalization s => [s.InnerLayer],
                Bidirectional b => [b.ForwardLayer, b.BackwardLayer],
                Pipeline p => p.Layers,
                _ => [],
            };
            foreach (Layer wrapped in WithWrapped(inner))
            {
                yield return wrapped;
            }
        }
    }

    /// <summary>The weight group saving_lib gives a cell in a list: its class in snake case, then _1, _2, ... for repeats.</summary>
    public static string GroupName(RnnCell cell, Dictionary<string, int> counts)
    {
        string name = cell switch
        {
            SimpleRnnCell => "simple_rnn_cell",
            LstmCell => "lstm_cell",
            GruCell => "gru_cell",
            _ => System.Text.RegularExpressions.Regex.Replace(cell.TypeName, "(?<=[a-z0-9])([A-Z])", "_$1").ToLowerInvariant(),
        };
        counts.TryGetValue(name, out int seen);
        counts[name] = seen + 1;
        return seen == 0 ? name : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{name}_{seen}");
    }
}
