using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using NeuralNet.Layers;

namespace NeuralNet.Models;

/// <summary>
/// A model's layers and connections as a Graphviz DOT graph, drawn as Keras 3's <c>keras.utils.model_to_dot</c> draws
/// it: one box per layer (an HTML-like table with "name (Class)", and on request the activation, input and output
/// shapes, dtype and trainability), an edge from each layer to each layer that reads its output. Render the text with
/// Graphviz (<c>dot -Tpng model.dot -o model.png</c>), or with <c>ModelPlot.Save</c> of the NeuralNet.Plotting package,
/// Keras' <c>plot_model</c>.
/// </summary>
/// <example><c>File.WriteAllText("model.dot", ModelDiagram.ToDot(model, new ModelDiagramOptions { ShowShapes = true }));</c></example>
public static class ModelDiagram
{
    /// <summary>The DOT text of <paramref name="model"/>'s graph.</summary>
    /// <param name="model">A built model (a <see cref="Sequential"/> without an input shape is built by its first use).</param>
    /// <param name="options">What to show; null for Keras' <c>model_to_dot</c> defaults (layer names shown unless
    /// <see cref="ModelDiagramOptions.ShowLayerNames"/> says otherwise).</param>
    /// <returns>A <c>digraph</c> with Keras' graph attributes (rankdir, concentrate, dpi, splines) and one node per layer,
    /// named by the layer's name; a <see cref="Sequential"/>'s input layer is left out, as Keras leaves it out.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> is null.</exception>
    /// <exception cref="ArgumentException">An option is outside what Graphviz takes (named in the message).</exception>
    /// <exception cref="InvalidOperationException">The model is not built yet.</exception>
    public static string ToDot(Model model, ModelDiagramOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new ModelDiagramOptions();
        options.Validate();
        bool showNames = options.ShowLayerNames ?? true;
        if (!model.IsBuilt)
        {
            throw new InvalidOperationException($"Model '{model.Name}' is not built yet, so it has no graph to draw; build it first (give it an Input, or call it or fit it on data).");
        }

        Graph graph = model.Graph;
        var layers = model is Sequential ? model.Layers.Where(l => l is not InputLayer).ToList() : [.. model.Layers];
        var dot = new StringBuilder();
        dot.Append("digraph G {\n");
        dot.Append("rankdir=").Append(options.RankDirection).Append(";\n");
        dot.Append("concentrate=true;\n");
        dot.Append("dpi=").Append(options.Dpi.ToString(CultureInfo.InvariantCulture)).Append(";\n");
        dot.Append("splines=").Append(options.Splines).Append(";\n");
        dot.Append("node [shape=record];\n");
        foreach (Layer layer in layers)
        {
            dot.Append(Id(layer)).Append(" [label=").Append(Label(graph, layer, options, showNames)).Append(", fontname=Helvetica, border=0, margin=0];\n");
        }

        foreach (var (source, destination) in Edges(graph, model, layers))
        {
            dot.Append(Id(source)).Append(" -> ").Append(Id(destination)).Append(" [penwidth=2];\n");
        }

        return dot.Append("}\n").ToString();
    }

    // Keras draws a Sequential as the chain of its layers, and a functional model's edges from the layers that produce
    // each call's inputs, each pair once.
    private static List<(Layer Source, Layer Destination)> Edges(Graph graph, Model model, List<Layer> layers)
    {
        var edges = new List<(Layer, Layer)>();
        if (model is Sequential)
        {
            for (int i = 0; i + 1 < layers.Count; i++)
            {
                edges.Add((layers[i], layers[i + 1]));
            }

            return edges;
        }

        var seen = new HashSet<(Layer, Layer)>();
        foreach (Layer layer in layers)
        {
            foreach (Node node in graph.NodesOf(layer))
            {
                foreach (SymbolicTensor input in node.Inputs)
                {
                    if (seen.Add((input.Layer, layer)))
                    {
                        edges.Add((input.Layer, layer));
                    }
                }
            }
        }

        return edges;
    }

