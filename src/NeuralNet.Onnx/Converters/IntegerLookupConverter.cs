using NeuralNet.Layers;
using NeuralNet.Onnx.Protobuf;

namespace NeuralNet.Onnx.Converters;

/// <summary>
/// IntegerLookup without a hash table: each token compared (<c>Equal</c>) with the whole vocabulary, the match's index
/// picked by <c>MatMul</c> with the indices (one 1 among 0s: exact for tokens a float holds exactly, which the layer
/// requires), and the tokens that match nothing sent to the OOV index — <c>floormod(t, numOovIndices)</c> after the mask
/// slot, as Predict, computed as t − n · ⌊t / n⌋ (exact for |t| ≤ 2^24) — or the mask token to 0 in Int mode (dropped
/// from an encoding). Inverted, the same with the roles swapped: an index compared with the vocabulary's indices gives
/// its token, the mask slot gives the mask token, any other index the OOV token. Encodings as <see cref="CategoryConverters"/>;
/// TF-IDF is the count encoding times a constant of the layer's inverse document frequencies (<c>Mul</c>, zeros past the
/// vocabulary when padded to <c>maxTokens</c>), the product Predict computes.
/// Predict refuses tokens that are not whole numbers, and unknown tokens without OOV indices; the graph cannot throw: it
/// treats the first as unknown and gives the second −1 (dropped from an encoding).
/// </summary>
internal static class IntegerLookupConverter
{
    public static OnnxValue Convert(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        var lookup = (IntegerLookup)layer;
        OnnxValue x = graph.ChannelsLast(inputs[0]);
        float[] tokens = [.. lookup.GetVocabulary(includeSpecialTokens: false).Select(t => (float)t)];
        int oovStart = lookup.MaskToken is not null && lookup.OutputMode == CategoryOutputMode.Int ? 1 : 0;
        int tokenStart = oovStart + lookup.NumOovIndices;
        float[] indices = [.. Enumerable.Range(tokenStart, tokens.Length).Select(i => (float)i)];
        return lookup.Invert
            ? Inverted(graph, lookup, x, tokens, indices, oovStart, outputShape)
            : Forward(graph, lookup, x, tokens, indices, oovStart, outputShape);
    }

    private static OnnxValue Forward(OnnxGraphBuilder graph, IntegerLookup lookup, OnnxValue x, float[] tokens, float[] indices, int oovStart, TensorShape outputShape)
    {
        (string found, string matched) = Match(graph, x, "vocabulary", tokens, "indices", indices);

        // What an unknown token gets: its OOV index, or −1 without OOV indices.
        int n = lookup.NumOovIndices;
        string oov = n switch
        {
            0 => graph.Scalar("missing", -1f),
            1 => graph.Scalar("oov_index", oovStart),
            _ => graph.Node("Add", [FloorMod(graph, x.Name, n), graph.Scalar("oov_start", oovStart)]),
        };
        string unknown = graph.Node("Sub", [graph.Scalar("one", 1f), found]);
        if (lookup.MaskToken is long maskToken)
        {
            // The mask token is unknown to the vocabulary: it gets 0 in Int mode, −1 (dropped) in an encoding.
            string isMask = Floats(graph, graph.Node("Equal", [x.Name, graph.Scalar("mask_token", maskToken)]));
            unknown = graph.Node("Sub", [unknown, isMask]);
            if (lookup.OutputMode != CategoryOutputMode.Int)
            {
                matched = graph.Node("Sub", [matched, isMask]);
            }
        }

        string ids = graph.Node("Add", [matched, graph.Node("Mul", [unknown, oov])]);
        if (lookup.OutputMode == CategoryOutputMode.Int)
        {
            return new OnnxValue(ids, outputShape, Layout.ChannelsLast);
        }

        if (lookup.OutputMode != CategoryOutputMode.TfIdf)
        {
            return CategoryConverters.Encode(graph, ids, x.Rank, lookup.OutputMode, outputShape[-1], outputShape);
        }

        // The counts, each times its index's weight (broadcast over the last axis).
        int depth = outputShape[-1];
        OnnxValue counts = CategoryConverters.Encode(graph, ids, x.Rank, CategoryOutputMode.Count, depth, outputShape);
        float[] weights = new float[depth];
        lookup.GetIdfWeights().CopyTo(weights, 0);
        return graph.Node("Mul", [counts.Name, graph.Floats("idf_weights", [depth], weights)], outputShape, Layout.ChannelsLast);
    }

    private static OnnxValue Inverted(OnnxGraphBuilder graph, IntegerLookup lookup, OnnxValue x, float[] tokens, float[] indices, int oovStart, TensorShape outputShape)
    {
        (string found, string matched) = Match(graph, x, "indices", indices, "vocabulary", tokens);
        string other = graph.Node("Sub", [graph.Scalar("one", 1f), found]);
        if (oovStart == 1)
        {
            // Index 0 is the mask token's.
            string isMask = Floats(graph, graph.Node("Equal", [x.Name, graph.Scalar("mask_index", 0f)]));
            other = graph.Node("Sub", [other, isMask]);
            matched = graph.Node("Add", [matched, graph.Node("Mul", [isMask, graph.Scalar("mask_token", lookup.MaskToken!.Value)])]);
        }

        string result = graph.Node("Add", [matched, graph.Node("Mul", [other, graph.Scalar("oov_token", lookup.OovToken)])]);
        return new OnnxValue(result, outputShape, Layout.ChannelsLast);
    }

    // Whether each value of x is among 'keys' (1 or 0), and the entry of 'values' at its match (0 when none).
    private static (string Found, string Matched) Match(OnnxGraphBuilder graph, OnnxValue x, string keyName, float[] keys, string valueName, float[] values)
    {
        string unsqueezed = graph.Node("Unsqueeze", [x.Name, graph.Int64s("axes", x.Rank)]);
        string equal = Floats(graph, graph.Node("Equal", [unsqueezed, graph.Floats(keyName, [keys.Length], keys)]));
        string found = graph.Node("ReduceSum", [equal, graph.Int64s("axes", x.Rank)], OnnxAttribute.Int("keepdims", 0));
        string picked = graph.Node("MatMul", [equal, graph.Floats(valueName, [values.Length, 1], values)]);
        return (found, graph.Node("Squeeze", [picked, graph.Int64s("axes", x.Rank)]));
    }

    // floormod(t, n) = t − n · ⌊t / n⌋: the quotient of whole numbers below 2^24 rounds to the right side of an integer.
    private static string FloorMod(OnnxGraphBuilder graph, string t, int n)
    {
        string divisor = graph.Scalar("num_oov_indices", n);
        string quotient = graph.Node("Floor", [graph.Node("Div", [t, divisor])]);
        return graph.Node("Sub", [t, graph.Node("Mul", [quotient, divisor])]);
    }

    private static string Floats(OnnxGraphBuilder graph, string condition) =>
        graph.Node("Cast", [condition], OnnxAttribute.Int("to", (long)TensorProto.Types.DataType.Float));
}
