using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Applies <see cref="NumOps"/> image operations chosen at random from Keras' eleven to each batch during training
/// (Keras' <c>RandAugment</c>, Cubuk et al. 2019); at inference the layer is the identity. Channels-last RGB images
/// (height, width, 3); output shape = input shape.
/// </summary>
/// <remarks>
/// <para>The operations, in Keras' order (its <c>_AUGMENT_LAYERS</c>), each the library's layer with Keras'
/// arguments, where (lower, upper) = <see cref="Factor"/>: <see cref="RandomShear"/> (both factors (lower, upper)),
/// <see cref="RandomTranslation"/> (height and width factors (lower, upper)), <see cref="RandomRotation"/>,
/// <see cref="RandomBrightness"/>, <see cref="RandomColorDegeneration"/>, <see cref="RandomContrast"/>,
/// <see cref="RandomSharpness"/> (each factor (lower, upper)), <see cref="RandomPosterization"/> (factor
/// max(1, ⌊8 · upper⌋) bits), <see cref="Solarization"/> (addition and threshold factors (lower, upper)),
/// <see cref="AutoContrast"/> and <see cref="Equalization"/>; the colour operations with <see cref="ValueRange"/>, the
/// geometric ones with <see cref="Interpolation"/> and their default reflect fill. Each operation follows its own
/// layer's formula (see those layers).</para>
/// <para>As in Keras' code, the choice is per batch: a call draws <see cref="NumOps"/> operation indices uniformly from
/// the eleven (with repetition), and applies those operations in that order to the whole batch; each operation draws its
/// own per-image parameters (a shear, an angle, a brightness offset per image). Keras then draws every one of the eleven
/// operations' parameters, in its order, and applies an operation chosen twice with the same parameters twice. Here a call
/// draws the indices, then one seed per operation in Keras' order, from this layer's seeded generator; an operation
/// applied draws its parameters from its own seed, so one chosen twice applies the same parameters twice, as in Keras.
/// Keras' draws are not reproduced number for number (its generator is not this one).</para>
/// <para>Backward runs the applied operations' backward passes in reverse order (an operation applied twice is run again
/// for its first application, with the same seed). Posterization and equalization are piecewise constant: their
/// gradient is 0. Memory: the eleven operations keep their buffers, and the first training call (and any call with a
/// new batch size, and again at the next call of every size after a larger batch or the first call with gradients) runs
/// each of them once so that later calls do not allocate.</para>
/// </remarks>
/// <example><c>model.Add(new RandAugment(valueRange: (0, 1), numOps: 2, factor: 0.5));</c></example>
public sealed class RandAugment : Layer, IRandomLayer
{
    private SeededRandom? _random;
    private AugmentationOpChain? _chain;
    private int[] _chosen = [];
    private long[] _opSeeds = [];
    private int _applied;
    private int _batch = -1;

    /// <summary>Creates a RandAugment layer whose factor is one number f: the range (0, f).</summary>
    /// <param name="valueRange">The (low, high) range of the images, low &lt; high; null for Keras' default (0, 255).</param>
    /// <param name="numOps">The number of operations applied to each batch, 0 or more (Keras' default 2).</param>
    /// <param name="factor">In [0, 1]: the strength of the operations, the range (0, f) (Keras' default 0.5).</param>
    /// <param name="interpolation">The geometric operations' interpolation: bilinear (Keras' default) or nearest.</param>
    /// <param name="seed">The seed of the draws; null to derive it from the model's seed.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>rand_augment</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException">numOps &lt; 0, the factor outside [0, 1] or not finite, the value range
    /// not finite or low &gt;= high, or the interpolation unknown.</exception>
    public RandAugment((double Low, double High)? valueRange = null, int numOps = 2, double factor = 0.5, Interpolation interpolation = Interpolation.Bilinear,
        long? seed = null, string? name = null)
        : this(valueRange, numOps, AugmentationChecks.Factor(nameof(RandAugment), nameof(factor), factor, 0, 1), interpolation, seed, name)
    {
    }

    /// <summary>Creates a RandAugment layer with a (lower, upper) factor.</summary>
    /// <param name="valueRange">The (low, high) range of the images, low &lt; high; null for Keras' default (0, 255).</param>
    /// <param name="numOps">The number of operations applied to each batch, 0 or more.</param>
    /// <param name="factor">(lower, upper), each in [0, 1] (sorted if reversed), given to every operation that takes a factor.
    /// Keras refuses only lower &gt; 1 or upper &lt; 0; a value outside [0, 1] is refused here, as the operations it would
    /// reach (a shear or solarization factor below 0) refuse it.</param>
    /// <param name="interpolation">The geometric operations' interpolation: bilinear (Keras' default) or nearest.</param>
    /// <param name="seed">The seed of the draws; null to derive it from the model's seed.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>rand_augment</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException">numOps &lt; 0, a factor value outside [0, 1] or not finite, the value
    /// range not finite or low &gt;= high, or the interpolation unknown.</exception>
    public RandAugment((double Low, double High)? valueRange, int numOps, (double Lower, double Upper) factor, Interpolation interpolation = Interpolation.Bilinear,
        long? seed = null, string? name = null)
        : base(name)
    {
        (double Low, double High) range = valueRange ?? (0, 255);
        AugmentationChecks.FiniteRange(nameof(RandAugment), range);
        if (!(range.Low < range.High))
        {
            throw new ArgumentOutOfRangeException(nameof(valueRange), range, $"RandAugment expects valueRange (low, high) with low < high. Received: valueRange={AugmentationChecks.Format(range)}.");
        }

        if (numOps < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(numOps), numOps, $"RandAugment expects numOps to be 0 or more (the number of operations applied to each batch). Received: numOps={numOps}.");
        }

