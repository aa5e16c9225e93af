using System.Globalization;
using NeuralNet.Layers;
using NeuralNet.Models;

namespace NeuralNet.Keras;

/// <summary>
/// Keras' by-order matching of a Keras 2 file's groups with weights to a model's layers with weights
/// (<c>load_weights_from_hdf5_group</c>: the k-th group with weights to the k-th layer with weights), for a model that
/// runs a nested model's layers as its own. Keras lists a nested model (ConvNeXt's <c>convnext_tiny_stem</c>, a
/// <c>Sequential</c> of a convolution and a layer normalization) as one layer, so its group holds the weights of several
/// layers of the NeuralNet model: a group with more weights than the next layer has parameters takes the consecutive
/// layers whose parameters its weights fill exactly, in Keras' <c>model.weights</c> order (see
/// <see cref="KerasLegacyWeights.NestedModelWeights"/>). The model needs no record of where its layers came from, and
/// the file's weight names (which name the inner layers, but not reliably) are not relied on: every shape is checked
/// afterwards, as for any layer.
/// </summary>
internal static class KerasLegacyOrder
{
    /// <summary>Each layer of <paramref name="layers"/> (the model's layers with weights, in order) with its saved group and the names of its weights, in the layer's parameter order.</summary>
    /// <exception cref="InvalidDataException">The groups cannot cover the layers in order: the message names the group, its weights and the layers.</exception>
    public static List<(Layer Layer, string Saved, string[] Weights)> Match(H5WeightsReader file, Model model,
        IReadOnlyList<(string Name, string[] Weights)> saved, IReadOnlyList<Layer> layers)
    {
        var pairs = new List<(Layer, string, string[])>();
        int next = 0;
        foreach (var (name, weights) in saved)
        {
            if (next == layers.Count)
            {
                throw CountMismatch(file, model, saved, layers);
            }

            Layer first = layers[next];
            if (weights.Length <= first.Parameters.Count)
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
                    $"{file.Source}: saved group '{name}' holds {weights.Length} weights ({string.Join(", ", weights)}), more than layer '{first.Name}' ({first.TypeName}) has parameters, so it is read as a nested model's group of consecutive layers; but layers {taken} have {parameters} parameters, not {weights.Length}."));
            }

            pairs.AddRange(KerasLegacyWeights.NestedModelWeights(file, name, weights, [.. layers.Skip(next).Take(end - next)]));
            next = end;
        }

        if (next != layers.Count)
        {
            throw CountMismatch(file, model, saved, layers);
        }

        return pairs;
    }

    private static InvalidDataException CountMismatch(H5WeightsReader file, Model model, IReadOnlyList<(string Name, string[] Weights)> saved, IReadOnlyList<Layer> layers) =>
        new(string.Create(CultureInfo.InvariantCulture,
            $"{file.Source}: the file has weights for {saved.Count} layers but model '{model.Name}' has {layers.Count} layers with weights (Keras matches them by order; a nested model's group takes the consecutive layers its weights fill)."));
}
