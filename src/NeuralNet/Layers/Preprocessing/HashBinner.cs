using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// The bins of Keras' <c>Hashing</c>, shared by <see cref="Hashing"/> (integer tokens) and
/// <see cref="Preprocessing.StringHashing"/> (strings): the bytes of a value's string form hashed with FarmHash
/// <c>Fingerprint64</c> (<c>tf.strings.to_hash_bucket_fast</c>), or with SipHash-2-4 keyed by the salt
/// (<c>to_hash_bucket_strong</c>), modulo the number of bins; with a mask value, bin 0 is the mask's and the other values
/// go to <c>1 + hash % (numBins − 1)</c>.
/// </summary>
internal sealed class HashBinner
{
    private readonly ulong _k0;
    private readonly ulong _k1;

    /// <summary>The most bins: bins are written as floats, which hold whole numbers exactly up to 2^24 (as the lookups' vocabularies).</summary>
    public const int MaxBins = 1 << 24;

    /// <summary>Checks the settings as Keras' constructor does, naming <paramref name="layer"/> in the messages.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="numBins"/> is not positive, or the mode is not defined.</exception>
    /// <exception cref="ArgumentException"><paramref name="salt"/> holds neither one nor two values.</exception>
    public HashBinner(string layer, int numBins, bool hasMask, IReadOnlyList<long>? salt, CategoryOutputMode outputMode)
    {
        if (numBins <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(numBins), numBins, string.Create(CultureInfo.InvariantCulture,
                $"The numBins of {layer} must be a positive number of bins (the mask value's bin included). Received: numBins={numBins}."));
        }

        if (numBins > HashBinner.MaxBins)
        {
            throw new ArgumentOutOfRangeException(nameof(numBins), numBins, string.Create(CultureInfo.InvariantCulture,
                $"The numBins of {layer} must be at most {HashBinner.MaxBins}: bins are written as floats, which hold whole numbers exactly only up to 2^24. Received: numBins={numBins}."));
        }

        CategoryEncoder.CheckDefined(outputMode, nameof(outputMode));
        if (salt is not null)
        {
            if (salt.Count is not (1 or 2))
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"The salt of {layer} can only be two integers, or a single integer (used twice). Received: salt=[{string.Join(", ", salt)}]."), nameof(salt));
            }

            // TensorFlow reads the key as two int64 attributes and reinterprets them as uint64.
            _k0 = unchecked((ulong)salt[0]);
            _k1 = unchecked((ulong)salt[^1]);
            Salt = [salt[0], salt[^1]];
        }

        NumBins = numBins;
        HasMask = hasMask;
        OutputMode = outputMode;
    }

    /// <summary>The number of bins, the mask's included.</summary>
    public int NumBins { get; }

    /// <summary>Whether a mask value takes bin 0.</summary>
    public bool HasMask { get; }

    /// <summary>The SipHash key (two values), or null for FarmHash.</summary>
    public long[]? Salt { get; }

    /// <summary>The ids or their encoding over <see cref="NumBins"/> categories.</summary>
    public CategoryOutputMode OutputMode { get; }

    /// <summary>
    /// Whether masked values go to bin 0 and the others to 1 + hash % (numBins − 1); Keras does so only when numBins &gt; 1
    /// (with one bin, everything is in bin 0 anyway).
    /// </summary>
    public bool ReservesMaskBin => HasMask && NumBins > 1;

    /// <summary>The bin of a value that is not the mask value, from the UTF-8 bytes of its string form.</summary>
    public int Bin(ReadOnlySpan<byte> utf8)
    {
        ulong hash = Salt is null ? FarmHash.Fingerprint64(utf8) : SipHash.Hash24(_k0, _k1, utf8);
        return ReservesMaskBin ? 1 + (int)(hash % (ulong)(NumBins - 1)) : (int)(hash % (ulong)NumBins);
    }

    /// <summary>The bin of an integer token: the bytes of its decimal form (TensorFlow's <c>as_string</c> of an int64).</summary>
    public int Bin(long token)
    {
        Span<byte> digits = stackalloc byte[20];
        token.TryFormat(digits, out int written, default, CultureInfo.InvariantCulture);
        return Bin(digits[..written]);
    }

    /// <summary>Writes the settings under Keras' keys.</summary>
    public Config Write(Config config, JsonNode? maskValue)
    {
        config.Set("num_bins", NumBins);
        _ = Salt is null ? config.SetNull("salt") : config.Set("salt", Salt);
        return config
            .Set("mask_value", maskValue)
            .Set("output_mode", CategoryEncoder.Name(OutputMode))
            .Set("sparse", false);
    }

    /// <summary>Reads Keras' <c>salt</c>: null, one integer (Keras then uses it twice) or a list of two integers.</summary>
    /// <exception cref="InvalidDataException">The value is neither.</exception>
    public static long[]? ReadSalt(Config config)
    {
        switch (config.GetNode("salt"))
        {
            case null:
                return null;
            case JsonValue value when value.GetValueKind() == JsonValueKind.Number:
                return [config.GetInt64("salt")];
            case JsonArray array when array.Count != 2:
                throw config.Error(string.Create(CultureInfo.InvariantCulture,
                    $"\"salt\" can only be a list of 2 integers, or a single integer. Received: salt={array.ToJsonString()}."));
            case JsonArray array:
                var salt = new long[array.Count];
                for (int i = 0; i < salt.Length; i++)
                {
                    salt[i] = array[i] is JsonValue item && item.GetValueKind() == JsonValueKind.Number && long.TryParse(item.ToJsonString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v)
                        ? v
                        : throw config.Error(string.Create(CultureInfo.InvariantCulture, $"\"salt\"[{i}] is {Config.Describe(array[i])}; expected an integer."));
                }

                return salt;
            case JsonNode other:
                throw config.Error($"\"salt\" must be null, an integer or a list of 2 integers but is {Config.Describe(other)}.");
        }
    }
}