        Factor = AugmentationChecks.Factor(nameof(RandAugment), nameof(factor), factor, 0, 1);
        AugmentationChecks.Sampling(nameof(RandAugment), FillMode.Reflect, interpolation, 0);
        ValueRange = range;
        NumOps = numOps;
        Interpolation = interpolation;
        AugmentationSeed = seed;
    }

    /// <summary>The (low, high) range of the images, given to every colour operation.</summary>
    public (double Low, double High) ValueRange { get; }

    /// <summary>The number of operations applied to each batch.</summary>
    public int NumOps { get; }

    /// <summary>The (lower, upper) factor given to the operations (Keras' <c>factor</c> after <c>_set_factor</c>).</summary>
    public (double Lower, double Upper) Factor { get; }

    /// <summary>The geometric operations' interpolation.</summary>
    public Interpolation Interpolation { get; }

    /// <summary>The seed given to the constructor, or null when the draws derive from the model's seed.</summary>
    public long? AugmentationSeed { get; }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "rand_augment";

    /// <inheritdoc/>
    SeededRandom IRandomLayer.LayerRandom => Random;

    /// <summary>The indices (into <see cref="AugmentationOpChain.Names"/>) of the operations the last training call applied, in order (empty after an inference call).</summary>
    internal ReadOnlySpan<int> LastOps => _chosen.AsSpan(0, _applied);

    /// <summary>The eleven operations' seeds drawn by the last training call, in Keras' order.</summary>
    internal ReadOnlySpan<long> LastOpSeeds => _opSeeds;

    /// <summary>The eleven operation layers, in Keras' order; created when the layer is built.</summary>
    internal IReadOnlyList<Layer> Ops => _chain is null ? [] : [.. _chain.Ops.Select(op => op!)];

    private SeededRandom Random => _random ??= CreateRandom(AugmentationSeed);

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig()
        .SetPair("value_range", ValueRange)
        .Set("num_ops", NumOps)
        .SetPair("factor", Factor)
        .Set("interpolation", AugmentationConfig.Name(Interpolation))
        .Set("seed", AugmentationSeed)
        .Set("data_format", "channels_last");

    /// <summary>Keras' <c>from_config</c>: channels last; the factor a number or a pair.</summary>
    internal static RandAugment FromConfig(Config config)
    {
        ConfigChecks.RequireChannelsLast(config);
        (double, double) valueRange = config.Contains("value_range") ? AugmentationConfig.ReadPair(config, "value_range") : (0, 255);
        int numOps = config.GetInt32("num_ops", 2);
        Interpolation interpolation = AugmentationConfig.ReadInterpolation(config);
        long? seed = config.GetNullableInt64("seed");
        string name = config.GetString("name");
        return AugmentationConfig.ReadFactor(config, "factor") switch
        {
            null => new RandAugment(valueRange, numOps, 0.5, interpolation, seed, name),
            { Number: double number } => new RandAugment(valueRange, numOps, number, interpolation, seed, name),
            { Pair: var pair } => new RandAugment(valueRange, numOps, pair, interpolation, seed, name),
        };
    }

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        // Colour degeneration reads RGB (Keras' rgb_to_grayscale).
        AugmentationChecks.Rgb(Describe(), inputShape);

        // Made here, not in the constructor, so every instance of a shared layer has its own operations and buffers.
        _chain = new AugmentationOpChain(inputShape, NumOps, ValueRange, Factor, Interpolation);
        _chosen = new int[NumOps];
        _opSeeds = new long[AugmentationOpChain.Names.Length];
        _applied = 0;
        return inputShape;
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        _batch = input.Shape[0];
        _applied = 0;
        if (!training || NumOps == 0)
        {
            return input;
        }

        _chain!.WarmUp(input, ComputesInputGradient);
        SeededRandom random = Random;
        for (int i = 0; i < NumOps; i++)
        {
            _chosen[i] = random.NextInt(_opSeeds.Length);
        }

        for (int op = 0; op < _opSeeds.Length; op++)
        {
            _opSeeds[op] = unchecked((long)random.NextUInt64());
        }

        Tensor images = input;
        for (int i = 0; i < NumOps; i++)
        {
            images = _chain.Forward(i, _chosen[i], _opSeeds[_chosen[i]], images);
        }

        _applied = NumOps;
        return images;
    }

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        if (outputGradient.Shape[0] != _batch)
        {
            throw new InvalidOperationException($"{Describe()} got an output gradient {outputGradient.Shape} that does not follow a forward pass of the same batch size (last forward batch {_batch}).");
        }

        if (_applied == 0 || !ComputesInputGradient)
        {
            return outputGradient;
        }

        Tensor gradient = outputGradient;
        for (int i = _applied - 1; i >= 0; i--)
        {
            gradient = _chain!.Backward(i, gradient);
        }

        return gradient;
    }
}
