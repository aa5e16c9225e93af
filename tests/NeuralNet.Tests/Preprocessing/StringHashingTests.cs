using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Preprocessing;
using NeuralNet.Serialization;
using NeuralNet.Tests.Layers.Preprocessing;
using Xunit;

namespace NeuralNet.Tests.Preprocessing;

// Expectations from Keras 3's hashing_test.py and the Hashing docstring (string inputs).
public class StringHashingTests
{
    private static readonly string[] s_letters = ["A", "B", "C", "D", "E"];
    private static readonly string[] s_names = ["omar", "stringer", "marlo", "wire", "skywalker"];

    [Fact]
    public void Transform_KerasFarmHashValues_Match()
    {
        Assert.Equal([1f, 0, 1, 1, 2], new StringHashing(3).Transform(s_letters).ToArray());
        Assert.Equal([0f, 0, 1, 0, 0], new StringHashing(2).Transform(s_names).ToArray());
        Assert.Equal([0f, 0, 0, 0, 0], new StringHashing(1).Transform(s_letters).ToArray());

        // Rows of one string keep their axis: [["A"], ["B"], ...] -> [[1], [0], ...].
        Tensor rows = new StringHashing(3).Transform(s_letters.Select(s => (IReadOnlyList<string>)[s]));
        Assert.Equal([5, 1], rows.Shape.Dimensions.ToArray());
        Assert.Equal([1f, 0, 1, 1, 2], rows.ToArray());

        // The commented-out ragged test: [["omar", "stringer", "marlo", "wire"]] -> [[0, 0, 1, 0]].
        Assert.Equal([0f, 0, 1, 0], new StringHashing(2).Transform([(IReadOnlyList<string>)["omar", "stringer", "marlo", "wire"]]).ToArray());
    }

    [Fact]
    public void Transform_KerasMaskValues_Match()
    {
        Assert.Equal([1f, 1, 0, 2, 2], new StringHashing(3, maskValue: "").Transform(["A", "B", "", "C", "D"]).ToArray());
        Assert.Equal([1f, 1, 2, 1, 1], new StringHashing(3, maskValue: "").Transform(s_names).ToArray());
        Assert.Equal([0f, 1, 2, 1, 1], new StringHashing(3, maskValue: "omar").Transform(s_names).ToArray());
    }

    [Fact]
    public void Transform_KerasSipHashValues_Match()
    {
        Assert.Equal([1f, 2, 1, 0, 2], new StringHashing(3, salt: [133, 137]).Transform(s_letters).ToArray());
        Assert.Equal([0f, 0, 2, 1, 0], new StringHashing(3, salt: [133]).Transform(s_letters).ToArray());
        Assert.Equal([0f, 1, 0, 1, 0], new StringHashing(2, salt: [133, 137]).Transform(s_names).ToArray());
        Assert.Equal([1f, 0, 1, 0, 1], new StringHashing(2, salt: [211, 137]).Transform(s_names).ToArray());
    }

    [Fact]
    public void Transform_IntegerTokensAsStrings_MatchTheHashingLayer()
    {
        // Keras hashes integers as their decimal strings: the two sides agree.
        string[] digits = ["0", "1", "2", "3", "4", "-17", "123456"];
        Tensor ints = Tensor.FromArray([0f, 1, 2, 3, 4, -17, 123456], 7);
        foreach ((int bins, long[]? salt) in new (int, long[]?)[] { (3, null), (11, [133, 137]), (1000, null) })
        {
            Assert.Equal(new Hashing(bins, salt: salt).Forward(ints, training: false).ToArray(), new StringHashing(bins, salt: salt).Transform(digits).ToArray());
        }
    }

