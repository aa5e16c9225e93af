using System.Globalization;

namespace NeuralNet.Models;

/// <summary>
/// What a model diagram shows and how Graphviz lays it out: Keras 3's <c>keras.utils.model_to_dot</c> and
/// <c>plot_model</c> arguments (<c>show_shapes</c>, <c>show_dtype</c>, <c>show_layer_names</c>, <c>rankdir</c>,
/// <c>dpi</c>, <c>show_layer_activations</c>, <c>show_trainable</c>, <c>splines</c>) with their defaults.
/// </summary>
/// <remarks>
/// Keras' <c>model_to_dot</c> shows layer names by default and its <c>plot_model</c> does not: <see cref="ShowLayerNames"/>
/// left null takes the default of the function it is given to (<see cref="ModelDiagram.ToDot"/>: shown; the Plotting
/// package's <c>ModelPlot.Save</c>: hidden). <c>expand_nested</c> has no counterpart: a model used as a layer inside
/// another is inlined into it (its layers are the larger model's), so there is no nested box to expand.
/// </remarks>
public sealed record ModelDiagramOptions
{
    private static readonly string[] s_rankDirections = ["TB", "LR", "BT", "RL"];
    private static readonly string[] s_splines = ["ortho", "curved", "polyline", "spline", "line", "none", "compound", "true", "false"];

    /// <summary>Show each layer's input and output shapes, with <c>None</c> for the batch axis (Keras' <c>show_shapes</c>).</summary>
    public bool ShowShapes { get; init; }

    /// <summary>Show each layer's output dtype, always <c>float32</c> here (Keras' <c>show_dtype</c>).</summary>
    public bool ShowDtype { get; init; }

    /// <summary>
    /// Show "name (Class)" rather than the class alone (Keras' <c>show_layer_names</c>); null (the default) for the
    /// default of the function drawing: shown by <see cref="ModelDiagram.ToDot"/> (<c>model_to_dot</c>), hidden by
    /// <c>ModelPlot.Save</c> (<c>plot_model</c>).
    /// </summary>
    public bool? ShowLayerNames { get; init; }

    /// <summary>Graphviz' <c>rankdir</c>: <c>"TB"</c> (top to bottom, the default), <c>"LR"</c>, <c>"BT"</c> or <c>"RL"</c>.</summary>
    public string RankDirection { get; init; } = "TB";

    /// <summary>The image resolution in dots per inch (Keras' <c>dpi</c>, 200).</summary>
    public int Dpi { get; init; } = 200;

    /// <summary>Show the activation of layers that have one (Keras' <c>show_layer_activations</c>).</summary>
    public bool ShowLayerActivations { get; init; }

    /// <summary>Mark layers with weights as trainable or not (Keras' <c>show_trainable</c>).</summary>
    public bool ShowTrainable { get; init; }

    /// <summary>Graphviz' <c>splines</c>, how edges are drawn: <c>"ortho"</c> (the default, right angles), <c>"curved"</c>, <c>"polyline"</c>, <c>"spline"</c>, <c>"line"</c>, <c>"none"</c>, <c>"compound"</c>, <c>"true"</c> or <c>"false"</c>.</summary>
    public string Splines { get; init; } = "ortho";

    /// <summary>Throws when a setting is outside what Graphviz takes, naming it and the values it takes.</summary>
    internal void Validate()
    {
        if (RankDirection is null || !s_rankDirections.Contains(RankDirection, StringComparer.Ordinal))
        {
            throw new ArgumentException($"ModelDiagramOptions.RankDirection is \"{RankDirection}\"; expected one of {string.Join(", ", s_rankDirections)}.", nameof(RankDirection));
        }

        if (Splines is null || !s_splines.Contains(Splines, StringComparer.Ordinal))
        {
            throw new ArgumentException($"ModelDiagramOptions.Splines is \"{Splines}\"; expected one of {string.Join(", ", s_splines)}.", nameof(Splines));
        }

        if (Dpi < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(Dpi), Dpi, string.Create(CultureInfo.InvariantCulture, $"ModelDiagramOptions.Dpi is {Dpi}; expected a positive number of dots per inch."));
        }
    }
}
