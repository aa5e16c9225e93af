using System.Globalization;
using System.Runtime.InteropServices;
using NeuralNet.Layers;
using NeuralNet.Models;

namespace NeuralNet.Keras;

/// <summary>
/// The variable Keras saves for a TF-IDF <see cref="IntegerLookup"/> outside its parameters: Keras' <c>IndexLookup</c>
/// (index_lookup.py) overrides <c>save_own_variables</c> with <c>store["idf_weights"] = self.idf_weights_const</c>, so the
/// layer's group holds the float32 dataset <c>vars/idf_weights</c> (and no <c>vars/0</c>): one weight per index, the OOV
/// indices' first (there is no mask index outside Int mode), padded with zeros to <c>max_tokens</c> when
/// <c>pad_to_max_tokens</c> is set, as <c>set_vocabulary</c> and <c>finalize_state</c> pad them. Its
/// <c>load_own_variables</c> assigns the dataset over the weights the config's <c>vocabulary</c> and <c>idf_weights</c>
/// gave, so the dataset is what the layer computes with, here as in Keras.
/// </summary>
internal static class KerasLookupVariables
{
    /// <summary>The dataset's name in the layer's <c>vars</c> group (Keras' store key).</summary>
    public const string DatasetName = "idf_weights";

    /// <summary>The TF-IDF weights of one lookup as read from a file, to give the layer once everything is checked.</summary>
    /// <param name="LayerName">The lookup's name, the same in the model the file's config builds and in the loaded one.</param>
    /// <param name="Path">The dataset it came from, as the file names it.</param>
    /// <param name="Weights">One weight per index of the vocabulary (the zeros padded to <c>max_tokens</c> left out).</param>
    public sealed record Loaded(string LayerName, string Path, float[] Weights);

    /// <summary>The datasets to write for the TF-IDF lookups among <paramref name="groups"/>, in Keras' form.</summary>
    /// <exception cref="NotSupportedException">A TF-IDF lookup has no vocabulary yet: Keras has no weights to save then either (its <c>save_own_variables</c> fails), so the file could not be loaded.</exception>
    public static List<(string Path, Tensor Value, bool IsInteger)> Datasets(IEnumerable<(Layer Layer, string Path)> groups)
    {
        var datasets = new List<(string, Tensor, bool)>();
        foreach (var (lookup, group) in TfIdfLookups(groups))
        {
            if (!lookup.HasVocabulary)
            {
                throw new NotSupportedException($"Layer '{lookup.Name}' (IntegerLookup) is in TfIdf mode without a vocabulary: Keras saves such a layer's TF-IDF weights as {group}/vars/{DatasetName} and has none before a vocabulary is set or adapted. Nothing was written; call Adapt or SetVocabulary first.");
            }

            var values = new float[Length(lookup)];
            lookup.GetIdfWeights().CopyTo(values, 0);
            datasets.Add(($"{group}/vars/{DatasetName}", Tensor.FromArray(values, values.Length), false));
        }

        return datasets;
    }

    /// <summary>
    /// Reads and checks the TF-IDF weights of every TF-IDF lookup among <paramref name="groups"/> (the layers of the
    /// model the file's config describes, or the model the weights load into), changing nothing.
    /// </summary>
    /// <exception cref="InvalidDataException">A dataset is missing, not float32 or float64, not one weight per index (or per <c>max_tokens</c> with <c>pad_to_max_tokens</c>), holds a NaN or an infinity, or belongs to a lookup without a vocabulary.</exception>
    public static List<Loaded> Read(H5WeightsReader weights, IEnumerable<(Layer Layer, string Path)> groups)
    {
        var read = new List<Loaded>();
        foreach (var (lookup, group) in TfIdfLookups(groups))
        {
            string path = weights.Resolve($"{group}/vars/{DatasetName}");
            if (!lookup.HasVocabulary)
            {
                // LoadModel has put a vocabulary Keras kept as an asset into the config before this (KerasLookupAssets);
                // without one there either, the layer has no indices for the weights to belong to.
                throw new InvalidDataException($"{weights.Source}: dataset '{path}' should hold the TF-IDF weights of layer '{lookup.Name}' (IntegerLookup), which has no vocabulary for them to belong to.");
            }

            int length = Length(lookup);
            string expected = $"the layer's TF-IDF weight vector (one weight per index{(length != lookup.VocabularySize ? ", padded to max_tokens" : string.Empty)})";
            float[] values = ReadWeights(weights, path, length, expected, $"layer '{lookup.Name}' (IntegerLookup, output mode TfIdf)");

            // Beyond the vocabulary the weights multiply counts that are always zero (indices no token maps to).
            read.Add(new Loaded(lookup.Name, path, values[..lookup.VocabularySize]));
        }

        return read;
    }

