using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using NeuralNet.Layers;
using NeuralNet.Serialization;

namespace NeuralNet.Preprocessing;

/// <summary>
/// Hashes strings into a fixed number of bins (Keras' <c>Hashing</c> on string inputs): a preprocessor in front of the
/// model, since tensors hold only floats. Each string's UTF-8 bytes are hashed with FarmHash <c>Fingerprint64</c>
/// (TensorFlow's <c>to_hash_bucket_fast</c>), modulo <see cref="NumBins"/>; with a <see cref="Salt"/>, SipHash-2-4
/// keyed by it instead (<c>to_hash_bucket_strong</c>). The bins and options are <see cref="Hashing"/>'s (the same code).
/// </summary>
/// <remarks>
/// <para>With a <see cref="MaskValue"/>, bin 0 is reserved for it and the other strings go to
/// <c>1 + hash % (numBins − 1)</c> (when numBins &gt; 1, as in Keras). The bins are Keras' bit for bit:
/// <c>Hashing(num_bins=3)</c> maps "A", "B", "C", "D", "E" to 1, 0, 1, 1, 2.</para>
/// <para><see cref="Transform(IEnumerable{string})"/> takes one string per sample, <see cref="Transform(IEnumerable{IReadOnlyList{string}})"/>
/// rows of strings (one row per sample, all of one length); the result follows <see cref="CategoryOutputMode"/>'s
/// shapes. Save it with a model by adding it to <see cref="Models.Model.Preprocessing"/>; its configuration is Keras'
/// <c>Hashing</c> configuration, under the name <c>"Hashing"</c>. Sparse outputs are not supported.</para>
/// </remarks>
/// <example>
/// <code>
/// var hashing = new StringHashing(numBins: 3);
/// Tensor bins = hashing.Transform(["A", "B", "C", "D", "E"]);   // [1, 0, 1, 1, 2]
/// </code>
/// </example>
public sealed class StringHashing : Preprocessor
{
    private readonly HashBinner _binner;

    /// <summary>Creates a string hashing preprocessor.</summary>
    /// <param name="numBins">The number of bins, the mask value's included.</param>
    /// <param name="maskValue">The string that marks padding, sent to bin 0; null for none (Keras' default).</param>
    /// <param name="salt">Null for FarmHash (Keras' default); else the SipHash key: two integers, or one (used twice, as Keras does).</param>
    /// <param name="outputMode">Bins (Keras' default) or their one-hot, multi-hot or count encoding.</param>
    /// <param name="name">The name (Keras' layer name); <c>hashing</c> when null.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="numBins"/> is not positive, or the mode is not defined.</exception>
    /// <exception cref="ArgumentException"><paramref name="salt"/> holds neither one nor two values.</exception>
    public StringHashing(int numBins, string? maskValue = null, IReadOnlyList<long>? salt = null, CategoryOutputMode outputMode = CategoryOutputMode.Int, string? name = null)
    {
        _binner = new HashBinner(nameof(StringHashing), numBins, maskValue is not null, salt, outputMode);
        MaskValue = maskValue;
        Name = name ?? "hashing";
    }

    /// <summary>The name (written in the configuration).</summary>
    public string Name { get; }

    /// <summary>The number of bins, the mask value's included.</summary>
    public int NumBins => _binner.NumBins;

    /// <summary>The string sent to bin 0, or null for none.</summary>
    public string? MaskValue { get; }

    /// <summary>The SipHash key (two values), or null when the preprocessor uses FarmHash.</summary>
    public IReadOnlyList<long>? Salt => _binner.Salt is long[] salt ? Array.AsReadOnly(salt) : null;

    /// <summary>Bins or their encoding.</summary>
    public CategoryOutputMode OutputMode => _binner.OutputMode;

    /// <summary>Hashes strings, one per sample, to a tensor: (strings) of bins in Int mode, (strings, numBins) otherwise.</summary>
    /// <param name="values">The strings.</param>
    /// <returns>A new tensor.</returns>
    /// <exception cref="ArgumentException">There are no strings.</exception>
    /// <exception cref="ArgumentNullException">A string is null.</exception>
    public Tensor Transform(IEnumerable<string> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        string[] flat = [.. values];
        return Hash(flat, flat.Length, []);
    }

