using System.Globalization;
using System.Numerics.Tensors;
using System.Text.Json.Nodes;
using NeuralNet.Kernels;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Inverted dropout: during training each element is zeroed with probability <see cref="Rate"/> and the survivors
/// are scaled by <c>1 / (1 - rate)</c>, so the expected output equals the input; at inference the layer is the
/// identity (it returns its input). No parameters; output shape = input shape. Rate 1 (Keras accepts 0 &lt;= rate &lt;= 1)
/// drops everything: the training output and the input gradient are <c>x * 0</c> and <c>dy * 0</c>, never inf or NaN
/// from the scale <c>1 / (1 - rate)</c>.
/// </summary>
/// <remarks>
/// Masks come from a seeded generator (the constructor's seed, else one derived from the model's seed) that
/// advances with every training call: the same seed and the same sequence of calls give the same masks, bit for bit.
/// With <see cref="NoiseShape"/> (Keras' <c>noise_shape</c>) one mask value is drawn per element of that shape and
/// shared along its axes of size 1, e.g. <c>[null, 1, null]</c> drops the same features at every step of a sequence.
/// </remarks>
public sealed class Dropout : Layer, IRandomLayer
{
    private SeededRandom? _random;
    private Tensor? _mask;
    private Tensor? _output;
    private Tensor? _inputGradient;
    private Tensor? _lastMask;
    private int _lastBatch;
    private Tensor? _noise;
    private readonly int?[]? _noiseShape;

    /// <summary>Creates a dropout layer.</summary>
    /// <param name="rate">The probability of zeroing each element during training, in [0, 1].</param>
    /// <param name="seed">The seed of the masks; null to derive it from the model's seed.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>dropout</c>, <c>dropout_1</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rate"/> is outside [0, 1].</exception>
    public Dropout(double rate, long? seed = null, string? name = null)
        : base(name)
    {
        // Keras 3 (keras/src/layers/regularization/dropout.py): `if not 0 <= rate <= 1: raise ValueError`.
        if (!(rate >= 0.0 && rate <= 1.0))
        {
            throw new ArgumentOutOfRangeException(nameof(rate), rate, string.Create(CultureInfo.InvariantCulture, $"Dropout expects a rate in [0, 1] but got rate={rate}."));
        }

        Rate = rate;
        MaskSeed = seed;
    }

    /// <summary>The probability of zeroing each element during training.</summary>
    public double Rate { get; }

    /// <summary>
    /// The shape of the dropout mask, batch axis first, as Keras' <c>noise_shape</c>: null (the default) for one mask value
    /// per element; otherwise one entry per axis of the batched input, null for the input's own size, 1 to share the
    /// mask along that axis (<c>new Dropout(0.3) { NoiseShape = [null, 1, null] }</c> keeps or drops a feature for every
    /// step of a sequence). Each entry must be null, 1 or the input's size there; checked when the layer is built (and
    /// the batch entry at each call).
    /// </summary>
    /// <exception cref="ArgumentException">Set to an empty shape or one with an entry below 1.</exception>
    public IReadOnlyList<int?>? NoiseShape
    {
        get => _noiseShape;
        init
        {
            if (value is not null && (value.Count == 0 || value.Any(d => d is < 1)))
            {
                throw new ArgumentException($"Dropout's noise shape must hold one entry per axis (batch first), each null or at least 1; got [{FormatShape(value)}].", nameof(NoiseShape));
            }

            _noiseShape = value?.ToArray();
        }
    }

    /// <summary>The seed given to the constructor, or null when the masks derive from the model's seed.</summary>
    public long? MaskSeed { get; }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "dropout";

    /// <inheritdoc/>
    public override bool SupportsMasking => true;

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        if (_noiseShape is int?[] noise)
        {
            bool fits = noise.Length == inputShape.Rank + 1;
            for (int axis = 1; fits && axis < noise.Length; axis++)
            {
                fits = noise[axis] is null or 1 || noise[axis] == inputShape[axis - 1];
            }

            if (!fits)
            {
                throw new ArgumentException($"{Describe()}: noise shape [{FormatShape(noise)}] does not fit inputs {inputShape.ToBatchString()}; it needs one entry per axis, batch first, each null, 1 or the input's size.", nameof(inputShape));
            }
        }

        return inputShape;
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        if (!training || Rate == 0.0)
        {
            _lastMask = null;
            _lastBatch = input.Shape[0];
            return input;
        }

        int batch = input.Shape[0];
        Tensor mask = BatchView(ref _mask, batch, InputShape);
        if (_noiseShape is null)
        {
            FillMask(mask.AsSpan());
        }
        else
        {
            FillSharedMask(mask, batch);
        }

