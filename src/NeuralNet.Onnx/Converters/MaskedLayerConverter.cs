using NeuralNet.Layers;

namespace NeuralNet.Onnx.Converters;

/// <summary>
/// Writes one call of a layer whose values depend on the masks arriving with its inputs: as <see cref="LayerConverter"/>,
/// with <paramref name="masks"/> holding one bool value (batch, ...) per input, true where a position is real, or null
/// for an input without a mask.
/// </summary>
internal delegate OnnxValue MaskedLayerConverter(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, IReadOnlyList<string?> masks, TensorShape outputShape);

/// <summary>The layers whose masked computation has an ONNX form, by exact type (see <see cref="MaskFlow"/>).</summary>
internal static class MaskedLayerConverters
{
    private static readonly Dictionary<Type, MaskedLayerConverter> Converters = new()
    {
        [typeof(SimpleRnn)] = RecurrentConverter.ConvertMasked,
        [typeof(Lstm)] = RecurrentConverter.ConvertMasked,
        [typeof(Gru)] = RecurrentConverter.ConvertMasked,
        [typeof(Bidirectional)] = BidirectionalConverter.ConvertMasked,
        [typeof(GlobalAveragePooling1D)] = SequenceConverters.MaskedGlobalAverage,
        [typeof(Attention)] = ScoreAttentionConverter.ConvertMasked,
        [typeof(AdditiveAttention)] = ScoreAttentionConverter.ConvertMasked,
        [typeof(MultiHeadAttention)] = MultiHeadAttentionConverter.ConvertMasked,
        [typeof(GroupedQueryAttention)] = MultiHeadAttentionConverter.ConvertMasked,
        [typeof(Multiply)] = MergeConverters.MaskedMultiply,
        [typeof(Maximum)] = MergeConverters.MaskedMaximum,
        [typeof(Minimum)] = MergeConverters.MaskedMinimum,
    };

    /// <summary>The masked converter for <paramref name="layer"/>, or null when its masked computation has no ONNX form.</summary>
    public static MaskedLayerConverter? Find(Layer layer) =>
        layer is TimeDistributed timeDistributed
            ? TimeDistributedConverter.WritesMasked(timeDistributed) ? TimeDistributedConverter.ConvertMasked : null
            : Converters.GetValueOrDefault(layer.GetType());
}
