using NeuralNet.Layers;

namespace NeuralNet.Preprocessing;

// Keras' FeatureSpace class methods: one feature specification each, with Keras' arguments and defaults.
public sealed partial class FeatureSpace
{
    /// <summary>Plain float values, passed through (Keras' <c>FeatureSpace.float</c>, an <see cref="Identity"/> layer).</summary>
    /// <param name="name">The name the preprocessor is named after (<c>{name}_preprocessor</c>); the type name when null.</param>
    /// <returns>The feature.</returns>
    public static Feature Float(string? name = null) =>
        new(FeatureTypes.Float, new Identity(PreprocessorName(name, FeatureTypes.Float)), null);

    /// <summary>Float values rescaled to <c>x · scale + offset</c> (Keras' <c>FeatureSpace.float_rescaled</c>, a <see cref="Rescaling"/> layer).</summary>
    /// <param name="scale">The scale (Keras' default 1); a double, as Keras' <c>scale=1.0 / 255</c> reads in C#, used as float32.</param>
    /// <param name="offset">The offset (Keras' default 0); used as float32.</param>
    /// <param name="name">The name the preprocessor is named after; the type name when null.</param>
    /// <returns>The feature.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="scale"/> or <paramref name="offset"/> is not finite
    /// as float32 (1e39 included).</exception>
    public static Feature FloatRescaled(double scale = 1, double offset = 0, string? name = null) =>
        new(FeatureTypes.FloatRescaled, new Rescaling(scale, offset, PreprocessorName(name, FeatureTypes.FloatRescaled)), null);

    /// <summary>Float values standardized with the mean and variance <see cref="Adapt"/> learns (Keras' <c>FeatureSpace.float_normalized</c>, a <see cref="Normalization"/> layer, axis -1).</summary>
    /// <param name="name">The name the preprocessor is named after; the type name when null.</param>
    /// <returns>The feature.</returns>
    public static Feature FloatNormalized(string? name = null) =>
        new(FeatureTypes.FloatNormalized, new Normalization(-1, name: PreprocessorName(name, FeatureTypes.FloatNormalized)), null);

    /// <summary>
    /// Float values put in bins (Keras' <c>FeatureSpace.float_discretized</c>, a <see cref="Discretization"/> layer): the
    /// boundaries of <paramref name="numBins"/> bins learned by <see cref="Adapt"/>, or given (<paramref name="numBins"/> null).
    /// </summary>
    /// <param name="numBins">The number of bins to learn; null when <paramref name="binBoundaries"/> are given.</param>
    /// <param name="binBoundaries">Fixed boundaries (then nothing is learned), or null.</param>
    /// <param name="outputMode">One-hot bins (Keras' default) or bin indices (<see cref="CategoryOutputMode.Int"/>).</param>
    /// <param name="name">The name the preprocessor is named after; the type name when null.</param>
    /// <returns>The feature.</returns>
    /// <exception cref="ArgumentException">Both or neither of <paramref name="numBins"/> and <paramref name="binBoundaries"/> are set, or the boundaries are invalid.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="numBins"/> is below 1, or the mode is neither Int nor OneHot.</exception>
    public static Feature FloatDiscretized(int? numBins, IReadOnlyList<float>? binBoundaries = null, CategoryOutputMode outputMode = CategoryOutputMode.OneHot, string? name = null)
    {
        FeatureTypes.CheckMode(outputMode, nameof(outputMode));
        return new(FeatureTypes.FloatDiscretized, new Discretization(binBoundaries, numBins, name: PreprocessorName(name, FeatureTypes.FloatDiscretized)), outputMode);
    }

    /// <summary>Integer values indexed by a vocabulary <see cref="Adapt"/> learns (Keras' <c>FeatureSpace.integer_categorical</c>, an <see cref="IntegerLookup"/> layer).</summary>
    /// <param name="maxTokens">The largest vocabulary, OOV indices included; null for no limit.</param>
    /// <param name="numOovIndices">The number of out-of-vocabulary indices (Keras' default 1).</param>
    /// <param name="outputMode">One-hot indices (Keras' default) or the indices (<see cref="CategoryOutputMode.Int"/>).</param>
    /// <param name="name">The name the preprocessor is named after; the type name when null.</param>
    /// <returns>The feature.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of range (as for <see cref="IntegerLookup"/>), or the mode is neither Int nor OneHot.</exception>
    public static Feature IntegerCategorical(int? maxTokens = null, int numOovIndices = 1, CategoryOutputMode outputMode = CategoryOutputMode.OneHot, string? name = null)
    {
        FeatureTypes.CheckMode(outputMode, nameof(outputMode));
        return new(FeatureTypes.IntegerCategorical, new IntegerLookup(maxTokens, numOovIndices, name: PreprocessorName(name, FeatureTypes.IntegerCategorical)), outputMode);
    }

