using System.Globalization;
using System.Text.Json.Nodes;
using NeuralNet.Layers;
using NeuralNet.Models;

namespace NeuralNet.Keras;

/// <summary>
/// The reverse of <see cref="KerasLookupAssets"/> for <see cref="KerasFormat.SaveModel"/>: an <see cref="IntegerLookup"/>
/// is written as Keras writes one. Keras' <c>IndexLookup.get_config</c> (index_lookup.py) holds <c>input_vocabulary</c>,
/// the list given to the constructor, and null otherwise; its <c>save_assets</c> writes nothing for a layer given its
/// vocabulary so and, for any other (adapted, or given it by <c>set_vocabulary</c> or a file), writes
/// <c>get_vocabulary(include_special_tokens=True)</c> as <c>str</c> joined by "\n" to <c>vocabulary.txt</c>, which
/// saving_lib zips as <c>assets/&lt;the layer's path&gt;/vocabulary.txt</c>; <c>idf_weights</c> in the config likewise
/// (an adapted TF-IDF layer's weights are its <c>vars/idf_weights</c>, written with the other weights).
/// </summary>
internal static class KerasLookupAssetWriter
{
    /// <summary>
    /// For every <see cref="IntegerLookup"/> of <paramref name="model"/> without a vocabulary given at construction
    /// (<see cref="IntegerLookup.HasInputVocabulary"/>: adapted, given one later, or none yet), sets <c>vocabulary</c> and <c>idf_weights</c> of its item in
    /// <paramref name="root"/> (config.json's model item) to null and returns its asset: the zip entry and its text.
    /// </summary>
    public static List<(string Entry, string Text)> Place(Model model, JsonObject root)
    {
        var assets = new List<(string Entry, string Text)>();
        foreach (var (layer, group) in KerasWeightLayout.LayerGroups(model))
        {
            // One without a vocabulary too: save_assets writes its special tokens alone, which load_assets (and
            // KerasLookupAssets.Fill) takes as no vocabulary; without the file, loading would find the asset missing.
            if (layer is not IntegerLookup { HasInputVocabulary: false } lookup
                || KerasConfigItems.Items(root["config"] as JsonObject).FirstOrDefault(i => KerasConfigItems.NameOf(i) == lookup.Name)?["config"] is not JsonObject config)
            {
                continue;
            }

            config["vocabulary"] = null;
            config["idf_weights"] = null;

            // Python's str of an int64: decimal digits with a leading '-' for a negative token.
            string text = string.Join("\n", lookup.GetVocabulary(includeSpecialTokens: true).Select(t => t.ToString(CultureInfo.InvariantCulture)));
            assets.Add(($"assets/{group}/{KerasLookupAssets.FileName}", text));
        }

        return assets;
    }
}
