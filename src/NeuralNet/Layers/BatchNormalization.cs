using NeuralNet.Constraints;
using NeuralNet.Initializers;
using NeuralNet.Kernels;
using NeuralNet.Regularizers;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Batch normalization over the last axis (Keras <c>BatchNormalization</c>, axis -1): in training, each channel is
/// normalized with the batch's mean and variance and the moving statistics are updated; at inference the moving
/// statistics are used. Output <c>gamma * (x - mean) / sqrt(variance + epsilon) + beta</c>. A frozen layer
/// (<see cref="Layer.Trainable"/> false) runs in inference mode even in training, keeping its moving statistics, as
/// Keras does (<c>training and self.trainable</c>): the usual way to fine-tune a model that contains batch normalization.
/// </summary>
/// <remarks>
/// Parameters, in Keras' order: <c>gamma</c> (when <see cref="Scale"/>) and <c>beta</c> (when <see cref="Center"/>),
/// trainable; <c>moving_mean</c> and <c>moving_variance</c>, non-trainable, updated as
/// <c>moving = moving * momentum + batch * (1 - momentum)</c> with the biased batch variance, as Keras does.
/// Works on any input rank: (features) after a dense layer, (height, width, channels) after a convolution. With a mask
/// on the input (padding from <see cref="Embedding.MaskZero"/> or <see cref="Masking"/>) the batch statistics count only
/// the unmasked positions, as Keras 3's masked moments do (divided by their number plus 1e-7); every position is then
/// normalized with them, and the mask passes on. A training call keeps the normalized input for the backward pass; an
/// inference call writes only its output (a backward pass after one, for an input gradient, recomputes what it needs).
/// Large inputs with 16 channels or more are processed on the library's worker threads, with the same bits whatever
/// <see cref="Parallelism.MaxDegreeOfParallelism"/> is.
/// </remarks>
public sealed class BatchNormalization : Layer
{
    private Parameter? _gamma;
    private Parameter? _beta;
    private Parameter? _movingMean;
    private Parameter? _movingVariance;
    private float[] _mean = [];
    private float[] _variance = [];
    private float[] _invStd = [];
    private double[] _sums = [];
    private Tensor? _outputBuffer;
    private Tensor? _xhatBuffer;
    private Tensor? _inputGradientBuffer;
    private Tensor? _xhat;

    // The input of an inference-mode call, which keeps no xhat: a backward pass after one recomputes xhat from it.
    private Tensor? _inferenceInput;
    private int _batch;
    private bool _usedBatchStatistics;
    private Tensor? _statisticsMask;
    private float _statisticsDivisor;
    private bool _hasForward;

    /// <summary>Creates batch normalization.</summary>
    /// <param name="momentum">The weight of the old value in each moving-statistics update, in [0, 1].</param>
    /// <param name="epsilon">Added to the variance before the square root, positive.</param>
    /// <param name="center">Whether to learn an offset <c>beta</c>.</param>
    /// <param name="scale">Whether to learn a factor <c>gamma</c>.</param>
    /// <param name="betaInitializer">Fills <c>beta</c>; zeros when null.</param>
    /// <param name="gammaInitializer">Fills <c>gamma</c>; ones when null.</param>
    /// <param name="movingMeanInitializer">Fills the moving mean; zeros when null.</param>
    /// <param name="movingVarianceInitializer">Fills the moving variance; ones when null.</param>
    /// <param name="betaRegularizer">Weight penalty on <c>beta</c>, or null.</param>
    /// <param name="gammaRegularizer">Weight penalty on <c>gamma</c>, or null.</param>
    /// <param name="name">The layer's name; the model names it <c>batch_normalization</c>, ... when null.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="momentum"/> is outside [0, 1] or <paramref name="epsilon"/> is not positive.</exception>
    public BatchNormalization(
        double momentum = 0.99,
        double epsilon = 1e-3,
        bool center = true,
        bool scale = true,
        Initializer? betaInitializer = null,
        Initializer? gammaInitializer = null,
        Initializer? movingMeanInitializer = null,
        Initializer? movingVarianceInitializer = null,
        Regularizer? betaRegularizer = null,
        Regularizer? gammaRegularizer = null,
        string? name = null)
        : base(name)
    {
        float unitMomentum = Float32Hyperparameter.UnitInterval(momentum, nameof(momentum), Describe(), inclusiveOne: true);
        float positiveEpsilon = Float32Hyperparameter.Positive(epsilon, nameof(epsilon), Describe());

        Momentum = unitMomentum;
        Epsilon = positiveEpsilon;
        Center = center;
        Scale = scale;
        BetaInitializer = betaInitializer ?? Zeros.Instance;
        GammaInitializer = gammaInitializer ?? new Ones();
        MovingMeanInitializer = movingMeanInitializer ?? Zeros.Instance;
        MovingVarianceInitializer = movingVarianceInitializer ?? new Ones();
        BetaRegularizer = betaRegularizer;
        GammaRegularizer = gammaRegularizer;
    }

    /// <summary>The weight of the old value in each moving-statistics update, as float32 (the value given, rounded to float32).</summary>
    public float Momentum { get; }

