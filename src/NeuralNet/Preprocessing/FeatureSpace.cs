using System.Collections.ObjectModel;
using System.Globalization;
using NeuralNet.Layers;

namespace NeuralNet.Preprocessing;

/// <summary>
/// Preprocesses and encodes structured data, Keras' <c>keras.utils.FeatureSpace</c>: named columns (strings, integers,
/// floats) go through one preprocessor each (<see cref="Normalization"/>, <see cref="Discretization"/>,
/// <see cref="IntegerLookup"/>, <see cref="StringLookup"/>, <see cref="Hashing"/>, ...), optional crosses hash pairs of
/// them together (<see cref="HashedCrossing"/>), indices are one-hot encoded (<see cref="CategoryEncoding"/>), and
/// everything is concatenated into the float tensor a model trains on, or returned by name.
/// </summary>
/// <remarks>
/// <para>As in Keras: call <see cref="Adapt"/> on training data first (it learns the means and variances, bin
/// boundaries and vocabularies), then <see cref="Transform"/>. The concatenation order is Keras': the features sorted
/// by name (ordinal order of their UTF-8 bytes, Python's string order), then the crosses sorted by name;
/// <see cref="OutputNames"/> lists it. A feature's preprocessor runs on its column as a (samples, 1) tensor, so a
/// float feature gives one column, a one-hot feature its cardinality: the vocabulary size of a lookup, the bins of a
/// hasher or a cross, a discretized feature's <c>num_bins</c>.</para>
/// <para>Each space owns its preprocessors (copies of its features'); <see cref="Adapt"/> adapts new copies and
/// puts them in place only when all succeeded, so a failure changes nothing. Not thread-safe.</para>
/// </remarks>
/// <example>
/// <code>
/// var space = new FeatureSpace(new Dictionary&lt;string, Feature&gt;
/// {
///     ["age"] = FeatureSpace.FloatDiscretized(numBins: 30),
///     ["thal"] = FeatureSpace.StringCategorical(),
///     ["chol"] = "float_normalized",
/// }, crosses: [FeatureSpace.Cross(["thal", "age"], crossingDim: 16)]);
/// space.Adapt(trainColumns);
/// Tensor x = space.Transform(trainColumns);   // (samples, 30 + 1 + thal's vocabulary size (OOV included) + 16): age, chol, thal, thal_X_age
/// </code>
/// </example>
public sealed partial class FeatureSpace
{
    private const int DefaultAdaptBatch = 32;
    private readonly List<KeyValuePair<string, Feature>> _features = [];
    private readonly Dictionary<string, object> _preprocessors = new(StringComparer.Ordinal);
    private readonly List<FeatureCross> _crosses = [];
    private readonly Dictionary<string, HashedCrossing> _crossers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, CategoryEncoding> _encoders = new(StringComparer.Ordinal);
    private readonly string[] _outputNames;

    // Per output, in _outputNames order: its feature (null for a cross) or its cross (null for a feature).
    private readonly (Feature? Feature, FeatureCross? Cross)[] _outputSpecs;

