using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using NeuralNet.Layers;
using NeuralNet.Models;

namespace NeuralNet.Serialization;

/// <summary>
/// Keras' call arguments of the attention layers, which NeuralNet holds as layer options and extra inputs: a file
/// writes them as Keras 3 does, <c>mha(query, value, key, attention_mask=m, use_causal_mask=True)</c> and
/// <c>attention([query, value], mask=[query_mask, value_mask], use_causal_mask=True)</c>, so that Keras loads it, and
/// reads them back into the options (<c>use_causal_mask</c>, <c>use_attention_mask</c>, <c>use_masks</c>,
/// <c>return_attention_scores</c>) and the layer's input list. A call with <c>return_attention_scores=True</c> has two
/// output tensors, Keras' tensor indices 0 (the output) and 1 (the scores). Files of builds before session 32 hold the options in the layer's config and the mask tensors
/// among the positional ones; those still load.
/// </summary>
internal static class AttentionCallArguments
{
    private static readonly string[] s_sequences = ["query", "value", "key"];
    private static readonly string[] s_multiHeadKeywords = [.. s_sequences, "query_mask", "value_mask", "key_mask", "attention_mask", "return_attention_scores", "use_causal_mask"];
    private static readonly string[] s_scoreKeywords = ["inputs", "mask", "return_attention_scores", "use_causal_mask"];

    // The options a call's keywords set, which Keras has no constructor argument for.
    private static readonly string[] s_callOptions = ["use_causal_mask", "use_attention_mask", "use_masks", "return_attention_scores"];

    /// <summary>Whether <paramref name="layer"/> takes Keras' attention call arguments.</summary>
    public static bool Applies(Layer layer) => layer is MultiHeadAttention or Attention or AdditiveAttention;

    /// <summary>Whether <paramref name="keyword"/> is a call argument of <paramref name="layer"/> this reader applies.</summary>
    public static bool Reads(Layer layer, string keyword) =>
        layer is MultiHeadAttention ? s_multiHeadKeywords.Contains(keyword) : layer is Attention or AdditiveAttention && s_scoreKeywords.Contains(keyword);

    /// <summary>
    /// A layer item whose config holds the options its calls pass by keyword (the item itself when they pass none),
    /// read before the layer is created; every call must pass the same, as the layer holds one value.
    /// </summary>
    public static JsonObject FoldOptions(JsonObject item, string className, Config where)
    {
        // The class names the registry maps to these layers (GroupQueryAttention is an older alias).
        bool multiHead = className is "MultiHeadAttention" or "GroupedQueryAttention" or "GroupQueryAttention";
        if (!multiHead && className is not ("Attention" or "AdditiveAttention") || item["inbound_nodes"] is not JsonArray nodes)
        {
            return item;
        }

        // Each option as the calls pass it (null until a call is read); an explicit use_causal_mask also overrides the
        // value an older file holds in the config, since Keras reads only the call's.
        bool?[] options = new bool?[s_callOptions.Length];
        bool causalPassed = false;
        for (int n = 0; n < nodes.Count; n++)
        {
            JsonObject? kwargs = (nodes[n] as JsonObject)?["kwargs"] as JsonObject;
            Config at = where.At(string.Create(CultureInfo.InvariantCulture, $"{where.Path}.inbound_nodes[{n}].kwargs"));
            bool? causal = CallKeyword.ReadFlag(kwargs, "use_causal_mask", at);
            causalPassed |= causal is not null;
            bool[] passed =
            [
                causal ?? false,
                multiHead && kwargs?["attention_mask"] is not null,
                !multiHead && kwargs?["mask"] is JsonArray masks && masks.Take(2).Any(m => m is not null),
                CallKeyword.ReadFlag(kwargs, "return_attention_scores", at) ?? false,
            ];
            for (int o = 0; o < options.Length; o++)
            {
                if (options[o] is bool first && first != passed[o])
                {
                    throw where.Error(string.Create(CultureInfo.InvariantCulture,
                        $"inbound node 0 {Describe(o, first)} but inbound node {n} {Describe(o, passed[o])}; NeuralNet holds this as one option of the layer, so every call must pass the same."));
                }

                options[o] = passed[o];
            }
        }

        if (!causalPassed && !options.Any(o => o == true))
        {
            return item;
        }

        var folded = (JsonObject)item.DeepClone();
        if (folded["config"] is JsonObject config)
        {
            for (int o = 0; o < options.Length; o++)
            {
                if (options[o] == true || (o == 0 && causalPassed))
                {
                    config[s_callOptions[o]] = options[o];
                }
            }
        }

        return folded;
    }

