using System.Globalization;
using System.Text;
using NeuralNet.Layers;

namespace NeuralNet.Models;

/// <summary>
/// Renders Keras 3's model summary as Keras prints it to a non-interactive console: the box-drawn table, then the
/// parameter totals with their sizes in memory. A chain (a <see cref="Sequential"/>, or a functional model in which no
/// layer takes several inputs, no two layers sit at the same depth and no layer is called twice) gets the columns
/// Layer (type) | Output Shape | Param # (cell widths 33, 24, 15); any other graph also gets "Connected to", the inbound
/// tensors of each layer as <c>layer[node][tensor]</c> (cell widths 21, 19, 12, 19). The model's
/// <see cref="Model.Warnings"/> follow the totals, one line each.
/// </summary>
internal static class ModelSummary
{
    private static readonly int[] s_chainWidths = [31, 22, 13];
    private static readonly int[] s_graphWidths = [19, 17, 10, 17];
    private static readonly bool[] s_rightAligned = [false, false, true, false];

    public static string Render(Model model)
    {
        bool chain = model is not Functional functional || IsChain(functional.Graph);
        int[] widths = chain ? s_chainWidths : s_graphWidths;
        var sb = new StringBuilder();
        sb.Append("Model: \"").Append(model.Name).Append("\"\n");
        sb.Append(Border(widths, '┏', '━', '┳', '┓'));
        AppendRow(sb, widths, '┃', chain ? ["Layer (type)", "Output Shape", "Param #"] : ["Layer (type)", "Output Shape", "Param #", "Connected to"]);
        sb.Append(Border(widths, '┡', '━', '╇', '┩'));

        // Keras lists a Sequential's layers without its InputLayer, and a functional model's with them.
        var rows = model is Sequential ? model.Layers.Where(l => l is not InputLayer).ToList() : [.. model.Layers];
        for (int i = 0; i < rows.Count; i++)
        {
            Layer layer = rows[i];
            // Keras lists every output's shape of a layer with several (an LSTM's states with return_state).
            // The shapes as this model calls the layer: with None on variable axes (Keras' form).
            Node? call = layer.Nodes.FirstOrDefault(n => n.Outputs.Length > 0 && n.Outputs[0] is not null && n.Outputs[0].IsVariable);
            string shape = !layer.IsBuilt ? "?"
                : call is not null ? (call.Outputs.Length == 1 ? call.Outputs[0].BatchString : "[" + string.Join(", ", call.Outputs.Select(t => t.BatchString)) + "]")
                : layer.OutputCount == 1 ? layer.OutputShape.ToBatchString()
                : "[" + string.Join(", ", layer.OutputShapes.Select(s => s.ToBatchString())) + "]";
            string parameters = layer.IsBuilt ? Count(layer.ParameterCount) : "0 (unbuilt)";
            string name = $"{layer.Name} ({layer.TypeName})";
            AppendRow(sb, widths, '│', chain ? [name, shape, parameters] : [name, shape, parameters, Connections(((Functional)model).Graph, layer)]);
            sb.Append(i == rows.Count - 1 ? Border(widths, '└', '─', '┴', '┘') : Border(widths, '├', '─', '┼', '┤'));
        }

        if (rows.Count == 0)
        {
            sb.Append(Border(widths, '└', '─', '┴', '┘'));
        }

        long trainable = model.TrainableParameterCount;
        long nonTrainable = model.ParameterCount - trainable;
        long optimizerCount = 0;
        double optimizerBytes = 0;
        bool optimizerBuilt = model.Optimizer is { HasState: true };
        if (optimizerBuilt)
        {
            // Keras counts its optimizer variables: the slots plus the iteration counter (int64) and the learning rate (float32).
            long slots = model.Optimizer!.StateElementCount;
            optimizerCount = slots + 2;
            optimizerBytes = (slots * 4.0) + 12;
        }

        long total = trainable + nonTrainable + optimizerCount;
        double totalBytes = ((trainable + nonTrainable) * 4.0) + optimizerBytes;
        AppendTotal(sb, "Total params", total, totalBytes);
        AppendTotal(sb, "Trainable params", trainable, trainable * 4.0);
        AppendTotal(sb, "Non-trainable params", nonTrainable, nonTrainable * 4.0);
        if (optimizerBuilt)
        {
            AppendTotal(sb, "Optimizer params", optimizerCount, optimizerBytes);
        }

        // Not part of Keras' summary (Keras prints its warnings as the layers are called): the model's warnings, one a line.
        foreach (ModelWarning warning in model.Warnings)
        {
            sb.Append(" Warning: ").Append(warning.Message).Append('\n');
        }

        return sb.ToString();
    }

