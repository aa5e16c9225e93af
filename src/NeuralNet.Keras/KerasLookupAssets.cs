using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Preprocessing;

namespace NeuralNet.Keras;

/// <summary>
/// The vocabulary a Keras lookup learned with <c>adapt</c>, which Keras keeps out of config.json: <c>IndexLookup</c>'s
/// <c>save_assets</c> (index_lookup.py; <c>TextVectorization</c> forwards to its inner <c>StringLookup</c>) writes
/// <c>get_vocabulary(include_special_tokens=True)</c> joined by "\n" as <c>vocabulary.txt</c> in the layer's assets
/// folder, which saving_lib zips as <c>assets/&lt;the layer's path&gt;/vocabulary.txt</c> (the same path as its weights'
/// group: <c>layers/string_lookup</c>, <c>layers/functional/layers/integer_lookup</c>). Its <c>load_assets</c> runs only
/// when the config's <c>vocabulary</c> is null, after <c>load_own_variables</c>: the lines (the file read in Python's
/// text mode, trailing empty lines dropped; <c>int(line)</c> for an <c>IntegerLookup</c>) go to <c>set_vocabulary</c>,
/// in TF-IDF mode with the <c>vars/idf_weights</c> just loaded. saving_lib also walks a <c>TextVectorization</c>'s
/// <c>_lookup_layer</c> attribute, so the inner lookup's variables and asset are written a second time under
/// <c>&lt;the layer's path&gt;/_lookup_layer</c>, and read last.
/// </summary>
/// <remarks>
/// Here the vocabulary is written into the layer's config (<c>vocabulary</c>, and <c>idf_weights</c> from the weights
/// file in TF-IDF mode) before the model is built from it, so the layer is built as if it had been given the
/// vocabulary, which <c>set_vocabulary</c> makes equivalent (the special tokens lead the file, and it takes them as they are).
/// </remarks>
internal static class KerasLookupAssets
{
    /// <summary>The asset's file name in the layer's folder.</summary>
    public const string FileName = "vocabulary.txt";

    /// <summary>The attribute under which saving_lib saves a <c>TextVectorization</c>'s inner <c>StringLookup</c> a second time.</summary>
    public const string InnerLookup = "_lookup_layer";

    private const string Folder = "assets/";
    // The same cap as core's VocabularyFile.MaxBytes, which SetVocabularyFile applies to a file on disk.
    private const long MaxBytes = 256L << 20;

    /// <summary>Whether <paramref name="className"/> is a Keras layer that keeps an adapted vocabulary as an asset.</summary>
    public static bool IsLookup(string? className) => className is "IntegerLookup" or "StringLookup" or "TextVectorization";

    /// <summary>
    /// Writes into each lookup's config of <paramref name="root"/> whose <c>vocabulary</c> is null the vocabulary of its
    /// asset (and, in TF-IDF mode, the <c>idf_weights</c> of <paramref name="weights"/>). Only the JSON changes.
    /// </summary>
    /// <param name="root">The model config, nested models inlined.</param>
    /// <param name="groups">Each layer's path in the archive, by layer name.</param>
    /// <param name="archive">The archive.</param>
    /// <param name="weights">The archive's weights file.</param>
    /// <param name="source">The archive's name in messages.</param>
    /// <returns>The names of the lookups given a vocabulary so.</returns>
    /// <exception cref="InvalidDataException">An asset is missing, too large, not UTF-8, holds a line that is not an integer (for an IntegerLookup), has another size than the config's <c>vocabulary_size</c> (outside int mode without <c>pad_to_max_tokens</c>), differs from a TextVectorization's second copy, or the TF-IDF weights do not fit it.</exception>
    public static List<string> Fill(JsonObject root, IReadOnlyDictionary<string, string> groups, ZipArchive archive, H5WeightsReader weights, string source)
    {
        var filled = new List<string>();
        foreach (JsonObject item in KerasConfigItems.Items(root["config"] as JsonObject))
        {
            string? className = KerasConfigItems.Text(item["class_name"]);
            if (!IsLookup(className) || item["config"] is not JsonObject config || config["vocabulary"] is not null)
            {
                continue;
            }

            string name = KerasConfigItems.NameOf(item);
            if (!groups.TryGetValue(name, out string? group))
            {
                continue;
            }

            string entry = $"{Folder}{group}/{FileName}";
            string layer = $"layer '{name}' ({className})";
            List<string> lines = ReadLines(archive, entry, source, layer) ?? throw new InvalidDataException(
                $"{source}: the archive has no '{entry}', the vocabulary of {layer}: its config has no vocabulary, so Keras keeps the one it learned with adapt in that file.");
            if (className == "TextVectorization")
            {
                RequireSameCopy(archive, $"{Folder}{group}/{InnerLookup}/{FileName}", entry, lines, source, layer);
            }

            // As load_assets: every line parsed (int(line)), then set_vocabulary checks the size.
            var vocabulary = new JsonArray();
            for (int i = 0; i < lines.Count; i++)
            {
                vocabulary.Add(className == "IntegerLookup" ? JsonValue.Create(ParseInteger(lines[i], i, entry, source, layer)) : JsonValue.Create(lines[i]));
            }

            RequireVocabularySize(config, lines.Count, entry, source, layer);
            if (lines.Count <= SpecialTokenCount(config, className!))
            {
                // Only the special tokens: Keras' table is left empty, as a layer that was never adapted.
                continue;
            }

            config["vocabulary"] = vocabulary;
            filled.Add(name);
            if (KerasConfigItems.Text(config["output_mode"]) is "tf_idf" or "tf-idf")
            {
                config["idf_weights"] = IdfWeights(config, weights, $"{group}/vars/{KerasLookupVariables.DatasetName}", lines.Count, entry, layer);
            }
        }

        return filled;
    }

