using NeuralNet.Layers;
using NeuralNet.Models;

namespace NeuralNet.Keras;

/// <summary>
/// The weights of a Keras 2 <c>.h5</c> file (tf.keras 2.x, read by Keras 3's <c>legacy_h5_format</c>): a group per layer,
/// named after the layer, whose <c>weight_names</c> attribute lists its datasets (<c>dense/kernel:0</c>, ...) in the
/// order of the layer's weights, which is the order of its NeuralNet parameters.
/// </summary>
internal static class KerasLegacyWeights
{
    /// <summary>Whether <paramref name="file"/> is a Keras 2 file, and the group that holds its layers' weights.</summary>
    public static bool TryFind(H5WeightsReader file, out string group)
    {
        group = file.Has("model_weights") ? "model_weights" : string.Empty;
        return file.StringListAttribute(group, "layer_names") is not null;
    }

    /// <summary>
    /// Every parameter of the model's layers that have any, with its values: matched to the file's layers by name
    /// (<paramref name="byName"/>, for a model made from the file's own config) or, as Keras' <c>load_weights</c> does,
    /// by order (the i-th layer with weights takes the i-th saved layer with weights, a nested model's group the
    /// consecutive layers its weights fill: see <see cref="KerasLegacyOrder"/>). Everything is checked before
    /// anything is returned. <paramref name="origins"/> (for a model whose nested models were inlined) gives each layer's
    /// nested model, whose group in the file holds the weights, in the nested model's layer order.
    /// </summary>
    /// <remarks>
    /// With <c>skipMismatch</c>, <c>skipped</c> collects each weight of another shape than its parameter instead of
    /// refusing it, and the weight is left out of the result (Keras 3's <c>load_weights_from_hdf5_group</c> with
    /// <c>skip_mismatch</c>: its <c>_set_weights</c> warns and skips that weight; another number of layers or of a layer's
    /// weights is still refused).
    /// </remarks>
    /// <exception cref="InvalidDataException">The layers or their weights do not match: the message names the layer, the dataset and the shapes.</exception>
    public static List<(Layer Layer, Parameter Parameter, Tensor Value)> Read(H5WeightsReader file, string group, Model model, bool byName,
        IReadOnlyList<(string Layer, string Model, string Name)>? origins = null, List<KerasSkippedWeights>? skipped = null)
    {
        string[] layerNames = file.StringListAttribute(group, "layer_names") ?? throw new InvalidDataException($"{file.Source}: '/{group}' has no layer_names attribute.");
        var saved = new List<(string Name, string[] Weights)>();
        foreach (string name in layerNames)
        {
            string path = Join(group, name);
            string[] weights = file.Has(path) ? file.StringListAttribute(path, "weight_names") ?? [] : [];
            if (weights.Length > 0)
            {
                saved.Add((name, weights));
            }
        }

        List<Layer> layers = [.. model.Layers.Where(l => l.Parameters.Count > 0)];
        var pairs = new List<(Layer Layer, string Saved, string[] Weights)>();
        if (byName)
        {
            foreach (var (name, weights) in saved)
            {
                if (layers.FirstOrDefault(l => l.Name == name && (origins is null || origins.Any(o => o.Layer == name && o.Model.Length == 0))) is Layer layer)
                {
                    pairs.Add((layer, name, weights));
                }
                else if (origins is not null && origins.Any(o => o.Model == name))
                {
                    List<Layer> inner = [.. origins.Where(o => o.Model == name).Select(o => model.GetLayer(o.Layer)).Where(l => l.Parameters.Count > 0)];
                    pairs.AddRange(NestedModelWeights(file, group, name, weights, inner));
                }
                else
                {
                    throw new InvalidDataException($"{file.Source}: the file has weights for layer '{name}', which model '{model.Name}' does not have (or which has no parameters there).");
                }
            }

            if (layers.FirstOrDefault(l => !pairs.Any(p => ReferenceEquals(p.Layer, l))) is Layer missing)
            {
                throw new InvalidDataException($"{file.Source}: the file has no weights for layer '{missing.Name}' ({missing.TypeName}).");
            }
        }
        else
        {
            pairs.AddRange(KerasLegacyOrder.Match(file, group, model, saved, layers));
        }

        var result = new List<(Layer, Parameter, Tensor)>();
        foreach (var (layer, name, weights) in pairs)
        {
            if (weights.Length != layer.Parameters.Count)
            {
                throw new InvalidDataException($"{file.Source}: saved layer '{name}' has {weights.Length} weights ({string.Join(", ", weights)}) but layer '{layer.Name}' ({layer.TypeName}) has {layer.Parameters.Count} parameters.");
            }

            for (int i = 0; i < weights.Length; i++)
            {
                Parameter parameter = layer.Parameters[i];
                string path = Join(Join(group, name), weights[i]);
                if (skipped is not null && file.DimensionsOf(path) is ulong[] dimensions
                    && !dimensions.Select(d => (long)Math.Min(d, long.MaxValue)).SequenceEqual(parameter.Shape.Dimensions.ToArray().Select(d => (long)d)))
                {
                    skipped.Add(new KerasSkippedWeights(layer.Name, path, [parameter.Name],
                        $"dataset '{path}' has shape {file.FormatShapeOf(path)} but parameter '{parameter.Name}' of layer '{layer.Name}' ({layer.TypeName}) is {parameter.Shape}"));
                    continue;
                }

                if (!file.TryRead(path, parameter.Shape, allowInteger: true, out float[] values, out string problem))
                {
                    throw new InvalidDataException($"{file.Source}: dataset '{path}' {problem}; it should hold parameter '{parameter.Name}' {parameter.Shape} of layer '{layer.Name}' ({layer.TypeName}).");
                }

                result.Add((layer, parameter, Tensor.FromArray(values, parameter.Shape.Dimensions)));
            }
        }

        return result;
    }

