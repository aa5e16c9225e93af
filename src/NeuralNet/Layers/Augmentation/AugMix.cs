using System.Numerics.Tensors;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Mixes each batch with <see cref="NumChains"/> augmented versions of itself during training (Keras' <c>AugMix</c>,
/// Hendrycks et al. 2019); at inference the layer is the identity. Channels-last images (height, width, channels), RGB
/// with <see cref="AllOps"/> (colour degeneration needs three channels), any channel count without; output shape =
/// input shape.
/// </summary>
/// <remarks>
/// <para>Keras' draws, in its order, once per batch: chain weights w from Dirichlet(alpha, …, alpha) (Gamma(alpha) draws
/// divided by their sum), then a mixing weight m from Beta(alpha, alpha); then for each chain and each of its
/// <see cref="ChainDepth"/> places, one choice among the operations and "none" (uniform; "none" skips the place, so a
/// chain applies 0 to ChainDepth operations). Each chain applies its operations in turn to the original batch, each
/// operation with its own per-image draws; y = clip(m · x + (1 − m) · Σ_c w_c · chain_c(x), low, high), in float32 in
/// Keras' order (the chains summed from zero in order).</para>
/// <para>The operations are <see cref="RandAugment"/>'s, built with the same arguments from <see cref="Factor"/>, in Keras'
/// <c>AUGMENT_LAYERS_ALL</c> order: shear, translation, rotation, posterization, solarization, auto-contrast,
/// equalization, then, with <see cref="AllOps"/>, brightness, colour degeneration, contrast and sharpness. Keras draws
/// the choices from Python's unseeded <c>random</c>; here they come from the layer's seeded generator, each followed by
/// one seed from which the chosen operation draws its parameters (Keras draws them from the layer's generator). So the
/// same seed gives the same bits; Keras' numbers are not reproduced.</para>
/// <para>Backward: where the clip is active the gradient stops; elsewhere dx = m · g plus, for each chain, the backward
/// pass of its operations in reverse order applied to (1 − m) · w_c · g (an operation applied more than once in a call is
/// run again with its seed before its backward pass). Posterization and equalization pass no gradient (0).</para>
/// <para>Memory: the operations keep their buffers, and the first training call of each batch size runs each of them
/// once with throw-away draws (again at the next call of every size after a larger batch or the first call with
/// gradients), so that later calls do not allocate. Without <see cref="AllOps"/> only the seven operations it can apply are
/// built. Keras' <c>get_config</c> writes <c>num_chains</c> and
/// <c>chain_depth</c> under each other's key; here each is written and read under its own.</para>
/// </remarks>
/// <example><c>model.Add(new AugMix(valueRange: (0, 1)));</c></example>
public sealed class AugMix : Layer, IRandomLayer
{
    // AUGMENT_LAYERS_ALL's operations as indices into AugmentationOpChain.Names (RandAugment's order).
    private static readonly int[] s_allOpsOrder = [0, 1, 2, 7, 8, 9, 10, 3, 4, 5, 6];

    // Without all_ops, Keras' AUGMENT_LAYERS: the first seven of AUGMENT_LAYERS_ALL.
    private const int BasicOpCount = 7;

    private SeededRandom? _random;
    private AugmentationOpChain? _chain;
    private double[] _weights = [];
    private double _mixing;
    private int[] _applied = [];
    private int[] _chainStart = [];
    private Tensor? _output;
    private Tensor? _mixed;
    private Tensor? _chainGradient;
    private Tensor? _inputGradient;
    private Tensor? _scaledGradient;
    private int _batch = -1;
    private bool _transformed;

    /// <summary>Creates an AugMix layer whose factor is one number f: the range (0, f).</summary>
    /// <param name="valueRange">The (low, high) range of the images, low &lt; high; null for Keras' default (0, 255).</param>
    /// <param name="numChains">The number of chains mixed, 1 or more (Keras' default 3).</param>
    /// <param name="chainDepth">The number of places of a chain, 0 or more (Keras' default 3); each place applies an operation or none.</param>
    /// <param name="factor">In [0, 1]: the strength of the operations, the range (0, f) (Keras' default 0.3).</param>
    /// <param name="alpha">The parameter of the Dirichlet and Beta distributions, positive (Keras' default 1).</param>
    /// <param name="allOps">Whether brightness, colour degeneration, contrast and sharpness are among the operations (Keras' default true).</param>
    /// <param name="interpolation">The geometric operations' interpolation: bilinear (Keras' default) or nearest.</param>
    /// <param name="seed">The seed of the draws; null to derive it from the model's seed.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>aug_mix</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException">numChains &lt; 1, chainDepth &lt; 0, the factor outside [0, 1], alpha not
    /// a positive finite number, the value range not finite or low &gt;= high, or the interpolation unknown.</exception>
    public AugMix((double Low, double High)? valueRange = null, int numChains = 3, int chainDepth = 3, double factor = 0.3, double alpha = 1.0, bool allOps = true,
        Interpolation interpolation = Interpolation.Bilinear, long? seed = null, string? name = null)
        : this(valueRange, numChains, chainDepth, AugmentationChecks.Factor(nameof(AugMix), nameof(factor), factor, 0, 1), alpha, allOps, interpolation, seed, name)
    {
    }

    /// <summary>Creates an AugMix layer with a (lower, upper) factor.</summary>
    /// <param name="valueRange">The (low, high) range of the images, low &lt; high; null for Keras' default (0, 255).</param>
    /// <param name="numChains">The number of chains mixed, 1 or more.</param>
    /// <param name="chainDepth">The number of places of a chain, 0 or more.</param>
    /// <param name="factor">(lower, upper), each in [0, 1] (sorted if reversed), given to every operation that takes a factor.</param>
    /// <param name="alpha">The parameter of the Dirichlet and Beta distributions, positive.</param>
    /// <param name="allOps">Whether brightness, colour degeneration, contrast and sharpness are among the operations.</param>
    /// <param name="interpolation">The geometric operations' interpolation.</param>
    /// <param name="seed">The seed of the draws; null to derive it from the model's seed.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>aug_mix</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException">numChains &lt; 1, chainDepth &lt; 0, a factor value outside [0, 1], alpha
    /// not a positive finite number, the value range not finite or low &gt;= high, or the interpolation unknown.</exception>
    public AugMix((double Low, double High)? valueRange, int numChains, int chainDepth, (double Lower, double Upper) factor, double alpha = 1.0, bool allOps = true,
        Interpolation interpolation = Interpolation.Bilinear, long? seed = null, string? name = null)
        : base(name)
    {
        (double Low, double High) range = valueRange ?? (0, 255);
        AugmentationChecks.FiniteRange(nameof(AugMix), range);
        if (!(range.Low < range.High))
        {
            throw new ArgumentOutOfRangeException(nameof(valueRange), range, $"AugMix expects valueRange (low, high) with low < high. Received: valueRange={AugmentationChecks.Format(range)}.");
        }

        if (numChains < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(numChains), numChains, $"AugMix expects numChains to be 1 or more (the number of chains mixed). Received: numChains={numChains}.");
        }

        if (chainDepth < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(chainDepth), chainDepth, $"AugMix expects chainDepth to be 0 or more (the places of a chain). Received: chainDepth={chainDepth}.");
        }

        if (!(alpha > 0 && double.IsFinite(alpha)))
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, $"AugMix expects alpha to be a positive finite number (the parameter of the Dirichlet and Beta distributions). Received: alpha={AugmentationChecks.Format(alpha)}.");
        }

        Factor = AugmentationChecks.Factor(nameof(AugMix), nameof(factor), factor, 0, 1);
        AugmentationChecks.Sampling(nameof(AugMix), FillMode.Reflect, interpolation, 0);
        ValueRange = range;
        NumChains = numChains;
        ChainDepth = chainDepth;
        Alpha = alpha;
        AllOps = allOps;
        Interpolation = interpolation;
        AugmentationSeed = seed;
    }

    /// <summary>The (low, high) range of the images; the output is clipped to it.</summary>
    public (double Low, double High) ValueRange { get; }

    /// <summary>The number of chains mixed.</summary>
    public int NumChains { get; }

    /// <summary>The number of places of a chain.</summary>
    public int ChainDepth { get; }

    /// <summary>The (lower, upper) factor given to the operations (Keras' <c>factor</c> after <c>_set_factor</c>).</summary>
    public (double Lower, double Upper) Factor { get; }

    /// <summary>The parameter of the Dirichlet and Beta distributions.</summary>
    public double Alpha { get; }

    /// <summary>Whether brightness, colour degeneration, contrast and sharpness are among the operations.</summary>
    public bool AllOps { get; }

    /// <summary>The geometric operations' interpolation.</summary>
    public Interpolation Interpolation { get; }

    /// <summary>The seed given to the constructor, or null when the draws derive from the model's seed.</summary>
    public long? AugmentationSeed { get; }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "aug_mix";

    /// <inheritdoc/>
    SeededRandom IRandomLayer.LayerRandom => Random;

    /// <summary>The chain weights of the last training call.</summary>
    internal ReadOnlySpan<double> LastWeights => _weights;

    /// <summary>The mixing weight m of the last training call.</summary>
    internal double LastMixing => _mixing;

    /// <summary>The operations (indices into <see cref="AugmentationOpChain.Names"/>) chain <paramref name="chain"/> applied in the last training call.</summary>
    internal ReadOnlySpan<int> LastChain(int chain) => _applied.AsSpan(_chainStart[chain], _chainStart[chain + 1] - _chainStart[chain]);

    private SeededRandom Random => _random ??= CreateRandom(AugmentationSeed);

    private int OpCount => AllOps ? s_allOpsOrder.Length : BasicOpCount;

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig()
        .SetPair("value_range", ValueRange)
        .Set("num_chains", NumChains)
        .Set("chain_depth", ChainDepth)
        .SetPair("factor", Factor)
        .Set("alpha", Alpha)
        .Set("all_ops", AllOps)
        .Set("interpolation", AugmentationConfig.Name(Interpolation))
        .Set("seed", AugmentationSeed)
        .Set("data_format", "channels_last");

    /// <summary>Keras' <c>from_config</c>: channels last; the factor a number or a pair.</summary>
    internal static AugMix FromConfig(Config config)
    {
        ConfigChecks.RequireChannelsLast(config);
        (double, double) valueRange = config.Contains("value_range") ? AugmentationConfig.ReadPair(config, "value_range") : (0, 255);
        int numChains = config.GetInt32("num_chains", 3), chainDepth = config.GetInt32("chain_depth", 3);
        double alpha = config.GetDouble("alpha", 1.0);
        bool allOps = config.GetBoolean("all_ops", true);
        Interpolation interpolation = AugmentationConfig.ReadInterpolation(config);
        long? seed = config.GetNullableInt64("seed");
        string name = config.GetString("name");
        return AugmentationConfig.ReadFactor(config, "factor") switch
        {
            null => new AugMix(valueRange, numChains, chainDepth, 0.3, alpha, allOps, interpolation, seed, name),
            { Number: double number } => new AugMix(valueRange, numChains, chainDepth, number, alpha, allOps, interpolation, seed, name),
            { Pair: var pair } => new AugMix(valueRange, numChains, chainDepth, pair, alpha, allOps, interpolation, seed, name),
        };
    }

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        // Colour degeneration needs RGB; without all_ops it is never applied, so any channel count will do (as Keras).
        if (AllOps)
        {
            AugmentationChecks.Rgb(Describe(), inputShape);
        }
        else
        {
            ConvolutionChecks.Image(Describe(), inputShape);
        }

        // Made here, not in the constructor, so every instance of a shared layer has its own operations and buffers.
        _chain = new AugmentationOpChain(inputShape, NumChains * ChainDepth, ValueRange, Factor, Interpolation, AllOps ? null : s_allOpsOrder[..BasicOpCount]);
        _weights = new double[NumChains];
        _applied = new int[NumChains * ChainDepth];
        _chainStart = new int[NumChains + 1];
        _transformed = false;
        return inputShape;
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        _batch = input.Shape[0];
        _transformed = training;
        if (!training)
        {
            return input;
        }

        _chain!.WarmUp(input, ComputesInputGradient);
        SeededRandom random = Random;

        // Dirichlet(alpha): Gamma draws normalised, from their logarithms (BetaSampler keeps them so), then Beta(alpha, alpha).
        double maxLog = double.NegativeInfinity;
        for (int c = 0; c < NumChains; c++)
        {
            _weights[c] = BetaSampler.LogGamma(random, Alpha);
            maxLog = Math.Max(maxLog, _weights[c]);
        }

        double sum = 0;
        for (int c = 0; c < NumChains; c++)
        {
            _weights[c] = Math.Exp(_weights[c] - maxLog);
            sum += _weights[c];
        }

        for (int c = 0; c < NumChains; c++)
        {
            _weights[c] /= sum;
        }

        _mixing = BetaSampler.Next(random, Alpha, Alpha);

        int size = InputShape.ElementCount * _batch;
        Tensor mixed = BatchView(ref _mixed, _batch, InputShape);
        Span<float> aug = mixed.AsSpan();
        aug.Clear();
        int application = 0;
        for (int c = 0; c < NumChains; c++)
        {
            _chainStart[c] = application;
            Tensor images = input;
            for (int d = 0; d < ChainDepth; d++)
            {
                int choice = random.NextInt(OpCount + 1);
                if (choice == OpCount)
                {
                    continue; // Keras' None: this place applies nothing.
                }

                long seed = unchecked((long)random.NextUInt64());
                _applied[application] = s_allOpsOrder[choice];
                images = _chain.Forward(application, s_allOpsOrder[choice], seed, images);
                application++;
            }

            TensorPrimitives.MultiplyAdd(images.AsReadOnlySpan()[..size], (float)_weights[c], aug, aug);
        }

        _chainStart[NumChains] = application;
        Tensor output = BatchView(ref _output, _batch, InputShape);
        Span<float> y = output.AsSpan();
        float m = (float)_mixing, low = (float)ValueRange.Low, high = (float)ValueRange.High;
        TensorPrimitives.Multiply(input.AsReadOnlySpan(), m, y);
        TensorPrimitives.MultiplyAdd(aug, 1f - m, y, y);
        for (int i = 0; i < y.Length; i++)
        {
            // The unclipped value is kept for backward (the clip's mask).
            aug[i] = y[i];
            y[i] = Math.Clamp(y[i], low, high);
        }

        return output;
    }

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        if (outputGradient.Shape[0] != _batch)
        {
            throw new InvalidOperationException($"{Describe()} got an output gradient {outputGradient.Shape} that does not follow a forward pass of the same batch size (last forward batch {_batch}).");
        }

        if (!_transformed || !ComputesInputGradient)
        {
            return outputGradient;
        }

        ReadOnlySpan<float> dy = outputGradient.AsReadOnlySpan(), unclipped = _mixed!.FirstRows(_batch).AsReadOnlySpan();
        Tensor inputGradient = BatchView(ref _inputGradient, _batch, InputShape);
        Tensor chainGradient = BatchView(ref _chainGradient, _batch, InputShape);
        Tensor scaled = BatchView(ref _scaledGradient, _batch, InputShape);
        Span<float> dx = inputGradient.AsSpan(), g = chainGradient.AsSpan();
        float m = (float)_mixing, low = (float)ValueRange.Low, high = (float)ValueRange.High;
        for (int i = 0; i < dx.Length; i++)
        {
            float passed = unclipped[i] >= low && unclipped[i] <= high ? dy[i] : 0f;
            dx[i] = m * passed;
            g[i] = (1f - m) * passed;
        }

        for (int c = 0; c < NumChains; c++)
        {
            // dchain_c = (1 − m) · w_c · g', back through the chain's operations in reverse.
            float w = (float)_weights[c];
            if (_chainStart[c + 1] > _chainStart[c])
            {
                Tensor gradient = _chain!.Backward(_chainStart[c + 1] - 1, Scale(chainGradient, w, scaled));
                for (int a = _chainStart[c + 1] - 2; a >= _chainStart[c]; a--)
                {
                    gradient = _chain.Backward(a, gradient);
                }

                TensorPrimitives.Add(dx, gradient.AsReadOnlySpan(), dx);
            }
            else
            {
                TensorPrimitives.MultiplyAdd(g, w, dx, dx);
            }
        }

        return inputGradient;
    }

    // (1 − m) · g' · w_c, in a buffer of its own (the chain's gradient buffers take the operations' results).
    private static Tensor Scale(Tensor chainGradient, float w, Tensor scaled)
    {
        TensorPrimitives.Multiply(chainGradient.AsReadOnlySpan(), w, scaled.AsSpan());
        return scaled;
    }
}