    /// <summary>A byte count as Keras prints it: two decimals in the largest unit below 1024 (B, KB, MB, GB, TB, PB).</summary>
    internal static string ReadableSize(double bytes)
    {
        string[] units = ["B", "KB", "MB", "GB", "TB", "PB"];
        foreach (string unit in units)
        {
            if (bytes / 1024 < 1)
            {
                return string.Create(CultureInfo.InvariantCulture, $"{bytes:F2} {unit}");
            }

            bytes /= 1024;
        }

        return string.Create(CultureInfo.InvariantCulture, $"{bytes:F2} {units[^1]}");
    }

    private static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static void AppendTotal(StringBuilder sb, string label, long count, double bytes) =>
        sb.Append(' ').Append(label).Append(": ").Append(Count(count)).Append(" (").Append(ReadableSize(bytes)).Append(")\n");

    // Keras' rule (summary_utils.print_summary): a graph prints as a chain unless some depth holds several nodes, a node
    // takes several tensors, or a layer is called more than once.
    private static bool IsChain(Graph graph)
    {
        if (graph.Layers.Any(graph.IsShared) || graph.Nodes.Any(n => n.Inputs.Length > 1))
        {
            return false;
        }

        // Depth order: in a chain every node reads the node just before it.
        for (int i = 1; i < graph.Nodes.Count; i++)
        {
            if (graph.Nodes[i].Inputs.Length != 1 || !ReferenceEquals(graph.Nodes[i].Inputs[0].Node, graph.Nodes[i - 1]))
            {
                return false;
            }
        }

        return true;
    }

    // Every tensor the layer's calls in this graph read, as producer[node][tensor]; "-" for an input layer.
    private static string Connections(Graph graph, Layer layer)
    {
        var parts = new List<string>();
        foreach (Node node in graph.NodesOf(layer))
        {
            foreach (SymbolicTensor input in node.Inputs)
            {
                parts.Add(string.Create(CultureInfo.InvariantCulture, $"{input.Layer.Name}[{graph.LocalIndex(input.Node)}][{input.OutputIndex}]"));
            }
        }

        return parts.Count == 0 ? "-" : string.Join(", ", parts);
    }

    private static string Border(int[] widths, char left, char line, char middle, char right)
    {
        var sb = new StringBuilder();
        sb.Append(left);
        for (int c = 0; c < widths.Length; c++)
        {
            sb.Append(line, widths[c] + 2).Append(c == widths.Length - 1 ? right : middle);
        }

        return sb.Append('\n').ToString();
    }

    private static void AppendRow(StringBuilder sb, int[] widths, char separator, string[] cells)
    {
        var wrapped = new List<string>[cells.Length];
        int lines = 1;
        for (int c = 0; c < cells.Length; c++)
        {
            wrapped[c] = Wrap(cells[c], widths[c]);
            lines = Math.Max(lines, wrapped[c].Count);
        }

        for (int line = 0; line < lines; line++)
        {
            sb.Append(separator);
            for (int c = 0; c < cells.Length; c++)
            {
                string text = line < wrapped[c].Count ? wrapped[c][line] : string.Empty;
                sb.Append(' ').Append(s_rightAligned[c] ? text.PadLeft(widths[c]) : text.PadRight(widths[c])).Append(' ').Append(separator);
            }

            sb.Append('\n');
        }
    }

    /// <summary>Greedy word wrap at spaces, as rich does; a word longer than the width is cut with an ellipsis.</summary>
    private static List<string> Wrap(string text, int width)
    {
        var lines = new List<string>();
        var current = new StringBuilder();
        foreach (string word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            string rest = word;
            if (current.Length > 0 && current.Length + 1 + rest.Length <= width)
            {
                current.Append(' ').Append(rest);
                continue;
            }

            if (current.Length > 0)
            {
                lines.Add(current.ToString());
                current.Clear();
            }

            if (rest.Length > width)
            {
                // rich, which Keras prints with, gives a word too long for the cell a line of its own, cut with an ellipsis.
                lines.Add(string.Concat(rest.AsSpan(0, width - 1), "…"));
                continue;
            }

            current.Append(rest);
        }

        if (current.Length > 0 || lines.Count == 0)
        {
            lines.Add(current.ToString());
        }

        return lines;
    }
}