    // Keras' make_layer_label: a black title row, then optional rows and cells on white.
    private static string Label(Graph graph, Layer layer, ModelDiagramOptions options, bool showNames)
    {
        var table = new StringBuilder("<<table border=\"0\" cellborder=\"1\" bgcolor=\"black\" cellpadding=\"10\">");
        int colspan = Math.Max(1, (options.ShowDtype ? 1 : 0) + (options.ShowTrainable ? 1 : 0) + (options.ShowShapes ? 2 : 0));
        string span = colspan.ToString(CultureInfo.InvariantCulture);
        string title = showNames ? $"<b>{Html(layer.Name)}</b> ({Html(layer.TypeName)})" : $"<b>{Html(layer.TypeName)}</b>";
        table.Append("<tr><td colspan=\"").Append(span).Append("\" bgcolor=\"black\"><font point-size=\"16\" color=\"white\">").Append(title).Append("</font></td></tr>");
        if (options.ShowLayerActivations && ActivationName(layer) is string activation)
        {
            table.Append("<tr><td bgcolor=\"white\" colspan=\"").Append(span).Append("\"><font point-size=\"14\">Activation: <b>").Append(Html(activation)).Append("</b></font></td></tr>");
        }

        var cells = new List<string>();
        Node? call = graph.NodesOf(layer).FirstOrDefault();
        if (options.ShowShapes)
        {
            if (layer is not InputLayer)
            {
                cells.Add(WhiteCell("Input shape", call is null ? "?" : Shapes(call.Inputs)));
            }

            cells.Add(WhiteCell("Output shape", call is null ? "?" : Shapes(call.Outputs)));
        }

        if (options.ShowDtype)
        {
            // Tensors hold float32 only; Keras prints a layer with several outputs' dtypes as a Python list.
            string dtype = call is { Outputs.Length: > 1 } ? "[" + string.Join(", ", call.Outputs.Select(_ => "'float32'")) + "]" : "float32";
            cells.Add(WhiteCell("Output dtype", dtype));
        }

        if (options.ShowTrainable && layer.ParameterCount > 0)
        {
            cells.Add(layer.Trainable
                ? "<td bgcolor=\"forestgreen\"><font point-size=\"14\" color=\"white\"><b>Trainable</b></font></td>"
                : "<td bgcolor=\"firebrick\"><font point-size=\"14\" color=\"white\"><b>Non-trainable</b></font></td>");
        }

        if (cells.Count > 0)
        {
            table.Append("<tr>").Append(string.Concat(cells)).Append("</tr>");
        }

        return table.Append("</table>>").ToString();
    }

    private static string WhiteCell(string caption, string value) =>
        $"<td bgcolor=\"white\"><font point-size=\"14\">{caption}: <b>{Html(value)}</b></font></td>";

    // Python's form of Keras' shapes: a tuple with None for the batch (and variable) axes, "(None,)" for one axis, and a
    // list of tuples for a call with several tensors.
    private static string Shapes(IReadOnlyList<SymbolicTensor> tensors)
    {
        static string One(SymbolicTensor t) => t.Shape.Rank == 0 ? "(None,)" : t.BatchString;
        return tensors.Count == 1 ? One(tensors[0]) : "[" + string.Join(", ", tensors.Select(One)) + "]";
    }

    // The name Keras prints for layer.activation (its function's name: "leaky_relu" also with a slope of one's own),
    // read back from the layer's config for layers that have one; a custom activation not registered for reading shows
    // the class name its config holds.
    private static string? ActivationName(Layer layer)
    {
        if (layer is Lambda)
        {
            // No activation, and its config needs its function registered, which drawing a model must not.
            return null;
        }

        Serialization.Config config = layer.GetConfig();
        try
        {
            return config.GetActivation("activation")?.Name;
        }
        catch (Exception e) when (e is InvalidDataException or NotSupportedException)
        {
            return config.GetNode("activation") is JsonObject item && item["class_name"]?.GetValueKind() == JsonValueKind.String ? item["class_name"]!.GetValue<string>() : null;
        }
    }

    // DOT IDs in double quotes, with the two characters a quoted ID escapes.
    private static string Id(Layer layer) => "\"" + layer.Name.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    private static string Html(string text) => WebUtility.HtmlEncode(text);
}
