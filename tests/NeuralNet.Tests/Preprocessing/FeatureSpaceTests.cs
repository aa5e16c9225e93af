using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Preprocessing;
using Xunit;

namespace NeuralNet.Tests.Preprocessing;

// Expectations from Keras 3's feature_space.py (docstring example, _merge_features' order) and feature_space_test.py
// (output widths), and from the same layers composed by hand.
public class FeatureSpaceTests
{
    [Fact]
    public void Transform_KerasDocstringExample_MatchesHandComputedValues()
    {
        var data = new Dictionary<string, FeatureColumn>
        {
            ["float_values"] = new[] { 0f, 0.1f, 0.2f, 0.3f },
            ["string_values"] = new[] { "zero", "one", "two", "three" },
            ["int_values"] = new long[] { 0, 1, 2, 3 },
        };
        var space = new FeatureSpace(
            new Dictionary<string, Feature> { ["float_values"] = "float_normalized", ["string_values"] = "string_categorical", ["int_values"] = "integer_categorical" },
            crosses: [new[] { "string_values", "int_values" }]);
        space.Adapt(data);
        Tensor output = space.Transform(data);

        // Keras' order: features sorted by name, then the crosses.
        Assert.Equal(["float_values", "int_values", "string_values", "string_values_X_int_values"], space.OutputNames);
        Assert.Equal([4, 1 + 5 + 5 + 32], output.Shape.Dimensions.ToArray());

        // float_normalized: mean 0.15, biased variance 0.0125, so (x - 0.15) / sqrt(0.0125) = ±3/√5, ±1/√5.
        float[] expectedNormalized = [(float)(-3 / Math.Sqrt(5)), (float)(-1 / Math.Sqrt(5)), (float)(1 / Math.Sqrt(5)), (float)(3 / Math.Sqrt(5))];

        // The lookups: every token seen once, ties broken by the larger token first (Keras' np.lexsort):
        // ints [OOV, 3, 2, 1, 0], strings [OOV, "zero", "two", "three", "one"] (UTF-8 byte order).
        int[] intIndex = [4, 3, 2, 1];
        int[] stringIndex = [1, 4, 2, 3];
        float[] crossBins = new StringHashedCrossing(32).Transform(stringIndex.Select(i => (long)i).ToArray(), intIndex.Select(i => (long)i).ToArray()).ToArray();
        for (int s = 0; s < 4; s++)
        {
            float[] row = output.AsReadOnlySpan().Slice(s * 43, 43).ToArray();
            Assert.Equal(expectedNormalized[s], row[0], 5);
            Assert.Equal(OneHot(intIndex[s], 5), row[1..6]);
            Assert.Equal(OneHot(stringIndex[s], 5), row[6..11]);
            Assert.Equal(OneHot((int)crossBins[s], 32), row[11..43]);
        }
    }

