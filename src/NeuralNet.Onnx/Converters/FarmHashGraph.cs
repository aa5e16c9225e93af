using NeuralNet.Onnx.Protobuf;
using static NeuralNet.Onnx.Converters.UInt64Graph;

namespace NeuralNet.Onnx.Converters;

/// <summary>
/// farmhash's <c>Fingerprint64</c> (NeuralNet.Layers' FarmHash, the hash of Keras' unsalted <c>Hashing</c>) in ONNX nodes,
/// for strings of 1..20 bytes (the decimal forms of <see cref="DecimalBytesGraph"/>): the three branches these lengths take
/// (<c>HashLen0to16</c>'s 1..3 and 4..7 and 8..16 bytes, <c>HashLen17to32</c>) computed for every element, and each element's
/// branch chosen by its length.
/// </summary>
internal static class FarmHashGraph
{
    // farmhash's k0, k1, k2.
    private const ulong K0 = 0xc3a5c85c97cb3127UL;
    private const ulong K1 = 0xb492b66fbe98f273UL;
    private const ulong K2 = 0x9ae16a3b2f90404fUL;

    /// <summary>
    /// The fingerprints (..., uint64) of the strings in <paramref name="bytes"/> (..., <see cref="DecimalBytesGraph.Width"/>,
    /// uint64, zeros past each end) of <paramref name="lengths"/> (..., int64, 1..20).
    /// </summary>
    public static string Fingerprint64(OnnxGraphBuilder graph, string bytes, string lengths)
    {
        string length = From(graph, lengths);
        string mul = Add(graph, Constant(graph, "k2", K2), Mul(graph, length, 2));

        // 1..3 bytes: y = s[0] + (s[len >> 1] << 8), z = len + (s[len − 1] << 2); ShiftMix((y·k2) ^ (z·k0))·k2.
        string y = Add(graph, Fetch(graph, bytes, 0, 1), ShiftLeft(graph, Fetch(graph, bytes, graph.Node("Div", [lengths, graph.Int64s("two", 2)]), 1), 8));
        string z = Add(graph, length, ShiftLeft(graph, Fetch(graph, bytes, Offset(graph, lengths, 1), 1), 2));
        string upTo3 = Mul(graph, ShiftMix(graph, Xor(graph, Mul(graph, y, K2), Mul(graph, z, K0))), K2);

        // 4..7 bytes: HashLen16(len + (Fetch32(s) << 3), Fetch32(s + len − 4), mul).
        string upTo7 = HashLen16(graph, Add(graph, length, ShiftLeft(graph, Fetch(graph, bytes, 0, 4), 3)), Fetch(graph, bytes, Offset(graph, lengths, 4), 4), mul);

        // 8..16 bytes: a = Fetch64(s) + k2, b = Fetch64(s + len − 8); HashLen16(Rotate(b, 37)·mul + a, (Rotate(a, 25) + b)·mul, mul).
        string a = Add(graph, Fetch(graph, bytes, 0, 8), Constant(graph, "k2", K2));
        string b = Fetch(graph, bytes, Offset(graph, lengths, 8), 8);
        string upTo16 = HashLen16(graph,
            Add(graph, Mul(graph, RotateRight(graph, b, 37), mul), a),
            Mul(graph, Add(graph, RotateRight(graph, a, 25), b), mul),
            mul);

        // 17..32 bytes (17..20 here): HashLen17to32.
        string a17 = Mul(graph, Fetch(graph, bytes, 0, 8), K1);
        string b17 = Fetch(graph, bytes, 8, 8);
        string c17 = Mul(graph, Fetch(graph, bytes, Offset(graph, lengths, 8), 8), mul);
        string d17 = Mul(graph, Fetch(graph, bytes, Offset(graph, lengths, 16), 8), K2);
        string upTo32 = HashLen16(graph,
            Add(graph, Add(graph, RotateRight(graph, Add(graph, a17, b17), 43), RotateRight(graph, c17, 30)), d17),
            Add(graph, Add(graph, a17, RotateRight(graph, Add(graph, b17, Constant(graph, "k2", K2)), 18)), c17),
            mul);

        // Each element's branch: below 4, 8 and 17 bytes (0/1), differences of which pick exactly one.
        string below4 = Below(graph, lengths, 4), below8 = Below(graph, lengths, 8), below17 = Below(graph, lengths, 17);
        return Select(graph,
            (below4, upTo3),
            (Sub(graph, below8, below4), upTo7),
            (Sub(graph, below17, below8), upTo16),
            (Sub(graph, Constant(graph, "one", 1), below17), upTo32));
    }

    /// <summary>
    /// TensorFlow's <c>FingerprintCat64(fp1, fp2)</c> (NeuralNet.Layers' FarmHash.FingerprintCat64), element-wise: the step
    /// of Keras' <c>HashedCrossing</c>.
    /// </summary>
    public static string FingerprintCat64(OnnxGraphBuilder graph, string fp1, string fp2)
    {
        const ulong mul = 0xc6a4a7935bd1e995UL;
        string result = Xor(graph, fp1, Constant(graph, "cat_mul", mul));
        result = Xor(graph, result, Mul(graph, ShiftMix(graph, Mul(graph, fp2, mul)), mul));
        result = Mul(graph, result, mul);
        result = Mul(graph, ShiftMix(graph, result), mul);
        return ShiftMix(graph, result);
    }

    // Murmur-inspired hashing of two words: farmhash's HashLen16(u, v, mul).
    private static string HashLen16(OnnxGraphBuilder graph, string u, string v, string mul)
    {
        string a = Mul(graph, Xor(graph, u, v), mul);
        a = ShiftMix(graph, a);
        string b = Mul(graph, Xor(graph, v, a), mul);
        b = ShiftMix(graph, b);
        return Mul(graph, b, mul);
    }

    // len − back (int64): an offset from the end of each string, negative (and read from the row's zero tail) for the
    // lengths whose branch does not read there.
    private static string Offset(OnnxGraphBuilder graph, string lengths, int back) => graph.Node("Sub", [lengths, graph.Int64s("back", back)]);

    // 1 where the length is below n, else 0 (uint64).
    private static string Below(OnnxGraphBuilder graph, string lengths, int n) =>
        graph.Node("Cast", [graph.Node("Less", [lengths, graph.Int64s("bound", n)])], OnnxAttribute.Int("to", (long)TensorProto.Types.DataType.Uint64));
}
