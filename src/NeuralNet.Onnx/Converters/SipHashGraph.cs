using static NeuralNet.Onnx.Converters.UInt64Graph;

namespace NeuralNet.Onnx.Converters;

/// <summary>
/// SipHash-2-4 (NeuralNet.Layers' SipHash, the hash of Keras' salted <c>Hashing</c>) in ONNX nodes, for strings of 1..20
/// bytes (<see cref="DecimalBytesGraph"/>): the key's initial state folded into constants, the two 8-byte blocks a string
/// may have compressed for every element and kept where the string has them, then the last block (the remaining bytes,
/// read with the row's zeros after them, plus the length's byte on top) and the finalization.
/// </summary>
internal static class SipHashGraph
{
    /// <summary>
    /// The hashes (..., uint64) under the key (<paramref name="k0"/>, <paramref name="k1"/>) of the strings in
    /// <paramref name="bytes"/> (..., <see cref="DecimalBytesGraph.Width"/>, uint64, zeros past each end) of
    /// <paramref name="lengths"/> (..., int64, 1..20).
    /// </summary>
    public static string Hash24(OnnxGraphBuilder graph, ulong k0, ulong k1, string bytes, string lengths)
    {
        string[] v =
        [
            Constant(graph, "v0", k0 ^ 0x736f6d6570736575UL),
            Constant(graph, "v1", k1 ^ 0x646f72616e646f6dUL),
            Constant(graph, "v2", k0 ^ 0x6c7967656e657261UL),
            Constant(graph, "v3", k1 ^ 0x7465646279746573UL),
        ];

        // The whole 8-byte blocks: a 20-byte string has at most two. Each is compressed for every element and its state kept
        // where the string holds the block (old + has · (new − old), exact modulo 2^64).
        for (int block = 0; block < 2; block++)
        {
            string m = Fetch(graph, bytes, 8 * block, 8);
            string[] next = Compress(graph, v, m);
            string has = From(graph, graph.Node("Not", [graph.Node("Less", [lengths, graph.Int64s("block_end", 8 * (block + 1))])]));
            for (int i = 0; i < 4; i++)
            {
                v[i] = Add(graph, v[i], Mul(graph, has, Sub(graph, next[i], v[i])));
            }
        }

        // The last block: the 0..7 bytes after the whole blocks (the row's zeros after them) and the length's low byte on top.
        string whole = graph.Node("Mul", [graph.Node("Div", [lengths, graph.Int64s("eight", 8)]), graph.Int64s("eight", 8)]);
        string last = Add(graph, Fetch(graph, bytes, whole, 8), ShiftLeft(graph, From(graph, lengths), 56));
        v = Compress(graph, v, last);
        v[2] = Xor(graph, v[2], Constant(graph, "ff", 0xff));
        for (int i = 0; i < 4; i++)
        {
            v = Round(graph, v);
        }

        return Xor(graph, Xor(graph, v[0], v[1]), Xor(graph, v[2], v[3]));
    }

    // One block m: v3 ^= m, two SipRounds, v0 ^= m.
    private static string[] Compress(OnnxGraphBuilder graph, string[] v, string m)
    {
        string[] state = [v[0], v[1], v[2], Xor(graph, v[3], m)];
        state = Round(graph, Round(graph, state));
        state[0] = Xor(graph, state[0], m);
        return state;
    }

    // One SipRound.
    private static string[] Round(OnnxGraphBuilder graph, string[] v)
    {
        string v0 = Add(graph, v[0], v[1]);
        string v1 = Xor(graph, RotateLeft(graph, v[1], 13), v0);
        v0 = RotateLeft(graph, v0, 32);
        string v2 = Add(graph, v[2], v[3]);
        string v3 = Xor(graph, RotateLeft(graph, v[3], 16), v2);
        v0 = Add(graph, v0, v3);
        v3 = Xor(graph, RotateLeft(graph, v3, 21), v0);
        v2 = Add(graph, v2, v1);
        v1 = Xor(graph, RotateLeft(graph, v1, 17), v2);
        v2 = RotateLeft(graph, v2, 32);
        return [v0, v1, v2, v3];
    }
}