    /// <summary>String values indexed by a vocabulary <see cref="Adapt"/> learns (Keras' <c>FeatureSpace.string_categorical</c>, a <see cref="StringLookup"/>).</summary>
    /// <param name="maxTokens">The largest vocabulary, OOV indices included; null for no limit.</param>
    /// <param name="numOovIndices">The number of out-of-vocabulary indices (Keras' default 1).</param>
    /// <param name="outputMode">One-hot indices (Keras' default) or the indices (<see cref="CategoryOutputMode.Int"/>).</param>
    /// <param name="name">The name the preprocessor is named after; the type name when null.</param>
    /// <returns>The feature.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of range (as for <see cref="StringLookup"/>), or the mode is neither Int nor OneHot.</exception>
    public static Feature StringCategorical(int? maxTokens = null, int numOovIndices = 1, CategoryOutputMode outputMode = CategoryOutputMode.OneHot, string? name = null)
    {
        FeatureTypes.CheckMode(outputMode, nameof(outputMode));
        return new(FeatureTypes.StringCategorical, new StringLookup(maxTokens, numOovIndices, name: PreprocessorName(name, FeatureTypes.StringCategorical)), outputMode);
    }

    /// <summary>Integer values hashed into bins (Keras' <c>FeatureSpace.integer_hashed</c>, a <see cref="Hashing"/> layer: FarmHash of the decimal digits).</summary>
    /// <param name="numBins">The number of bins.</param>
    /// <param name="outputMode">One-hot bins (Keras' default) or the bins (<see cref="CategoryOutputMode.Int"/>).</param>
    /// <param name="name">The name the preprocessor is named after; the type name when null.</param>
    /// <returns>The feature.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="numBins"/> is not positive, or the mode is neither Int nor OneHot.</exception>
    public static Feature IntegerHashed(int numBins, CategoryOutputMode outputMode = CategoryOutputMode.OneHot, string? name = null)
    {
        FeatureTypes.CheckMode(outputMode, nameof(outputMode));
        return new(FeatureTypes.IntegerHashed, new Hashing(numBins, name: PreprocessorName(name, FeatureTypes.IntegerHashed)), outputMode);
    }

    /// <summary>String values hashed into bins (Keras' <c>FeatureSpace.string_hashed</c>, a <see cref="StringHashing"/>: FarmHash of the UTF-8 bytes).</summary>
    /// <param name="numBins">The number of bins.</param>
    /// <param name="outputMode">One-hot bins (Keras' default) or the bins (<see cref="CategoryOutputMode.Int"/>).</param>
    /// <param name="name">The name the preprocessor is named after; the type name when null.</param>
    /// <returns>The feature.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="numBins"/> is not positive, or the mode is neither Int nor OneHot.</exception>
    public static Feature StringHashed(int numBins, CategoryOutputMode outputMode = CategoryOutputMode.OneHot, string? name = null)
    {
        FeatureTypes.CheckMode(outputMode, nameof(outputMode));
        return new(FeatureTypes.StringHashed, new StringHashing(numBins, name: PreprocessorName(name, FeatureTypes.StringHashed)), outputMode);
    }

    /// <summary>A cross of two or more features (Keras' <c>FeatureSpace.cross</c>): their indices hashed together into <paramref name="crossingDim"/> bins.</summary>
    /// <param name="featureNames">The crossed features, two or more, each categorical, hashed or discretized.</param>
    /// <param name="crossingDim">The number of bins.</param>
    /// <param name="outputMode">One-hot bins (Keras' default) or the bins (<see cref="CategoryOutputMode.Int"/>).</param>
    /// <returns>The cross.</returns>
    /// <exception cref="ArgumentException">Fewer than two names, or a null name.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="crossingDim"/> is not positive, or the mode is neither Int nor OneHot.</exception>
    public static FeatureCross Cross(IReadOnlyList<string> featureNames, int crossingDim, CategoryOutputMode outputMode = CategoryOutputMode.OneHot) =>
        new(featureNames, crossingDim, outputMode);

    // Keras names a feature's preprocessor "{name}_preprocessor", the name defaulting to the type's.
    private static string PreprocessorName(string? name, string typeName) => $"{name ?? typeName}_preprocessor";
}
