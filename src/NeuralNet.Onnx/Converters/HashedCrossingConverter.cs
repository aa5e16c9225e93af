using NeuralNet.Layers;
using NeuralNet.Onnx.Protobuf;

namespace NeuralNet.Onnx.Converters;

/// <summary>
/// HashedCrossing in standard operators, Predict's bins bit for bit: each feature's int64 bits as uint64
/// (<see cref="UInt64Graph.FromInt64Bits"/>) chained from TensorFlow's default key with <c>FingerprintCat64</c>
/// (<see cref="FarmHashGraph.FingerprintCat64"/>, wrapping uint64 arithmetic), the bin <c>cross % numBins</c>, and in
/// OneHot mode its one-hot row (<see cref="CategoryConverters"/>).
/// Predict refuses features that are not whole numbers or beyond the int64 range; the graph cannot throw: it truncates the
/// first (as a cast to int64 does) and gives the second ONNX's cast of them.
/// </summary>
internal static class HashedCrossingConverter
{
    /// <summary>TensorFlow's <c>_DEFAULT_HASH_KEY</c> of <c>sparse_cross_hashed</c> (NeuralNet.Layers' HashCross.DefaultKey).</summary>
    private const ulong DefaultKey = 0xDECAFCAFFE;

    public static OnnxValue Convert(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        var crossing = (HashedCrossing)layer;
        string cross = UInt64Graph.Constant(graph, "key", DefaultKey);
        foreach (OnnxValue input in inputs)
        {
            cross = FarmHashGraph.FingerprintCat64(graph, cross, UInt64Graph.FromInt64Bits(graph, graph.ChannelsLast(input).Name));
        }

        // Bins are below 2^24: the cast to float is exact.
        string bins = graph.Node("Mod", [cross, UInt64Graph.Constant(graph, "num_bins", (ulong)crossing.NumBins)]);
        string ids = graph.Node("Cast", [bins], OnnxAttribute.Int("to", (long)TensorProto.Types.DataType.Float));
        return crossing.OutputMode == CategoryOutputMode.Int
            ? new OnnxValue(ids, outputShape, Layout.ChannelsLast)
            : CategoryConverters.Encode(graph, ids, inputs[0].Rank, crossing.OutputMode, crossing.NumBins, outputShape);
    }
}
