using System.Globalization;
using System.Text;
using NeuralNet.Layers;

namespace NeuralNet.Models;

/// <summary>
/// Renders Keras 3's model summary: the box-drawn table (Layer (type) | Output Shape | Param #) as Keras prints it to
/// a non-interactive console (cell widths 33, 24 and 15), then the parameter totals with their sizes in memory.
/// </summary>
internal static class ModelSummary
{
    private static readonly int[] s_widths = [31, 22, 13];
    private static readonly bool[] s_rightAligned = [false, false, true];

    public static string Render(Sequential model)
    {
        var sb = new StringBuilder();
        sb.Append("Model: \"").Append(model.Name).Append("\"\n");
        sb.Append(Border('┏', '━', '┳', '┓'));
        AppendRow(sb, '┃', ["Layer (type)", "Output Shape", "Param #"]);
        sb.Append(Border('┡', '━', '╇', '┩'));
        var rows = model.Layers.Where(l => l is not InputLayer).ToList();
        for (int i = 0; i < rows.Count; i++)
        {
            Layer layer = rows[i];
            string shape = layer.IsBuilt ? layer.OutputShape.ToBatchString() : "?";
            string parameters = layer.IsBuilt ? Count(layer.ParameterCount) : "0 (unbuilt)";
            AppendRow(sb, '│', [$"{layer.Name} ({layer.TypeName})", shape, parameters]);
            sb.Append(i == rows.Count - 1 ? Border('└', '─', '┴', '┘') : Border('├', '─', '┼', '┤'));
        }

        if (rows.Count == 0)
        {
            sb.Append(Border('└', '─', '┴', '┘'));
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

    private static string Border(char left, char line, char middle, char right)
    {
        var sb = new StringBuilder();
        sb.Append(left);
        for (int c = 0; c < s_widths.Length; c++)
        {
            sb.Append(line, s_widths[c] + 2).Append(c == s_widths.Length - 1 ? right : middle);
        }

        return sb.Append('\n').ToString();
    }

    private static void AppendRow(StringBuilder sb, char separator, string[] cells)
    {
        var wrapped = new List<string>[cells.Length];
        int lines = 1;
        for (int c = 0; c < cells.Length; c++)
        {
            wrapped[c] = Wrap(cells[c], s_widths[c]);
            lines = Math.Max(lines, wrapped[c].Count);
        }

        for (int line = 0; line < lines; line++)
        {
            sb.Append(separator);
            for (int c = 0; c < cells.Length; c++)
            {
                string text = line < wrapped[c].Count ? wrapped[c][line] : string.Empty;
                sb.Append(' ').Append(s_rightAligned[c] ? text.PadLeft(s_widths[c]) : text.PadRight(s_widths[c])).Append(' ').Append(separator);
            }

            sb.Append('\n');
        }
    }

    /// <summary>Greedy word wrap; words longer than the width are cut.</summary>
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

            while (rest.Length > width)
            {
                lines.Add(rest[..width]);
                rest = rest[width..];
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
