using System.Globalization;
using NeuralNet.Onnx.Protobuf;

namespace NeuralNet.Onnx.Converters;

/// <summary>
/// Wrapping 64-bit unsigned arithmetic in ONNX nodes, for the hashes of <see cref="HashingConverter"/>: <c>Add</c>,
/// <c>Sub</c> and <c>Mul</c> on uint64 (arithmetic modulo 2^64, as C++'s unsigned integers, NumPy's uint64 — ONNX's
/// reference — and ONNX Runtime compute it), <c>BitShift</c> (opset 11) for the shifts and rotations, and XOR as
/// <c>BitwiseXor</c> from opset 18, and before it from the operands' 64 bits (see <see cref="Xor"/>).
/// </summary>
/// <remarks>
/// Only what the hashes need and ONNX Runtime's CPU kernels take on uint64: no <c>Where</c> (no uint64 kernel: a choice is
/// a sum of products with 0/1, exact modulo 2^64) and no <c>ReduceSum</c> (none either: sums over an axis are a
/// <c>MatMul</c>). A rotation's two shifted halves share no bit, so they are added rather than OR-ed (no bitwise operator
/// before opset 18).
/// </remarks>
internal static class UInt64Graph
{
    /// <summary>The opset of <c>BitwiseXor</c>.</summary>
    private const int BitwiseOpset = 18;

    /// <summary>A uint64 scalar constant, written once per value in a graph.</summary>
    public static string Constant(OnnxGraphBuilder graph, string suffix, ulong value) =>
        graph.Shared(string.Create(CultureInfo.InvariantCulture, $"uint64/{value}"), () => graph.UInt64s(suffix, [], value));

    /// <summary><paramref name="value"/> (bool or int64) as uint64.</summary>
    public static string From(OnnxGraphBuilder graph, string value) =>
        graph.Node("Cast", [value], OnnxAttribute.Int("to", (long)TensorProto.Types.DataType.Uint64));

    /// <summary>
    /// The bits of whole-number floats cast to int64, as uint64 (C#'s <c>unchecked((ulong)(long)x)</c>): the magnitude
    /// times 1 or −1 modulo 2^64, which does not lean on how a cast of a negative int64 to uint64 behaves.
    /// </summary>
    public static string FromInt64Bits(OnnxGraphBuilder graph, string floats)
    {
        string token = graph.Node("Cast", [floats], OnnxAttribute.Int("to", (long)TensorProto.Types.DataType.Int64));
        string negative = From(graph, graph.Node("Less", [token, graph.Int64s("zero", 0)]));
        string sign = Sub(graph, Constant(graph, "one", 1), Mul(graph, negative, 2));
        return Mul(graph, From(graph, graph.Node("Abs", [token])), sign);
    }

    /// <summary>a + b modulo 2^64.</summary>
    public static string Add(OnnxGraphBuilder graph, string a, string b) => graph.Node("Add", [a, b]);

    /// <summary>a − b modulo 2^64.</summary>
    public static string Sub(OnnxGraphBuilder graph, string a, string b) => graph.Node("Sub", [a, b]);

    /// <summary>a · b modulo 2^64.</summary>
    public static string Mul(OnnxGraphBuilder graph, string a, string b) => graph.Node("Mul", [a, b]);

    /// <summary>a · b modulo 2^64 for a constant <paramref name="b"/>.</summary>
    public static string Mul(OnnxGraphBuilder graph, string a, ulong b) => Mul(graph, a, Constant(graph, "k", b));

    /// <summary>a &gt;&gt; bits (0 &lt; bits &lt; 64).</summary>
    public static string ShiftRight(OnnxGraphBuilder graph, string a, int bits) => Shift(graph, a, bits, "RIGHT");

    /// <summary>a &lt;&lt; bits modulo 2^64 (0 &lt; bits &lt; 64).</summary>
    public static string ShiftLeft(OnnxGraphBuilder graph, string a, int bits) => Shift(graph, a, bits, "LEFT");

    /// <summary>a rotated right by <paramref name="bits"/> (0 &lt; bits &lt; 64): farmhash's <c>Rotate</c>.</summary>
    public static string RotateRight(OnnxGraphBuilder graph, string a, int bits) =>
        Add(graph, ShiftRight(graph, a, bits), ShiftLeft(graph, a, 64 - bits));

    /// <summary>a rotated left by <paramref name="bits"/> (0 &lt; bits &lt; 64): SipHash's <c>ROTL</c>.</summary>
    public static string RotateLeft(OnnxGraphBuilder graph, string a, int bits) => RotateRight(graph, a, 64 - bits);