    /// <summary>
    /// Makes each <see cref="IntegerLookup"/> of <paramref name="model"/> named in <paramref name="fromAssets"/>, and each
    /// <see cref="StringLookup"/> or <see cref="TextVectorization"/> preprocessor made of such a layer, one whose
    /// vocabulary was not given at construction (<c>HasInputVocabulary</c> false), as Keras' layer is after
    /// <c>load_assets</c>, so that <see cref="KerasFormat.SaveModel"/> writes it as an asset again. Its vocabulary and
    /// weights are set to what they are.
    /// </summary>
    public static void MarkAdapted(Model model, IEnumerable<string> fromAssets)
    {
        foreach (string name in fromAssets)
        {
            if (model.Layers.FirstOrDefault(l => l.Name == name) is IntegerLookup { HasInputVocabulary: true } lookup)
            {
                lookup.SetVocabulary(lookup.GetVocabulary(includeSpecialTokens: true), lookup.OutputMode == CategoryOutputMode.TfIdf ? lookup.GetIdfWeights() : null);
            }

            foreach (Preprocessor preprocessor in model.Preprocessing.Values)
            {
                switch (preprocessor)
                {
                    case StringLookup { HasInputVocabulary: true } strings when strings.Name == name:
                        strings.SetVocabulary(strings.GetVocabulary(includeSpecialTokens: true), strings.OutputMode == CategoryOutputMode.TfIdf ? strings.GetIdfWeights() : null);
                        break;
                    case TextVectorization { HasInputVocabulary: true } text when text.Name == name:
                        text.SetVocabulary(text.GetVocabulary(includeSpecialTokens: true), text.OutputMode == TextOutputMode.TfIdf ? text.GetIdfWeights() : null);
                        break;
                }
            }
        }
    }

