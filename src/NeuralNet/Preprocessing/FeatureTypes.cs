using NeuralNet.Layers;
using NeuralNet.Serialization;

namespace NeuralNet.Preprocessing;

/// <summary>Keras' feature type names, their dtypes and preprocessor classes, and the string form's defaults.</summary>
internal static class FeatureTypes
{
    public const string FloatDtype = "float32";
    public const string IntDtype = "int32";
    public const string StringDtype = "string";

    public const string Float = "float";
    public const string FloatRescaled = "float_rescaled";
    public const string FloatNormalized = "float_normalized";
    public const string FloatDiscretized = "float_discretized";
    public const string IntegerCategorical = "integer_categorical";
    public const string StringCategorical = "string_categorical";
    public const string IntegerHashed = "integer_hashed";
    public const string StringHashed = "string_hashed";

    public static readonly string[] All = [Float, FloatRescaled, FloatNormalized, FloatDiscretized, IntegerCategorical, StringCategorical, IntegerHashed, StringHashed];

    /// <summary>Whether the name is one of Keras' feature types.</summary>
    public static bool IsKnown(string typeName) => Array.IndexOf(All, typeName) >= 0;

    public static string DtypeOf(string typeName) => typeName switch
    {
        IntegerCategorical or IntegerHashed => IntDtype,
        StringCategorical or StringHashed => StringDtype,
        _ => FloatDtype,
    };

    /// <summary>Whether the type gives float values (no indices to encode or cross).</summary>
    public static bool IsFloat(string typeName) => typeName is Float or FloatRescaled or FloatNormalized;

    /// <summary>The type a preprocessor implements, or null for a preprocessor FeatureSpace does not know.</summary>
    public static string? TypeOf(object preprocessor) => preprocessor switch
    {
        Identity => Float,
        Rescaling => FloatRescaled,
        Normalization => FloatNormalized,
        Discretization => FloatDiscretized,
        IntegerLookup => IntegerCategorical,
        StringLookup => StringCategorical,
        Hashing => IntegerHashed,
        StringHashing => StringHashed,
        _ => null,
    };

    /// <summary>The feature Keras' <c>_standardize_feature</c> makes of a type name given as a string.</summary>
    /// <exception cref="ArgumentException">The name is not a feature type; the message names the feature.</exception>
    public static Feature FromName(string featureName, string typeName, int hashingDim, int numDiscretizationBins) => typeName switch
    {
        Float => FeatureSpace.Float(featureName),
        FloatRescaled => FeatureSpace.FloatRescaled(name: featureName),
        FloatNormalized => FeatureSpace.FloatNormalized(featureName),
        FloatDiscretized => FeatureSpace.FloatDiscretized(numDiscretizationBins, name: featureName),
        IntegerCategorical => FeatureSpace.IntegerCategorical(name: featureName),
        StringCategorical => FeatureSpace.StringCategorical(name: featureName),
        IntegerHashed => FeatureSpace.IntegerHashed(hashingDim, name: featureName),
        StringHashed => FeatureSpace.StringHashed(hashingDim, name: featureName),
        _ => throw new ArgumentException(
            $"Invalid feature type \"{FormatError.Shorten(typeName)}\" for feature '{featureName}'. Expected one of {string.Join(", ", All)}.", "features"),
    };

    /// <summary>Keras' name of an output mode (<c>"float"</c> for null).</summary>
    public static string ModeName(CategoryOutputMode? mode) => mode is CategoryOutputMode m ? CategoryEncoder.Name(m) : "float";

    /// <summary>Refuses output modes other than Int and OneHot for a categorical feature.</summary>
    public static void CheckMode(CategoryOutputMode outputMode, string parameterName)
    {
        if (outputMode is not (CategoryOutputMode.Int or CategoryOutputMode.OneHot))
        {
            throw new ArgumentOutOfRangeException(parameterName, outputMode,
                $"Invalid value for argument `output_mode`. Expected one of {{'int', 'one_hot'}} for a categorical feature or a cross. Received: outputMode={outputMode}.");
        }
    }
}
