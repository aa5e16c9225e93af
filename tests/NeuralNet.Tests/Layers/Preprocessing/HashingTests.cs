using System.Text.Json;
using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Serialization;
using NeuralNet.Tests.Layers.Normalization;
using Xunit;

namespace NeuralNet.Tests.Layers.Preprocessing;

// Expectations from Keras 3's hashing_test.py (integer inputs, hashed as their decimal strings).
public class HashingTests
{
    private static readonly Tensor s_zeroToFour = Tensor.FromArray([0f, 1, 2, 3, 4], 5, 1);

    private static float[] Run(Hashing layer, Tensor x) => layer.Forward(x, training: false).ToArray();

    [Fact]
    public void Forward_KerasFarmHashIntegerValues_Match()
    {
        // test_hash_dense_int_input_farmhash and test_tensor_like_inputs: num_bins=3 maps 0..4 to 1, 0, 1, 0, 2.
        Assert.Equal([1f, 0, 1, 0, 2], Run(new Hashing(3), s_zeroToFour));
        Assert.Equal([1f, 0, 1, 0, 2], Run(new Hashing(3), Tensor.FromArray([0f, 1, 2, 3, 4], 5)));

        // test_hash_list_input: num_bins=2 maps 1, 2, 3, 4 to 1 in every layout.
        Assert.Equal([1f, 1, 1], Run(new Hashing(2), Tensor.FromArray([1f, 2, 3], 3)));
        Assert.Equal([1f, 1, 1, 1, 1, 1], Run(new Hashing(2), Tensor.FromArray(new float[,] { { 1, 2 }, { 2, 3 }, { 3, 4 } })));
        Assert.Equal([1f, 1, 1, 1, 1, 1], Run(new Hashing(2), Tensor.FromArray([1f, 2, 2, 3, 3, 4], 3, 2, 1)));

        // The commented-out ragged test: [[0, 1, 3, 4], [2, 1, 0]] -> [[1, 0, 0, 2], [1, 0, 1]].
        Assert.Equal([1f, 0, 0, 2], Run(new Hashing(3), Tensor.FromArray([0f, 1, 3, 4], 1, 4)));
    }

    [Fact]
    public void Forward_KerasSipHashIntegerValues_Match()
    {
        // test_hash_dense_int_input_siphash: salt [133, 137], num_bins=3 maps 0..4 to 1, 1, 2, 0, 1.
        var salted = new Hashing(3, salt: [133, 137]);
        Assert.Equal([1f, 1, 2, 0, 1], Run(salted, s_zeroToFour));
        Assert.Equal([133L, 137], salted.Salt);

        // A single salt is used twice (Keras: salt=133 is salt=[133, 133]).
        Assert.Equal(Run(new Hashing(7, salt: [133, 133]), s_zeroToFour), Run(new Hashing(7, salt: [133]), s_zeroToFour));
        Assert.Equal([133L, 133], new Hashing(7, salt: [133]).Salt);
    }

    [Fact]
    public void Forward_AgainstPlainReference_MatchesForRandomTokensBinsMasksAndSalts()
    {
        var rng = new Random(11);
        for (int trial = 0; trial < 40; trial++)
        {
            int bins = rng.Next(1, 50);
            long? mask = rng.Next(3) == 0 ? rng.Next(-5, 5) : null;
            long[]? salt = rng.Next(2) == 0 ? [rng.NextInt64(), rng.NextInt64()] : null;
            float[] tokens = [.. Enumerable.Range(0, 24).Select(_ => (float)rng.Next(-100_000, 100_000))];
            tokens[0] = mask ?? tokens[0];
            float[] actual = Run(new Hashing(bins, mask, salt), Tensor.FromArray(tokens, 4, 6));
            for (int i = 0; i < tokens.Length; i++)
            {
                Assert.Equal(ReferenceBin((long)tokens[i], bins, mask, salt), actual[i]);
            }
        }
    }

    [Fact]
    public void Forward_MaskValue_TakesBinZeroAndShiftsTheOthers()
    {
        // Bins with a mask are 1 + hash % (numBins - 1): with numBins=4 the others match numBins=3 shifted by one.
        var masked = new Hashing(4, maskValue: 2);
        float[] plain = Run(new Hashing(3), s_zeroToFour);
        Assert.Equal([plain[0] + 1, plain[1] + 1, 0, plain[3] + 1, plain[4] + 1], Run(masked, s_zeroToFour));

        // Keras keeps the rule only when num_bins > 1: one bin takes everything, the mask included.
        Assert.Equal([0f, 0, 0, 0, 0], Run(new Hashing(1, maskValue: 2), s_zeroToFour));
        Assert.Equal([0f, 0, 0, 0, 0], Run(new Hashing(1), s_zeroToFour));
    }