    /// <summary>Creates a feature space (Keras' <c>FeatureSpace(features, output_mode, crosses, crossing_dim, hashing_dim, num_discretization_bins)</c>).</summary>
    /// <param name="features">The features by column name: a factory's <see cref="Feature"/>, or a Keras type name such as <c>"integer_categorical"</c>.</param>
    /// <param name="outputMode">One concatenated tensor (Keras' default) or a tensor per feature and cross.</param>
    /// <param name="crosses">Feature crosses: <see cref="Cross"/>, or arrays of feature names (then <paramref name="crossingDim"/> bins, one-hot).</param>
    /// <param name="crossingDim">The bins of crosses given as names (Keras' default 32).</param>
    /// <param name="hashingDim">The bins of hashed features given as type names (Keras' default 32).</param>
    /// <param name="numDiscretizationBins">The bins of discretized features given as type names (Keras' default 32).</param>
    /// <param name="name">The name; <c>feature_space</c> when null.</param>
    /// <exception cref="ArgumentException">No features; an unknown type name (naming the feature); a cross naming a feature that is not there, or a float feature (it has no indices to cross), or repeating a cross; crosses given as names without <paramref name="crossingDim"/>;
    /// in Concat mode, a feature or cross whose output mode is Int (indices cannot be concatenated: use Dict).</exception>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is not positive, or the mode is not defined.</exception>
    public FeatureSpace(
        IReadOnlyDictionary<string, Feature> features,
        FeatureSpaceOutputMode outputMode = FeatureSpaceOutputMode.Concat,
        IEnumerable<FeatureCross>? crosses = null,
        int? crossingDim = 32,
        int hashingDim = 32,
        int numDiscretizationBins = 32,
        string? name = null)
    {
        if (features is null || features.Count == 0)
        {
            throw new ArgumentException("The `features` argument cannot be null or empty.", nameof(features));
        }

        if (!Enum.IsDefined(outputMode))
        {
            throw new ArgumentOutOfRangeException(nameof(outputMode), outputMode, "Invalid value for argument `output_mode`. Expected one of {'dict', 'concat'}.");
        }

        CheckDimension(crossingDim ?? 1, nameof(crossingDim));
        CheckDimension(hashingDim, nameof(hashingDim));
        CheckDimension(numDiscretizationBins, nameof(numDiscretizationBins));
        OutputMode = outputMode;
        CrossingDim = crossingDim;
        HashingDim = hashingDim;
        NumDiscretizationBins = numDiscretizationBins;
        Name = name ?? "feature_space";

        foreach ((string featureName, Feature given) in features)
        {
            ArgumentNullException.ThrowIfNull(given, nameof(features));
            Feature feature = given.Preprocessor is null ? FeatureTypes.FromName(featureName, given.TypeName, hashingDim, numDiscretizationBins) : given;
            CheckConcatenable(featureName, feature.OutputMode, "feature");
            _features.Add(new(featureName, feature));
            _preprocessors[featureName] = FeaturePreprocessing.Copy(feature.Preprocessor!, $"feature '{featureName}'");
        }

        foreach (FeatureCross given in crosses ?? [])
        {
            ArgumentNullException.ThrowIfNull(given, nameof(crosses));
            FeatureCross cross = ResolveCross(given);
            _crosses.Add(cross);
            _crossers.Add(cross.Name, new HashedCrossing(cross.CrossingDim!.Value, CategoryOutputMode.Int, cross.Name));
        }

        _outputNames = [.. _features.Select(static f => f.Key).Order(Utf8Order.Comparer), .. _crosses.Select(static c => c.Name).Order(Utf8Order.Comparer)];
        Dictionary<string, Feature> featureByName = _features.ToDictionary(static f => f.Key, static f => f.Value, StringComparer.Ordinal);
        Dictionary<string, FeatureCross> crossByName = _crosses.ToDictionary(static c => c.Name, StringComparer.Ordinal);
        _outputSpecs = [.. _outputNames.Select(n => featureByName.TryGetValue(n, out Feature? f) ? ((Feature?)f, (FeatureCross?)null) : (null, crossByName[n]))];
        IsAdapted = !_preprocessors.Values.Any(FeaturePreprocessing.IsAdaptable);
    }

    /// <summary>The name.</summary>
    public string Name { get; }

    /// <summary>One concatenated tensor or a tensor per output.</summary>
    public FeatureSpaceOutputMode OutputMode { get; }

    /// <summary>The bins of crosses given as names (Keras' <c>crossing_dim</c>).</summary>
    public int? CrossingDim { get; }

    /// <summary>The bins of hashed features given as type names (Keras' <c>hashing_dim</c>).</summary>
    public int HashingDim { get; }

