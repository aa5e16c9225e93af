using System.Globalization;
using System.Text.Json.Nodes;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Hashes integer tokens (held in floats) into a fixed number of bins (Keras' <c>Hashing</c>): each token's decimal
/// form (TensorFlow's <c>as_string</c>) hashed with FarmHash <c>Fingerprint64</c>, modulo <see cref="NumBins"/>; with a
/// <see cref="Salt"/>, SipHash-2-4 keyed by it instead. The output is the bins (as floats) or their one-hot, multi-hot
/// or count encoding over <see cref="NumBins"/> categories, see <see cref="CategoryOutputMode"/>.
/// </summary>
/// <remarks>
/// <para>With a <see cref="MaskValue"/>, bin 0 is reserved for it and the other tokens go to
/// <c>1 + hash % (numBins − 1)</c>, as in Keras (which keeps that rule only when numBins &gt; 1). The bins are Keras'
/// bit for bit: Keras' <c>Hashing(num_bins=3)</c> maps 0, 1, 2, 3, 4 to 1, 0, 1, 0, 2.</para>
/// <para>Tokens must be whole numbers; anything else fails naming the sample and the position (Keras truncates float
/// inputs to int64; here floats are the tensors' only type, so a fraction is taken for a mistake). Hash strings with
/// <see cref="Preprocessing.StringHashing"/>, the same layer for text in front of the model. Sparse outputs are not
/// supported. Hashes are not differentiable: the input gradient is zero.</para>
/// </remarks>
/// <example><c>new Hashing(numBins: 3)</c> maps [[0], [1], [2], [3], [4]] to [[1], [0], [1], [0], [2]].</example>
public sealed class Hashing : Layer
{
    private readonly HashBinner _binner;
    private Tensor? _output;
    private Tensor? _inputGradient;
    private int[] _ids = [];
    private int _batch = -1;

    /// <summary>Creates a hashing layer.</summary>
    /// <param name="numBins">The number of bins, the mask value's included.</param>
    /// <param name="maskValue">The token that marks padding, sent to bin 0; null for none (Keras' default).</param>
    /// <param name="salt">Null for FarmHash (Keras' default); else the SipHash key: two integers, or one (used twice, as Keras does).</param>
    /// <param name="outputMode">Bins (Keras' default) or their one-hot, multi-hot or count encoding.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>hashing</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="numBins"/> is not positive, or the mode is not defined.</exception>
    /// <exception cref="ArgumentException"><paramref name="salt"/> holds neither one nor two values, or <paramref name="maskValue"/> is a token a float cannot hold exactly.</exception>
    public Hashing(int numBins, long? maskValue = null, IReadOnlyList<long>? salt = null, CategoryOutputMode outputMode = CategoryOutputMode.Int, string? name = null)
        : base(name)
    {
        _binner = new HashBinner(nameof(Hashing), numBins, maskValue is not null, salt, outputMode);
        if (maskValue is long mask && (Math.Abs((double)mask) >= 9.2e18 || (long)(float)mask != mask))
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"The maskValue {mask} of Hashing cannot be held exactly in a float, so no input could match it; it must be an integer a float32 holds exactly (such as |maskValue| <= 16777216)."), nameof(maskValue));
        }

        MaskValue = maskValue;
    }

    /// <summary>The number of bins, the mask value's included.</summary>
    public int NumBins => _binner.NumBins;

    /// <summary>The token sent to bin 0, or null for none.</summary>
    public long? MaskValue { get; }

    /// <summary>The SipHash key (two values), or null when the layer uses FarmHash.</summary>
    public IReadOnlyList<long>? Salt => _binner.Salt is long[] salt ? Array.AsReadOnly(salt) : null;

    /// <summary>Bins or their encoding.</summary>
    public CategoryOutputMode OutputMode => _binner.OutputMode;

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "hashing";

    /// <inheritdoc/>
    /// <remarks>Keras' keys: <c>num_bins</c>, <c>salt</c> (null or two integers), <c>mask_value</c>, <c>output_mode</c>, <c>sparse</c> (false).</remarks>
    public override Config GetConfig() => _binner.Write(base.GetConfig(), MaskValue is long mask ? JsonValue.Create(mask) : null);

    /// <summary>Keras' <c>from_config</c>.</summary>
    internal static Hashing FromConfig(Config config)
    {
        CategoryEncoder.RequireDense(config);
        if (config.GetNode("mask_value") is JsonValue mask && mask.GetValueKind() == System.Text.Json.JsonValueKind.String)
        {
            throw config.Error($"\"mask_value\" is the string \"{FormatError.Shorten(mask.GetValue<string>())}\", but the Hashing layer takes integer tokens; hash strings with the StringHashing preprocessor.");
        }

        try
        {
            return new Hashing(config.GetInt32("num_bins"), config.GetNullableInt64("mask_value"), HashBinner.ReadSalt(config), CategoryEncoder.Read(config, "int"), config.GetString("name"));
        }
        catch (ArgumentException e)
        {
            throw config.Error(e.Message, e);
        }
    }

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape) => CategoryEncoder.OutputShape(inputShape, OutputMode, NumBins);

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        ReadOnlySpan<float> x = input.AsReadOnlySpan();
        int sampleLength = InputShape.ElementCount;

        // Every token is checked before anything is written.
        for (int i = 0; i < x.Length; i++)
        {
            float value = x[i];
            if (!(value == MathF.Floor(value) && float.IsFinite(value)))
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"{Describe()} expects whole-number tokens but {CategoryEncoder.Where(i, sampleLength)} holds {value}."), nameof(input));
            }

            if (!(MathF.Abs(value) < 9.223372e18f))
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"{Describe()} expects tokens in the int64 range (Keras casts them to int64) but {CategoryEncoder.Where(i, sampleLength)} holds {value}."), nameof(input));
            }
        }

        _batch = input.Shape[0];
        if (_ids.Length < x.Length)
        {
            _ids = new int[x.Length];
        }

        Span<int> ids = _ids.AsSpan(0, x.Length);
        bool masks = _binner.ReservesMaskBin;
        float mask = MaskValue ?? 0;
        for (int i = 0; i < x.Length; i++)
        {
            ids[i] = masks && x[i] == mask ? 0 : _binner.Bin((long)x[i]);
        }

        Tensor output = BatchView(ref _output, _batch, OutputShape);
        Span<float> y = output.AsSpan();
        if (OutputMode == CategoryOutputMode.Int)
        {
            for (int i = 0; i < ids.Length; i++)
            {
                y[i] = ids[i];
            }
        }
        else
        {
            CategoryEncoder.Encode(ids, CategoryEncoder.RowLength(InputShape), OutputMode, NumBins, y);
        }

        return output;
    }

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        IdGradient.CheckBatch(this, outputGradient, _batch);
        if (!ComputesInputGradient)
        {
            return outputGradient;
        }

        // Hashes are not differentiable: the gradient is zero.
        Tensor inputGradient = BatchView(ref _inputGradient, _batch, InputShape);
        inputGradient.AsSpan().Clear();
        return inputGradient;
    }
}
