using NeuralNet.Layers;

namespace NeuralNet.Onnx.Converters;

/// <summary>
/// MultiHeadAttention as Predict computes it (Keras 3's formulas, rank-3 inputs): the query, key and value projected by
/// <c>MatMul</c> with their kernels read as (features, heads · size) and <c>Add</c> of their biases; split into heads by
/// <c>Reshape</c> and <c>Transpose</c> to (batch, heads, steps, size); scores q·kᵀ (<c>MatMul</c>) times 1/√keyDim;
/// −1e9 added where the causal rule or the attention mask input forbids (<see cref="AttentionMasks"/>); <c>Softmax</c>
/// over the keys; times the value heads; the heads joined back to (batch, Tq, heads · valueDim) and projected by the
/// output kernel read as (heads · valueDim, output) and its bias; with a gate (<c>UseGate</c>), the joined heads are first
/// multiplied by <c>Sigmoid</c> of the query's gate projection (<c>MatMul</c>, <c>Add</c>). Dropout is not in the inference graph. The masks that
/// arrive with the query, the value and the key (Keras' query, value and key masks) forbid the pairs of a masked query
/// step or a masked key step, as Predict's Allowed does. A <see cref="GroupedQueryAttention"/> projects its fewer key and
/// value heads and reshapes the query heads into (key/value heads, group) so one <c>MatMul</c> broadcasts each key/value
/// head over its group, which is Keras' repeat of the heads without copying them. Inputs of higher rank (Keras'
/// <c>attention_axes</c>) are laid out as sequences around this graph by <see cref="MultiHeadAttentionAxesConverter"/>.
/// </summary>
internal static class MultiHeadAttentionConverter
{
    public static OnnxValue Convert(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape) =>
        ConvertMasked(graph, layer, inputs, new string?[inputs.Count], outputShape);

    /// <summary>With the masks (bool, null for none) that arrive with the inputs: the query's, the value's and the key's are read.</summary>
    public static OnnxValue ConvertMasked(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, IReadOnlyList<string?> masks, TensorShape outputShape) =>
        inputs[0].Rank > 3
            ? MultiHeadAttentionAxesConverter.Convert(graph, (MultiHeadAttention)layer, inputs, masks, outputShape,
                (g, l, i, m, o) => ConvertSequences(g, l, i, m, o, zeroMaskedProbabilities: true).Output)
            : ConvertSequences(graph, layer, inputs, masks, outputShape, zeroMaskedProbabilities: false).Output;

    /// <summary>
    /// Both outputs of a layer with <c>ReturnAttentionScores</c> (rank-3 inputs): the output, then the probabilities
    /// (batch, heads, Tq, Tv) before the value product, masked pairs multiplied by 0 as on Keras' explicit path, which the
    /// layer follows when it returns them.
    /// </summary>
    public static OnnxValue[] Outputs(OnnxGraphBuilder graph, MultiHeadAttention layer, IReadOnlyList<OnnxValue> inputs, IReadOnlyList<string?> masks)
    {
        (OnnxValue output, string probabilities) = ConvertSequences(graph, layer, inputs, masks, layer.OutputShape, zeroMaskedProbabilities: true);
        return [output, new OnnxValue(probabilities, layer.OutputShapes[1], Layout.ChannelsLast)];
    }

