using System.Globalization;
using NeuralNet.Layers;
using NeuralNet.Serialization;

namespace NeuralNet.Preprocessing;

/// <summary>
/// Crosses two or more categorical features, strings or integers, into a fixed number of bins with the "hashing trick"
/// (Keras' <c>HashedCrossing</c> on string inputs): a preprocessor in front of the model, since tensors hold only
/// floats. The cross is <see cref="HashedCrossing"/>'s (the same code): per sample, TensorFlow's
/// <c>FingerprintCat64</c> chained over the features (a string as its <c>Fingerprint64</c>, an integer as its value),
/// modulo <see cref="NumBins"/>.
/// </summary>
/// <remarks>
/// The bins are Keras' bit for bit: <c>HashedCrossing(num_bins=5)</c> maps ("A", 101), ("B", 101), ("A", 101),
/// ("B", 102), ("A", 102) to 1, 4, 1, 1, 3. Save it with a model by adding it to <see cref="Models.Model.Preprocessing"/>;
/// its configuration is Keras' <c>HashedCrossing</c> configuration, under the name <c>"HashedCrossing"</c>. Sparse
/// outputs are not supported.
/// </remarks>
/// <example>
/// <code>
/// var crossing = new StringHashedCrossing(numBins: 5);
/// Tensor bins = crossing.Transform(new[] { "A", "B", "A", "B", "A" }, new long[] { 101, 101, 101, 102, 102 });   // [1, 4, 1, 1, 3]
/// </code>
/// </example>
public sealed class StringHashedCrossing : Preprocessor
{
    /// <summary>Creates a hashed crossing preprocessor.</summary>
    /// <param name="numBins">The number of bins.</param>
    /// <param name="outputMode">Bins (Keras' default) or their one-hot encoding; Keras offers no other mode.</param>
    /// <param name="name">The name (Keras' layer name); <c>hashed_crossing</c> when null.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="numBins"/> is not positive, or <paramref name="outputMode"/> is neither Int nor OneHot.</exception>
    public StringHashedCrossing(int numBins, CategoryOutputMode outputMode = CategoryOutputMode.Int, string? name = null)
    {
        HashCross.Check(nameof(StringHashedCrossing), numBins, outputMode);
        NumBins = numBins;
        OutputMode = outputMode;
        Name = name ?? "hashed_crossing";
    }

    /// <summary>The name (written in the configuration).</summary>
    public string Name { get; }

    /// <summary>The number of bins.</summary>
    public int NumBins { get; }

    /// <summary>Bins or their one-hot encoding.</summary>
    public CategoryOutputMode OutputMode { get; }

    /// <summary>Crosses the features, one value per sample in each: (samples) of bins in Int mode, (samples, numBins) in OneHot mode.</summary>
    /// <param name="features">Two or more features of the same number of samples.</param>
    /// <returns>A new tensor.</returns>
    /// <exception cref="ArgumentException">There are fewer than two features, no samples, or the features differ in length.</exception>
    /// <exception cref="ArgumentNullException">A feature or one of its strings is null.</exception>
    public Tensor Transform(params CrossingFeature[] features)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (features.Length < 2)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"StringHashedCrossing '{Name}' should be called on at least two features. Received: {features.Length}."), nameof(features));
        }

        for (int i = 0; i < features.Length; i++)
        {
            if (features[i] is null)
            {
                throw new ArgumentNullException(nameof(features), string.Create(CultureInfo.InvariantCulture, $"Feature {i} is null."));
            }

            if (features[i].Count != features[0].Count || features[0].Count == 0)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"StringHashedCrossing '{Name}' expects features of the same, non-zero number of samples, but feature 0 has {features[0].Count} and feature {i} has {features[i].Count}."), nameof(features));
            }
        }

        int samples = features[0].Count;
        var bins = new int[samples];
        for (int b = 0; b < samples; b++)
        {
            ulong cross = HashCross.DefaultKey;
            for (int i = 0; i < features.Length; i++)
            {
                cross = HashCross.Add(cross, features[i].CrossValue(b, i));
            }

            bins[b] = HashCross.Bin(cross, NumBins);
        }

        var output = new Tensor(OutputMode == CategoryOutputMode.Int ? new TensorShape(samples) : new TensorShape(samples, NumBins));
        Span<float> y = output.AsSpan();
        for (int b = 0; b < samples; b++)
        {
            y[OutputMode == CategoryOutputMode.Int ? b : (b * NumBins) + bins[b]] = OutputMode == CategoryOutputMode.Int ? bins[b] : 1f;
        }

        return output;
    }

    /// <inheritdoc/>
    /// <remarks>Keras' keys: <c>num_bins</c>, <c>output_mode</c>, <c>sparse</c> (false).</remarks>
    public override Config GetConfig() => new Config().Set("name", Name).Set("num_bins", NumBins).Set("output_mode", CategoryEncoder.Name(OutputMode)).Set("sparse", false);

    /// <summary>Keras' <c>from_config</c>.</summary>
    internal static StringHashedCrossing FromConfig(Config config)
    {
        (int numBins, CategoryOutputMode mode) = HashCross.Read(config);
        try
        {
            return new StringHashedCrossing(numBins, mode, config.GetString("name", "hashed_crossing"));
        }
        catch (ArgumentException e)
        {
            throw config.Error(e.Message, e);
        }
    }
}
