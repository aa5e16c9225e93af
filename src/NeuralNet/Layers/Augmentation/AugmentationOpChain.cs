namespace NeuralNet.Layers;

/// <summary>
/// Keras' eleven image operations of <see cref="RandAugment"/> and <see cref="AugMix"/> (RandAugment's
/// <c>_AUGMENT_LAYERS</c> order; AugMix's layers are the same, built with the same arguments), run as a
/// chain of applications, each an operation with a seed: the operation draws its parameters from a generator restarted
/// from that seed, so an application can be run again with the same draws. Forward keeps the input of every application
/// and copies its output into a buffer of the chain; backward goes through the applications in reverse and, where an
/// operation was applied more than once (its caches hold a later application), first runs it again on the kept input
/// with the same seed. Created by the layer's build, so each call of a shared layer has its own.
/// </summary>
internal sealed class AugmentationOpChain
{
    /// <summary>Keras' operation names, in its <c>_AUGMENT_LAYERS</c> order; an operation's index is its place here.</summary>
    public static readonly string[] Names =
    [
        "random_shear", "random_translation", "random_rotation", "random_brightness", "random_color_degeneration",
        "random_contrast", "random_sharpness", "random_posterization", "solarization", "auto_contrast", "equalization",
    ];

    private readonly Layer?[] _ops;
    private readonly TensorShape _imageShape;
    private readonly SeededRandom _random = new(0);
    private readonly Tensor?[] _outputs;
    private readonly Tensor?[] _inputs;
    private readonly int[] _applied;
    private readonly long[] _seeds;
    private readonly int[] _lastApplication;
    private Tensor? _gradientA;
    private Tensor? _gradientB;
    private bool _gradientWarmed;
    private int[] _warmedBatches = [];

    /// <summary>Builds the eleven operations for <paramref name="imageShape"/>, with up to <paramref name="length"/> applications per call.</summary>
    /// <param name="imageShape">(height, width, 3).</param>
    /// <param name="length">The most applications a call makes.</param>
    /// <param name="valueRange">The images' (low, high), given to every colour operation.</param>
    /// <param name="factor">Keras' (lower, upper) factor, given to every operation that takes one (posterization: max(1, ⌊8 · upper⌋) bits).</param>
    /// <param name="interpolation">The geometric operations' interpolation.</param>
    /// <param name="used">The indices of the operations a caller applies; null for all. The others are not built (AugMix
    /// without all_ops never applies colour degeneration, which needs RGB).</param>
    public AugmentationOpChain(TensorShape imageShape, int length, (double Low, double High) valueRange, (double Lower, double Upper) factor, Interpolation interpolation, IReadOnlyList<int>? used = null)
    {
        _imageShape = imageShape;
        Layer[] all =
        [
            new RandomShear(factor, factor, interpolation),
            new RandomTranslation(factor, factor, interpolation: interpolation),
            new RandomRotation(factor, interpolation: interpolation),
            new RandomBrightness(factor, valueRange),
            new RandomColorDegeneration(factor, valueRange),
            new RandomContrast(factor, valueRange),
            new RandomSharpness(factor, valueRange),
            new RandomPosterization(PosterizationBits(factor), valueRange),
            new Solarization(factor, factor, valueRange),
            new AutoContrast(valueRange),
            new Equalization(valueRange),
        ];
        _ops = new Layer?[all.Length];
        for (int i = 0; i < all.Length; i++)
        {
            if (used is null || used.Contains(i))
            {
                _ops[i] = all[i];
                all[i].Build(imageShape);
            }
        }

        _outputs = new Tensor?[length];
        _inputs = new Tensor?[length];
        _applied = new int[length];
        _seeds = new long[length];
        _lastApplication = new int[_ops.Length];
        Array.Fill(_lastApplication, -1);
    }

    /// <summary>The operations, in <see cref="Names"/>' order; null for one not built (see the constructor's <c>used</c>).</summary>
    public IReadOnlyList<Layer?> Ops => _ops;

    /// <summary>Keras' posterization bits for a factor: max(1, int(8 · upper)).</summary>
    public static int PosterizationBits((double Lower, double Upper) factor) => Math.Max(1, (int)(8 * factor.Upper));

