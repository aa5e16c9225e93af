using System.Globalization;
using NeuralNet.Initializers;
using NeuralNet.Kernels;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Spectral normalization of a layer's kernel (Keras' <c>SpectralNormalization</c>, used in GANs to bound a layer's
/// Lipschitz constant): in training, the kernel W, read as (-1, its last axis), is divided by an estimate of its largest
/// singular value sigma, made by <see cref="PowerIterations"/> steps of the power method from the non-trainable vector
/// <c>vector_u</c>, and the wrapped layer runs with W / sigma.
/// </summary>
/// <remarks>
/// <para>
/// As in Keras, each training call writes W / sigma into the wrapped layer's kernel and the new u into <c>vector_u</c>
/// (an all-zero kernel is left as it is, with u); inference calls run the kernel as it is stored, so a trained model
/// predicts with the last normalized kernel as the optimizer left it. Saving keeps that kernel. A frozen wrapper
/// (<see cref="Layer.Trainable"/> false) still normalizes in training, as Keras' call does not look at <c>trainable</c>.
/// </para>
/// <para>
/// The gradient is Keras' under its TensorFlow and PyTorch backends: the wrapped layer's own gradient with respect to the
/// kernel it ran with, W / sigma, which the optimizer applies to the stored kernel (W / sigma); nothing flows through
/// sigma, as the variable assignment cuts the graph there. (Under JAX Keras differentiates through the division and keeps
/// the unnormalized W; that is not reproduced.) A layer called twice in one graph runs its first call's backward with the
/// kernel as the second call left it.
/// </para>
/// <para>
/// The wrapped layer is a Dense, an EinsumDense, a convolution (Conv1D/2D/3D, their transposes, DepthwiseConv1D/2D) or an Embedding,
/// whose <c>embeddings</c> play the kernel, as Keras accepts a layer with a <c>kernel</c> or <c>embeddings</c> attribute.
/// The wrapper runs a copy of it made from its configuration; its weights are saved as this layer's
/// (<c>spectral_normalization/dense/kernel</c>, <c>spectral_normalization/vector_u</c>). Masks are dropped, as Keras'
/// <c>supports_masking</c> is false.
/// </para>
/// </remarks>
public sealed class SpectralNormalization : Layer
{
    private Layer? _inner;
    private Layer[] _innerLayers = [];
    private Parameter? _kernel;
    private Parameter? _vectorU;
    private float[] _v = [];
    private float[] _t = [];
    private int _columns;

    // Whether the last forward pass divided the kernel by sigma (training, kernel not all zero): only then does the
    // gradient go through the division.

    /// <summary>Wraps <paramref name="layer"/> to run with its kernel spectrally normalized.</summary>
    /// <param name="layer">An unbuilt Dense, convolution or Embedding; the wrapper runs a copy made from its configuration.</param>
    /// <param name="powerIterations">Power-method steps per training call, at least 1 (Keras' <c>power_iterations</c>, default 1).</param>
    /// <param name="name">The layer's name; the model names it <c>spectral_normalization</c>, ... when null.</param>
    /// <exception cref="ArgumentException"><paramref name="layer"/> has no kernel nor embeddings, or is built.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="powerIterations"/> is below 1.</exception>
    public SpectralNormalization(Layer layer, int powerIterations = 1, string? name = null)
        : base(name)
    {
        ArgumentNullException.ThrowIfNull(layer);
        if (powerIterations < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(powerIterations), powerIterations,
                string.Create(CultureInfo.InvariantCulture, $"SpectralNormalization expects powerIterations greater than zero but got powerIterations={powerIterations}."));
        }

        if (layer is not IKernelLayer)
        {
            throw new ArgumentException(
                $"SpectralNormalization wraps a layer with a kernel (Dense, EinsumDense, Conv1D/2D/3D, their transposes, DepthwiseConv1D/2D) or embeddings (Embedding) but got {layer}, which has neither.",
                nameof(layer));
        }

        if (layer.IsBuilt)
        {
            throw new ArgumentException($"SpectralNormalization wraps an unbuilt layer but got the built layer {layer}.", nameof(layer));
        }

