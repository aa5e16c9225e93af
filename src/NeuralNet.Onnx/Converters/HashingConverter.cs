using NeuralNet.Layers;
using NeuralNet.Onnx.Protobuf;

namespace NeuralNet.Onnx.Converters;

/// <summary>
/// Hashing in standard operators, Predict's bins bit for bit: each token's decimal form as bytes
/// (<see cref="DecimalBytesGraph"/>), hashed with farmhash's <c>Fingerprint64</c> (<see cref="FarmHashGraph"/>) or, with a
/// salt, SipHash-2-4 (<see cref="SipHashGraph"/>) in wrapping uint64 arithmetic (<see cref="UInt64Graph"/>), then the bin
/// <c>hash % numBins</c> (<c>Mod</c> on uint64), or with a mask value 0 for the mask and <c>1 + hash % (numBins − 1)</c> for
/// the rest; encodings as <see cref="CategoryConverters"/>.
/// Predict refuses tokens that are not whole numbers or beyond the int64 range; the graph cannot throw: it truncates the
/// first (as Keras' cast to int64 does) and gives the second ONNX's cast of them.
/// </summary>
internal static class HashingConverter
{
    public static OnnxValue Convert(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        var hashing = (Hashing)layer;
        OnnxValue x = graph.ChannelsLast(inputs[0]);
        (string bytes, string lengths) = DecimalBytesGraph.Build(graph, x.Name, x.Rank);
        string hash = hashing.Salt is IReadOnlyList<long> salt
            ? SipHashGraph.Hash24(graph, unchecked((ulong)salt[0]), unchecked((ulong)salt[1]), bytes, lengths)
            : FarmHashGraph.Fingerprint64(graph, bytes, lengths);

        // Bins are below 2^24: the cast to float is exact.
        bool reservesMask = hashing.MaskValue is not null && hashing.NumBins > 1;
        string bins = graph.Node("Mod", [hash, UInt64Graph.Constant(graph, "num_bins", (ulong)(reservesMask ? hashing.NumBins - 1 : hashing.NumBins))]);
        string ids = graph.Node("Cast", [bins], OnnxAttribute.Int("to", (long)TensorProto.Types.DataType.Float));
        if (reservesMask)
        {
            // 1 + bin for the other tokens, 0 for the mask value (compared as floats, as Predict does).
            string isMask = graph.Node("Cast", [graph.Node("Equal", [x.Name, graph.Scalar("mask_value", hashing.MaskValue!.Value)])], OnnxAttribute.Int("to", (long)TensorProto.Types.DataType.Float));
            ids = graph.Node("Mul", [graph.Node("Add", [ids, graph.Scalar("one", 1f)]), graph.Node("Sub", [graph.Scalar("one", 1f), isMask])]);
        }

        return hashing.OutputMode == CategoryOutputMode.Int
            ? new OnnxValue(ids, outputShape, Layout.ChannelsLast)
            : CategoryConverters.Encode(graph, ids, x.Rank, hashing.OutputMode, hashing.NumBins, outputShape);
    }
}