    // zeroMaskedProbabilities: the probabilities are multiplied by the allowed pairs after the softmax (Keras' explicit
    // path, which the layer follows for inputs of higher rank), so a row with every key masked is 0.
    private static (OnnxValue Output, string Probabilities) ConvertSequences(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, IReadOnlyList<string?> masks, TensorShape outputShape,
        bool zeroMaskedProbabilities)
    {
        var attention = (MultiHeadAttention)layer;

        int heads = attention.NumHeads, keyDim = attention.KeyDim, valueDim = attention.ValueDim;
        int kvHeads = attention is GroupedQueryAttention grouped ? grouped.NumKeyValueHeads : heads, group = heads / kvHeads;
        int sequences = inputs.Count - (attention.UseAttentionMask ? 1 : 0);
        OnnxValue query = inputs[0], value = inputs[1], key = sequences == 3 ? inputs[2] : value;
        int tq = query.Shape[0], tv = value.Shape[0];

        // (batch, heads, Tq, keyDim), (batch, kvHeads, keyDim, Tv) and (batch, kvHeads, Tv, valueDim).
        string q = Heads(graph, query, attention.QueryKernel, attention.QueryBias, heads, keyDim, [0, 2, 1, 3]);
        string kTransposed = Heads(graph, key, attention.KeyKernel, attention.KeyBias, kvHeads, keyDim, [0, 2, 3, 1]);
        string v = Heads(graph, value, attention.ValueKernel, attention.ValueBias, kvHeads, valueDim, [0, 2, 1, 3]);

        string products = group == 1
            ? graph.Node("MatMul", [q, kTransposed])
            : Ungroup(graph, graph.Node("MatMul", [Group(graph, q, kvHeads, group, tq, keyDim), graph.Node("Unsqueeze", [kTransposed, graph.Int64s("axes", 2)])]), heads, tq, tv);
        string scores = graph.Node("Mul", [products, graph.Scalar("scale", (float)(1.0 / Math.Sqrt(keyDim)))]);
        List<string> allowed = [];
        if (attention.UseCausalMask)
        {
            allowed.Add(AttentionMasks.Causal(graph, tq, tv));
        }

        if (attention.UseAttentionMask)
        {
            // (batch, Tq, Tv) applies to every head: (batch, 1, Tq, Tv); (batch, heads, Tq, Tv) as it is. Axes of 1 broadcast.
            OnnxValue mask = graph.ChannelsLast(inputs[sequences]);
            string nonZero = AttentionMasks.NonZero(graph, mask.Name);
            allowed.Add(mask.Rank == 3 ? graph.Node("Unsqueeze", [nonZero, graph.Int64s("axes", 1)]) : nonZero);
        }

        // Query steps (batch, 1, Tq, 1); value and key steps (batch, 1, 1, Tv).
        foreach ((string? mask, long[] axes) in new[] { (masks[0], new long[] { 1, 3 }), (masks[1], [1, 2]), (sequences == 3 ? masks[2] : null, [1, 2]) })
        {
            if (mask is not null)
            {
                allowed.Add(graph.Node("Unsqueeze", [AttentionMasks.AsFloat(graph, mask), graph.Int64s("axes", axes)]));
            }
        }

        string? all = allowed.Count > 0 ? AttentionMasks.Combine(graph, allowed) : null;
        string probabilities = graph.Node("Softmax", [all is null ? scores : AttentionMasks.ApplyCombined(graph, scores, all)], OnnxAttribute.Int("axis", -1));
        if (zeroMaskedProbabilities && all is not null)
        {
            probabilities = graph.Node("Mul", [probabilities, all]);
        }

        string weighted = group == 1
            ? graph.Node("MatMul", [probabilities, v])
            : Ungroup(graph, graph.Node("MatMul", [Group(graph, probabilities, kvHeads, group, tq, tv), graph.Node("Unsqueeze", [v, graph.Int64s("axes", 2)])]), heads, tq, valueDim);
        string context = graph.Node("Transpose", [weighted], OnnxAttribute.Ints("perm", 0, 2, 1, 3));
        string joined = graph.Node("Reshape", [context, graph.Int64s("context_shape", 0, tq, heads * valueDim)]);
        if (attention.GateKernel is { } gateKernel)
        {
            // Keras' gated attention: the joined heads times sigmoid(query·Wg + bg), Wg read as (features, heads · valueDim).
            string gate = graph.Node("MatMul", [query.Name, graph.Initializer(gateKernel, [gateKernel.Shape[0], heads * valueDim])]);
            if (attention.GateBias is { } gateBias)
            {
                gate = graph.Node("Add", [gate, graph.Initializer(gateBias, [heads * valueDim])]);
            }

            joined = graph.Node("Mul", [joined, graph.Node("Sigmoid", [gate])]);
        }

        string output = graph.Node("MatMul", [joined, graph.Initializer(attention.OutputKernel, [heads * valueDim, outputShape[-1]])]);
        if (attention.OutputBias is { } outputBias)
        {
            output = graph.Node("Add", [output, graph.Initializer(outputBias)]);
        }

        return (new OnnxValue(output, outputShape, Layout.ChannelsLast), probabilities);
    }

    // (batch, heads, rows, columns) -> (batch, kvHeads, group, rows, columns): query head h is (h / group, h % group).
    private static string Group(OnnxGraphBuilder graph, string x, int kvHeads, int group, int rows, int columns) =>
        graph.Node("Reshape", [x, graph.Int64s("grouped_shape", 0, kvHeads, group, rows, columns)]);

    // (batch, kvHeads, group, rows, columns) -> (batch, heads, rows, columns).
    private static string Ungroup(OnnxGraphBuilder graph, string x, int heads, int rows, int columns) =>
        graph.Node("Reshape", [x, graph.Int64s("heads_shape", 0, heads, rows, columns)]);

    // x (batch, steps, features) · W (features, heads · size) + b (heads · size), as (batch, steps, heads, size) permuted by 'perm'.
    private static string Heads(OnnxGraphBuilder graph, OnnxValue x, Parameter kernel, Parameter? bias, int heads, int size, long[] perm)
    {
        string projected = graph.Node("MatMul", [x.Name, graph.Initializer(kernel, [kernel.Shape[0], heads * size])]);
        if (bias is not null)
        {
            projected = graph.Node("Add", [projected, graph.Initializer(bias, [heads * size])]);
        }

        string split = graph.Node("Reshape", [projected, graph.Int64s("heads_shape", 0, x.Shape[0], heads, size)]);
        return graph.Node("Transpose", [split], OnnxAttribute.Ints("perm", perm));
    }
}
