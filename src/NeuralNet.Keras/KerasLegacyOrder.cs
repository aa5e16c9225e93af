using System.Globalization;
using NeuralNet.Layers;
using NeuralNet.Models;

namespace NeuralNet.Keras;

/// <summary>
/// Keras' by-order matching of a Keras 2 file's groups with weights to a model's layers with weights
/// (<c>load_weights_from_hdf5_group</c>: the k-th group with weights to the k-th layer with weights), for a model that
/// runs a nested model's layers as its own. Keras lists a nested model (ConvNeXt's <c>convnext_tiny_stem</c>, a
/// <c>Sequential</c> of a convolution and a layer normalization) as one layer, so its group holds the weights of several
/// layers of the NeuralNet model: a group with more weights than the next layer has parameters, whose weight names
/// name at least two layers (the part before the weight's own name, <c>convnext_tiny_stem_conv</c> in
/// <c>convnext_tiny_stem/convnext_tiny_stem_conv/kernel:0</c>), takes the consecutive layers whose parameters its weights
/// fill exactly, in Keras' <c>model.weights</c> order (see <see cref="KerasLegacyWeights.NestedModelWeights"/>). Any other
/// group is one layer's, and a count that differs is refused as Keras refuses it. The model needs no record of where its
/// layers came from; every shape is checked afterwards, as for any layer.
/// </summary>
internal static class KerasLegacyOrder
{
    private const string ByOrder = "Keras matches them by order; a nested model's group takes the consecutive layers its weights fill";

    /// <summary>Each layer of <paramref name="layers"/> (the model's layers with weights, in order) with its saved group and the names of its weights, in the layer's parameter order.</summary>
    /// <exception cref="InvalidDataException">The groups cannot cover the layers in order: the message names the group, its weights and the layers, or the first group or layer left over.</exception>
    public static List<(Layer Layer, string Saved, string[] Weights)> Match(H5WeightsReader file, string group, Model model,
        IReadOnlyList<(string Name, string[] Weights)> saved, IReadOnlyList<Layer> layers)
    {
        var pairs = new List<(Layer, string, string[])>();
        int next = 0;
        for (int g = 0; g < saved.Count; g++)
        {
            var (name, weights) = saved[g];
            if (next == layers.Count)
            {
                int more = saved.Count - g - 1;
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                    $"{file.Source}: the first {g} of the file's {saved.Count} groups with weights fill the {layers.Count} layers with weights of model '{model.Name}': group '{name}' ({string.Join(", ", weights)}){(more > 0 ? $" and {more} more" : string.Empty)} has no layer left ({ByOrder})."));
            }

            Layer first = layers[next];
            if (weights.Length <= first.Parameters.Count || LayersNamed(weights) < 2)
            {
                // One layer's group (the reader reports a count that differs, naming both).
                pairs.Add((first, name, weights));
                next++;
                continue;
            }

            int end = next;
            int parameters = 0;
            while (end < layers.Count && parameters < weights.Length)
            {
                parameters += layers[end++].Parameters.Count;
            }

            if (parameters != weights.Length)
            {
                string taken = string.Join(", ", Enumerable.Range(next, end - next).Select(i => string.Create(CultureInfo.InvariantCulture,
                    $"'{layers[i].Name}' ({layers[i].TypeName}, {layers[i].Parameters.Count})")));
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                    $"{file.Source}: saved group '{name}' holds {weights.Length} weights ({string.Join(", ", weights)}) of several layers, more than layer '{first.Name}' ({first.TypeName}) has parameters, so it is read as a nested model's group of consecutive layers; but layers {taken} have {parameters} parameters, not {weights.Length}."));
            }

            pairs.AddRange(KerasLegacyWeights.NestedModelWeights(file, group, name, weights, [.. layers.Skip(next).Take(end - next)]));
            next = end;
        }

        if (next != layers.Count)
        {
            Layer missing = layers[next];
            int more = layers.Count - next - 1;
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                $"{file.Source}: the file's {saved.Count} groups with weights fill {next} of the {layers.Count} layers with weights of model '{model.Name}': layer '{missing.Name}' ({missing.TypeName}){(more > 0 ? $" and {more} more get" : " gets")} no weights ({ByOrder})."));
        }

        return pairs;
    }

    // How many layers a group's weight names name: tf.keras names a weight <layer>/<weight>:0, under the nested model's
    // scope or not (convnext_tiny_stem/convnext_tiny_stem_conv/kernel:0), so the part before the weight's own name.
    private static int LayersNamed(string[] weights) =>
        weights.Select(w => w.Split('/') is { Length: > 1 } parts ? parts[^2] : string.Empty).Distinct(StringComparer.Ordinal).Count();
}