    /// <summary>
    /// The tensors of one call in the layer's input order: the sequences (positional, or by Keras' names), then the
    /// attention mask (MultiHeadAttention) or the query and value masks (Attention, AdditiveAttention).
    /// </summary>
    public static JsonNode?[] ReadTensors(Layer layer, JsonNode?[] positional, JsonObject? kwargs, Config where)
    {
        return layer is MultiHeadAttention ? MultiHeadTensors(layer, positional, kwargs, where) : ScoreTensors(layer, positional, kwargs, where);
    }

    /// <summary>The args and kwargs of <paramref name="node"/> as Keras 3 writes the call.</summary>
    public static (JsonArray Args, JsonObject Kwargs) WriteCall(Node node, Func<SymbolicTensor, JsonNode> tensor)
    {
        var kwargs = new JsonObject();
        SymbolicTensor[] inputs = node.Inputs;
        JsonArray args;
        switch (node.Layer)
        {
            case MultiHeadAttention multiHead:
                int sequences = inputs.Length - (multiHead.UseAttentionMask ? 1 : 0);
                args = [.. inputs[..sequences].Select(tensor)];
                if (multiHead.UseAttentionMask)
                {
                    kwargs["attention_mask"] = tensor(inputs[^1]);
                }

                if (multiHead.UseCausalMask)
                {
                    kwargs["use_causal_mask"] = true;
                }

                if (multiHead.ReturnAttentionScores)
                {
                    kwargs["return_attention_scores"] = true;
                }

                break;
            default:
                bool masks = node.Layer is Attention { UseMasks: true } or AdditiveAttention { UseMasks: true };
                int count = inputs.Length - (masks ? 2 : 0);
                args = [new JsonArray([.. inputs[..count].Select(tensor)])];
                if (masks)
                {
                    kwargs["mask"] = new JsonArray([.. inputs[count..].Select(tensor)]);
                }

                if (node.Layer is Attention { UseCausalMask: true } or AdditiveAttention { UseCausalMask: true })
                {
                    kwargs["use_causal_mask"] = true;
                }

                if (node.Layer is Attention { ReturnAttentionScores: true } or AdditiveAttention { ReturnAttentionScores: true })
                {
                    kwargs["return_attention_scores"] = true;
                }

                break;
        }

        return (args, kwargs);
    }

    /// <summary>
    /// Drops from a layer's config the keys its calls carry (<c>use_causal_mask</c>, the mask options and
    /// <c>return_attention_scores</c>) and the
    /// MultiHeadAttention keys that older Keras versions refuse when they hold Keras' defaults (<c>use_gate</c> false,
    /// new in 3.15; <c>flash_attention</c> null, new in about 3.7), so that those versions load the file too.
    /// </summary>
    public static void StripOptions(JsonObject config)
    {
        foreach (string key in s_callOptions)
        {
            config.Remove(key);
        }

        if (config["use_gate"] is JsonNode gate && gate.GetValueKind() == JsonValueKind.False)
        {
            config.Remove("use_gate");
        }

        if (config.TryGetPropertyValue("flash_attention", out JsonNode? flash) && flash is null)
        {
            config.Remove("flash_attention");
        }
    }

