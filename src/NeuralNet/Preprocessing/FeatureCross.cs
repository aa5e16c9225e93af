using System.Globalization;
using NeuralNet.Layers;

namespace NeuralNet.Preprocessing;

/// <summary>
/// A cross of two or more features of a <see cref="FeatureSpace"/> (Keras' <c>FeatureSpace.cross</c>): their
/// preprocessed indices hashed together by <see cref="HashedCrossing"/> into <see cref="CrossingDim"/> bins, one-hot
/// encoded by default. Its output is named after the features joined by <c>"_X_"</c> (<c>"sex_X_age"</c>).
/// </summary>
/// <remarks>A list of feature names converts implicitly to a cross with the space's <c>crossing_dim</c> and one-hot output.</remarks>
public sealed class FeatureCross
{
    internal FeatureCross(IReadOnlyList<string> featureNames, int? crossingDim, CategoryOutputMode outputMode)
    {
        ArgumentNullException.ThrowIfNull(featureNames);
        if (featureNames.Count < 2 || featureNames.Any(static n => n is null))
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"A feature cross takes two or more feature names. Received: [{string.Join(", ", featureNames.Select(static n => n is null ? "null" : $"'{n}'"))}]."), nameof(featureNames));
        }

        if (crossingDim is int dim)
        {
            FeatureSpace.CheckDimension(dim, nameof(crossingDim));
        }

        FeatureTypes.CheckMode(outputMode, nameof(outputMode));

        FeatureNames = Array.AsReadOnly(featureNames.ToArray());
        CrossingDim = crossingDim;
        OutputMode = outputMode;
    }

    /// <summary>The crossed features, in crossing order.</summary>
    public IReadOnlyList<string> FeatureNames { get; }

    /// <summary>The number of bins; null when the space's <c>crossing_dim</c> applies.</summary>
    public int? CrossingDim { get; }

    /// <summary>Bin indices (<see cref="CategoryOutputMode.Int"/>) or their one-hot encoding.</summary>
    public CategoryOutputMode OutputMode { get; }

    /// <summary>The cross's output name: the feature names joined by <c>"_X_"</c> (Keras' <c>Cross.name</c>).</summary>
    public string Name => string.Join("_X_", FeatureNames);

    /// <summary>A cross of the named features with the space's <c>crossing_dim</c> and one-hot output (Keras' tuple form).</summary>
    /// <param name="featureNames">Two or more feature names.</param>
    public static implicit operator FeatureCross(string[] featureNames) => new(featureNames, null, CategoryOutputMode.OneHot);
}