        LowRankAdaptation.RefuseWrapping(layer, "SpectralNormalization");
        Layer = layer;
        layer.Wrapper = this;
        PowerIterations = powerIterations;
    }

    /// <summary>The layer given to the constructor (the template of the copy that runs).</summary>
    public Layer Layer { get; }

    /// <summary>The number of power-method steps per training call.</summary>
    public int PowerIterations { get; }

    /// <summary>The copy of <see cref="Layer"/> that runs, once built; its kernel holds the last normalized kernel.</summary>
    public Layer InnerLayer => _inner ?? throw new InvalidOperationException($"{Describe()} has no inner layer until it is built.");

    /// <summary>The estimate of the kernel's first right singular vector, (1, the kernel's last axis); not trainable.</summary>
    public Parameter VectorU => _vectorU ?? throw new InvalidOperationException($"{Describe()} has no vector_u until it is built.");

    internal override IReadOnlyList<Layer> InnerLayers => _innerLayers;

    // Keras' build sets self.kernel = self.layer.kernel, tracking the wrapped layer's kernel as the wrapper's own
    // trainable variable: layer.weights is [kernel, vector_u, then the wrapped layer's other weights (bias)].
    private protected override IEnumerable<Parameter> KerasOwnInnerParameters => _kernel is null ? [] : [_kernel];

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "spectral_normalization";

    /// <inheritdoc/>
    public override bool EndsWithSoftmax => Layer.EndsWithSoftmax && Layer.ActivityRegularizer is null;

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig()
        .Set("layer", SerializeWrapped(Layer, _inner))
        .Set("power_iterations", PowerIterations);

    /// <summary>Keras' <c>from_config</c>.</summary>
    internal static SpectralNormalization FromConfig(Config config) =>
        new(
            SerializationRegistry.Deserialize<Layer>(
                config.GetNode("layer") ?? throw config.Error("\"layer\" is missing or null; expected the wrapped layer as {\"class_name\", \"config\"}."),
                config,
                "layer"),
            config.GetInt32("power_iterations", 1, minimum: 1),
            config.GetString("name"));

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        string innerName = Layer.Name.Length > 0 ? Layer.Name : Layer.DefaultNamePrefix;
        Layer inner = SerializationRegistry.Recreate(Layer, Layer.GetConfig().Set("name", innerName));
        BuildInner(inner, inputShape, innerName + "/");
        Parameter kernel = ((IKernelLayer)inner).Kernel;
        int columns = kernel.Shape[-1];

        // Keras: add_weight("vector_u", (1, kernel.shape[-1]), TruncatedNormal(stddev=0.02), trainable=False).
        _vectorU = AddParameter("vector_u", new TensorShape(1, columns), VectorUInitializer.Instance, trainable: false);
        inner.Wrapper = this;
        _inner = inner;
        _innerLayers = [inner];
        _kernel = kernel;
        _columns = columns;
        _v = new float[kernel.Value.Length / columns];
        _t = new float[columns];
        return inner.OutputShape;
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        Layer inner = InnerLayer;
        inner.Seed = Seed;
        inner.CallIndex = CallIndex;
        inner.ComputesInputGradient = ComputesInputGradient;
        if (training)
        {
            Span<float> kernel = _kernel!.Value.AsSpan();
            if (!SpectralNorm.IsAllZero(kernel))
            {
                // u is overwritten with the new u (Keras assigns it), the kernel with W / sigma (Keras assigns that too).
                float sigma = SpectralNorm.PowerIteration(kernel, _columns, PowerIterations, _vectorU!.Value.AsSpan(), _v, _t);
                SpectralNorm.Divide(kernel, sigma, kernel);
            }
        }

        return inner.Forward(input, training);
    }

    // Keras' TensorFlow and PyTorch backends: the training call assigns W / sigma to the kernel variable and the wrapped
    // layer reads that variable, so the gradient the optimizer gets is the wrapped layer's own dL/d(W / sigma), applied to
    // the stored W / sigma (the assignment cuts the graph: nothing flows through sigma).
    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        // The inner layer follows this wrapper's plan (a call of the wrapper's public Backward computes the input gradient).
        InnerLayer.ComputesInputGradient = ComputesInputGradient;
        return InnerLayer.BackwardAsPlanned(outputGradient);
    }

    /// <inheritdoc/>
    protected override Tensor OnBackwardFromLogitsGradient(Tensor logitsGradient)
    {
        InnerLayer.ComputesInputGradient = ComputesInputGradient;
        return InnerLayer.BackwardFromLogitsAsPlanned(logitsGradient);
    }

    // Keras' TruncatedNormal(stddev=0.02) for vector_u: normal draws beyond two standard deviations drawn again.
    private sealed class VectorUInitializer : Initializer
    {
        public static readonly VectorUInitializer Instance = new();

        public override string Name => "truncated_normal";

        public override void Initialize(Span<float> values, TensorShape shape, long seed) =>
            RandomFill.TruncatedNormal(values, seed, 0.0, 0.02);
    }
}