    private static JsonNode?[] MultiHeadTensors(Layer layer, JsonNode?[] positional, JsonObject? kwargs, Config where)
    {
        if (positional.Length > s_sequences.Length && kwargs?["attention_mask"] is not null)
        {
            throw where.Error(string.Create(CultureInfo.InvariantCulture,
                $"passes {positional.Length} positional tensors and an attention_mask; {layer.TypeName} takes query, value and key by position."));
        }

        var tensors = new List<JsonNode?>(positional);
        for (int i = 0; i < s_sequences.Length; i++)
        {
            if (kwargs?[s_sequences[i]] is not JsonNode named)
            {
                continue;
            }

            if (i < tensors.Count)
            {
                throw where.Error($"passes \"{s_sequences[i]}\" both by position and by keyword.");
            }

            if (i > tensors.Count)
            {
                throw where.Error($"passes \"{s_sequences[i]}\" without \"{s_sequences[tensors.Count]}\".");
            }

            tensors.Add(KeywordTensor(layer, s_sequences[i], named, where));
        }

        foreach (string mask in (ReadOnlySpan<string>)["query_mask", "value_mask", "key_mask"])
        {
            if (kwargs?[mask] is not null)
            {
                throw where.Error($"passes \"{mask}\", which NeuralNet does not read: {layer.TypeName} takes the masks its inputs carry (Embedding(maskZero: true), Masking), or an attention_mask.");
            }
        }

        if (kwargs?["attention_mask"] is JsonNode attentionMask)
        {
            tensors.Add(KeywordTensor(layer, "attention_mask", attentionMask, where));
        }

        return [.. tensors];
    }

    private static JsonNode?[] ScoreTensors(Layer layer, JsonNode?[] positional, JsonObject? kwargs, Config where)
    {
        JsonNode?[] tensors = positional;
        if (kwargs?["inputs"] is JsonNode inputs)
        {
            tensors = positional.Length > 0 ? throw where.Error("passes \"inputs\" both by position and by keyword.")
                : inputs is JsonArray list ? [.. list] : throw where.Error($"passes \"inputs\" as {Config.Describe(inputs)}; {layer.TypeName} takes a list [query, value] or [query, value, key].");
        }

        if (kwargs?["mask"] is not JsonNode masks)
        {
            return tensors;
        }

        // Keras takes [query_mask, value_mask] or [query_mask, value_mask, key_mask], the key's mask unread.
        if (masks is not JsonArray { Count: 2 or 3 } maskList)
        {
            throw where.Error($"passes \"mask\" as {Config.Describe(masks)}; {layer.TypeName} takes a list [query_mask, value_mask] (a key_mask third is not read).");
        }

        JsonNode?[] pair = [maskList[0], maskList[1]];
        if (pair.All(m => m is null))
        {
            return tensors;
        }

        return pair.Any(m => m is null)
            ? throw where.Error($"passes \"mask\" with one of [query_mask, value_mask] null; NeuralNet's {layer.TypeName} takes both by keyword or neither (the masks its inputs carry, from Embedding(maskZero: true) or Masking, are read without being passed).")
            : [.. tensors, .. pair.Select(m => KeywordTensor(layer, "mask", m!, where).DeepClone())];
    }

    // A tensor passed by keyword must come from the graph: Keras 3 writes a constant there as itself (tf.keras 2 as a
    // value too), which NeuralNet's graph has no node for.
    private static JsonNode KeywordTensor(Layer layer, string keyword, JsonNode value, Config where) =>
        value is JsonObject tensor && tensor["config"]?["keras_history"] is JsonArray
            ? value
            : throw where.Error($"passes \"{keyword}\" as {Config.Describe(value)}, not a tensor of the model; NeuralNet's {layer.TypeName} reads only tensors from the graph there (make a constant mask an Input, or the output of a layer).");

    private static string Describe(int option, bool value) => option switch
    {
        0 => $"passes \"use_causal_mask\": {(value ? "true" : "false")}",
        1 => value ? "passes an attention_mask" : "passes no attention_mask",
        2 => value ? "passes query and value masks" : "passes no masks",
        _ => $"passes \"return_attention_scores\": {(value ? "true" : "false")}",
    };
}
