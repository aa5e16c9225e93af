using NeuralNet.Layers;
using NeuralNet.Models;
using Xunit;

namespace NeuralNet.Onnx.Tests;

/// <summary>
/// Hashing and HashedCrossing in ONNX Runtime, bin for bin against Predict (itself checked against Keras' values and
/// farmhash's and SipHash's published vectors in NeuralNet.Tests) at opsets with and without <c>BitwiseXor</c>.
/// </summary>
public sealed class HashingExportTests
{
    // 13 and 17 build XOR from the operands' bits; 18 and 23 use BitwiseXor.
    private static readonly int[] s_opsets = [OnnxExporter.MinimumOpset, OnnxExporter.DefaultOpset, 18, OnnxExporter.MaximumOpset];

    [Fact]
    public void Hashing_matches_keras_test_values_at_every_opset()
    {
        // Keras' hashing_test.py: test_hash_dense_int_input_farmhash (num_bins=3: 0..4 -> 1, 0, 1, 0, 2) and
        // test_hash_dense_int_input_siphash (salt [133, 137]: 0..4 -> 1, 1, 2, 0, 1).
        Tensor tokens = Tensor.FromArray([0f, 1, 2, 3, 4], 5, 1);
        AssertExact(Chain([1], new Hashing(3, name: "bins")), [tokens], [1f, 0, 1, 0, 2]);
        AssertExact(Chain([1], new Hashing(3, salt: [133, 137], name: "bins")), [tokens], [1f, 1, 2, 0, 1]);
    }

    [Fact]
    public void Farmhash_bins_match_predict_for_tokens_of_every_decimal_length()
    {
        // 2^24 bins show the hash's low 24 bits; an odd number of bins mixes in the others.
        Tensor tokens = Tokens(seed: 1);
        AssertExact(Chain([8], new Hashing(1 << 24, name: "bins")), [tokens]);
        AssertExact(Chain([8], new Hashing((1 << 24) - 3, name: "bins")), [tokens]);
    }

    [Fact]
    public void Siphash_bins_match_predict_for_tokens_of_every_decimal_length()
    {
        // Keys with high bits set in both halves, and one salt used twice.
        Tensor tokens = Tokens(seed: 2);
        AssertExact(Chain([8], new Hashing(1 << 24, salt: [-3750763034362895579, 7046029254386353131], name: "bins")), [tokens]);
        AssertExact(Chain([8], new Hashing((1 << 24) - 3, salt: [133], name: "bins")), [tokens]);
    }

    [Fact]
    public void Mask_value_and_encodings_match_predict()
    {
        // The mask value takes bin 0 and the other tokens 1 + hash % (numBins - 1); one bin takes everything, the mask too.
        Tensor tokens = Tensor.FromArray([-3f, 0, 7, -3, 12, 123456789, -3, 5, 0, 1], 5, 2);
        AssertExact(Chain([2], new Hashing(9, maskValue: -3, name: "bins")), [tokens]);
        AssertExact(Chain([2], new Hashing(1, maskValue: -3, name: "bins")), [tokens]);
        AssertExact(Chain([2], new Hashing(4, maskValue: 0, salt: [1, 2], outputMode: CategoryOutputMode.MultiHot, name: "bins")), [tokens]);
        AssertExact(Chain([2], new Hashing(5, outputMode: CategoryOutputMode.Count, name: "bins")), [tokens]);
        AssertExact(Chain([2, 1], new Hashing(6, outputMode: CategoryOutputMode.OneHot, name: "bins")), [tokens.Reshape(5, 2, 1)]);
        float[] masked = AssertExact(Chain([2], new Hashing(9, maskValue: -3, name: "bins")), [tokens]);
        Assert.Equal(0f, masked[0]);
        Assert.All(masked.Where((_, i) => tokens.AsReadOnlySpan()[i] != -3f), bin => Assert.InRange(bin, 1f, 8f));
    }

