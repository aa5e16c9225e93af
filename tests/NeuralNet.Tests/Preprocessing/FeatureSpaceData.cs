using NeuralNet.Preprocessing;

namespace NeuralNet.Tests.Preprocessing;

// The data of Keras 3's feature_space_test.py (_get_train_data_dict) and of the FeatureSpace docstring.
internal static class FeatureSpaceData
{
    public static readonly float[] Floats = [0f, 0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f, 0.9f];
    public static readonly long[] Integers = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    public static readonly string[] Strings = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

    public static Dictionary<string, FeatureColumn> Train(bool includeStrings = true)
    {
        var data = new Dictionary<string, FeatureColumn>
        {
            ["float_1"] = Floats, ["float_2"] = Floats, ["float_3"] = Floats,
            ["int_1"] = Integers, ["int_2"] = Integers, ["int_3"] = Integers,
        };
        if (includeStrings)
        {
            data["string_1"] = Strings;
            data["string_2"] = Strings;
        }

        return data;
    }

    // Keras' test_basic_usage features, as type names.
    public static Dictionary<string, Feature> AllTypes(bool includeStrings = true)
    {
        var features = new Dictionary<string, Feature>
        {
            ["float_1"] = "float", ["float_2"] = "float_normalized", ["float_3"] = "float_discretized",
            ["int_1"] = "integer_categorical", ["int_2"] = "integer_hashed", ["int_3"] = "integer_categorical",
        };
        if (includeStrings)
        {
            features["string_1"] = "string_categorical";
            features["string_2"] = "string_hashed";
        }

        return features;
    }
}