    [Fact]
    public void Transform_EveryFeatureType_EqualsTheLayersComposedByHand()
    {
        Dictionary<string, FeatureColumn> data = FeatureSpaceData.Train();
        var space = new FeatureSpace(FeatureSpaceData.AllTypes(), crosses: [new[] { "float_3", "string_1" }, new[] { "string_2", "int_2" }]);
        space.Adapt(data);
        float[] actual = space.Transform(data).ToArray();

        // The same preprocessing by hand, as Keras' FeatureSpace wires it: each column as (10, 1), adapted in one batch of 32.
        Tensor column = Tensor.FromArray(FeatureSpaceData.Floats, 10, 1);
        Tensor ints = Tensor.FromArray(FeatureSpaceData.Integers.Select(i => (float)i).ToArray(), 10, 1);
        var normalization = new Normalization();
        normalization.Adapt([column]);
        var discretization = new Discretization(numBins: 32);
        discretization.Adapt([column]);
        var intLookup = new IntegerLookup();
        intLookup.Adapt([ints]);
        var stringLookup = new StringLookup();
        stringLookup.Adapt(FeatureSpaceData.Strings);

        Tensor bins3 = discretization.Forward(column, false).Clone();
        Tensor string1 = stringLookup.Transform(FeatureSpaceData.Strings).Reshape(10, 1);
        Tensor string2 = new StringHashing(32).Transform(FeatureSpaceData.Strings).Reshape(10, 1);
        Tensor int1 = intLookup.Forward(ints, false).Clone();
        Tensor int2 = new Hashing(32).Forward(ints, false).Clone();
        Tensor cross1 = new HashedCrossing(32).Forward([bins3, string1], false).Clone();
        Tensor cross2 = new HashedCrossing(32).Forward([string2, int2], false).Clone();
        Tensor[] parts =
        [
            column,                                                               // float_1
            normalization.Forward(column, false).Clone(),                         // float_2
            Encode(bins3, 32),                                                    // float_3: num_bins wide
            Encode(int1, 11), Encode(int2, 32), Encode(int1, 11),                 // int_1, int_2, int_3
            Encode(string1, 11), Encode(string2, 32),                             // string_1, string_2
            Encode(cross1, 32), Encode(cross2, 32),                               // float_3_X_string_1, string_2_X_int_2
        ];
        var expected = new Tensor(10, 195);
        Tensor.ConcatenateLastAxis(parts, expected);
        Assert.Equal(expected.ToArray(), actual);
    }

    [Theory]
    [InlineData(false, 152)]
    [InlineData(true, 195)]
    public void Transform_KerasTestFeatures_HaveKerasWidths(bool includeStrings, int width)
    {
        // Keras' test_basic_usage_no_strings crosses (int_1, int_2) and (int_2, int_3); test_basic_usage (float_3,
        // string_1) and (string_2, int_2). Widths 152 and 195 are the tests' out_dim.
        FeatureCross[] crosses = includeStrings ? [new[] { "float_3", "string_1" }, new[] { "string_2", "int_2" }] : [new[] { "int_1", "int_2" }, new[] { "int_2", "int_3" }];
        var space = new FeatureSpace(FeatureSpaceData.AllTypes(includeStrings), crosses: crosses);
        space.Adapt(FeatureSpaceData.Train(includeStrings));
        Assert.Equal([10, width], space.Transform(FeatureSpaceData.Train(includeStrings)).Shape.Dimensions.ToArray());
    }

    [Fact]
    public void Transform_KerasAdvancedUsage_HasWidth148()
    {
        var space = new FeatureSpace(
            new Dictionary<string, Feature>
            {
                ["float_1"] = FeatureSpace.Float(), ["float_2"] = FeatureSpace.FloatNormalized(), ["float_3"] = FeatureSpace.FloatDiscretized(numBins: 3),
                ["string_1"] = FeatureSpace.StringCategorical(maxTokens: 5), ["string_2"] = FeatureSpace.StringHashed(numBins: 32),
                ["int_1"] = FeatureSpace.IntegerCategorical(maxTokens: 5, numOovIndices: 2), ["int_2"] = FeatureSpace.IntegerHashed(numBins: 32),
                ["int_3"] = FeatureSpace.IntegerCategorical(maxTokens: 5),
            },
            crosses: [FeatureSpace.Cross(["float_3", "string_1"], crossingDim: 32), FeatureSpace.Cross(["string_2", "int_2"], crossingDim: 32)]);
        space.Adapt(FeatureSpaceData.Train());
        Assert.Equal([10, 148], space.Transform(FeatureSpaceData.Train()).Shape.Dimensions.ToArray());
    }