    /// <summary>The bins of discretized features given as type names (Keras' <c>num_discretization_bins</c>).</summary>
    public int NumDiscretizationBins { get; }

    /// <summary>The features, in the order given, type names resolved.</summary>
    public IReadOnlyDictionary<string, Feature> Features => new ReadOnlyDictionary<string, Feature>(_features.ToDictionary(static f => f.Key, static f => f.Value, StringComparer.Ordinal));

    /// <summary>The crosses, crossing dimensions resolved.</summary>
    public IReadOnlyList<FeatureCross> Crosses => _crosses.AsReadOnly();

    /// <summary>Each feature's preprocessor (Keras' <c>preprocessors</c>): a <see cref="Layer"/> or a <see cref="Preprocessor"/>. <see cref="Adapt"/> replaces them.</summary>
    public IReadOnlyDictionary<string, object> Preprocessors => new ReadOnlyDictionary<string, object>(new Dictionary<string, object>(_preprocessors, StringComparer.Ordinal));

    /// <summary>Each cross's <see cref="HashedCrossing"/> layer by cross name (Keras' <c>crossers</c>).</summary>
    public IReadOnlyDictionary<string, HashedCrossing> Crossers => new ReadOnlyDictionary<string, HashedCrossing>(_crossers);

    /// <summary>The outputs in Keras' order: features sorted by name, then crosses sorted by name.</summary>
    public IReadOnlyList<string> OutputNames => Array.AsReadOnly(_outputNames);

    /// <summary>Whether the space can transform: adapted, or with nothing to adapt (only float, rescaled and hashed features, or fixed bin boundaries).</summary>
    public bool IsAdapted { get; private set; }

    /// <summary>
    /// Learns every adaptable preprocessor's state from the training columns (Keras' <c>adapt</c>): Normalization's mean
    /// and variance, Discretization's boundaries, the lookups' vocabularies. Only the adaptable features' columns are read (as in Keras); the others may be absent.
    /// </summary>
    /// <param name="data">The columns by feature name, each one value per sample, all of one length.</param>
    /// <param name="batchSize">Keras adapts on a dataset's batches, and batches an unbatched one by 32 (the default): the Discretization summary is merged batch by batch (the mean, variance and vocabularies do not depend on it).</param>
    /// <exception cref="ArgumentException">An adaptable feature's column is missing, of the wrong kind or length, or holds a value its preprocessor refuses (NaN for Normalization); nothing changes.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is not positive.</exception>
    public void Adapt(IReadOnlyDictionary<string, FeatureColumn> data, int batchSize = DefaultAdaptBatch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        CheckColumns(data, static p => FeaturePreprocessing.IsAdaptable(p));
        var adapted = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach ((string featureName, _) in _features)
        {
            object current = _preprocessors[featureName];
            if (FeaturePreprocessing.IsAdaptable(current))
            {
                object fresh = FeaturePreprocessing.Copy(current, $"feature '{featureName}'");
                FeaturePreprocessing.Adapt(fresh, data[featureName], batchSize);
                adapted[featureName] = fresh;
            }
        }

        foreach ((string featureName, object preprocessor) in adapted)
        {
            _preprocessors[featureName] = preprocessor;
        }

        IsAdapted = true;
    }

    /// <summary>Preprocesses, crosses, encodes and concatenates the columns (Keras' call in <c>"concat"</c> mode).</summary>
    /// <param name="data">The columns by feature name, each one value per sample, all of one length; others are ignored.</param>
    /// <returns>A new (samples, width) tensor, the outputs in <see cref="OutputNames"/> order.</returns>
    /// <exception cref="InvalidOperationException">The space is in Dict mode, or has not been adapted.</exception>
    /// <exception cref="ArgumentException">A column is missing, of the wrong kind or length, or holds a value its preprocessor refuses.</exception>
    public Tensor Transform(IReadOnlyDictionary<string, FeatureColumn> data)
    {
        if (OutputMode != FeatureSpaceOutputMode.Concat)
        {
            throw new InvalidOperationException($"FeatureSpace '{Name}' is in Dict mode; call TransformToDictionary, or create it with FeatureSpaceOutputMode.Concat.");
        }

        Tensor[] outputs = Encode(data);
        int samples = outputs[0].Shape[0];
        var result = new Tensor(samples, outputs.Sum(static t => t.Shape[-1]));
        Tensor.ConcatenateLastAxis(outputs, result);
        return result;
    }