    /// <summary>Added to the variance before the square root, as float32 (the value given, rounded to float32).</summary>
    public float Epsilon { get; }

    /// <summary>Whether an offset <c>beta</c> is learned.</summary>
    public bool Center { get; }

    /// <summary>Whether a factor <c>gamma</c> is learned.</summary>
    public bool Scale { get; }

    /// <summary>Fills <c>beta</c> when the layer is built.</summary>
    public Initializer BetaInitializer { get; }

    /// <summary>Fills <c>gamma</c> when the layer is built.</summary>
    public Initializer GammaInitializer { get; }

    /// <summary>Fills the moving mean when the layer is built.</summary>
    public Initializer MovingMeanInitializer { get; }

    /// <summary>Fills the moving variance when the layer is built.</summary>
    public Initializer MovingVarianceInitializer { get; }

    /// <summary>The weight penalty on <c>beta</c>, or null.</summary>
    public Regularizer? BetaRegularizer { get; }

    /// <summary>The weight penalty on <c>gamma</c>, or null.</summary>
    public Regularizer? GammaRegularizer { get; }

    /// <summary>
    /// The projection the optimizer applies to <c>beta</c> after each step (Keras' <c>beta_constraint</c>, such as
    /// <c>new BatchNormalization { BetaConstraint = new NonNeg() }</c>), or null. Set before the layer is built.
    /// </summary>
    public Constraint? BetaConstraint { get; init; }

    /// <summary>The projection the optimizer applies to <c>gamma</c> after each step (Keras' <c>gamma_constraint</c>), or null.</summary>
    public Constraint? GammaConstraint { get; init; }

    // The axis as a Keras configuration gave it: -1, or the input's last axis counted with the batch axis ("axis": 3 on
    // NHWC images, as keras.applications write it), checked when the layer is built.
    private int ConfiguredAxis { get; init; } = -1;

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig()
        .Set("axis", ConfiguredAxis).Set("momentum", Momentum).Set("epsilon", Epsilon).Set("center", Center).Set("scale", Scale)
        .Set("beta_initializer", BetaInitializer).Set("gamma_initializer", GammaInitializer)
        .Set("moving_mean_initializer", MovingMeanInitializer).Set("moving_variance_initializer", MovingVarianceInitializer)
        .Set("beta_regularizer", BetaRegularizer).Set("gamma_regularizer", GammaRegularizer)
        .Set("beta_constraint", BetaConstraint).Set("gamma_constraint", GammaConstraint);

    /// <summary>
    /// Keras' <c>from_config</c>: only the channels-last axis is supported: -1, or a positive axis that names the input's
    /// last axis (counting the batch axis, as Keras does), checked when the layer is built; a list of one such axis too.
    /// </summary>
    internal static BatchNormalization FromConfig(Config config)
    {
        int axis = -1;
        if (config.Contains("axis"))
        {
            int[] axes = config.GetNode("axis") is System.Text.Json.Nodes.JsonArray ? config.GetInt32Array("axis", 1) : [config.GetInt32("axis")];
            if (axes is not [int only] || !(only == -1 || only > 0))
            {
                throw config.Error("only \"axis\": -1 (channels last) is supported.");
            }

            axis = only;
        }

        Config d = config.WithDefaults(new BatchNormalization().GetConfig());
        return new BatchNormalization(
            d.GetSingle("momentum"),
            d.GetSingle("epsilon"),
            d.GetBoolean("center"),
            d.GetBoolean("scale"),
            d.GetInitializer("beta_initializer"),
            d.GetInitializer("gamma_initializer"),
            d.GetInitializer("moving_mean_initializer"),
            d.GetInitializer("moving_variance_initializer"),
            d.GetRegularizer("beta_regularizer"),
            d.GetRegularizer("gamma_regularizer"),
            config.GetString("name"))
        {
            ConfiguredAxis = axis,
            BetaConstraint = d.GetConstraint("beta_constraint"),
            GammaConstraint = d.GetConstraint("gamma_constraint"),
        };
    }

    /// <summary>The moving mean used at inference, (channels). Throws until the layer is built.</summary>
    public Parameter MovingMean => _movingMean ?? throw new InvalidOperationException($"{Describe()} has not been built yet.");

    /// <summary>The moving variance used at inference, (channels). Throws until the layer is built.</summary>
    public Parameter MovingVariance => _movingVariance ?? throw new InvalidOperationException($"{Describe()} has not been built yet.");

    /// <summary>The learned factor, (channels), or null when <see cref="Scale"/> is false.</summary>
    public Parameter? Gamma => _gamma;

    /// <summary>The learned offset, (channels), or null when <see cref="Center"/> is false.</summary>
    public Parameter? Beta => _beta;

    /// <summary>The length of the normalized-input buffer kept for the backward pass (0 until a training call or a backward pass needs one).</summary>
    internal int KeptXhatLength => _xhatBuffer?.Length ?? 0;

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "batch_normalization";

