using System.Globalization;
using System.Text.Json.Nodes;
using NeuralNet.Layers;
using NeuralNet.Models;

namespace NeuralNet.Keras;

/// <summary>
/// Where Keras 3 keeps each parameter of a model in a weights file, following <c>keras/src/saving/saving_lib.py</c>:
/// the model's layers are the container <c>layers</c>, each a group named after its class (<c>dense</c>, <c>dense_1</c>,
/// ... by position), its own variables in <c>vars/0</c>, <c>vars/1</c>, ... in creation order, and the layers it holds
/// as attributes in groups named after the attribute (<c>cell</c> of a recurrent layer, <c>forward_layer</c> and
/// <c>backward_layer</c> of <c>Bidirectional</c>, <c>layer</c> of <c>TimeDistributed</c>, <c>query_dense</c>, ... of
/// <c>MultiHeadAttention</c>, <c>layer</c> of <c>SpectralNormalization</c>, which also keeps the wrapped kernel as its own
/// <c>vars/0</c> before <c>vector_u</c>: see <see cref="Aliases(Model)"/>).
/// </summary>
internal static class KerasWeightLayout
{
    /// <summary>The groups every layer writes even when they hold no variables (Keras makes one per saveable).</summary>
    public static List<string> EmptyGroups(Model model) =>
        [.. LayerGroups(model).SelectMany(g => GroupsOf(g.Layer, g.Path))];

    /// <summary>Every parameter of <paramref name="model"/> with its dataset path, in the order Keras writes them.</summary>
    /// <exception cref="NotSupportedException">A layer's parameters do not follow a layout this package knows.</exception>
    public static List<KerasWeight> Of(Model model) => Of(model, LayerGroups(model));

    /// <summary>
    /// Every parameter of <paramref name="model"/> with its dataset path, each layer's group given by
    /// <paramref name="groups"/> (a model flattened from nested Keras models keeps its layers in their models' groups).
    /// </summary>
    /// <exception cref="NotSupportedException">A layer's parameters do not follow a layout this package knows, or a layer with parameters has no group.</exception>
    public static List<KerasWeight> Of(Model model, IEnumerable<(Layer Layer, string Path)> groups)
    {
        var weights = new List<KerasWeight>();
        foreach (var (layer, path) in groups)
        {
            Add(weights, layer, layer, string.Empty, path);
        }

        // A LoRA layer's A and B have no dataset: Keras saves the merged kernel alone.
        int expected = model.Layers.Sum(l => l.Parameters.Count(p => !KerasLora.IsAdapter(l, p)));
        if (weights.Count != expected || weights.Select(w => w.Parameter).Distinct().Count() != expected)
        {
            Parameter missed = model.Layers.SelectMany(l => l.Parameters.Where(p => !KerasLora.IsAdapter(l, p))).First(p => !weights.Any(w => ReferenceEquals(w.Parameter, p)));
            throw new NotSupportedException($"Parameter '{missed.Name}' of model '{model.Name}' has no place in Keras' weights layout that NeuralNet.Keras knows.");
        }

        return weights;
    }

    /// <summary>
    /// The datasets Keras writes a second time for a parameter already in <see cref="Of(Model)"/>: a
    /// <c>SpectralNormalization</c>'s <c>vars/0</c>, the wrapped layer's kernel, which Keras' wrapper tracks as its own
    /// variable (<c>self.kernel = self.layer.kernel</c> in <c>build</c>) and so saves under its own group as well as the
    /// wrapped layer's. Written with the same value; on reading, the wrapped layer's dataset is the one used (Keras
    /// loads it last).
    /// </summary>
    public static List<KerasWeight> Aliases(Model model) => Aliases(LayerGroups(model));

    /// <summary>The aliases (see <see cref="Aliases(Model)"/>) of the layers in <paramref name="groups"/>.</summary>
    public static List<KerasWeight> Aliases(IEnumerable<(Layer Layer, string Path)> groups)
    {
        var aliases = new List<KerasWeight>();
        foreach (var (layer, path) in groups)
        {
            AddAliases(aliases, layer, layer, string.Empty, path);
        }

        return aliases;
    }

