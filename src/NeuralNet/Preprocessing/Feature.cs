using NeuralNet.Layers;

namespace NeuralNet.Preprocessing;

/// <summary>
/// How <see cref="FeatureSpace"/> preprocesses one feature (Keras' <c>FeatureSpace</c> feature specification): a
/// preprocessor (a layer such as <see cref="Normalization"/>, or a string preprocessor such as <see cref="StringLookup"/>)
/// and whether its indices are one-hot encoded. Create one with the factories of <see cref="FeatureSpace"/>
/// (<see cref="FeatureSpace.FloatNormalized"/>, <see cref="FeatureSpace.IntegerCategorical"/>, ...), or write Keras'
/// type name, which converts implicitly and takes the space's defaults (<c>["age"] = "float_normalized"</c>).
/// </summary>
/// <remarks>
/// A feature is a specification: each <see cref="FeatureSpace"/> works on its own copy of the preprocessor, so one
/// feature may be used for several columns or spaces.
/// </remarks>
public sealed class Feature
{
    internal Feature(string typeName, object? preprocessor, CategoryOutputMode? outputMode)
    {
        TypeName = typeName;
        Preprocessor = preprocessor;
        OutputMode = outputMode;
    }

    /// <summary>Keras' feature type: <c>float</c>, <c>float_rescaled</c>, <c>float_normalized</c>, <c>float_discretized</c>, <c>integer_categorical</c>, <c>string_categorical</c>, <c>integer_hashed</c> or <c>string_hashed</c>.</summary>
    public string TypeName { get; }

    /// <summary>Keras' input dtype of the feature: <c>"float32"</c>, <c>"int32"</c> or <c>"string"</c>.</summary>
    /// <exception cref="InvalidOperationException">The feature is a type name given as a string that is not a Keras feature type; the message names it.</exception>
    public string Dtype => FeatureTypes.IsKnown(TypeName)
        ? FeatureTypes.DtypeOf(TypeName)
        : throw new InvalidOperationException($"Invalid feature type \"{Serialization.FormatError.Shorten(TypeName)}\": it has no dtype. Expected one of {string.Join(", ", FeatureTypes.All)}.");

    /// <summary>
    /// Null for a float feature (Keras' <c>"float"</c>); <see cref="CategoryOutputMode.Int"/> (indices) or
    /// <see cref="CategoryOutputMode.OneHot"/> for the others. A type name given as a string has no output mode yet (null)
    /// until a <see cref="FeatureSpace"/> resolves it: read the resolved feature from <see cref="FeatureSpace.Features"/>.
    /// </summary>
    public CategoryOutputMode? OutputMode { get; }

    /// <summary>The preprocessor this specification was made with, or null for a type name given as a string (the space creates it with its defaults).</summary>
    internal object? Preprocessor { get; }

    /// <summary>A feature of Keras' type <paramref name="typeName"/> with its default arguments (the space's <c>hashing_dim</c> and <c>num_discretization_bins</c>); an unknown name is refused by <see cref="FeatureSpace"/>, naming the feature.</summary>
    /// <param name="typeName">A Keras feature type name, such as <c>"float_normalized"</c>.</param>
    public static implicit operator Feature(string typeName) => new(typeName ?? throw new ArgumentNullException(nameof(typeName)), null, null);
}
