using System.Globalization;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// The crossing of Keras' <c>HashedCrossing</c>, shared by <see cref="HashedCrossing"/> (integer features) and
/// <see cref="Preprocessing.StringHashedCrossing"/> (strings and integers): <c>tf.sparse.cross_hashed</c>'s
/// <c>HashCrosser</c> on one value per feature, <c>h = key; h = FingerprintCat64(h, f_i)</c> for each feature in order,
/// where f is an integer feature's value itself (as uint64) and a string feature's <c>Fingerprint64</c>; the bin is
/// <c>h % numBins</c> (unsigned).
/// </summary>
internal static class HashCross
{
    /// <summary>TensorFlow's <c>_DEFAULT_HASH_KEY</c> of <c>sparse_cross_hashed</c> (Keras passes no key).</summary>
    public const ulong DefaultKey = 0xDECAFCAFFE;

    /// <summary>The cross so far, <paramref name="cross"/>, extended with the next feature's value <paramref name="feature"/>.</summary>
    public static ulong Add(ulong cross, ulong feature) => FarmHash.FingerprintCat64(cross, feature);

    /// <summary>The bin of a finished cross.</summary>
    public static int Bin(ulong cross, int numBins) => (int)(cross % (ulong)numBins);

    /// <summary>Checks Keras' settings: a positive number of bins and the modes <c>"int"</c> or <c>"one_hot"</c>.</summary>
    public static void Check(string layer, int numBins, CategoryOutputMode outputMode)
    {
        if (numBins <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(numBins), numBins, string.Create(CultureInfo.InvariantCulture,
                $"The numBins of {layer} must be a positive number of bins. Received: numBins={numBins}."));
        }

        if (numBins > HashBinner.MaxBins)
        {
            throw new ArgumentOutOfRangeException(nameof(numBins), numBins, string.Create(CultureInfo.InvariantCulture,
                $"The numBins of {layer} must be at most {HashBinner.MaxBins}: bins are written as floats, which hold whole numbers exactly only up to 2^24. Received: numBins={numBins}."));
        }

        if (outputMode is not (CategoryOutputMode.Int or CategoryOutputMode.OneHot))
        {
            throw new ArgumentOutOfRangeException(nameof(outputMode), outputMode,
                $"The outputMode of {layer} must be Int or OneHot (Keras' \"int\" or \"one_hot\"). Received: outputMode={outputMode}.");
        }
    }

    /// <summary>Reads Keras' <c>num_bins</c>, <c>output_mode</c> and <c>sparse</c> (false only).</summary>
    public static (int NumBins, CategoryOutputMode Mode) Read(Config config)
    {
        CategoryEncoder.RequireDense(config);
        return (config.GetInt32("num_bins"), CategoryEncoder.Read(config, "int"));
    }
}
