using NeuralNet.Layers;

namespace NeuralNet.Keras;

/// <summary>Reads every parameter of a layout from a Keras weights file, checking each before reading its values.</summary>
internal static class KerasWeightReader
{
    /// <summary>
    /// Each parameter's tensor in layout order, named as NeuralNet names it (<c>layer/parameter</c>); then the file must
    /// hold no layer weights beyond them (a model with other layers, or variables this package would place wrongly).
    /// </summary>
    /// <exception cref="InvalidDataException">A dataset is missing, of another shape or type, or belongs to no parameter.</exception>
    /// <param name="weights">The file.</param>
    /// <param name="layout">The model's parameters and their datasets.</param>
    /// <param name="aliases">Datasets Keras writes twice (<see cref="KerasWeightLayout.Aliases(Models.Model)"/>): checked and
    /// accounted for, their values not used.</param>
    /// <param name="otherVariables">Datasets of the layers that are not parameters, read elsewhere (a TF-IDF lookup's
    /// <c>vars/idf_weights</c>, <see cref="KerasLookupVariables"/>), as the file names them.</param>
    public static List<KeyValuePair<string, Tensor>> Read(H5WeightsReader weights, IReadOnlyList<KerasWeight> layout, IReadOnlyList<KerasWeight>? aliases = null,
        IEnumerable<string>? otherVariables = null)
    {
        var tensors = new List<KeyValuePair<string, Tensor>>(layout.Count);
        var placed = new HashSet<string>(otherVariables ?? [], StringComparer.Ordinal);
        foreach (KerasWeight weight in layout)
        {
            TensorShape expected = weight.Parameter.Shape;
            string path = weights.Resolve(weight.Path);
            if (!weights.TryRead(path, expected, weight.IsInteger, out float[] values, out string problem))
            {
                throw new InvalidDataException($"{weights.Source}: dataset '{path}' {problem}; it should hold parameter '{weight.Parameter.Name}' {expected} of layer '{weight.Layer.Name}' ({weight.Layer.TypeName}).{NestedModelHint(weights, layout)}");
            }

            placed.Add(path);
            tensors.Add(new(weight.TensorName, Tensor.FromArray(values, expected.Dimensions)));
        }

        foreach (KerasWeight alias in aliases ?? [])
        {
            string path = weights.Resolve(alias.Path);
            if (!weights.TryRead(path, alias.Parameter.Shape, alias.IsInteger, out _, out string problem))
            {
                throw new InvalidDataException($"{weights.Source}: dataset '{path}' {problem}; it should repeat parameter '{alias.Parameter.Name}' {alias.Parameter.Shape} of layer '{alias.Layer.Name}' ({alias.Layer.TypeName}).");
            }

            placed.Add(path);
        }

        if (weights.DatasetPaths(weights.Resolve("layers")).FirstOrDefault(p => !placed.Contains(p)) is string extra)
        {
            throw new InvalidDataException($"{weights.Source}: dataset '{extra}' belongs to no parameter of the model: the file was written by a model with other layers, in another order, or with variables NeuralNet does not have.{NestedModelHint(weights, layout)}");
        }

        return tensors;
    }

    // Keras 3 saves a model used as a layer of another (ConvNeXt's nested Sequentials) in a group of its own,
    // layers/<container>/layers/..., where a NeuralNet model, which runs a nested model's layers as its own, has them among
    // its layers unless it was loaded from the archive's config: say so when such a file does not fit (with under, only
    // of a nested model's group under that path: a group skipMismatch leaves unread).
    internal static string NestedModelHint(H5WeightsReader weights, IReadOnlyList<KerasWeight> layout, string? under = null)
    {
        string root = weights.Resolve("layers") + "/";
        foreach (string path in weights.DatasetPaths(root[..^1]).Where(p => under is null || p.StartsWith(under + "/", StringComparison.Ordinal)))
        {
            string[] parts = path[root.Length..].Split('/');
            string container = root + parts[0] + "/layers/";
            if (parts.Length > 2 && parts[1] == "layers" && !layout.Any(w => weights.Resolve(w.Path).StartsWith(container, StringComparison.Ordinal)))
            {
                return $" The file keeps a nested model's weights in its own group, '{root}{parts[0]}', as Keras 3 saves a model used as a layer; the model runs a nested model's layers as its own, so they are not where this file has them: load the model with its weights from the .keras archive (KerasFormat.LoadModel), or load Keras 2 .h5 weights, which are matched by order.";
            }
        }

        return string.Empty;
    }

    /// <summary>
    /// The values in the order of <paramref name="parameters"/> (for <see cref="Models.Model.SetWeights"/>); a parameter of
    /// <paramref name="keep"/> without a value keeps its own (copied onto itself: a weight skipped by <c>skipMismatch</c>).
    /// </summary>
    /// <exception cref="InvalidOperationException">Another parameter has no value (a bug of the layout, not of the file).</exception>
    public static List<Tensor> InParameterOrder(IReadOnlyList<Parameter> parameters, IEnumerable<(Parameter Parameter, Tensor Value)> values, IReadOnlySet<Parameter>? keep = null)
    {
        var byParameter = new Dictionary<Parameter, Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var (parameter, value) in values)
        {
            byParameter[parameter] = value;
        }

        return [.. parameters.Select(p => byParameter.TryGetValue(p, out Tensor? value) ? value
            : keep is not null && keep.Contains(p) ? p.Value
            : throw new InvalidOperationException($"NeuralNet.Keras read no value for parameter '{p.Name}' {p.Shape} and did not skip it: the weights layout missed it (a bug of NeuralNet.Keras, not of the file). Nothing was changed."))];
    }
}