    [Fact]
    public void Transform_EncodedModes_FollowCategoryShapes()
    {
        Tensor oneHot = new StringHashing(3, outputMode: CategoryOutputMode.OneHot).Transform(["A", "B"]);
        Assert.Equal([2, 3], oneHot.Shape.Dimensions.ToArray());
        Assert.Equal([0f, 1, 0, 1, 0, 0], oneHot.ToArray());

        IReadOnlyList<string>[] rows = [["A", "B", "C", "D", "E"], ["E", "E", "A", "B", "B"]];
        Assert.Equal([1f, 1, 1, 1, 1, 1], new StringHashing(3, outputMode: CategoryOutputMode.MultiHot).Transform(rows).ToArray());
        Assert.Equal([1f, 3, 1, 2, 1, 2], new StringHashing(3, outputMode: CategoryOutputMode.Count).Transform(rows).ToArray());
        Tensor oneHotRows = new StringHashing(3, outputMode: CategoryOutputMode.OneHot).Transform(rows);
        Assert.Equal([2, 5, 3], oneHotRows.Shape.Dimensions.ToArray());
    }

    [Fact]
    public void Transform_LongAndUnicodeStrings_HashTheirUtf8Bytes()
    {
        string longText = string.Concat(Enumerable.Repeat("ßnow ☃ ", 40));
        var hashing = new StringHashing(1 << 20);
        float bin = hashing.Transform([longText]).ToArray()[0];
        Assert.Equal((float)(FarmHash.Fingerprint64(System.Text.Encoding.UTF8.GetBytes(longText)) % (1UL << 20)), bin);
    }

    [Fact]
    public void BadInput_Throws()
    {
        Assert.Contains("The numBins of StringHashing must be a positive number", Assert.Throws<ArgumentOutOfRangeException>(() => new StringHashing(0)).Message, StringComparison.Ordinal);
        Assert.Contains("Received: salt=[1, 2, 3]", Assert.Throws<ArgumentException>(() => new StringHashing(2, salt: [1, 2, 3])).Message, StringComparison.Ordinal);
        var hashing = new StringHashing(3);
        Assert.Contains("sample 1 at position 0 is null", Assert.Throws<ArgumentNullException>(() => hashing.Transform(["a", null!])).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => hashing.Transform(Array.Empty<string>()));
        Assert.Contains("row 0 has 2 and row 1 has 1", Assert.Throws<ArgumentException>(() => hashing.Transform([(IReadOnlyList<string>)["a", "b"], ["c"]])).Message, StringComparison.Ordinal);
        Assert.Contains("\"mask_value\" must be a string or null", Assert.Throws<InvalidDataException>(() => StringHashing.FromConfig(HashingTests.Read("""{"name": "h", "num_bins": 3, "mask_value": 0}"""))).Message, StringComparison.Ordinal);
        Assert.Contains("sparse", Assert.Throws<InvalidDataException>(() => StringHashing.FromConfig(HashingTests.Read("""{"name": "h", "num_bins": 3, "sparse": true}"""))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SaveLoad_InModelPreprocessing_KeepsKerasConfig()
    {
        var hashing = new StringHashing(100, maskValue: "", salt: [133, 137], outputMode: CategoryOutputMode.OneHot, name: "words");
        Assert.Equal("""{"name":"words","num_bins":100,"salt":[133,137],"mask_value":"","output_mode":"one_hot","sparse":false}""", hashing.GetConfig().ToJson());
        Assert.Equal("Hashing", SerializationRegistry.GetRegisteredName(typeof(StringHashing)));
        var model = new Sequential([new InputLayer(100), new Dense(2)], seed: 2);
        model.Preprocessing["words"] = hashing;
        string path = Path.Combine(Path.GetTempPath(), $"neuralnet-hashing-{Guid.NewGuid():N}.safetensors");
        try
        {
            model.Save(path);
            var loaded = Assert.IsType<StringHashing>(Model.Load(path).Preprocessing["words"]);
            Assert.Equal(hashing.GetConfig().ToJson(), loaded.GetConfig().ToJson());
            Assert.Equal(hashing.Transform(s_names).ToArray(), loaded.Transform(s_names).ToArray());
        }
        finally
        {
            File.Delete(path);
        }

        // Keras' test_saving config shape, num_bins=100, no salt.
        StringHashing keras = StringHashing.FromConfig(HashingTests.Read("""{"name": "hashing", "trainable": true, "dtype": "int64", "num_bins": 100, "salt": null, "mask_value": null, "output_mode": "int", "sparse": false}"""));
        Assert.Null(keras.Salt);
        Assert.Null(keras.MaskValue);
        Assert.Equal(100, keras.NumBins);
    }
}