    // The asset's lines as Keras' load_assets reads them, or null when the archive has no such entry. save_assets joins
    // the entries with "\n" and Python's text mode reads "\r\n" and "\r" as "\n" (a file written on Windows); only these
    // end a line: the newest Keras' str.splitlines would also split at \v, \f, \x1c-\x1e, \x85, \u2028 and \u2029, breaking
    // tokens that hold them, which earlier Keras 3 releases keep whole. Trailing empty lines are dropped, as load_assets drops them.
    private static List<string>? ReadLines(ZipArchive archive, string entry, string source, string layer)
    {
        if (archive.GetEntry(entry) is not ZipArchiveEntry file)
        {
            return null;
        }

        string text;
        try
        {
            using MemoryStream bytes = KerasArchive.ReadAtMost(file, MaxBytes, source);
            text = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(bytes.GetBuffer(), 0, (int)bytes.Length);
        }
        catch (DecoderFallbackException ex)
        {
            throw new InvalidDataException($"{source}: '{entry}', the vocabulary of {layer}, is not UTF-8 text: {ex.Message}", ex);
        }

        var lines = new List<string>(text.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n').Split('\n'));
        while (lines.Count > 0 && lines[^1].Length == 0)
        {
            lines.RemoveAt(lines.Count - 1);
        }

        return lines;
    }

    // Keras reads the inner lookup's copy last, so it is the vocabulary Keras ends with; the two are the same list as
    // saving_lib writes them. One that differs means the archive was edited: neither can be trusted to be Keras' state.
    // (An archive without the copy, written by hand, loads with the layer's own file.)
    private static void RequireSameCopy(ZipArchive archive, string copy, string entry, List<string> lines, string source, string layer)
    {
        if (ReadLines(archive, copy, source, layer) is not List<string> second)
        {
            return;
        }

        int at = Enumerable.Range(0, Math.Min(lines.Count, second.Count)).FirstOrDefault(i => lines[i] != second[i], -1);
        if (at >= 0 || lines.Count != second.Count)
        {
            string where = at >= 0
                ? $"line {at + 1} is \"{Shorten(lines[at])}\" in the first and \"{Shorten(second[at])}\" in the second"
                : $"the first has {lines.Count} entries and the second {second.Count}";
            throw new InvalidDataException(
                $"{source}: '{entry}' and '{copy}', the two copies Keras writes of the vocabulary of {layer} (the second for its inner lookup), differ: {where}.");
        }
    }

    // Keras' set_vocabulary (_record_vocabulary_size -> _ensure_vocab_size_unchanged) refuses a vocabulary of another size
    // than the config's vocabulary_size outside int mode without pad_to_max_tokens: that size is the width of the layer's
    // output, which the model after it was built for (the Input of a preprocessor's model takes it from the config).
    private static void RequireVocabularySize(JsonObject config, int entries, string entry, string source, string layer)
    {
        string mode = KerasConfigItems.Text(config["output_mode"]) ?? "int";
        bool padded = KerasConfigItems.PadsToMaxTokens(config);
        if (mode == "int" || padded || config["vocabulary_size"] is not JsonValue size || !size.TryGetValue(out int frozen) || frozen == entries)
        {
            return;
        }

        throw new InvalidDataException(
            $"{source}: '{entry}', the vocabulary of {layer}, has {entries} entries (special tokens included) but the layer's config has vocabulary_size {frozen}; "
            + $"in output mode \"{mode}\" without pad_to_max_tokens that size is the width of the layer's output, so Keras' set_vocabulary refuses another.");
    }

    // Python's int(line): an optional sign and decimal digits, with surrounding whitespace.
    private static long ParseInteger(string line, int index, string entry, string source, string layer)
    {
        if (long.TryParse(line.Replace("_", string.Empty, StringComparison.Ordinal), NumberStyles.AllowLeadingSign | NumberStyles.AllowLeadingWhite | NumberStyles.AllowTrailingWhite, CultureInfo.InvariantCulture, out long value)
            && !line.StartsWith('_') && !line.EndsWith('_'))
        {
            return value;
        }

        throw new InvalidDataException($"{source}: line {index + 1} of '{entry}', the vocabulary of {layer}, is \"{Shorten(line)}\"; expected an integer token (the vocabulary's dtype is int64).");
    }

    // Keras' _token_start_index: the mask index (Int mode with a mask token), then the OOV indices.
    // (TextVectorization's inner StringLookup has the mask token "" and one OOV index, neither in its config).
    private static int SpecialTokenCount(JsonObject config, string className)
    {
        bool integerOutput = KerasConfigItems.Text(config["output_mode"]) is null or "int";
        bool masked = className == "TextVectorization" || config["mask_token"] is not null;
        int oov = className != "TextVectorization" && config["num_oov_indices"] is JsonValue count && count.TryGetValue(out int n) ? n : 1;
        return (integerOutput && masked ? 1 : 0) + oov;
    }

    // The weights load_own_variables gave the layer, as load_assets passes them to set_vocabulary: one per line, or padded
    // to max_tokens (whose zeros, beyond the vocabulary, are dropped).
    private static JsonArray IdfWeights(JsonObject config, H5WeightsReader weights, string dataset, int lines, string entry, string layer)
    {
        bool padded = KerasConfigItems.PadsToMaxTokens(config);
        int length = padded && config["max_tokens"] is JsonValue max && max.TryGetValue(out int tokens) && tokens >= lines ? tokens : lines;
        string path = weights.Resolve(dataset);
        float[] idf = KerasLookupVariables.ReadWeights(weights, path, length,
            $"the TF-IDF weight vector of the {lines} entries of '{entry}'{(length != lines ? " padded to max_tokens" : string.Empty)}", $"{layer}, whose vocabulary is '{entry}'");
        return [.. idf.Take(lines).Select(w => (JsonNode)JsonValue.Create((double)w))];
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "...";
}
