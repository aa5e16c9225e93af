using NeuralNet.Initializers;
using NeuralNet.Kernels;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Batch normalization over the last axis (Keras <c>BatchNormalization</c>, axis -1): in training, each channel is
/// normalized with the batch's mean and variance and the moving statistics are updated; at inference the moving
/// statistics are used. Output <c>gamma * (x - mean) / sqrt(variance + epsilon) + beta</c>.
/// </summary>
/// <remarks>
/// Parameters, in Keras' order: <c>gamma</c> (when <see cref="Scale"/>) and <c>beta</c> (when <see cref="Center"/>),
/// trainable; <c>moving_mean</c> and <c>moving_variance</c>, non-trainable, updated as
/// <c>moving = moving * momentum + batch * (1 - momentum)</c> with the biased batch variance, as Keras does.
/// Works on any input rank: (features) after a dense layer, (height, width, channels) after a convolution.
/// </remarks>
public sealed class BatchNormalization : Layer
{
    private static readonly Ones s_ones = new();
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
    private int _batch;
    private bool _usedBatchStatistics;
    private bool _hasForward;

    /// <summary>Creates batch normalization.</summary>
    /// <param name="momentum">The weight of the old value in each moving-statistics update, in [0, 1].</param>
    /// <param name="epsilon">Added to the variance before the square root, positive.</param>
    /// <param name="center">Whether to learn an offset <c>beta</c>.</param>
    /// <param name="scale">Whether to learn a factor <c>gamma</c>.</param>
    /// <param name="name">The layer's name; the model names it <c>batch_normalization</c>, ... when null.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="momentum"/> is outside [0, 1] or <paramref name="epsilon"/> is not positive.</exception>
    public BatchNormalization(float momentum = 0.99f, float epsilon = 1e-3f, bool center = true, bool scale = true, string? name = null)
        : base(name)
    {
        if (!(momentum >= 0f && momentum <= 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(momentum), momentum, $"{Describe()} expects a momentum in [0, 1]. Received: momentum={momentum}.");
        }

        if (!(epsilon > 0f) || float.IsInfinity(epsilon))
        {
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, $"{Describe()} expects a positive finite epsilon. Received: epsilon={epsilon}.");
        }

        Momentum = momentum;
        Epsilon = epsilon;
        Center = center;
        Scale = scale;
    }

    /// <summary>The weight of the old value in each moving-statistics update.</summary>
    public float Momentum { get; }

    /// <summary>Added to the variance before the square root.</summary>
    public float Epsilon { get; }

    /// <summary>Whether an offset <c>beta</c> is learned.</summary>
    public bool Center { get; }

    /// <summary>Whether a factor <c>gamma</c> is learned.</summary>
    public bool Scale { get; }

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig()
        .Set("axis", -1).Set("momentum", Momentum).Set("epsilon", Epsilon).Set("center", Center).Set("scale", Scale);

    /// <summary>Keras' <c>from_config</c>: only the channels-last axis (-1, or [-1]) is supported.</summary>
    internal static BatchNormalization FromConfig(Config config)
    {
        if (config.Contains("axis"))
        {
            bool lastAxis = config.GetNode("axis") is System.Text.Json.Nodes.JsonArray
                ? config.GetInt32Array("axis", 1) is [-1]
                : config.GetInt32("axis") == -1;
            if (!lastAxis)
            {
                throw config.Error("only \"axis\": -1 (channels last) is supported.");
            }
        }

        Config d = config.WithDefaults(new BatchNormalization().GetConfig());
        return new BatchNormalization(d.GetSingle("momentum"), d.GetSingle("epsilon"), d.GetBoolean("center"), d.GetBoolean("scale"), config.GetString("name"));
    }

    /// <summary>The moving mean used at inference, (channels). Throws until the layer is built.</summary>
    public Parameter MovingMean => _movingMean ?? throw new InvalidOperationException($"{Describe()} has not been built yet.");

    /// <summary>The moving variance used at inference, (channels). Throws until the layer is built.</summary>
    public Parameter MovingVariance => _movingVariance ?? throw new InvalidOperationException($"{Describe()} has not been built yet.");

    /// <summary>The learned factor, (channels), or null when <see cref="Scale"/> is false.</summary>
    public Parameter? Gamma => _gamma;

    /// <summary>The learned offset, (channels), or null when <see cref="Center"/> is false.</summary>
    public Parameter? Beta => _beta;

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

        int channels = inputShape[-1];
        var shape = new TensorShape(channels);
        if (Scale)
        {
            _gamma = AddParameter("gamma", shape, s_ones);
        }

        if (Center)
        {
            _beta = AddParameter("beta", shape, Zeros.Instance);
        }

        _movingMean = AddParameter("moving_mean", shape, Zeros.Instance, trainable: false);
        _movingVariance = AddParameter("moving_variance", shape, s_ones, trainable: false);
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
        _xhat = BatchView(ref _xhatBuffer, _batch, InputShape);
        ReadOnlySpan<float> gamma = _gamma is null ? default : _gamma.Value.AsReadOnlySpan();
        ReadOnlySpan<float> beta = _beta is null ? default : _beta.Value.AsReadOnlySpan();
        if (training)
        {
            BatchNorm.Statistics(input.AsReadOnlySpan(), channels, _mean, _variance, _sums);
            Span<float> movingMean = _movingMean!.Value.AsSpan(), movingVariance = _movingVariance!.Value.AsSpan();
            for (int c = 0; c < channels; c++)
            {
                movingMean[c] = (movingMean[c] * Momentum) + (_mean[c] * (1f - Momentum));
                movingVariance[c] = (movingVariance[c] * Momentum) + (_variance[c] * (1f - Momentum));
            }

            BatchNorm.InverseStandardDeviation(_variance, Epsilon, _invStd);
            BatchNorm.Normalize(input.AsReadOnlySpan(), _mean, _invStd, gamma, beta, channels, _xhat.AsSpan(), output.AsSpan());
        }
        else
        {
            BatchNorm.InverseStandardDeviation(_movingVariance!.Value.AsReadOnlySpan(), Epsilon, _invStd);
            BatchNorm.Normalize(input.AsReadOnlySpan(), _movingMean!.Value.AsReadOnlySpan(), _invStd, gamma, beta, channels, _xhat.AsSpan(), output.AsSpan());
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
        BatchNorm.Backward(outputGradient.AsReadOnlySpan(), _xhat!.AsReadOnlySpan(),
            _gamma is null ? default : _gamma.Value.AsReadOnlySpan(), _invStd, _mean.Length, _usedBatchStatistics,
            _gamma is null ? default : _gamma.Gradient.AsSpan(), _beta is null ? default : _beta.Gradient.AsSpan(), inputGradient.AsSpan(), _sums);
        return inputGradient;
    }
}