    /// <summary>
    /// Hashes rows of strings (one row per sample, all of one length k) to a tensor: (rows, k) of bins in Int mode;
    /// (rows, numBins) of multi-hot or count vectors; (rows, k, numBins) of one-hot vectors, or (rows, numBins) when k is 1.
    /// </summary>
    /// <param name="rows">The rows of strings.</param>
    /// <returns>A new tensor.</returns>
    /// <exception cref="ArgumentException">There are no rows, or the rows differ in length or are empty.</exception>
    /// <exception cref="ArgumentNullException">A row or a string is null.</exception>
    public Tensor Transform(IEnumerable<IReadOnlyList<string>> rows)
    {
        (string[] flat, int count, int length) = StringRows.Flatten(rows, "strings");
        return Hash(flat, count, [length]);
    }

    /// <inheritdoc/>
    /// <remarks>Keras' <c>Hashing</c> keys: <c>num_bins</c>, <c>salt</c> (null or two integers), <c>mask_value</c>, <c>output_mode</c>, <c>sparse</c> (false).</remarks>
    public override Config GetConfig() => _binner.Write(new Config().Set("name", Name), MaskValue is string mask ? JsonValue.Create(mask) : null);

    /// <summary>Keras' <c>from_config</c>: recreates the preprocessor from what <see cref="GetConfig"/> wrote (or Keras' config of a <c>Hashing</c> layer).</summary>
    internal static StringHashing FromConfig(Config config)
    {
        CategoryEncoder.RequireDense(config);
        JsonNode? mask = config.GetNode("mask_value");
        if (mask is not null && mask.GetValueKind() != JsonValueKind.String)
        {
            throw config.Error($"\"mask_value\" must be a string or null for hashing strings but is {Config.Describe(mask)}; the Hashing layer takes integer tokens.");
        }

        try
        {
            return new StringHashing(config.GetInt32("num_bins"), mask?.GetValue<string>(), HashBinner.ReadSalt(config), CategoryEncoder.Read(config, "int"), config.GetString("name", "hashing"));
        }
        catch (ArgumentException e)
        {
            throw config.Error(e.Message, e);
        }
    }

    // flat holds samples of sampleShape, in row-major order.
    private Tensor Hash(string[] flat, int samples, int[] sampleShape)
    {
        if (samples == 0)
        {
            throw new ArgumentException("There are no strings to hash.", "values");
        }

        int sampleLength = flat.Length / samples;
        var ids = new int[flat.Length];
        byte[] buffer = new byte[64];
        for (int i = 0; i < flat.Length; i++)
        {
            string value = flat[i] ?? throw new ArgumentNullException("values", $"The string of {CategoryEncoder.Where(i, sampleLength)} is null.");
            if (_binner.ReservesMaskBin && string.Equals(value, MaskValue, StringComparison.Ordinal))
            {
                ids[i] = 0;
                continue;
            }

            int count = Encoding.UTF8.GetByteCount(value);
            if (count > buffer.Length)
            {
                buffer = new byte[Math.Max(count, buffer.Length * 2)];
            }

            ids[i] = _binner.Bin(buffer.AsSpan(0, Encoding.UTF8.GetBytes(value, buffer)));
        }

        var sample = new TensorShape(sampleShape);
        var output = new Tensor(CategoryEncoder.OutputShape(sample, OutputMode, NumBins).Prepend(samples));
        if (OutputMode == CategoryOutputMode.Int)
        {
            Span<float> y = output.AsSpan();
            for (int i = 0; i < ids.Length; i++)
            {
                y[i] = ids[i];
            }
        }
        else
        {
            CategoryEncoder.Encode(ids, CategoryEncoder.RowLength(sample), OutputMode, NumBins, output.AsSpan());
        }

        return output;
    }
}