    [Fact]
    public void TransformToDictionary_KerasOutputModeDict_GivesKerasShapes()
    {
        var space = new FeatureSpace(FeatureSpaceData.AllTypes(), FeatureSpaceOutputMode.Dict, crosses: [new[] { "float_3", "string_1" }, new[] { "string_2", "int_2" }]);
        space.Adapt(FeatureSpaceData.Train());
        IReadOnlyDictionary<string, Tensor> output = space.TransformToDictionary(FeatureSpaceData.Train());
        Assert.Equal(10, output.Count);
        Assert.Equal([10, 11], output["string_1"].Shape.Dimensions.ToArray());
        Assert.Equal([10, 32], output["int_2"].Shape.Dimensions.ToArray());
        Assert.Equal([10, 32], output["string_2_X_int_2"].Shape.Dimensions.ToArray());
        Assert.Equal([10, 1], output["float_1"].Shape.Dimensions.ToArray());
        Assert.Equal(FeatureSpaceData.Floats, output["float_1"].ToArray());
    }

    [Fact]
    public void TransformToDictionary_IntModes_GiveIndicesOfOneColumn()
    {
        // Keras' test_output_mode_dict_of_ints: (batch, 1) of indices; here checked against the preprocessors alone.
        var space = new FeatureSpace(
            new Dictionary<string, Feature>
            {
                ["string_1"] = FeatureSpace.StringCategorical(outputMode: CategoryOutputMode.Int),
                ["int_2"] = FeatureSpace.IntegerHashed(32, CategoryOutputMode.Int),
                ["string_2"] = FeatureSpace.StringHashed(32, CategoryOutputMode.Int),
            },
            FeatureSpaceOutputMode.Dict,
            crosses: [FeatureSpace.Cross(["string_2", "int_2"], 32, CategoryOutputMode.Int)]);
        space.Adapt(FeatureSpaceData.Train());
        IReadOnlyDictionary<string, Tensor> output = space.TransformToDictionary(FeatureSpaceData.Train());

        var lookup = new StringLookup();
        lookup.Adapt(FeatureSpaceData.Strings);
        float[] hashedStrings = new StringHashing(32).Transform(FeatureSpaceData.Strings).ToArray();
        float[] hashedInts = new Hashing(32).Forward(Tensor.FromArray(FeatureSpaceData.Integers.Select(i => (float)i).ToArray(), 10), false).ToArray();
        Assert.Equal([10, 1], output["string_1"].Shape.Dimensions.ToArray());
        Assert.Equal(lookup.Transform(FeatureSpaceData.Strings).ToArray(), output["string_1"].ToArray());
        Assert.Equal(hashedStrings, output["string_2"].ToArray());
        Assert.Equal(hashedInts, output["int_2"].ToArray());
        float[] crossed = new StringHashedCrossing(32).Transform(hashedStrings.Select(b => (long)b).ToArray(), hashedInts.Select(b => (long)b).ToArray()).ToArray();
        Assert.Equal(crossed, output["string_2_X_int_2"].ToArray());
    }

    [Fact]
    public void Transform_RescaledAndGivenBoundaries_NeedNoAdapt()
    {
        // Keras' test_no_adapt covers a hashed feature; the rescaled and fixed-boundary features are ours (Keras tries to
        // adapt a Discretization given its boundaries). Given boundaries are one-hot here, width boundaries + 1.
        var space = new FeatureSpace(new Dictionary<string, Feature>
        {
            ["x"] = FeatureSpace.FloatRescaled(scale: 2f, offset: -1f),
            ["b"] = FeatureSpace.FloatDiscretized(numBins: null, binBoundaries: [0.25f, 0.5f]),
            ["h"] = "integer_hashed",
        });
        Assert.True(space.IsAdapted);
        var data = new Dictionary<string, FeatureColumn> { ["x"] = new[] { 0f, 0.3f, 0.75f }, ["b"] = new[] { 0f, 0.3f, 0.75f }, ["h"] = new[] { 1, 2, 3 } };
        float[] y = space.Transform(data).ToArray();
        Assert.Equal(3 * (3 + 32 + 1), y.Length);

        // Order b, h, x. Bins: 0 -> 0, 0.3 -> 1, 0.75 -> 2 (left-inclusive boundaries); x · 2 - 1.
        float[] hashed = new Hashing(32).Forward(Tensor.FromArray([1f, 2f, 3f], 3, 1), false).ToArray();
        for (int s = 0; s < 3; s++)
        {
            float[] row = y[(s * 36)..((s + 1) * 36)];
            Assert.Equal(OneHot(s, 3), row[0..3]);
            Assert.Equal(OneHot((int)hashed[s], 32), row[3..35]);
            Assert.Equal((new[] { 0f, 0.3f, 0.75f }[s] * 2f) - 1f, row[35]);
        }
    }