    /// <summary>
    /// The weights of a nested model's group given to its layers <paramref name="inner"/> (those with parameters, in the
    /// nested model's order). The group lists them as Keras' <c>model.weights</c> ordered them when the file was saved:
    /// every layer's trainable weights in layer order, then every layer's others (a frozen layer's all); Keras loads them
    /// by the order the model has when loading. So that a layer frozen here but not when the file was saved (or the other
    /// way round) does not reorder the group, the orders tried are, first to last, the one of the layers' current
    /// trainability (Keras'), the one with the frozen layers' parameters counted as trainable, and layer by layer (a
    /// nested model saved frozen); the first whose every shape fits the file's datasets is used. The names (usually the
    /// owning layer's path, but not always) only serve the messages.
    /// </summary>
    /// <exception cref="InvalidDataException">The group holds another number of weights than the layers have parameters, or, with a frozen layer among them, no order fits the file's shapes.</exception>
    public static IEnumerable<(Layer Layer, string Saved, string[] Weights)> NestedModelWeights(H5WeightsReader file, string group, string name, string[] weights, IReadOnlyList<Layer> inner)
    {
        int count = inner.Sum(l => l.Parameters.Count);
        if (count != weights.Length)
        {
            throw new InvalidDataException($"{file.Source}: nested model '{name}' has {weights.Length} saved weights but its {inner.Count} layers with weights have {count} parameters.");
        }

        List<Parameter> current = SavedOrder(inner, static (_, p) => p.Trainable);
        List<Parameter>[] orders = [current, SavedOrder(inner, static (l, p) => p.Trainable || !l.Trainable), [.. inner.SelectMany(l => l.Parameters)]];
        string Path(int i) => Join(Join(group, name), weights[i]);
        List<Parameter>? order = orders.FirstOrDefault(o => o.Select((p, i) => file.ShapeOf(Path(i)) is TensorShape shape && shape.Equals(p.Shape)).All(fits => fits));
        if (order is null && inner.Where(l => !l.Trainable).Select(l => l.Name).ToList() is { Count: > 0 } frozen)
        {
            int wrong = Enumerable.Range(0, weights.Length).First(i => !(file.ShapeOf(Path(i)) is TensorShape shape && shape.Equals(current[i].Shape)));
            throw new InvalidDataException($"{file.Source}: the weights of nested model '{name}' fit its layers in none of the orders tried (Keras' for the layers' current trainability: dataset '{Path(wrong)}' has shape {file.FormatShapeOf(Path(wrong))} where parameter '{current[wrong].Name}' {current[wrong].Shape} comes), and layers '{string.Join("', '", frozen)}' are frozen, which changes Keras' order: unfreeze them (Layer.Trainable = true) before LoadWeights and freeze them after.");
        }

        order ??= current;

        // Each layer's weights, in the layer's own parameter order, for the reader that follows.
        return [.. inner.Select(layer => (layer, name, (string[])[.. layer.Parameters.Select(p => weights[order.FindIndex(o => ReferenceEquals(o, p))])]))];
    }

    // Keras' model.weights order for a nested model: the parameters `trainable` picks, layer by layer, then the others.
    private static List<Parameter> SavedOrder(IReadOnlyList<Layer> inner, Func<Layer, Parameter, bool> trainable) =>
        [.. inner.SelectMany(l => l.Parameters.Where(p => trainable(l, p))), .. inner.SelectMany(l => l.Parameters.Where(p => !trainable(l, p)))];

    private static string Join(string group, string name) => group.Length == 0 ? name : group + "/" + name;
}
