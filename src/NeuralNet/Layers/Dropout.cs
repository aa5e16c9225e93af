using System.Numerics.Tensors;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Inverted dropout: during training each element is zeroed with probability <see cref="Rate"/> and the survivors
/// are scaled by <c>1 / (1 - rate)</c>, so the expected output equals the input; at inference the layer is the
/// identity (it returns its input). No parameters; output shape = input shape.
/// </summary>
/// <remarks>
/// Masks come from a seeded generator (the constructor's seed, else one derived from the model's seed) that
/// advances with every training call: the same seed and the same sequence of calls give the same masks, bit for bit.
/// </remarks>
public sealed class Dropout : Layer, IRandomLayer
{
    private SeededRandom? _random;
    private Tensor? _mask;
    private Tensor? _output;
    private Tensor? _inputGradient;
    private Tensor? _lastMask;
    private int _lastBatch;

    /// <summary>Creates a dropout layer.</summary>
    /// <param name="rate">The probability of zeroing each element during training, in [0, 1).</param>
    /// <param name="seed">The seed of the masks; null to derive it from the model's seed.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>dropout</c>, <c>dropout_1</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rate"/> is outside [0, 1).</exception>
    public Dropout(double rate, long? seed = null, string? name = null)
        : base(name)
    {
        if (!(rate >= 0.0 && rate < 1.0))
        {
            throw new ArgumentOutOfRangeException(nameof(rate), rate, $"Dropout expects a rate in [0, 1) but got rate={rate}.");
        }

        Rate = rate;
        MaskSeed = seed;
    }

    /// <summary>The probability of zeroing each element during training.</summary>
    public double Rate { get; }

    /// <summary>The seed given to the constructor, or null when the masks derive from the model's seed.</summary>
    public long? MaskSeed { get; }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "dropout";

    /// <inheritdoc/>
    public override bool SupportsMasking => true;

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape) => inputShape;

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
        FillMask(mask.AsSpan());
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
    internal SeededRandom MaskRandom => _random ??= IRandomLayer.Create(MaskSeed, Seed, CallIndex);

    /// <inheritdoc/>
    SeededRandom IRandomLayer.LayerRandom => MaskRandom;

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig().Set("rate", Rate).Set("seed", MaskSeed);

    /// <summary>Keras' <c>from_config</c>.</summary>
    internal static Dropout FromConfig(Config config) => new(config.GetDouble("rate"), config.GetNullableInt64("seed"), config.GetString("name"));

    // An element is dropped when a 24-bit uniform falls below rate * 2^24 (two uniforms per 64-bit draw).
    private void FillMask(Span<float> mask)
    {
        _random ??= MaskRandom;
        uint threshold = (uint)Math.Round(Rate * (1 << 24));
        float scale = (float)(1.0 / (1.0 - Rate));
        _random.FillKeepMask(mask, threshold, scale);
    }
}
