using System.Globalization;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Crosses two or more integer features (held in floats) into a fixed number of bins with the "hashing trick"
/// (Keras' <c>HashedCrossing</c>): for each sample, the features' values chained with TensorFlow's
/// <c>FingerprintCat64</c> from <c>tf.sparse.cross_hashed</c>'s default key, modulo <see cref="NumBins"/>. The output
/// is the bins (as floats) or their one-hot encoding.
/// </summary>
/// <remarks>
/// <para>As in Keras, each input holds one value per sample: per-sample shape () or (1), the same for every input; the
/// output has the inputs' shape in Int mode and is (numBins) per sample in OneHot mode. The bins are Keras' bit for bit:
/// an integer feature enters the cross as its value itself (not its decimal form, unlike <see cref="Hashing"/>).</para>
/// <para>Features must be whole numbers; anything else fails naming the input and the sample (Keras refuses float
/// inputs). Cross strings, or strings with integers, with <see cref="Preprocessing.StringHashedCrossing"/> in front of
/// the model. Sparse outputs are not supported. Bins are not differentiable: the input gradients are zero.</para>
/// </remarks>
/// <example><c>new HashedCrossing(numBins: 5).Call(a, b)</c> crosses two features of per-sample shape (1).</example>
public sealed class HashedCrossing : MultiInputLayer
{
    private Tensor? _output;
    private Tensor?[] _inputGradients = [];
    private int _batch = -1;

    /// <summary>Creates a hashed crossing layer.</summary>
    /// <param name="numBins">The number of bins.</param>
    /// <param name="outputMode">Bins (Keras' default) or their one-hot encoding; Keras offers no other mode.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>hashed_crossing</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="numBins"/> is not positive, or <paramref name="outputMode"/> is neither Int nor OneHot.</exception>
    public HashedCrossing(int numBins, CategoryOutputMode outputMode = CategoryOutputMode.Int, string? name = null)
        : base(name)
    {
        HashCross.Check(nameof(HashedCrossing), numBins, outputMode);
        NumBins = numBins;
        OutputMode = outputMode;
    }

    /// <summary>The number of bins.</summary>
    public int NumBins { get; }

    /// <summary>Bins or their one-hot encoding.</summary>
    public CategoryOutputMode OutputMode { get; }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "hashed_crossing";

    /// <inheritdoc/>
    protected override int MinimumInputCount => 2;

    /// <inheritdoc/>
    /// <remarks>Keras' keys: <c>num_bins</c>, <c>output_mode</c>, <c>sparse</c> (false).</remarks>
    public override Config GetConfig() => base.GetConfig().Set("num_bins", NumBins).Set("output_mode", CategoryEncoder.Name(OutputMode)).Set("sparse", false);

    /// <summary>Keras' <c>from_config</c>.</summary>
    internal static HashedCrossing FromConfig(Config config)
    {
        (int numBins, CategoryOutputMode mode) = HashCross.Read(config);
        try
        {
            return new HashedCrossing(numBins, mode, config.GetString("name"));
        }
        catch (ArgumentException e)
        {
            throw config.Error(e.Message, e);
        }
    }

    /// <inheritdoc/>
    protected override TensorShape OnBuild(ReadOnlySpan<TensorShape> inputShapes)
    {
        TensorShape first = inputShapes[0];
        if (first.Rank > 1 || (first.Rank == 1 && first[0] != 1))
        {
            throw new ArgumentException($"All {Describe()} inputs should have shape (None) or (None, 1), one value per sample, but input 0 is {first.ToBatchString()}.", nameof(inputShapes));
        }

        for (int i = 1; i < inputShapes.Length; i++)
        {
            if (inputShapes[i] != first)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"All {Describe()} inputs should have equal shape, but input 0 is {first.ToBatchString()} and input {i} is {inputShapes[i].ToBatchString()}."), nameof(inputShapes));
            }
        }

        _inputGradients = new Tensor?[inputShapes.Length];
        return CategoryEncoder.OutputShape(first, OutputMode, NumBins);
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(ReadOnlySpan<Tensor> inputs, bool training)
    {
        // Every feature is checked before anything is written.
        for (int i = 0; i < inputs.Length; i++)
        {
            ReadOnlySpan<float> x = inputs[i].AsReadOnlySpan();
            for (int b = 0; b < x.Length; b++)
            {
                float value = x[b];
                if (!(value == MathF.Floor(value) && float.IsFinite(value)))
                {
                    throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                        $"{Describe()} expects whole-number features but input {i} holds {value} for sample {b}."), nameof(inputs));
                }

                if (!(MathF.Abs(value) < 9.223372e18f))
                {
                    throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                        $"{Describe()} expects features in the int64 range (Keras casts them to int64) but input {i} holds {value} for sample {b}."), nameof(inputs));
                }
            }
        }

        _batch = inputs[0].Shape[0];
        Tensor output = BatchView(ref _output, _batch, OutputShape);
        Span<float> y = output.AsSpan();
        y.Clear();
        for (int b = 0; b < _batch; b++)
        {
            ulong cross = HashCross.DefaultKey;
            for (int i = 0; i < inputs.Length; i++)
            {
                // TensorFlow casts an integer feature to int64 and crosses its bits as uint64.
                cross = HashCross.Add(cross, unchecked((ulong)(long)inputs[i].AsReadOnlySpan()[b]));
            }

            int bin = HashCross.Bin(cross, NumBins);
            if (OutputMode == CategoryOutputMode.Int)
            {
                y[b] = bin;
            }
            else
            {
                y[(b * NumBins) + bin] = 1f;
            }
        }

        return output;
    }

    /// <inheritdoc/>
    protected override void OnBackward(Tensor outputGradient, Span<Tensor?> inputGradients)
    {
        IdGradient.CheckBatch(this, outputGradient, _batch);
        if (!ComputesInputGradient)
        {
            return;
        }

        // Bins are not differentiable: the gradients are zero.
        for (int i = 0; i < inputGradients.Length; i++)
        {
            Tensor gradient = BatchView(ref _inputGradients[i], _batch, InputShapes[i]);
            gradient.AsSpan().Clear();
            inputGradients[i] = gradient;
        }
    }
}