    /// <summary>Preprocesses, crosses and encodes the columns, one tensor per output (Keras' call in <c>"dict"</c> mode).</summary>
    /// <param name="data">The columns by feature name, each one value per sample, all of one length; others are ignored.</param>
    /// <returns>A tensor per feature and cross name (enumerated in <see cref="OutputNames"/> order): (samples, 1) of values or indices, or (samples, depth) one-hot.</returns>
    /// <exception cref="InvalidOperationException">The space is in Concat mode, or has not been adapted.</exception>
    /// <exception cref="ArgumentException">A column is missing, of the wrong kind or length, or holds a value its preprocessor refuses.</exception>
    public IReadOnlyDictionary<string, Tensor> TransformToDictionary(IReadOnlyDictionary<string, FeatureColumn> data)
    {
        if (OutputMode != FeatureSpaceOutputMode.Dict)
        {
            throw new InvalidOperationException($"FeatureSpace '{Name}' is in Concat mode; call Transform, or create it with FeatureSpaceOutputMode.Dict.");
        }

        Tensor[] outputs = Encode(data);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        for (int i = 0; i < outputs.Length; i++)
        {
            result.Add(_outputNames[i], outputs[i]);
        }

        return new ReadOnlyDictionary<string, Tensor>(result);
    }

    /// <summary>Refuses a number of bins below 1, naming the parameter.</summary>
    internal static void CheckDimension(int value, string parameterName)
    {
        if (value < 1)
        {
            throw new ArgumentOutOfRangeException(parameterName, value, string.Create(CultureInfo.InvariantCulture, $"{parameterName} must be a positive number of bins. Received: {value}."));
        }
    }

    // The outputs in _outputNames order: each feature's preprocessed column, each cross of them, one-hot encoded where asked.
    private Tensor[] Encode(IReadOnlyDictionary<string, FeatureColumn> data)
    {
        if (!IsAdapted)
        {
            throw new InvalidOperationException($"You need to call Adapt(data) on FeatureSpace '{Name}' before you can start using it.");
        }

        CheckColumns(data, static _ => true);
        var preprocessed = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach ((string featureName, _) in _features)
        {
            preprocessed[featureName] = FeaturePreprocessing.Apply(_preprocessors[featureName], data[featureName]);
        }

        var outputs = new Tensor[_outputNames.Length];
        for (int i = 0; i < outputs.Length; i++)
        {
            string output = _outputNames[i];
            (Feature? feature, FeatureCross? cross) = _outputSpecs[i];
            if (feature is not null)
            {
                outputs[i] = feature.OutputMode == CategoryOutputMode.OneHot
                    ? OneHot(output, preprocessed[output], FeaturePreprocessing.Cardinality(_preprocessors[output]))
                    : preprocessed[output];
            }
            else
            {
                Tensor[] inputs = [.. cross!.FeatureNames.Select(n => preprocessed[n])];
                Tensor bins = _crossers[output].Forward(inputs, training: false);

                // The crosser's output is its own buffer: encoded into a new tensor, or copied when returned as indices.
                outputs[i] = cross.OutputMode == CategoryOutputMode.OneHot ? OneHot(output, bins, cross.CrossingDim!.Value) : bins.Clone();
            }
        }

        return outputs;
    }

