using NeuralNet.Layers;

namespace NeuralNet.Onnx.Converters;

/// <summary>
/// Attention (dot and concat scores) and AdditiveAttention as Predict computes them (Keras 3's formulas), per sample:
/// scores (Tq, Tv) — dot: q·kᵀ (<c>MatMul</c> with the key transposed), times <c>scale</c>; concat:
/// <c>concat_score_weight</c> · Σ_d tanh(scale · (q_d + k_d)); additive: Σ_d scale_d · tanh(q_d + k_d) (the broadcast sum
/// (Tq, Tv, dim) by <c>Unsqueeze</c>, <c>Add</c>, <c>Tanh</c>, then <c>MatMul</c> by the scale vector or <c>ReduceSum</c>);
/// −1e9 added where the causal rule or the value mask forbids (<see cref="AttentionMasks"/>); <c>Softmax</c> over the keys;
/// times the value (<c>MatMul</c>); rows of masked query steps set to 0 (<c>Where</c>). Dropout is not in the inference graph.
/// The query and value masks are the mask inputs, or without them the masks that arrive with the query and the value
/// (as Predict fills them); the key's is not read.
/// </summary>
internal static class ScoreAttentionConverter
{
    public static OnnxValue Convert(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape) =>
        Run(graph, layer, inputs, null, null, outputShape).Output;

    /// <summary>
    /// Both outputs of a layer with <c>ReturnAttentionScores</c>: the output, then the weights (batch, Tq, Tv) after the
    /// softmax (dropout is not in the inference graph); <paramref name="queryMask"/> and <paramref name="valueMask"/> as
    /// for <see cref="ConvertMasked"/>, null for none.
    /// </summary>
    public static OnnxValue[] Outputs(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, string? queryMask, string? valueMask)
    {
        (OnnxValue output, string weights) = Run(graph, layer, inputs, queryMask, valueMask, layer.OutputShape);
        return [output, new OnnxValue(weights, layer.OutputShapes[1], Layout.ChannelsLast)];
    }

    /// <summary>With the masks (bool) that arrive with the query and the value; the mask inputs take their place when the layer has them.</summary>
    public static OnnxValue ConvertMasked(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, IReadOnlyList<string?> masks, TensorShape outputShape) =>
        Run(graph, layer, inputs, masks[0], masks[1], outputShape).Output;

    private static (OnnxValue Output, string Weights) Run(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, string? queryMask, string? valueMask, TensorShape outputShape)
    {
        (bool useMasks, bool causal, Parameter? scale, Parameter? concatWeight, ScoreKind kind) = layer switch
        {
            Attention attention => (attention.UseMasks, attention.UseCausalMask, attention.Scale, attention.ConcatScoreWeight,
                attention.ScoreMode == AttentionScoreMode.Dot ? ScoreKind.Dot : ScoreKind.Concat),
            AdditiveAttention additive => (additive.UseMasks, additive.UseCausalMask, additive.Scale, null, ScoreKind.Additive),
            _ => throw new ArgumentException($"Layer '{layer.Name}' ({layer.TypeName}) is not a score attention layer.", nameof(layer)),
        };
        int sequences = inputs.Count - (useMasks ? 2 : 0);
        string query = inputs[0].Name, value = inputs[1].Name, key = sequences == 3 ? inputs[2].Name : value;
        int tq = inputs[0].Shape[0], tv = inputs[1].Shape[0];

        string scores = kind == ScoreKind.Dot
            ? DotScores(graph, query, key, scale)
            : TanhScores(graph, query, key, kind, scale, concatWeight);

        List<string> allowed = [];
        if (causal)
        {
            allowed.Add(AttentionMasks.Causal(graph, tq, tv));
        }

        string? valueAllowed = useMasks ? AttentionMasks.NonZero(graph, inputs[sequences + 1].Name) : valueMask is null ? null : AttentionMasks.AsFloat(graph, valueMask);
        if (valueAllowed is not null)
        {
            // The value mask (batch, Tv) allows key steps for every query step: (batch, 1, Tv).
            allowed.Add(graph.Node("Unsqueeze", [valueAllowed, graph.Int64s("axes", 1)]));
        }

        string weights = graph.Node("Softmax", [AttentionMasks.Apply(graph, scores, allowed)], OnnxAttribute.Int("axis", -1));
        string output = graph.Node("MatMul", [weights, value]);
        string? queryMasked = useMasks
            ? graph.Node("Equal", [graph.Node("Unsqueeze", [inputs[sequences].Name, graph.Int64s("axes", 2)]), graph.Scalar("zero", 0f)])
            : queryMask is null ? null : graph.Node("Not", [graph.Node("Unsqueeze", [queryMask, graph.Int64s("axes", 2)])]);
        if (queryMasked is not null)
        {
            // Masked query steps give zeros: (batch, Tq, 1) chooses between 0 and the row.
            output = graph.Node("Where", [queryMasked, graph.Scalar("zero", 0f), output]);
        }

        return (new OnnxValue(output, outputShape, Layout.ChannelsLast), weights);
    }

    // q (batch, Tq, dim) · kᵀ (batch, dim, Tv), times the scalar scale when the layer has one.
    private static string DotScores(OnnxGraphBuilder graph, string query, string key, Parameter? scale)
    {
        string raw = graph.Node("MatMul", [query, graph.Node("Transpose", [key], OnnxAttribute.Ints("perm", 0, 2, 1))]);
        return scale is null ? raw : graph.Node("Mul", [raw, graph.Initializer(scale)]);
    }

    // tanh(c · (q[t] + k[s])) over (batch, Tq, Tv, dim), then weighted and summed over dim.
    private static string TanhScores(OnnxGraphBuilder graph, string query, string key, ScoreKind kind, Parameter? scale, Parameter? concatWeight)
    {
        string sum = graph.Node("Add", [graph.Node("Unsqueeze", [query, graph.Int64s("axes", 2)]), graph.Node("Unsqueeze", [key, graph.Int64s("axes", 1)])]);
        if (kind == ScoreKind.Concat && scale is not null)
        {
            sum = graph.Node("Mul", [sum, graph.Initializer(scale)]);
        }

        string tanh = graph.Node("Tanh", [sum]);
        if (kind == ScoreKind.Additive && scale is not null)
        {
            // (…, dim) · (dim, 1) -> (…, 1): the weighted sum over dim; then the last axis dropped.
            string weighted = graph.Node("MatMul", [tanh, graph.Initializer(scale, [scale.Shape[0], 1])]);
            return graph.Node("Squeeze", [weighted, graph.Int64s("axes", -1)]);
        }

        string total = graph.Node("ReduceSum", [tanh, graph.Int64s("axes", -1)], OnnxAttribute.Int("keepdims", 0));
        return kind == ScoreKind.Concat ? graph.Node("Mul", [total, graph.Initializer(concatWeight!)]) : total;
    }

    private enum ScoreKind
    {
        Dot,
        Concat,
        Additive,
    }
}