    /// <summary>a XOR (a &gt;&gt; 47): farmhash's <c>ShiftMix</c>.</summary>
    public static string ShiftMix(OnnxGraphBuilder graph, string a) => Xor(graph, a, ShiftRight(graph, a, 47));

    /// <summary>
    /// a XOR b: <c>BitwiseXor</c> from opset 18; before it, each operand's 64 bits on a new last axis (<c>BitShift</c> by
    /// 0..63, <c>Mod</c> 2), their sum modulo 2 bit by bit, and the bits put back together by a <c>MatMul</c> with 2^0..2^63.
    /// </summary>
    public static string Xor(OnnxGraphBuilder graph, string a, string b)
    {
        if (graph.Opset >= BitwiseOpset)
        {
            return graph.Node("BitwiseXor", [a, b]);
        }

        string sum = graph.Node("Add", [Bits(graph, a), Bits(graph, b)]);
        string bits = graph.Node("Mod", [sum, Constant(graph, "two", 2)]);
        string powers = graph.Shared("uint64/powers", () => graph.UInt64s("powers_of_two", [64, 1], [.. Enumerable.Range(0, 64).Select(k => 1UL << k)]));
        return Squeezed(graph, graph.Node("MatMul", [bits, powers]));
    }

    /// <summary>
    /// The little-endian word of <paramref name="count"/> (1..8) bytes from <paramref name="bytes"/> (..., n), uint64 values
    /// below 256, starting at a constant <paramref name="offset"/> of every row: farmhash's <c>Fetch64</c> / <c>Fetch32</c>.
    /// </summary>
    public static string Fetch(OnnxGraphBuilder graph, string bytes, int offset, int count)
    {
        string slice = graph.Node("Slice", [bytes, graph.Int64s("starts", offset), graph.Int64s("ends", offset + count), graph.Int64s("axes", -1)]);
        return Word(graph, slice, count);
    }

    /// <summary>
    /// The same from an offset that differs by row: <paramref name="offsets"/> (...), int64, each between −n and n − count
    /// (a negative offset counts from the end, as <c>GatherElements</c> does: the hashes read there only for lengths whose
    /// result they then discard).
    /// </summary>
    public static string Fetch(OnnxGraphBuilder graph, string bytes, string offsets, int count)
    {
        string steps = graph.Int64s("byte_steps", [.. Enumerable.Range(0, count).Select(i => (long)i)]);
        string indices = graph.Node("Add", [graph.Node("Unsqueeze", [offsets, graph.Int64s("axes", -1)]), steps]);
        return Word(graph, graph.Node("GatherElements", [bytes, indices], OnnxAttribute.Int("axis", -1)), count);
    }

    /// <summary>
    /// <paramref name="choices"/>' values, each where its 0/1 uint64 selector is 1 (exactly one selector per element is):
    /// the sum of the products, exact modulo 2^64.
    /// </summary>
    public static string Select(OnnxGraphBuilder graph, params (string Selector, string Value)[] choices)
    {
        string sum = Mul(graph, choices[0].Selector, choices[0].Value);
        for (int i = 1; i < choices.Length; i++)
        {
            sum = Add(graph, sum, Mul(graph, choices[i].Selector, choices[i].Value));
        }

        return sum;
    }

    // A row of count bytes (..., count) as one little-endian word: a MatMul with 256^0..256^(count − 1).
    private static string Word(OnnxGraphBuilder graph, string row, int count)
    {
        string weights = graph.UInt64s("byte_weights", [count, 1], [.. Enumerable.Range(0, count).Select(i => 1UL << (8 * i))]);
        return Squeezed(graph, graph.Node("MatMul", [row, weights]));
    }

    // The 64 bits of a (...) on a new last axis (..., 64), bit k at index k.
    private static string Bits(OnnxGraphBuilder graph, string a)
    {
        string shifts = graph.Shared("uint64/shifts", () => graph.UInt64s("bit_shifts", [64], [.. Enumerable.Range(0, 64).Select(k => (ulong)k)]));
        string shifted = graph.Node("BitShift", [graph.Node("Unsqueeze", [a, graph.Int64s("axes", -1)]), shifts], OnnxAttribute.String("direction", "RIGHT"));
        return graph.Node("Mod", [shifted, Constant(graph, "two", 2)]);
    }

    private static string Squeezed(OnnxGraphBuilder graph, string value) => graph.Node("Squeeze", [value, graph.Int64s("axes", -1)]);

    private static string Shift(OnnxGraphBuilder graph, string a, int bits, string direction) =>
        graph.Node("BitShift", [a, Constant(graph, "shift", (ulong)bits)], OnnxAttribute.String("direction", direction));
}