    [Fact]
    public void Forward_EncodedModes_MatchKerasShapesAndValues()
    {
        // test_one_hot_output: input (None, 1) of 0..4, num_bins=3.
        var oneHot = new Hashing(3, outputMode: CategoryOutputMode.OneHot);
        oneHot.Build(new TensorShape(1));
        Assert.Equal(new TensorShape(3), oneHot.OutputShape);
        Assert.Equal([0f, 1, 0, 1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 1], Run(oneHot, s_zeroToFour));

        // One-hot of a row of several tokens appends the depth.
        var rows = new Hashing(3, outputMode: CategoryOutputMode.OneHot);
        Tensor encoded = rows.Forward(Tensor.FromArray([0f, 4], 1, 2), training: false);
        Assert.Equal([1, 2, 3], encoded.Shape.Dimensions.ToArray());
        Assert.Equal([0f, 1, 0, 0, 0, 1], encoded.ToArray());

        // test_multi_hot_output and test_count_output: [[0, 1, 2, 3, 4]] -> [[1, 1, 1]] and [[2, 2, 1]].
        Tensor row = Tensor.FromArray([0f, 1, 2, 3, 4], 1, 5);
        var multiHot = new Hashing(3, outputMode: CategoryOutputMode.MultiHot);
        Assert.Equal([1f, 1, 1], Run(multiHot, row));
        Assert.Equal(new TensorShape(3), multiHot.OutputShape);
        Assert.Equal([2f, 2, 1], Run(new Hashing(3, outputMode: CategoryOutputMode.Count), row));

        // A masked token is counted in bin 0, as Keras' encode_categorical_inputs counts every index.
        Assert.Equal(1f, Run(new Hashing(4, maskValue: 2, outputMode: CategoryOutputMode.Count), row)[0]);
    }

    [Fact]
    public void Backward_IsZero_AndFollowsTheBatch()
    {
        var layer = new Hashing(5);
        Tensor x = Tensor.FromArray(new float[,] { { 1, 2 }, { 3, 4 } });
        layer.Forward(x, training: true);
        Tensor gradient = layer.Backward(Tensor.Ones(2, 2));
        Assert.Equal(new float[4], gradient.ToArray());
        Assert.Throws<InvalidOperationException>(() => layer.Backward(Tensor.Ones(3, 2)));
    }

    [Fact]
    public void BadInput_ThrowsWithKerasMessages()
    {
        Assert.Contains("The numBins of Hashing must be a positive number of bins (the mask value's bin included). Received: numBins=0.", Assert.Throws<ArgumentOutOfRangeException>(() => new Hashing(0)).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Hashing(-1));
        Assert.Contains("The salt of Hashing can only be two integers, or a single integer (used twice). Received: salt=[133, 137, 177].", Assert.Throws<ArgumentException>(() => new Hashing(1, salt: [133, 137, 177])).Message, StringComparison.Ordinal);
        Assert.Equal("salt", Assert.Throws<ArgumentException>(() => new Hashing(2, salt: [])).ParamName);
        Assert.Equal("outputMode", Assert.Throws<ArgumentOutOfRangeException>(() => new Hashing(3, outputMode: (CategoryOutputMode)9)).ParamName);
        Assert.Equal("maskValue", Assert.Throws<ArgumentException>(() => new Hashing(3, maskValue: 16_777_217)).ParamName);

        var layer = new Hashing(3, name: "h");
        Tensor x = Tensor.FromArray(new float[,] { { 1, 2 }, { 3, 2.5f } });
        string message = Assert.Throws<ArgumentException>(() => layer.Forward(x, training: false)).Message;
        Assert.Contains("Hashing 'h' expects whole-number tokens but sample 1 at position 1 holds 2.5", message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => layer.Forward(Tensor.FromArray([float.NaN], 1, 1), training: false));
        Assert.Contains("expects tokens in the int64 range", Assert.Throws<ArgumentException>(() => layer.Forward(Tensor.FromArray([1e19f, 1f], 1, 2), training: false)).Message, StringComparison.Ordinal);

        // Bins are floats: above 2^24 neighbouring bins would merge and the top one round out of range.
        Assert.Contains("must be at most 16777216", Assert.Throws<ArgumentOutOfRangeException>(() => new Hashing((1 << 24) + 1)).Message, StringComparison.Ordinal);
        Assert.Contains("must be at most 16777216", Assert.Throws<ArgumentOutOfRangeException>(() => new HashedCrossing((1 << 24) + 1)).Message, StringComparison.Ordinal);
        _ = new Hashing(1 << 24);

        // No input can equal a mask beyond the int64 range floats reach (float-to-long conversion saturates on .NET 9+).
        Assert.Equal("maskValue", Assert.Throws<ArgumentException>(() => new Hashing(3, maskValue: long.MaxValue)).ParamName);
    }