    /// <summary>
    /// Reads the TF-IDF weights at <paramref name="path"/> (a path <see cref="H5WeightsReader.Resolve"/> gave): a float
    /// vector of <paramref name="length"/> finite weights, <paramref name="expected"/> naming that shape in messages and
    /// <paramref name="owner"/> the layer they belong to.
    /// </summary>
    /// <exception cref="InvalidDataException">The dataset is missing, of another shape or type, or holds a NaN or an infinity.</exception>
    public static float[] ReadWeights(H5WeightsReader weights, string path, int length, string expected, string owner)
    {
        if (!weights.TryRead(path, new TensorShape(length), allowInteger: false, out float[] values, out string problem, expected))
        {
            throw new InvalidDataException($"{weights.Source}: dataset '{path}' {problem}; it should hold the TF-IDF weights of {owner}, as Keras' IndexLookup.save_own_variables writes them.");
        }

        int bad = Array.FindIndex(values, v => !float.IsFinite(v));
        if (bad >= 0)
        {
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                $"{weights.Source}: dataset '{path}' holds {values[bad]} at index {bad}; the TF-IDF weights of {owner} must be finite."));
        }

        return values;
    }

    /// <summary>
    /// The TF-IDF datasets of the string layers taken out of the graph, for the weight reader to account for (their weights
    /// went into their configs): <c>&lt;group&gt;/vars/idf_weights</c> and, for a <c>TextVectorization</c>, the copy
    /// saving_lib writes for its inner lookup (it walks the layer's <c>_lookup_layer</c> attribute too),
    /// <c>&lt;group&gt;/_lookup_layer/vars/idf_weights</c>, which must hold the same values: Keras loads it last.
    /// </summary>
    /// <exception cref="InvalidDataException">The inner lookup's copy differs from the layer's dataset, or the layer has none.</exception>
    public static List<string> StringLayerDatasets(H5WeightsReader weights, IEnumerable<KerasStringPreprocessors.Removed> layers)
    {
        var paths = new List<string>();
        foreach (KerasStringPreprocessors.Removed layer in layers)
        {
            string first = weights.Resolve($"{layer.Group}/vars/{DatasetName}");
            string copy = weights.Resolve($"{layer.Group}/{KerasLookupAssets.InnerLookup}/vars/{DatasetName}");
            paths.Add(first);
            if (weights.Has(copy))
            {
                RequireSameCopy(weights, first, copy, $"layer '{layer.Name}' ({KerasConfigItems.Text(layer.Item["class_name"])})");
                paths.Add(copy);
            }
        }

        return paths;
    }

    /// <summary>Gives each lookup of <paramref name="model"/> the weights read for it, with its own vocabulary.</summary>
    public static void Apply(Model model, IEnumerable<Loaded> read)
    {
        foreach (Loaded weights in read)
        {
            var lookup = (IntegerLookup)model.GetLayer(weights.LayerName);

            // Weights the config gave already (as Keras' set_vocabulary made the dataset) change nothing; setting them
            // again would count the vocabulary as set after construction, which SaveModel writes as an asset.
            float[] current = lookup.GetIdfWeights();
            if (!MemoryMarshal.Cast<float, int>(current.AsSpan()).SequenceEqual(MemoryMarshal.Cast<float, int>(weights.Weights.AsSpan())))
            {
                lookup.SetVocabulary(lookup.GetVocabulary(includeSpecialTokens: true), weights.Weights);
            }
        }
    }

    private static void RequireSameCopy(H5WeightsReader weights, string first, string copy, string owner)
    {
        string what = $"the two copies Keras writes of the TF-IDF weights of {owner} (the second for its inner lookup)";
        TensorShape shape = weights.ShapeOf(first) ?? throw new InvalidDataException(
            $"{weights.Source}: dataset '{copy}' holds the TF-IDF weights of the inner lookup of {owner}, but '{first}', the layer's own, is missing or has no shape a tensor can take; Keras writes both.");
        if (!weights.TryRead(first, shape, allowInteger: false, out float[] values, out string problem))
        {
            throw new InvalidDataException($"{weights.Source}: dataset '{first}' {problem}; it and '{copy}' should be {what}.");
        }

        if (!weights.TryRead(copy, shape, allowInteger: false, out float[] repeated, out problem, $"'{first}'"))
        {
            throw new InvalidDataException($"{weights.Source}: dataset '{copy}' {problem}; it and '{first}' should be {what}.");
        }

        // Bit for bit: saving_lib writes one variable twice.
        for (int i = 0; i < values.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(values[i]) != BitConverter.SingleToInt32Bits(repeated[i]))
            {
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                    $"{weights.Source}: datasets '{first}' and '{copy}', {what}, differ at index {i} ({values[i]} and {repeated[i]})."));
            }
        }
    }

    // The dataset's length: Keras' idf_weights is padded with zeros to max_tokens with pad_to_max_tokens.
    private static int Length(IntegerLookup lookup) =>
        lookup.PadToMaxTokens && lookup.MaxTokens is int max ? max : lookup.VocabularySize;

    private static IEnumerable<(IntegerLookup Lookup, string Group)> TfIdfLookups(IEnumerable<(Layer Layer, string Path)> groups) =>
        groups.Where(g => g.Layer is IntegerLookup { OutputMode: CategoryOutputMode.TfIdf }).Select(g => ((IntegerLookup)g.Layer, g.Path));
}
