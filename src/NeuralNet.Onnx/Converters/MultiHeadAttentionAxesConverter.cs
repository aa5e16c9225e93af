using System.Globalization;
using NeuralNet.Layers;

namespace NeuralNet.Onnx.Converters;

/// <summary>
/// MultiHeadAttention over inputs of rank above 3 (Keras' <c>attention_axes</c>), as Predict computes it: each input is
/// put in the order (batch, other axes..., attention axes..., features) by <c>Transpose</c> (none when that is already its
/// order) and <c>Reshape</c>d to (batch · groups, steps, features), one sequence per position on the other axes; the
/// rank-3 graph attends; its output is reshaped and transposed back. The attention mask is reshaped to
/// (batch, groups or 1, heads or 1, Tq or 1, Tv or 1) (the forms the layer accepts), <c>Expand</c>ed over the groups
/// when it broadcasts over them, and reshaped to (batch · groups, heads or 1, Tq or 1, Tv or 1). As the layer does at
/// these ranks (Keras' explicit path), the probabilities are multiplied by the allowed pairs after the softmax.
/// </summary>
internal static class MultiHeadAttentionAxesConverter
{
    public delegate OnnxValue SequenceConverter(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, IReadOnlyList<string?> masks, TensorShape outputShape);

    public static OnnxValue Convert(OnnxGraphBuilder graph, MultiHeadAttention attention, IReadOnlyList<OnnxValue> inputs, IReadOnlyList<string?> masks, TensorShape outputShape, SequenceConverter sequences)
    {
        int count = inputs.Count - (attention.UseAttentionMask ? 1 : 0);
        if (masks.Take(count).Any(m => m is not null))
        {
            throw new NotSupportedException($"MultiHeadAttention '{attention.Name}' gets a Keras mask with a query of rank {inputs[0].Rank}; masks that arrive with the inputs are supported for (None, steps, features) inputs only, as in Predict.");
        }

        TensorShape query = inputs[0].Shape, value = inputs[1].Shape;
        int rank = query.Rank + 1;
        int[] axes = attention.AttentionAxes is { } given ? [.. given.Select(a => a < 0 ? a + rank : a)] : [.. Enumerable.Range(1, rank - 2)];
        int[] others = [.. Enumerable.Range(1, rank - 2).Where(a => !axes.Contains(a))];
        int[] order = [.. others.Select(a => a - 1), .. axes.Select(a => a - 1), rank - 2];
        int groups = others.Aggregate(1, (p, a) => p * query[a - 1]);
        int tq = axes.Aggregate(1, (p, a) => p * query[a - 1]), tv = axes.Aggregate(1, (p, a) => p * value[a - 1]);

        var arranged = new List<OnnxValue>();
        for (int i = 0; i < count; i++)
        {
            arranged.Add(AsSequences(graph, graph.ChannelsLast(inputs[i]), order, i == 0 ? tq : tv));
        }

        if (attention.UseAttentionMask)
        {
            arranged.Add(MaskAsSequences(graph, graph.ChannelsLast(inputs[count]), attention.NumHeads, [.. others.Select(a => query[a - 1])], axes.Length, groups, tq, tv));
        }

        var sequenceOutput = new TensorShape(tq, outputShape[-1]);
        OnnxValue output = sequences(graph, attention, arranged, new string?[arranged.Count], sequenceOutput);

        // (batch · groups, Tq, output) -> (batch, arranged axes..., output) -> the query's order.
        long[] arrangedDims = [-1, .. order[..^1].Select(a => (long)query[a]), outputShape[-1]];
        string restored = graph.Node("Reshape", [output.Name, graph.Int64s("arranged_shape", arrangedDims)]);
        if (!IsIdentity(order))
        {
            long[] inverse = new long[rank];
            for (int i = 0; i < order.Length; i++)
            {
                inverse[order[i] + 1] = i + 1;
            }

            restored = graph.Node("Transpose", [restored], OnnxAttribute.Ints("perm", inverse));
        }

        return new OnnxValue(restored, outputShape, Layout.ChannelsLast);
    }

    private static bool IsIdentity(int[] order) => order.Select((a, i) => a == i).All(same => same);

    // (batch, d..., features) -> (batch · groups, steps, features).
    private static OnnxValue AsSequences(OnnxGraphBuilder graph, OnnxValue x, int[] order, int steps)
    {
        string name = x.Name;
        if (!IsIdentity(order))
        {
            name = graph.Node("Transpose", [name], OnnxAttribute.Ints("perm", [0, .. order.Select(a => (long)a + 1)]));
        }

        int features = x.Shape[-1];
        string reshaped = graph.Node("Reshape", [name, graph.Int64s("sequence_shape", -1, steps, features)]);
        return new OnnxValue(reshaped, new TensorShape(steps, features), Layout.ChannelsLast);
    }

    // The per-sample mask (a prefix of (others..., heads), query axes..., key axes...), each part full or all 1, as
    // (batch · groups, heads or 1, Tq or 1, Tv or 1).
    private static OnnxValue MaskAsSequences(OnnxGraphBuilder graph, OnnxValue mask, int heads, int[] others, int attentionAxes, int groups, int tq, int tv)
    {
        ReadOnlySpan<int> dims = mask.Shape.Dimensions;
        int lead = dims.Length - (2 * attentionAxes);
        int covered = Math.Min(lead, others.Length);
        bool othersFull = others.Length > 0 && covered == others.Length && dims[..covered].SequenceEqual(others);
        int headDim = lead == others.Length + 1 ? dims[others.Length] : 1;
        int queries = new TensorShape(dims.Slice(lead, attentionAxes)).ElementCount, keys = new TensorShape(dims[(lead + attentionAxes)..]).ElementCount;
        if ((queries != 1 && queries != tq) || (keys != 1 && keys != tv))
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"The attention mask {mask.Shape.ToBatchString()} does not broadcast to the scores; the layer should have refused it."));
        }

        string shaped = graph.Node("Reshape", [mask.Name, graph.Int64s("mask_groups_shape", -1, othersFull ? groups : 1, headDim, queries, keys)]);
        if (!othersFull && groups > 1)
        {
            shaped = graph.Node("Expand", [shaped, graph.Int64s("mask_groups", 1, groups, 1, 1, 1)]);
        }

        string sequences = graph.Node("Reshape", [shaped, graph.Int64s("mask_shape", -1, headDim, queries, keys)]);
        return new OnnxValue(sequences, new TensorShape(headDim, queries, keys), Layout.ChannelsLast);
    }
}
