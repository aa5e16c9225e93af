using NeuralNet.Onnx.Protobuf;

namespace NeuralNet.Onnx.Converters;

/// <summary>
/// The bytes of whole-number tokens' decimal forms in ONNX nodes, what <c>Hashing</c> hashes (TensorFlow's
/// <c>as_string</c> of an int64, .NET's invariant <c>long.ToString()</c>: an optional '-' then the digits, no leading zero):
/// the token cast to int64, its magnitude's 19 digits by <c>Div</c> and <c>Mod</c> with powers of ten, its length counted
/// from the powers of ten it reaches, and each byte position given '-', a digit (<c>GatherElements</c>) or 0 past the end.
/// </summary>
/// <remarks>
/// Tokens are below 2^63 in magnitude (the layer refuses others), so the magnitude is an int64 of at most 19 digits and a
/// form is 1..20 bytes. The bytes are padded with zeros to <see cref="Width"/>, so that every 8-byte word the hashes read
/// from a form's last block is inside the row.
/// </remarks>
internal static class DecimalBytesGraph
{
    /// <summary>The bytes of a row: the longest form (20) rounded up to whole 8-byte words.</summary>
    public const int Width = 24;

    private const int MaxDigits = 19;

    /// <summary>
    /// The forms of <paramref name="tokens"/> (float, rank <paramref name="rank"/> with the batch axis): their bytes (...,
    /// <see cref="Width"/>) as uint64 and their lengths (...) as int64.
    /// </summary>
    public static (string Bytes, string Lengths) Build(OnnxGraphBuilder graph, string tokens, int rank)
    {
        // Cast truncates, as Keras' cast to int64; the tokens are whole numbers, which it keeps exactly.
        string token = graph.Node("Cast", [tokens], OnnxAttribute.Int("to", (long)TensorProto.Types.DataType.Int64));
        string negative = Int64(graph, graph.Node("Less", [token, graph.Int64s("zero", 0)]));
        string magnitude = graph.Node("Unsqueeze", [graph.Node("Abs", [token]), graph.Int64s("axes", rank)]);

        // Digit k (the 10^k place) of the magnitude on a new last axis, k = 0..Width − 1, as wide as the rows of positions
        // below (GatherElements reads rows as wide as its indices'); places past 18 divide by long.MaxValue: digit 0.
        long[] powers = [.. Enumerable.Range(0, Width).Select(k => k < MaxDigits ? Power(k) : long.MaxValue)];
        string digits = graph.Node("Mod", [graph.Node("Div", [magnitude, graph.Int64s("powers_of_ten", powers)]), graph.Int64s("ten", 10)]);

        // The number of digits: 1, plus one for every 10^k (k >= 1) the magnitude reaches.
        string reached = Int64(graph, graph.Node("Greater", [magnitude, graph.Int64s("below_powers_of_ten", [.. powers[1..MaxDigits].Select(p => p - 1)])]));
        string digitCount = graph.Node("Add", [graph.Node("ReduceSum", [reached, graph.Int64s("axes", rank)], OnnxAttribute.Int("keepdims", 1)), graph.Int64s("one", 1)]);
        string length = graph.Node("Add", [digitCount, graph.Node("Unsqueeze", [negative, graph.Int64s("axes", rank)])]);

        // Position i holds '-' when i < negative, the digit of place length − 1 − i when negative <= i < length, else 0.
        string positions = graph.Int64s("positions", [.. Enumerable.Range(0, Width).Select(i => (long)i)]);
        string beforeSign = Int64(graph, graph.Node("Less", [positions, graph.Node("Unsqueeze", [negative, graph.Int64s("axes", rank)])]));
        string isDigit = graph.Node("Sub", [Int64(graph, graph.Node("Less", [positions, length])), beforeSign]);
        string place = graph.Node("Mul", [graph.Node("Sub", [graph.Node("Sub", [length, graph.Int64s("one", 1)]), positions]), isDigit]);
        string digit = graph.Node("GatherElements", [digits, place], OnnxAttribute.Int("axis", -1));
        string bytes = graph.Node("Add", [
            graph.Node("Mul", [graph.Node("Add", [digit, graph.Int64s("zero_char", '0')]), isDigit]),
            graph.Node("Mul", [beforeSign, graph.Int64s("minus_char", '-')])]);
        string lengths = graph.Node("Squeeze", [length, graph.Int64s("axes", rank)]);
        return (UInt64Graph.From(graph, bytes), lengths);
    }

    private static string Int64(OnnxGraphBuilder graph, string condition) =>
        graph.Node("Cast", [condition], OnnxAttribute.Int("to", (long)TensorProto.Types.DataType.Int64));

    private static long Power(int k)
    {
        long p = 1;
        for (int i = 0; i < k; i++)
        {
            p *= 10;
        }

        return p;
    }
}
