using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Preprocessing;
using NeuralNet.Serialization;
using Xunit;

namespace NeuralNet.Tests.Layers.Preprocessing;

// Expectations from Keras 3's hashed_crossing_test.py and the HashedCrossing docstring.
public class HashedCrossingTests
{
    private static readonly string[] s_letters = ["A", "B", "A", "B", "A"];
    private static readonly long[] s_numbers = [101, 101, 101, 102, 102];

    [Fact]
    public void Transform_KerasStringByIntegerValues_Match()
    {
        // test_correctness: ("A", 101), ("B", 101), ("A", 101), ("B", 102), ("A", 102) with num_bins=5.
        Assert.Equal([1f, 4, 1, 1, 3], new StringHashedCrossing(5).Transform(s_letters, s_numbers).ToArray());
        Tensor oneHot = new StringHashedCrossing(5, CategoryOutputMode.OneHot).Transform(s_letters, s_numbers);
        Assert.Equal([5, 5], oneHot.Shape.Dimensions.ToArray());
        Assert.Equal([0f, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0], oneHot.ToArray());

        // test_tf_string: ("A", 101) with num_bins=10 is bin 1.
        Assert.Equal([1f], new StringHashedCrossing(10).Transform(CrossingFeature.FromStrings(["A"]), CrossingFeature.FromIntegers([101])).ToArray());
    }

    [Fact]
    public void Transform_AgainstCrossHashedFormula_MatchesForRandomFeatures()
    {
        // tf.sparse.cross_hashed's HashCrosser written out: key, then FingerprintCat64 of each feature's value in order.
        var rng = new Random(3);
        string[] words = [.. Enumerable.Range(0, 30).Select(i => new string((char)('a' + (i % 26)), 1 + (i % 7)))];
        long[] ints = [.. Enumerable.Range(0, 30).Select(_ => rng.NextInt64(-1_000_000_000_000, 1_000_000_000_000))];
        string[] others = [.. words.Reverse()];
        float[] bins = new StringHashedCrossing(97).Transform(words, ints, others).ToArray();
        for (int b = 0; b < words.Length; b++)
        {
            ulong cross = FarmHash.FingerprintCat64(0xDECAFCAFFE, FarmHash.Fingerprint64(System.Text.Encoding.UTF8.GetBytes(words[b])));
            cross = FarmHash.FingerprintCat64(cross, unchecked((ulong)ints[b]));
            cross = FarmHash.FingerprintCat64(cross, FarmHash.Fingerprint64(System.Text.Encoding.UTF8.GetBytes(others[b])));
            Assert.Equal((float)(cross % 97), bins[b]);
        }

        // Crossing is ordered: swapping the features changes the bins.
        Assert.NotEqual(new StringHashedCrossing(1 << 20).Transform(s_letters, s_numbers).ToArray(), new StringHashedCrossing(1 << 20).Transform(s_numbers, s_letters).ToArray());
    }

    [Fact]
    public void Forward_IntegerFeatures_MatchThePreprocessorForEveryShape()
    {
        long[] first = [1, 2, -7, 16_000_000, 0], second = [4, 5, 3, -2, 0];
        float[] expected = new StringHashedCrossing(13).Transform(first, second).ToArray();
        Tensor a = Tensor.FromArray([.. first.Select(v => (float)v)], 5), b = Tensor.FromArray([.. second.Select(v => (float)v)], 5);
        Assert.Equal(expected, new HashedCrossing(13).Forward([a, b], training: false).ToArray());

        // (batch, 1) inputs keep their shape; one-hot gives (batch, numBins) either way.
        var column = new HashedCrossing(13);
        Tensor output = column.Forward([a.Reshape(5, 1), b.Reshape(5, 1)], training: false);
        Assert.Equal([5, 1], output.Shape.Dimensions.ToArray());
        Assert.Equal(expected, output.ToArray());
        Tensor oneHot = new HashedCrossing(13, CategoryOutputMode.OneHot).Forward([a.Reshape(5, 1), b.Reshape(5, 1)], training: false);
        Assert.Equal([5, 13], oneHot.Shape.Dimensions.ToArray());
        for (int s = 0; s < 5; s++)
        {
            Assert.Equal(1f, oneHot.ToArray()[(s * 13) + (int)expected[s]]);
            Assert.Equal(1f, oneHot.ToArray().Skip(s * 13).Take(13).Sum());
        }

        // Three features.
        Tensor c = Tensor.FromArray([9f, 8, 7, 6, 5], 5);
        Assert.Equal(new StringHashedCrossing(7).Transform(first, second, new long[] { 9, 8, 7, 6, 5 }).ToArray(), new HashedCrossing(7).Forward([a, b, c], training: false).ToArray());
    }

    [Fact]
    public void Functional_TwoInputs_SaveLoadAndBackward()
    {
        var x1 = new Input(new TensorShape(1), "x1");
        var x2 = new Input(new TensorShape(1), "x2");
        SymbolicTensor crossed = new HashedCrossing(6, CategoryOutputMode.OneHot, name: "cross").Call(x1, x2);
        var model = new Functional([x1, x2], [new Dense(2, name: "head").Call(crossed)], seed: 3);
        Tensor a = Tensor.FromArray([1f, 2, 3, 4], 4, 1), b = Tensor.FromArray([5f, 6, 7, 8], 4, 1);
        Assert.Equal("""{"name":"cross","trainable":true,"dtype":"float32","num_bins":6,"output_mode":"one_hot","sparse":false}""", model.Layers.Single(l => l.Name == "cross").GetConfig().ToJson());
        string path = Path.Combine(Path.GetTempPath(), $"neuralnet-cross-{Guid.NewGuid():N}.safetensors");
        try
        {
            model.Save(path);
            Model loaded = Model.Load(path);
            Assert.Equal(model.Predict(new[] { a, b }).ToArray(), loaded.Predict(new[] { a, b }).ToArray());
        }
        finally
        {
            File.Delete(path);
        }

        var layer = new HashedCrossing(6);
        layer.Forward([a, b], training: true);
        var gradients = new Tensor?[2];
        layer.Backward(Tensor.Ones(4, 1), gradients);
        Assert.All(gradients, g => Assert.Equal(new float[4], g!.ToArray()));
    }

