using NeuralNet.Layers;

namespace NeuralNet.Onnx.Converters;

/// <summary>
/// Bidirectional as two recurrent nodes, its forward and its backward layer each as <see cref="RecurrentConverter"/> writes it
/// (weights named <c>bidirectional/forward_lstm/kernel</c>, ...), the backward sequence put back in time order, then the
/// merge: Concat on the last axis, Add, Mul, or Add then Mul by 0.5 (<c>ave</c>, Predict's (f + b) · 0.5); without a merge
/// (mergeMode None), the two as the layer's two outputs. With returnState the forward layer's final states, then the
/// backward layer's, follow (see <see cref="Outputs"/>). Initial states, when the call passes them (the forward layer's,
/// then the backward layer's), start each direction as <see cref="RecurrentConverter"/> writes them.
/// </summary>
/// <remarks>
/// Not ONNX's <c>direction="bidirectional"</c>: that needs one operator type, hidden size and bias for both directions,
/// where Keras lets the backward layer be of another kind (an LSTM one way, a GRU the other) and the forward layer run
/// backwards itself; two nodes export every combination with the converter the single layers are checked with.
/// </remarks>
internal static class BidirectionalConverter
{
    public static OnnxValue Convert(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape) =>
        Run(graph, (Bidirectional)layer, inputs, null, outputShape);

    /// <summary>With the mask (batch, steps) that arrives with the input, which both directions read (Predict hands it to both).</summary>
    public static OnnxValue ConvertMasked(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, IReadOnlyList<string?> masks, TensorShape outputShape) =>
        Run(graph, (Bidirectional)layer, inputs, masks[0], outputShape);

    /// <summary>
    /// Every output of one call, as Predict gives them (Keras' order): the merged output, or without a merge (mergeMode
    /// None) the forward layer's and the backward layer's (a returned sequence in time order); then, with returnState, the
    /// forward layer's final states and the backward layer's (h, then an LSTM's c, each (batch, units)).
    /// <paramref name="mask"/> (bool (batch, steps)) when one arrives, which both directions read.
    /// </summary>
    public static OnnxValue[] Outputs(OnnxGraphBuilder graph, Bidirectional bidirectional, IReadOnlyList<OnnxValue> inputs, string? mask)
    {
        (OnnxValue[] forward, OnnxValue[] backward) = Directions(graph, bidirectional, inputs, mask);
        OnnxValue[] first = bidirectional.MergeMode == BidirectionalMergeMode.None
            ? [forward[0], backward[0]]
            : [Merge(graph, bidirectional, forward[0], backward[0], bidirectional.OutputShape)];
        return [.. first, .. forward.Skip(1), .. backward.Skip(1)];
    }

    private static OnnxValue Run(OnnxGraphBuilder graph, Bidirectional bidirectional, IReadOnlyList<OnnxValue> inputs, string? mask, TensorShape outputShape)
    {
        if (bidirectional.MergeMode == BidirectionalMergeMode.None)
        {
            // The first output alone, where a wrapper reads only that (TimeDistributed returns its layer's first output).
            return RecurrentConverter.Run(graph, (Recurrent)bidirectional.ForwardLayer, inputs[0], ForwardStates(bidirectional, inputs), outputShape, flipped: false, mask)[0];
        }

        (OnnxValue[] forward, OnnxValue[] backward) = Directions(graph, bidirectional, inputs, mask);
        return Merge(graph, bidirectional, forward[0], backward[0], outputShape);
    }

    private static OnnxValue Merge(OnnxGraphBuilder graph, Bidirectional bidirectional, OnnxValue forward, OnnxValue backward, TensorShape outputShape)
    {
        string merged = bidirectional.MergeMode switch
        {
            BidirectionalMergeMode.Concat => graph.Node("Concat", [forward.Name, backward.Name], OnnxAttribute.Int("axis", -1)),
            BidirectionalMergeMode.Sum => graph.Node("Add", [forward.Name, backward.Name]),
            BidirectionalMergeMode.Mul => graph.Node("Mul", [forward.Name, backward.Name]),
            BidirectionalMergeMode.Ave => graph.Node("Mul", [graph.Node("Add", [forward.Name, backward.Name]), graph.Scalar("half", 0.5f)]),
            _ => throw new NotSupportedException($"Layer '{bidirectional.Name}' (Bidirectional) has merge mode {bidirectional.MergeMode}, which has no ONNX form in NeuralNet.Onnx."),
        };
        return new OnnxValue(merged, outputShape, Layout.ChannelsLast);
    }

    // Each direction's outputs: its output, then its final states when the layers return them.
    private static (OnnxValue[] Forward, OnnxValue[] Backward) Directions(OnnxGraphBuilder graph, Bidirectional bidirectional, IReadOnlyList<OnnxValue> inputs, string? mask)
    {
        // OnnxExporter refuses an Rnn, inside Bidirectional too, before any conversion: the directions here are layers.
        Recurrent forwardLayer = (Recurrent)bidirectional.ForwardLayer, backwardLayer = (Recurrent)bidirectional.BackwardLayer;
        OnnxValue[] forward = RecurrentConverter.Run(graph, forwardLayer, inputs[0], ForwardStates(bidirectional, inputs), forwardLayer.OutputShape, flipped: false, mask);

        // Keras reverses the backward layer's returned sequence, so that step t of both is joined.
        IReadOnlyList<OnnxValue> backwardStates = inputs.Count > 1 ? [.. inputs.Skip(1 + forwardLayer.StateCount)] : [];
        OnnxValue[] backward = RecurrentConverter.Run(graph, backwardLayer, inputs[0], backwardStates, backwardLayer.OutputShape, flipped: bidirectional.ReturnSequences, mask);
        return (forward, backward);
    }

    // The forward layer's initial states among the call's inputs (after the sequence), none when the call passes none.
    private static IReadOnlyList<OnnxValue> ForwardStates(Bidirectional bidirectional, IReadOnlyList<OnnxValue> inputs) =>
        inputs.Count > 1 ? [.. inputs.Skip(1).Take(((Recurrent)bidirectional.ForwardLayer).StateCount)] : [];
}