    private static void AddAliases(List<KerasWeight> aliases, Layer owner, Layer layer, string prefix, string path)
    {
        switch (layer)
        {
            case SpectralNormalization spectral:
                Layer inner = spectral.InnerLayer;
                string kernel = prefix + inner.Name + "/" + (inner is Embedding ? "embeddings" : "kernel");
                aliases.Add(new KerasWeight(path + "/vars/0", owner, owner.Parameters.Single(p => p.Name == kernel), IsInteger: false));
                AddAliases(aliases, owner, inner, prefix + inner.Name + "/", path + "/layer");
                break;
            case TimeDistributed timeDistributed:
                AddAliases(aliases, owner, timeDistributed.InnerLayer, prefix + timeDistributed.InnerLayer.Name + "/", path + "/layer");
                break;
            case Pipeline pipeline:
                foreach (var (pipelineLayer, group) in PipelineGroups(pipeline, path))
                {
                    AddAliases(aliases, owner, pipelineLayer, prefix + pipelineLayer.Name + "/", group);
                }

                break;
        }
    }

    /// <summary>
    /// Each layer of the model with its group <c>layers/&lt;snake class name&gt;[_n]</c>, numbered in the order of the
    /// model's config, which is the order of Keras' <c>model.layers</c>.
    /// </summary>
    public static List<(Layer Layer, string Path)> LayerGroups(Model model)
    {
        var root = (JsonObject)JsonNode.Parse(model.ToJson())!;
        KerasOperations.Mark(model, root);
        return [.. KerasConfigItems.Groups(root).Select(g => (model.GetLayer(g.Key), g.Value))];
    }