    [Fact]
    public void Hashed_crossing_matches_predict_for_signed_and_large_features()
    {
        // One value per sample (a model's inputs have at least one axis per sample: (1)), three features crossed in order.
        var rng = new Random(4);
        Tensor Feature() => Tensor.FromArray([.. Enumerable.Range(0, 256).Select(_ => WholeFloat(rng))], 256, 1);
        Tensor[] features = [Feature(), Feature(), Feature()];
        foreach ((int bins, CategoryOutputMode mode) in new[] { (1 << 24, CategoryOutputMode.Int), ((1 << 24) - 3, CategoryOutputMode.Int), (5, CategoryOutputMode.OneHot) })
        {
            Input[] inputs = [new Input(new TensorShape(1), "a"), new Input(new TensorShape(1), "b"), new Input(new TensorShape(1), "c")];
            var model = new Functional(inputs, [new HashedCrossing(bins, mode, name: "cross").Call(inputs)], name: "crossed");
            AssertExact(model, features);
        }
    }

    [Fact]
    public void Xor_is_BitwiseXor_from_opset_18_and_no_other_bitwise_operator_is_written()
    {
        // BitwiseXor from opset 18; the bits-and-MatMul form before it (no other bitwise operator is written).
        Model model = Chain([1], new Hashing(3, salt: [133, 137], name: "bins"));
        string[] before = OpTypes(model, 17), after = OpTypes(model, 18);
        Assert.DoesNotContain("BitwiseXor", before);
        Assert.Contains("BitwiseXor", after);
        Assert.DoesNotContain(before.Concat(after), op => op is "BitwiseAnd" or "BitwiseOr" or "BitwiseNot" or "Where");
    }

    // Zero, the floats nearest ±10^k for every k up to 18 (decimal forms of 1 to 19 bytes: (float)1e11 has 11 digits),
    // the float-held tokens nearest ±2^63 that Predict accepts (19 digits, 20 bytes with the sign), and
    // random whole numbers of every magnitude up to 2^62, in rows of 8.
    private static Tensor Tokens(int seed)
    {
        var rng = new Random(seed);
        var tokens = new List<float> { 0f, 9f, -9f, 99f, -99f, 9_999_999f, -9_999_999f, 9.2233715e18f, -9.2233715e18f };
        for (int k = 0; k <= 18; k++)
        {
            tokens.Add((float)Math.Pow(10, k));
            tokens.Add(-(float)Math.Pow(10, k));
        }

        while (tokens.Count < 1024)
        {
            tokens.Add(WholeFloat(rng));
        }

        return Tensor.FromArray([.. tokens], tokens.Count / 8, 8);
    }

    // A random whole number held in a float, of magnitude up to 2^62, either sign.
    private static float WholeFloat(Random rng)
    {
        float magnitude = MathF.Floor((float)(rng.NextDouble() * Math.Pow(2, rng.Next(0, 63))));
        return rng.Next(2) == 0 ? magnitude : -magnitude;
    }

    private static Sequential Chain(int[] inputShape, Layer layer)
    {
        var model = new Sequential(name: "hashed", seed: 1);
        model.Add(new InputLayer(new TensorShape(inputShape), name: "tokens"));
        model.Add(layer);
        return model;
    }

    // ONNX Runtime's output at every opset of s_opsets equals Predict's exactly (and `expected`, when given); returns it.
    private static float[] AssertExact(Model model, Tensor[] inputs, float[]? expected = null)
    {
        Tensor prediction = model.PredictOutputs(inputs)[0];
        float[] predicted = prediction.ToArray();
        if (expected is not null)
        {
            Assert.Equal(expected, predicted);
        }

        foreach (int opset in s_opsets)
        {
            (float[] actual, int[] dimensions) = OnnxRoundTrip.RunOnnx(model.ToOnnxBytes(new OnnxExportOptions { Opset = opset }), model, inputs)[model.OutputNames[0]];
            Assert.Equal(prediction.Shape.Dimensions.ToArray(), dimensions);
            int wrong = Enumerable.Range(0, actual.Length).FirstOrDefault(i => actual[i] != predicted[i], -1);
            Assert.True(wrong < 0, wrong < 0 ? "" : $"Opset {opset}: ONNX Runtime gives {actual[wrong]} at element {wrong} where Predict gives {predicted[wrong]}.");
        }

        return predicted;
    }

    private static string[] OpTypes(Model model, int opset) =>
        [.. Onnx.Protobuf.ModelProto.Parser.ParseFrom(model.ToOnnxBytes(new OnnxExportOptions { Opset = opset })).Graph.Node.Select(n => n.OpType).Distinct()];
}