        Tensor output = BatchView(ref _output, batch, OutputShape);
        TensorPrimitives.Multiply(input.AsReadOnlySpan(), mask.AsReadOnlySpan(), output.AsSpan());
        _lastMask = mask;
        _lastBatch = batch;
        return output;
    }

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        if (_lastBatch != outputGradient.Shape[0])
        {
            throw new InvalidOperationException($"{Describe()} got an output gradient {outputGradient.Shape} that does not follow a forward pass of the same batch size.");
        }

        if (_lastMask is null || !ComputesInputGradient)
        {
            return outputGradient;
        }

        Tensor inputGradient = BatchView(ref _inputGradient, outputGradient.Shape[0], InputShape);
        TensorPrimitives.Multiply(outputGradient.AsReadOnlySpan(), _lastMask.AsReadOnlySpan(), inputGradient.AsSpan());
        return inputGradient;
    }

    /// <summary>The generator of the masks, created on first use; serialization saves and restores its state.</summary>
    // The instance of a later call of a shared Dropout draws its own stream, so the calls drop different elements.
    internal SeededRandom MaskRandom => _random ??= CreateRandom(MaskSeed);

    /// <inheritdoc/>
    SeededRandom IRandomLayer.LayerRandom => MaskRandom;

    /// <inheritdoc/>
    public override Config GetConfig()
    {
        Config config = base.GetConfig().Set("rate", Rate).Set("seed", MaskSeed);
        if (_noiseShape is int?[] noise)
        {
            var shape = new JsonArray();
            foreach (int? d in noise)
            {
                shape.Add((JsonNode?)(d is int size ? JsonValue.Create(size) : null));
            }

            config.Set("noise_shape", shape);
        }

        return config;
    }

    /// <summary>Keras' <c>from_config</c>.</summary>
    internal static Dropout FromConfig(Config config)
    {
        int?[]? noise = null;
        if (config.GetNode("noise_shape") is JsonNode node)
        {
            if (node is not JsonArray array)
            {
                throw config.Error("\"noise_shape\" must be null or a list of integers and nulls.");
            }

            noise = new int?[array.Count];
            for (int i = 0; i < array.Count; i++)
            {
                noise[i] = array[i] is null ? null
                    : array[i] is JsonValue value && value.TryGetValue(out int size) && size >= 1 ? size
                    : throw config.Error(string.Create(CultureInfo.InvariantCulture, $"\"noise_shape\"[{i}] must be null or an integer >= 1."));
            }
        }

        return new(config.GetDouble("rate"), config.GetNullableInt64("seed"), config.GetString("name")) { NoiseShape = noise };
    }

    private static string FormatShape(IEnumerable<int?> shape) =>
        string.Join(", ", shape.Select(d => d is int size ? size.ToString(CultureInfo.InvariantCulture) : "null"));

    // Keras 3 (backend dropout with a noise shape): one uniform per element of the noise shape, None entries filled from
    // the input, broadcast along the axes of size 1. The draws are in the noise shape's row-major order.
    private void FillSharedMask(Tensor mask, int batch)
    {
        int?[] noise = _noiseShape!;
        ReadOnlySpan<int> inputDims = mask.Shape.Dimensions;
        if (noise[0] is int first && first != 1 && first != batch)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{Describe()}: noise shape [{FormatShape(noise)}] does not fit a batch of {batch}; its batch entry must be null, 1 or the batch size."));
        }

        // The axes where the mask is shared (noise 1, input larger); the noise holds one value per index of the others,
        // in row-major order, which is AxisNorms' order of kept indices, so its Scale broadcasts them (1 * v is exact).
        int shared = 0;
        for (int axis = 0; axis < noise.Length; axis++)
        {
            if (noise[axis] == 1 && inputDims[axis] != 1)
            {
                shared |= 1 << axis;
            }
        }

        int count = AxisNorms.Count(inputDims, shared);
        if (_noise is null || _noise.Length < count)
        {
            _noise = new Tensor(new TensorShape(count));
        }

        Span<float> values = _noise.AsSpan()[..count];
        FillMask(values);
        Span<float> target = mask.AsSpan();
        target.Fill(1f);
        AxisNorms.Scale(target, inputDims, shared, values, divide: false);
    }

    // An element is dropped when a 24-bit uniform falls below rate * 2^24 (two uniforms per 64-bit draw).
    private void FillMask(Span<float> mask)
    {
        // Rate 1 keeps nothing, and its scale 1 / (1 - rate) would be inf: the mask is all zeros, no draws needed.
        if (Rate == 1.0)
        {
            mask.Clear();
            return;
        }

        _random ??= MaskRandom;
        uint threshold = (uint)Math.Round(Rate * (1 << 24));
        float scale = (float)(1.0 / (1.0 - Rate));
        _random.FillKeepMask(mask, threshold, scale);
    }
}
