using System.Text.Json.Nodes;
using NeuralNet.Layers;

namespace NeuralNet.Serialization;

/// <summary>
/// A recurrent call's <c>initial_state</c> as Keras 3 nests it, from NeuralNet's flat list of state inputs, and back.
/// Keras' <c>RNN</c> over <c>StackedRNNCells</c> takes one entry per cell (stacked_rnn_cells.py zips the cells with the
/// states): the state itself for a cell of one state (<c>SimpleRNNCell</c>, <c>GRUCell</c>), a list for a cell of several
/// (<c>LSTMCell</c>'s [h, c]), a list of entries for stacked cells; <c>Bidirectional.call</c> splits its list in halves,
/// the forward layer's entries then the backward layer's.
/// </summary>
internal static class InitialStateNesting
{
    /// <summary>
    /// <paramref name="states"/> (NeuralNet's state inputs after the sequence, flat) grouped as Keras' <c>initial_state</c>
    /// of <paramref name="layer"/>: flat for SimpleRNN, LSTM, GRU and the ConvLSTMs, one entry per cell for an RNN over
    /// stacked cells, the two directions' lists one after the other for a Bidirectional.
    /// </summary>
    public static JsonArray Group(Layer layer, IReadOnlyList<JsonNode> states)
    {
        int next = 0;
        var grouped = new JsonArray();
        foreach (JsonNode entry in Entries(layer, states, ref next))
        {
            grouped.Add(entry);
        }

        return next == states.Count ? grouped
            : throw new InvalidOperationException($"Layer '{layer.Name}' was called with {states.Count} initial state(s) but carries {next}.");
    }

    /// <summary>The state tensors of an <c>initial_state</c> (or a positional state list) in order, at any nesting.</summary>
    public static IEnumerable<JsonNode?> Flatten(JsonNode? states)
    {
        if (states is not JsonArray list)
        {
            yield return states;
            yield break;
        }

        foreach (JsonNode? item in list)
        {
            foreach (JsonNode? state in Flatten(item))
            {
                yield return state;
            }
        }
    }

    private static List<JsonNode> Entries(Layer layer, IReadOnlyList<JsonNode> states, ref int next)
    {
        var entries = new List<JsonNode>();
        switch (layer)
        {
            case Bidirectional bidirectional:
                entries.AddRange(Entries(bidirectional.ForwardLayer, states, ref next));
                entries.AddRange(Entries(bidirectional.BackwardLayer, states, ref next));
                break;
            case Rnn { Cell: StackedRnnCells stacked }:
                foreach (RnnCell cell in stacked.Cells)
                {
                    entries.Add(CellEntry(cell, states, ref next));
                }

                break;
            default:
                // One list of the layer's states: a single cell's, a Recurrent layer's, a ConvLSTM's (all left).
                int count = layer switch
                {
                    Rnn rnn => rnn.StateCount,
                    Recurrent recurrent => recurrent.StateCount,
                    _ => states.Count - next,
                };
                for (int i = 0; i < count && next < states.Count; i++)
                {
                    entries.Add(states[next++].DeepClone());
                }

                break;
        }

        return entries;
    }

    // A stacked cell's entry: its state alone, the list of its states, or (stacked cells) the list of its cells' entries.
    private static JsonNode CellEntry(RnnCell cell, IReadOnlyList<JsonNode> states, ref int next)
    {
        if (cell is StackedRnnCells stacked)
        {
            var inner = new JsonArray();
            foreach (RnnCell c in stacked.Cells)
            {
                inner.Add(CellEntry(c, states, ref next));
            }

            return inner;
        }

        int count = cell.StateSizes.Count;
        if (next + count > states.Count)
        {
            throw new InvalidOperationException($"{cell.TypeName} needs {count} initial state(s) but only {states.Count - next} are left.");
        }

        if (count == 1)
        {
            return states[next++].DeepClone();
        }

        var list = new JsonArray();
        for (int i = 0; i < count; i++)
        {
            list.Add(states[next++].DeepClone());
        }

        return list;
    }
}