    // Keras' one-hot encoders: CategoryEncoding(num_tokens=cardinality, output_mode="multi_hot") on the (samples, 1) indices.
    private Tensor OneHot(string output, Tensor indices, int depth)
    {
        if (!_encoders.TryGetValue(output, out CategoryEncoding? encoder) || encoder.NumTokens != depth)
        {
            encoder = new CategoryEncoding(depth, CategoryOutputMode.MultiHot, $"{output}_encoder");
            _encoders[output] = encoder;
        }

        return encoder.Forward(indices, training: false).Clone();
    }

    // The column of every feature whose preprocessor is selected present, of its kind, all of one non-zero length:
    // checked before anything runs (Adapt selects the adaptable ones, as Keras reads only their columns; Transform all).
    private void CheckColumns(IReadOnlyDictionary<string, FeatureColumn> data, Func<object, bool> selected)
    {
        ArgumentNullException.ThrowIfNull(data);
        string? first = null;
        foreach ((string featureName, Feature feature) in _features)
        {
            if (!selected(_preprocessors[featureName]))
            {
                continue;
            }

            if (!data.TryGetValue(featureName, out FeatureColumn? column) || column is null)
            {
                throw new ArgumentException($"FeatureSpace '{Name}' has no column '{featureName}' in the data; feature '{featureName}' ({feature.TypeName}) expects a column of {feature.Dtype} values. Columns given: {string.Join(", ", data.Keys.Select(k => $"'{k}'"))}.", nameof(data));
            }

            column.Check(featureName, feature.Dtype);
            if (column.Count == 0)
            {
                throw new ArgumentException($"Feature '{featureName}' has no samples; expected one value per sample.", nameof(data));
            }

            first ??= featureName;
            if (column.Count != data[first].Count)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"Feature '{featureName}' has {column.Count} samples but feature '{first}' has {data[first].Count}; every column needs one value per sample."), nameof(data));
            }
        }
    }

    private void CheckConcatenable(string output, CategoryOutputMode? mode, string kind)
    {
        if (OutputMode == FeatureSpaceOutputMode.Concat && mode == CategoryOutputMode.Int)
        {
            throw new ArgumentException($"Cannot concatenate features because {kind} '{output}' has not been encoded (its output_mode is 'int'). Consider using FeatureSpaceOutputMode.Dict, or output_mode 'one_hot'.", "features");
        }
    }

    // Keras' checks of a cross, plus: a float feature has no indices to hash, and a cross is not repeated.
    private FeatureCross ResolveCross(FeatureCross given)
    {
        string names = string.Join(", ", given.FeatureNames.Select(n => $"'{n}'"));
        if (given.CrossingDim is null && CrossingDim is null)
        {
            throw new ArgumentException($"When specifying `crosses`, the argument `crossing_dim` (dimensionality of the crossing space) should be specified as well. Cross: ({names}).", "crosses");
        }

        foreach (string featureName in given.FeatureNames)
        {
            // The space's own ordinal names, whatever comparer the caller's dictionary has ("AGE" is not "age").
            if (!_preprocessors.ContainsKey(featureName))
            {
                throw new ArgumentException($"All features referenced in the `crosses` argument should be present in the `features` dict. Received unknown features: ({names}); '{featureName}' is not a feature (names are case-sensitive).", "crosses");
            }

            string type = _features.First(f => f.Key == featureName).Value.TypeName;
            if (FeatureTypes.IsFloat(type))
            {
                throw new ArgumentException($"Cross ({names}) names feature '{featureName}' of type {type}, whose float values cannot be crossed; cross categorical, hashed or discretized features.", "crosses");
            }
        }

        var cross = new FeatureCross(given.FeatureNames, given.CrossingDim ?? CrossingDim, given.OutputMode);
        if (_crosses.Any(c => c.Name == cross.Name) || _features.Any(f => f.Key == cross.Name))
        {
            throw new ArgumentException($"The cross '{cross.Name}' is given twice, or has the name of a feature.", "crosses");
        }

        CheckConcatenable(cross.Name, cross.OutputMode, "cross");
        return cross;
    }
}