    [Fact]
    public void Adapt_InBatches_GivesKerasBatchedDiscretization()
    {
        // Keras merges the Discretization summary batch by batch; 300 values in batches of 32 and of 300 differ.
        float[] values = [.. Enumerable.Range(0, 300).Select(i => (float)Math.Sin(i * 0.37))];
        var data = new Dictionary<string, FeatureColumn> { ["v"] = values };
        var features = new Dictionary<string, Feature> { ["v"] = FeatureSpace.FloatDiscretized(4, outputMode: CategoryOutputMode.Int) };
        var batched = new FeatureSpace(features, FeatureSpaceOutputMode.Dict);
        batched.Adapt(data);
        var layer = new Discretization(numBins: 4);
        layer.Adapt(Enumerable.Range(0, 10).Select(b => Tensor.FromArray(values.Skip(b * 32).Take(32).ToArray(), Math.Min(32, 300 - (b * 32)), 1)));
        Assert.Equal(layer.BinBoundaries, ((Discretization)batched.Preprocessors["v"]).BinBoundaries);

        var whole = new FeatureSpace(features, FeatureSpaceOutputMode.Dict);
        whole.Adapt(data, batchSize: 300);
        var once = new Discretization(numBins: 4);
        once.Adapt(Tensor.FromArray(values, 300, 1));
        Assert.Equal(once.BinBoundaries, ((Discretization)whole.Preprocessors["v"]).BinBoundaries);

        // The premise: the batches change the boundaries, so batchSize is not ignored.
        Assert.NotEqual(layer.BinBoundaries, once.BinBoundaries);
    }

    [Fact]
    public void Transform_FitsAModel_LossFalls()
    {
        // The shape of Keras' "Structured data classification with FeatureSpace": encode, then Dense layers on the vector.
        var random = new Random(5);
        string[] colors = [.. Enumerable.Range(0, 64).Select(_ => random.Next(3) switch { 0 => "red", 1 => "green", _ => "blue" })];
        float[] sizes = [.. Enumerable.Range(0, 64).Select(_ => (float)random.NextDouble() * 10)];
        float[] labels = [.. colors.Zip(sizes, (c, s) => c == "red" || s > 7 ? 1f : 0f)];
        var data = new Dictionary<string, FeatureColumn> { ["color"] = colors, ["size"] = sizes };
        var space = new FeatureSpace(new Dictionary<string, Feature> { ["color"] = "string_categorical", ["size"] = "float_normalized" });
        space.Adapt(data);
        Tensor x = space.Transform(data);

        var model = new Sequential([new InputLayer(x.Shape[1]), new Dense(8, ActivationFunction.Relu), new Dense(1, ActivationFunction.Sigmoid)], seed: 1);
        model.Compile(new Adam(0.05f), new BinaryCrossEntropy());
        History history = model.Fit(x, Tensor.FromArray(labels, 64, 1), epochs: 40, batchSize: 16, verbose: 0, seed: 1);
        Assert.True(history["loss"][^1] < 0.5 * history["loss"][0], $"loss {history["loss"][0]} -> {history["loss"][^1]}");
    }

    private static float[] OneHot(int index, int depth)
    {
        var row = new float[depth];
        row[index] = 1f;
        return row;
    }

    private static Tensor Encode(Tensor indices, int depth) => new CategoryEncoding(depth, CategoryOutputMode.MultiHot).Forward(indices, false).Clone();
}