    // The groups Keras makes for a layer and the layers it holds.
    // The groups of stacked cells' weights: saving_lib names the cells of the StackedRNNCells' list by class (lstm_cell,
    // lstm_cell_1, gru_cell, ...).
    private static string[] StackedCellGroups(StackedRnnCells stacked, string path)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        return [.. stacked.Cells.Select(cell => $"{path}/cell/cells/{KerasRnnCells.GroupName(cell, counts)}")];
    }

    private static IEnumerable<string> GroupsOf(Layer layer, string path)
    {
        yield return path + "/vars";
        IEnumerable<string> inner = layer switch
        {
            Bidirectional b => GroupsOf(b.ForwardLayer, path + "/forward_layer").Concat(GroupsOf(b.BackwardLayer, path + "/backward_layer")),
            TimeDistributed t => GroupsOf(t.InnerLayer, path + "/layer"),
            SpectralNormalization s => GroupsOf(s.InnerLayer, path + "/layer"),
            Pipeline p => PipelineGroups(p, path).SelectMany(g => GroupsOf(g.Layer, g.Path)),
            Rnn { Cell: StackedRnnCells stacked } => [path + "/cell/vars", .. StackedCellGroups(stacked, path).Select(g => g + "/vars")],
            Recurrent or ConvLstm or Rnn => [path + "/cell/vars"],
            MultiHeadAttention attention => AttentionProjections(attention).Select(p => $"{path}/{p.Group}/vars"),
            _ => [],
        };
        foreach (string group in inner)
        {
            yield return group;
        }
    }

    // A Pipeline's layers: Keras' saving_lib visits the public attribute `layers` (the list the constructor was given)
    // before the private `_pipeline_layers` holding the same objects, so each layer's group is <path>/layers/ + its
    // container name (the snake-case class name, numbered among the pipeline's layers of that class: gaussian_noise,
    // dense, dense_1).
    private static IEnumerable<(Layer Layer, string Path)> PipelineGroups(Pipeline pipeline, string path)
    {
        JsonArray items = pipeline.GetConfig().GetNode("layers") as JsonArray ?? [];
        List<string> names = KerasNames.ContainerNames(items.Select(i => KerasConfigItems.Text(i.Key("class_name")) ?? string.Empty));
        return pipeline.RunningLayers.Select((inner, i) => (inner, $"{path}/layers/{names[i]}"));
    }

    // MultiHeadAttention's projections: NeuralNet's parameter prefix and the EinsumDense attribute Keras saves them under,
    // in the order Keras builds them; the gate (Keras 3.15's use_gate) only when the layer has one, after the key's.
    private static readonly (string Prefix, string Group)[] s_attentionProjections =
        [("query/", "query_dense"), ("key/", "key_dense"), ("value/", "value_dense"), ("attention_output/", "output_dense")];

    private static readonly (string Prefix, string Group)[] s_gatedAttentionProjections =
        [("query/", "query_dense"), ("key/", "key_dense"), ("gate/", "gate_dense"), ("value/", "value_dense"), ("attention_output/", "output_dense")];

    private static (string Prefix, string Group)[] AttentionProjections(MultiHeadAttention attention) =>
        attention.UseGate ? s_gatedAttentionProjections : s_attentionProjections;

    // The parameters of `layer` (a model layer, or a layer a wrapper holds, whose parameters the model layer `owner`
    // keeps under `prefix`) with their dataset paths under `path`.
    private static void Add(List<KerasWeight> weights, Layer owner, Layer layer, string prefix, string path)
    {
        switch (layer)
        {
            case Bidirectional bidirectional:
                Add(weights, owner, bidirectional.ForwardLayer, prefix + bidirectional.ForwardLayer.Name + "/", path + "/forward_layer");
                Add(weights, owner, bidirectional.BackwardLayer, prefix + bidirectional.BackwardLayer.Name + "/", path + "/backward_layer");
                break;
            case TimeDistributed timeDistributed:
                Add(weights, owner, timeDistributed.InnerLayer, prefix + timeDistributed.InnerLayer.Name + "/", path + "/layer");
                break;
            case Pipeline pipeline:
                foreach (var (inner, group) in PipelineGroups(pipeline, path))
                {
                    Add(weights, owner, inner, prefix + inner.Name + "/", group);
                }

                break;
            case SpectralNormalization spectral:
                // Keras' wrapper holds the wrapped kernel as its vars/0 (an alias, see Aliases), then vector_u as vars/1.
                AddOwn(weights, owner, prefix, path, static _ => false, firstIndex: 1);
                Add(weights, owner, spectral.InnerLayer, prefix + spectral.InnerLayer.Name + "/", path + "/layer");
                break;
            case Rnn { Cell: StackedRnnCells stacked }:
                // saving_lib names the cells of the StackedRNNCells' list by class (lstm_cell, lstm_cell_1, gru_cell, ...).
                string[] cellGroups = StackedCellGroups(stacked, path);
                for (int k = 0; k < cellGroups.Length; k++)
                {
                    AddOwn(weights, owner, string.Create(CultureInfo.InvariantCulture, $"{prefix}cell_{k}/"), cellGroups[k], static _ => false);
                }

                break;
            case Rnn:
                AddOwn(weights, owner, prefix, path + "/cell", static _ => false);
                break;
            case Recurrent or ConvLstm:
                // Keras' RNN layers keep their weights in their cell (LSTMCell, ConvLSTMCell: kernel, recurrent_kernel, bias), a
                // layer read from a cell of StackedRNNCells in that cell's group.
                AddOwn(weights, owner, prefix, KerasStackedRnnCells.CellVars(path), static _ => false);
                break;
            case MultiHeadAttention attention:
                foreach (var (projection, group) in AttentionProjections(attention))
                {
                    AddOwn(weights, owner, prefix + projection, $"{path}/{group}", static _ => false);
                }

                break;
            case Normalization:
                AddOwn(weights, owner, prefix, path, static name => name == "count");
                break;
            default:
                AddOwn(weights, owner, prefix, path, static _ => false);
                break;
        }
    }

    // The owner's parameters named prefix + a name without '/', in creation order, as vars/0, vars/1, ... (from firstIndex)
    private static void AddOwn(List<KerasWeight> weights, Layer owner, string prefix, string path, Func<string, bool> isInteger, int firstIndex = 0)
    {
        int index = firstIndex;
        foreach (Parameter parameter in owner.Parameters)
        {
            if (parameter.Name.StartsWith(prefix, StringComparison.Ordinal) && !parameter.Name.AsSpan(prefix.Length).Contains('/') && !KerasLora.IsAdapter(owner, parameter))
            {
                string name = parameter.Name[prefix.Length..];
                weights.Add(new KerasWeight(string.Create(CultureInfo.InvariantCulture, $"{path}/vars/{index++}"), owner, parameter, isInteger(name)));
            }
        }
    }
}