    /// <summary>
    /// Allocates every operation's buffers (and views) for <paramref name="input"/>'s batch size, once per batch size, by
    /// running each forward (and backward when <paramref name="withGradient"/>) on it with throw-away draws: which
    /// operations a call applies is random, so without this a later call could be the first to need an operation's
    /// buffers, or its view of them for a smaller last batch.
    /// </summary>
    public void WarmUp(Tensor input, bool withGradient)
    {
        int batch = input.Shape[0];

        // A larger batch than any before regrows the buffers, and a first call with gradients makes the backward ones:
        // every batch size is then warmed again at its next call, so that the views of smaller ones are remade there.
        if ((withGradient && !_gradientWarmed) || (_warmedBatches.Length > 0 && batch > _warmedBatches.Max()))
        {
            _warmedBatches = [];
            _gradientWarmed |= withGradient;
        }

        if (Array.IndexOf(_warmedBatches, batch) >= 0)
        {
            return;
        }

        foreach (Layer? op in _ops)
        {
            if (op is null)
            {
                continue;
            }

            _random.Reseed(0);
            Share(op, _random);
            Tensor output = op.Forward(input, training: true);
            if (withGradient)
            {
                op.Backward(output);
            }
        }

        // The applications' buffers too: how many a call makes may vary (AugMix skips places).
        for (int i = 0; i < _outputs.Length; i++)
        {
            _ = View(ref _outputs[i], batch);
        }

        if (withGradient)
        {
            _ = View(ref _gradientA, batch);
            _ = View(ref _gradientB, batch);
        }

        Array.Fill(_lastApplication, -1);
        _warmedBatches = [.. _warmedBatches, batch];
    }

    /// <summary>Application <paramref name="index"/> of a call: operation <paramref name="op"/> with draws from <paramref name="seed"/> on <paramref name="input"/>.</summary>
    /// <returns>The output, in the chain's buffer of this application (valid until the next call).</returns>
    public Tensor Forward(int index, int op, long seed, Tensor input)
    {
        _inputs[index] = input;
        _applied[index] = op;
        _seeds[index] = seed;
        Tensor output = Run(index, input);
        Tensor copy = View(ref _outputs[index], input.Shape[0]);
        output.AsReadOnlySpan().CopyTo(copy.AsSpan());
        return copy;
    }

    /// <summary>
    /// The input gradient of application <paramref name="index"/> for its output gradient, in one of the chain's two
    /// gradient buffers (alternating, so the next application back reads one while writing the other).
    /// </summary>
    public Tensor Backward(int index, Tensor outputGradient)
    {
        Layer op = _ops[_applied[index]]!;
        if (_lastApplication[_applied[index]] != index)
        {
            // The operation's caches hold another application: run this one again (same input, same draws).
            Run(index, _inputs[index]!);
        }

        Tensor gradient = op.Backward(outputGradient);
        Tensor copy = index % 2 == 0 ? View(ref _gradientA, outputGradient.Shape[0]) : View(ref _gradientB, outputGradient.Shape[0]);
        gradient.AsReadOnlySpan().CopyTo(copy.AsSpan());
        return copy;
    }

    private Tensor Run(int index, Tensor input)
    {
        int op = _applied[index];
        _random.Reseed(_seeds[index]);
        Share(_ops[op]!, _random);
        _lastApplication[op] = index;
        return _ops[op]!.Forward(input, training: true);
    }

    // The operations that draw take the chain's generator; AutoContrast and Equalization draw nothing.
    private static void Share(Layer op, SeededRandom random)
    {
        switch (op)
        {
            case RandomShear shear: shear.ShareRandom(random); break;
            case RandomTranslation translation: translation.ShareRandom(random); break;
            case RandomRotation rotation: rotation.ShareRandom(random); break;
            case RandomBrightness brightness: brightness.ShareRandom(random); break;
            case RandomColorDegeneration degeneration: degeneration.ShareRandom(random); break;
            case RandomContrast contrast: contrast.ShareRandom(random); break;
            case RandomSharpness sharpness: sharpness.ShareRandom(random); break;
            case RandomPosterization posterization: posterization.ShareRandom(random); break;
            case Solarization solarization: solarization.ShareRandom(random); break;
        }
    }

    private Tensor View(ref Tensor? buffer, int batch)
    {
        if (buffer is null || buffer.Shape[0] < batch)
        {
            buffer = new Tensor(_imageShape.Prepend(batch));
        }

        return buffer.FirstRows(batch);
    }
}
