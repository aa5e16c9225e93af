using NeuralNet.Onnx.Protobuf;

namespace NeuralNet.Onnx.Converters;

/// <summary>
/// The masks of the attention layers as ONNX values: which (query, key) pairs may attend, as floats 1 (allowed) or 0, and
/// the scores with −1e9 added where a pair is not allowed, as Predict adds it (AttentionKernels.MaskedScore), before the
/// softmax. The mask inputs count any value but 0 as "keep", as the layers do.
/// </summary>
internal static class AttentionMasks
{
    /// <summary>The score added to a masked pair: NeuralNet's (and Keras') large negative number.</summary>
    private const float MaskedScore = -1e9f;

    /// <summary>A (Tq, Tv) constant: 1 where key step s ≤ query step t, 0 after (the causal rule).</summary>
    public static string Causal(OnnxGraphBuilder graph, int tq, int tv)
    {
        var allowed = new float[tq * tv];
        for (int t = 0; t < tq; t++)
        {
            allowed.AsSpan(t * tv, Math.Min(t + 1, tv)).Fill(1f);
        }

        return graph.Floats("causal_mask", [tq, tv], allowed);
    }

    /// <summary>1 where <paramref name="mask"/> is not 0, else 0 (float).</summary>
    public static string NonZero(OnnxGraphBuilder graph, string mask)
    {
        string zero = graph.Node("Equal", [mask, graph.Scalar("zero", 0f)]);
        return graph.Node("Cast", [graph.Node("Not", [zero])], OnnxAttribute.Int("to", (long)TensorProto.Types.DataType.Float));
    }

    /// <summary>1 where the bool <paramref name="mask"/> (a Keras mask arriving with an input) is true, else 0 (float).</summary>
    public static string AsFloat(OnnxGraphBuilder graph, string mask) =>
        graph.Node("Cast", [mask], OnnxAttribute.Int("to", (long)TensorProto.Types.DataType.Float));

    /// <summary>
    /// <paramref name="scores"/> with −1e9 added where the product of the <paramref name="allowed"/> masks (broadcasting to
    /// the scores) is 0; the others get −0 added, which leaves them as they are. No masks: the scores themselves.
    /// </summary>
    public static string Apply(OnnxGraphBuilder graph, string scores, IReadOnlyList<string> allowed) =>
        allowed.Count == 0 ? scores : ApplyCombined(graph, scores, Combine(graph, allowed));

    /// <summary>The product of the <paramref name="allowed"/> masks (at least one): 1 where every one allows the pair.</summary>
    public static string Combine(OnnxGraphBuilder graph, IReadOnlyList<string> allowed)
    {
        string all = allowed[0];
        for (int i = 1; i < allowed.Count; i++)
        {
            all = graph.Node("Mul", [all, allowed[i]]);
        }

        return all;
    }

    /// <summary><paramref name="scores"/> with −1e9 added where the combined mask <paramref name="all"/> is 0.</summary>
    public static string ApplyCombined(OnnxGraphBuilder graph, string scores, string all)
    {
        string forbidden = graph.Node("Sub", [graph.Scalar("one", 1f), all]);
        return graph.Node("Add", [scores, graph.Node("Mul", [forbidden, graph.Scalar("masked_score", MaskedScore)])]);
    }
}