    [Fact]
    public void Config_KerasKeysAndValues_RoundTrip()
    {
        var layer = new Hashing(8, maskValue: 0, salt: [133, 137], outputMode: CategoryOutputMode.Count, name: "hash");
        Config config = layer.GetConfig();
        Assert.Equal("""{"name":"hash","trainable":true,"dtype":"float32","num_bins":8,"salt":[133,137],"mask_value":0,"output_mode":"count","sparse":false}""", config.ToJson());
        Assert.Equal(config.ToJson(), SerializationRegistry.Recreate(layer).GetConfig().ToJson());
        var plain = new Hashing(8, name: "plain");
        Assert.Contains("\"salt\":null,\"mask_value\":null,\"output_mode\":\"int\"", plain.GetConfig().ToJson(), StringComparison.Ordinal);
        Assert.Equal(plain.GetConfig().ToJson(), SerializationRegistry.Recreate(plain).GetConfig().ToJson());

        // Keras' own config (dtype int64 in int mode) and its single-integer salt.
        Hashing keras = Hashing.FromConfig(Read("""{"name": "hashing", "trainable": true, "dtype": "int64", "num_bins": 3, "salt": 133, "mask_value": null, "output_mode": "int", "sparse": false}"""));
        Assert.Equal([133L, 133], keras.Salt);
        Assert.Equal(Run(new Hashing(3, salt: [133, 133]), s_zeroToFour), Run(keras, s_zeroToFour));
    }

    [Theory]
    [InlineData("""{"name": "h", "num_bins": 3, "sparse": true}""", "sparse outputs are not supported")]
    [InlineData("""{"name": "h", "num_bins": 0}""", "numBins=0")]
    [InlineData("""{"name": "h", "num_bins": 3, "salt": "string"}""", "\"salt\" must be null, an integer or a list of 2 integers")]
    [InlineData("""{"name": "h", "num_bins": 3, "salt": [1]}""", "Received: salt=[1]")]
    [InlineData("""{"name": "h", "num_bins": 1, "salt": [133, 137, 177]}""", "can only be a list of 2 integers, or a single integer. Received: salt=[133,137,177]")]
    [InlineData("""{"name": "h", "num_bins": 3, "salt": [1, "a"]}""", "\"salt\"[1] is")]
    [InlineData("""{"name": "h", "num_bins": 3, "mask_value": ""}""", "hash strings with the StringHashing preprocessor")]
    [InlineData("""{"name": "h", "num_bins": 3, "output_mode": "tf_idf"}""", "\"output_mode\" is \"tf_idf\"")]
    public void FromConfig_BadValues_ThrowNamingTheKey(string json, string expected) =>
        Assert.Contains(expected, Assert.Throws<InvalidDataException>(() => Hashing.FromConfig(Read(json))).Message, StringComparison.Ordinal);

    [Fact]
    public void SaveLoad_InAModel_RoundTripsAndPredictsTheSame()
    {
        var model = new Sequential([new InputLayer(3), new Hashing(16, maskValue: 0, salt: [211, 137], outputMode: CategoryOutputMode.MultiHot), new Dense(2)], seed: 5);
        Tensor x = Tensor.FromArray(new float[,] { { 4, 9, 0 }, { 13, 7, 9 } });
        LayerTestKit.AssertRoundTrip(model, x);
    }

    [Fact]
    public void Forward_AfterWarmUp_AllocatesNothing()
    {
        var layers = new[] { new Hashing(7), new Hashing(7, maskValue: 3, salt: [1, 2], outputMode: CategoryOutputMode.Count) };
        Tensor x = Tensor.FromArray(new float[,] { { 12, 1138, 42, 3 }, { -42, 7, 36, 7 } });
        Tensor g = Tensor.Ones(2, 4);
        foreach (Hashing layer in layers)
        {
            layer.Forward(x, training: true);
            layer.Backward(layer == layers[0] ? g : Tensor.Ones(2, 7));
        }

        AllocationCheck.AssertNone(() =>
        {
            layers[0].Forward(x, training: true);
            layers[0].Backward(g);
            layers[1].Forward(x, training: false);
        });
    }

    internal static Config Read(string json) => Config.FromJson(JsonDocument.Parse(json).RootElement, "test", "config");

    // Keras' _hash_values_to_bins written out: the decimal string's fingerprint (or keyed SipHash) modulo the bins.
    private static float ReferenceBin(long token, int bins, long? mask, long[]? salt)
    {
        byte[] text = System.Text.Encoding.ASCII.GetBytes(token.ToString(System.Globalization.CultureInfo.InvariantCulture));
        ulong hash = salt is null ? FarmHash.Fingerprint64(text) : SipHash.Hash24((ulong)salt[0], (ulong)salt[1], text);
        if (mask is null || bins == 1)
        {
            return (float)(hash % (ulong)bins);
        }

        return token == mask ? 0 : 1 + (float)(hash % (ulong)(bins - 1));
    }
}