    /// <inheritdoc/>
    public override bool SupportsMasking => true;

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        if (inputShape.Rank < 1)
        {
            throw new ArgumentException($"{Describe()} expects input with at least one axis per sample but got {inputShape.ToBatchString()}.", nameof(inputShape));
        }

        if (ConfiguredAxis != -1 && ConfiguredAxis != inputShape.Rank)
        {
            throw new ArgumentException(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"{Describe()}: only \"axis\": -1 (channels last) is supported; axis {ConfiguredAxis} of input {inputShape.ToBatchString()} is not its last axis ({inputShape.Rank})."), nameof(inputShape));
        }

        int channels = inputShape[-1];
        var shape = new TensorShape(channels);
        if (Scale)
        {
            _gamma = AddParameter("gamma", shape, GammaInitializer, GammaRegularizer, constraint: GammaConstraint);
        }

        if (Center)
        {
            _beta = AddParameter("beta", shape, BetaInitializer, BetaRegularizer, constraint: BetaConstraint);
        }

        _movingMean = AddParameter("moving_mean", shape, MovingMeanInitializer, trainable: false);
        _movingVariance = AddParameter("moving_variance", shape, MovingVarianceInitializer, trainable: false);
        _mean = new float[channels];
        _variance = new float[channels];
        _invStd = new float[channels];
        _sums = new double[2 * channels];
        return inputShape;
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        int channels = _mean.Length;
        _batch = input.Shape[0];
        Tensor output = BatchView(ref _outputBuffer, _batch, OutputShape);

        // Only a training call keeps xhat (the backward pass's); inference keeps a reference to its input instead.
        _xhat = training ? BatchView(ref _xhatBuffer, _batch, InputShape) : null;
        _inferenceInput = training ? null : input;
        Span<float> xhat = training ? _xhat!.AsSpan() : default;
        ReadOnlySpan<float> gamma = _gamma is null ? default : _gamma.Value.AsReadOnlySpan();
        ReadOnlySpan<float> beta = _beta is null ? default : _beta.Value.AsReadOnlySpan();

        // Keras: batch statistics only when training and trainable; a frozen layer keeps its moving statistics.
        training &= Trainable;
        // Keras 3: with a mask (padding from Embedding(maskZero) or Masking) the batch statistics skip masked positions.
        _statisticsMask = training ? InputMask : null;
        if (training)
        {
            _statisticsDivisor = BatchNorm.Statistics(input.AsReadOnlySpan(), channels, _mean, _variance, _sums,
                _statisticsMask is null ? default : _statisticsMask.AsReadOnlySpan());

            Span<float> movingMean = _movingMean!.Value.AsSpan(), movingVariance = _movingVariance!.Value.AsSpan();
            for (int c = 0; c < channels; c++)
            {
                movingMean[c] = (movingMean[c] * Momentum) + (_mean[c] * (1f - Momentum));
                movingVariance[c] = (movingVariance[c] * Momentum) + (_variance[c] * (1f - Momentum));
            }

            BatchNorm.InverseStandardDeviation(_variance, Epsilon, _invStd);
            BatchNorm.Normalize(input.AsReadOnlySpan(), _mean, _invStd, gamma, beta, channels, xhat, output.AsSpan());
        }
        else
        {
            BatchNorm.InverseStandardDeviation(_movingVariance!.Value.AsReadOnlySpan(), Epsilon, _invStd);
            BatchNorm.Normalize(input.AsReadOnlySpan(), _movingMean!.Value.AsReadOnlySpan(), _invStd, gamma, beta, channels, xhat, output.AsSpan());
        }

        _usedBatchStatistics = training;
        _hasForward = true;
        return output;
    }

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        if (!_hasForward || outputGradient.Shape[0] != _batch)
        {
            throw new InvalidOperationException($"{Describe()}: backward needs a forward pass with the same batch size first (last forward batch {_batch}, gradient {outputGradient.Shape}).");
        }

        Tensor inputGradient = BatchView(ref _inputGradientBuffer, _batch, InputShape);
        if (_xhat is null)
        {
            // After an inference call: xhat from its input and the moving mean, with the bits a training call's pass gives
            // (the output it also writes lands in inputGradient, which the backward pass then overwrites).
            _xhat = BatchView(ref _xhatBuffer, _batch, InputShape);
            BatchNorm.Normalize(_inferenceInput!.AsReadOnlySpan(), _movingMean!.Value.AsReadOnlySpan(), _invStd, default, default, _mean.Length,
                _xhat.AsSpan(), inputGradient.AsSpan());
        }

        BatchNorm.Backward(outputGradient.AsReadOnlySpan(), _xhat!.AsReadOnlySpan(),
            _gamma is null ? default : _gamma.Value.AsReadOnlySpan(), _invStd, _mean.Length, _usedBatchStatistics,
            _gamma is null ? default : _gamma.Gradient.AsSpan(), _beta is null ? default : _beta.Gradient.AsSpan(), inputGradient.AsSpan(), _sums,
            _statisticsMask is null ? default : _statisticsMask.AsReadOnlySpan(), _statisticsDivisor);
        return inputGradient;
    }
}