    [Fact]
    public void BadInput_ThrowsWithKerasMessages()
    {
        Assert.Contains("The numBins of HashedCrossing must be a positive number of bins. Received: numBins=0.", Assert.Throws<ArgumentOutOfRangeException>(() => new HashedCrossing(0)).Message, StringComparison.Ordinal);
        Assert.Contains("must be Int or OneHot", Assert.Throws<ArgumentOutOfRangeException>(() => new HashedCrossing(3, CategoryOutputMode.MultiHot)).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new StringHashedCrossing(3, CategoryOutputMode.Count));

        // test_upsupported_shape_input_fails, and unequal shapes.
        var layer = new HashedCrossing(10, name: "hc");
        string shape = Assert.Throws<ArgumentException>(() => layer.Build([new TensorShape(1, 1), new TensorShape(1, 1)])).Message;
        Assert.Contains("All HashedCrossing 'hc' inputs should have shape (None) or (None, 1)", shape, StringComparison.Ordinal);
        string unequal = Assert.Throws<ArgumentException>(() => new HashedCrossing(10, name: "hc").Build([new TensorShape(1), new TensorShape()])).Message;
        Assert.Contains("should have equal shape, but input 0 is (None, 1) and input 1 is (None)", unequal, StringComparison.Ordinal);

        // test_single_input_fails.
        Assert.ThrowsAny<ArgumentException>(() => new HashedCrossing(10).Build([new TensorShape(1)]));
        Assert.Contains("at least two features", Assert.Throws<ArgumentException>(() => new StringHashedCrossing(10).Transform(s_letters)).Message, StringComparison.Ordinal);

        // test_float_input_fails: fractions are refused, naming the input and sample.
        string fraction = Assert.Throws<ArgumentException>(() => new HashedCrossing(10, name: "hc").Forward([Tensor.FromArray([1f, 2], 2), Tensor.FromArray([1f, 1.5f], 2)], training: false)).Message;
        Assert.Contains("HashedCrossing 'hc' expects whole-number features but input 1 holds 1.5 for sample 1", fraction, StringComparison.Ordinal);

        Assert.Contains("feature 0 has 5 and feature 1 has 2", Assert.Throws<ArgumentException>(() => new StringHashedCrossing(10).Transform(s_letters, new long[] { 1, 2 })).Message, StringComparison.Ordinal);
        Assert.Contains("Feature 1 holds null for sample 0", Assert.Throws<ArgumentNullException>(() => new StringHashedCrossing(10).Transform(s_numbers, new string[] { null!, "a", "b", "c", "d" })).Message, StringComparison.Ordinal);
        Assert.Contains("sparse", Assert.Throws<InvalidDataException>(() => HashedCrossing.FromConfig(HashingTests.Read("""{"name": "h", "num_bins": 3, "output_mode": "one_hot", "sparse": true}"""))).Message, StringComparison.Ordinal);
        Assert.Contains("must be Int or OneHot", Assert.Throws<InvalidDataException>(() => HashedCrossing.FromConfig(HashingTests.Read("""{"name": "h", "num_bins": 3, "output_mode": "count"}"""))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Config_KerasConfig_RoundTrips()
    {
        // Keras' get_config: num_bins, output_mode, sparse, name, dtype.
        HashedCrossing keras = HashedCrossing.FromConfig(HashingTests.Read("""{"num_bins": 5, "output_mode": "int", "sparse": false, "name": "hashed_crossing", "dtype": "int64"}"""));
        Assert.Equal(5, keras.NumBins);
        Assert.Equal(keras.GetConfig().ToJson(), SerializationRegistry.Recreate(keras).GetConfig().ToJson());
        var preprocessor = new StringHashedCrossing(5, CategoryOutputMode.OneHot, name: "crossed");
        Assert.Equal("""{"name":"crossed","num_bins":5,"output_mode":"one_hot","sparse":false}""", preprocessor.GetConfig().ToJson());
        Assert.Equal("HashedCrossing", SerializationRegistry.GetRegisteredName(typeof(StringHashedCrossing)));
        Assert.Equal("HashedCrossing", SerializationRegistry.GetRegisteredName(typeof(HashedCrossing)));
        StringHashedCrossing copy = StringHashedCrossing.FromConfig(HashingTests.Read(preprocessor.GetConfig().ToJson()));
        Assert.Equal(preprocessor.Transform(s_letters, s_numbers).ToArray(), copy.Transform(s_letters, s_numbers).ToArray());
    }

    [Fact]
    public void TrainingStep_AfterWarmUp_AllocatesNothing()
    {
        var layer = new HashedCrossing(9, CategoryOutputMode.OneHot);
        Tensor[] inputs = [Tensor.FromArray([1f, 2, 3], 3, 1), Tensor.FromArray([4f, 5, 6], 3, 1)];
        var gradients = new Tensor?[2];
        Tensor g = Tensor.Ones(3, 9);
        layer.Forward(inputs, training: true);
        layer.Backward(g, gradients);
        AllocationCheck.AssertNone(() =>
        {
            layer.Forward(inputs, training: true);
            layer.Backward(g, gradients);
        });
    }
}
