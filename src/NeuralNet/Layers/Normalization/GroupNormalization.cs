using System.Globalization;
using NeuralNet.Constraints;
using NeuralNet.Initializers;
using NeuralNet.Kernels;
using NeuralNet.Regularizers;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Group normalization (Keras <c>GroupNormalization</c>): the channels of <see cref="Axis"/> are split into
/// <see cref="Groups"/> groups of consecutive channels, and each sample is normalized per group over every other
/// axis and the group's channels: <c>y = (x - mean) / sqrt(variance + epsilon) * gamma[c] + beta[c]</c>.
/// </summary>
/// <remarks>
/// <para>Weights, in Keras' order: <c>gamma</c> (when <see cref="Scale"/>) and <c>beta</c> (when <see cref="Center"/>), each
/// (channels). <c>groups: 1</c> normalizes the whole sample (but, unlike <see cref="LayerNormalization"/> over all axes,
/// with per-channel weights); <c>groups: -1</c> gives one group per channel (instance normalization).</para>
/// <para>The same in training and inference; row-wise TensorPrimitives passes over the contiguous blocks of each group,
/// allocation-free after the first batch of a given size.</para>
/// </remarks>
public sealed class GroupNormalization : Layer
{
    private static readonly Ones s_ones = new();
    private Parameter? _gamma;
    private Parameter? _beta;
    private GroupNorm.Geometry _geometry;
    private Tensor? _outputBuffer;
    private Tensor? _xhatBuffer;
    private Tensor? _inputGradientBuffer;
    private float[] _invStd = [];
    private float[] _scratch = [];
    private int _batch = -1;

    /// <summary>Creates group normalization.</summary>
    /// <param name="groups">The number of groups, which must divide the channels; -1 for one group per channel (Keras default 32).</param>
    /// <param name="axis">The channel axis, counting the batch axis (Keras' convention); -1, the default, is the last.</param>
    /// <param name="epsilon">Added to the variance before the square root; positive (Keras default 1e-3).</param>
    /// <param name="center">Whether to learn an offset <c>beta</c>.</param>
    /// <param name="scale">Whether to learn a factor <c>gamma</c>.</param>
    /// <param name="betaInitializer">How <c>beta</c> starts; null for <see cref="Zeros"/>.</param>
    /// <param name="gammaInitializer">How <c>gamma</c> starts; null for <see cref="Ones"/>.</param>
    /// <param name="betaRegularizer">A penalty on <c>beta</c>, or null.</param>
    /// <param name="gammaRegularizer">A penalty on <c>gamma</c>, or null.</param>
    /// <param name="name">The layer's name; the model names it <c>group_normalization</c>, ... when null.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="groups"/> is 0 or below -1, <paramref name="axis"/> is 0 (the batch axis),
    /// or <paramref name="epsilon"/> is not positive and finite.</exception>
    public GroupNormalization(
        int groups = 32,
        int axis = -1,
        double epsilon = 1e-3,
        bool center = true,
        bool scale = true,
        Initializer? betaInitializer = null,
        Initializer? gammaInitializer = null,
        Regularizer? betaRegularizer = null,
        Regularizer? gammaRegularizer = null,
        string? name = null)
        : base(name)
    {
        if (groups == 0 || groups < -1)
        {
            throw new ArgumentOutOfRangeException(nameof(groups), groups, $"{Describe()} expects a positive number of groups, or -1 for one per channel. Received: groups={groups}.");
        }

        if (axis == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(axis), axis, $"{Describe()} cannot normalize groups of the batch axis (axis=0); use an axis of the samples (1, 2, ... or -1).");
        }

        float positiveEpsilon = Float32Hyperparameter.Positive(epsilon, nameof(epsilon), Describe());

        Groups = groups;
        Axis = axis;
        Epsilon = positiveEpsilon;
        Center = center;
        Scale = scale;
        BetaInitializer = betaInitializer ?? Zeros.Instance;
        GammaInitializer = gammaInitializer ?? s_ones;
        BetaRegularizer = betaRegularizer;
        GammaRegularizer = gammaRegularizer;
    }

    /// <summary>The number of groups as given (-1: one per channel).</summary>
    public int Groups { get; }

    /// <summary>The channel axis, counting the batch axis (negative from the end).</summary>
    public int Axis { get; }

    /// <summary>Added to the variance before the square root, as float32 (the value given, rounded to float32).</summary>
    public float Epsilon { get; }

    /// <summary>Whether an offset <c>beta</c> is learned.</summary>
    public bool Center { get; }

    /// <summary>Whether a factor <c>gamma</c> is learned.</summary>
    public bool Scale { get; }

    /// <summary>How <c>beta</c> starts.</summary>
    public Initializer BetaInitializer { get; }

    /// <summary>How <c>gamma</c> starts.</summary>
    public Initializer GammaInitializer { get; }

    /// <summary>The penalty on <c>beta</c>, or null.</summary>
    public Regularizer? BetaRegularizer { get; }

    /// <summary>The penalty on <c>gamma</c>, or null.</summary>
    public Regularizer? GammaRegularizer { get; }

    /// <summary>
    /// The projection the optimizer applies to <c>beta</c> after each step (Keras' <c>beta_constraint</c>, such as
    /// <c>new GroupNormalization(4) { BetaConstraint = new NonNeg() }</c>), or null. Set before the layer is built.
    /// </summary>
    public Constraint? BetaConstraint { get; init; }

    /// <summary>The projection the optimizer applies to <c>gamma</c> after each step (Keras' <c>gamma_constraint</c>), or null.</summary>
    public Constraint? GammaConstraint { get; init; }

    /// <summary>The learned factor, (channels); null when <see cref="Scale"/> is false or before the layer is built.</summary>
    public Parameter? Gamma => _gamma;

    /// <summary>The learned offset, (channels); null when <see cref="Center"/> is false or before the layer is built.</summary>
    public Parameter? Beta => _beta;

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "group_normalization";

    /// <inheritdoc/>
    public override bool SupportsMasking => true;

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig()
        .Set("groups", Groups).Set("axis", Axis).Set("epsilon", Epsilon).Set("center", Center).Set("scale", Scale)
        .Set("beta_initializer", BetaInitializer).Set("gamma_initializer", GammaInitializer)
        .Set("beta_regularizer", BetaRegularizer).Set("gamma_regularizer", GammaRegularizer)
        .Set("beta_constraint", BetaConstraint).Set("gamma_constraint", GammaConstraint);

    /// <summary>Keras' <c>from_config</c>.</summary>
    internal static GroupNormalization FromConfig(Config config)
    {
        Config d = config.WithDefaults(new GroupNormalization().GetConfig());
        return new GroupNormalization(d.GetInt32("groups"), d.GetInt32("axis"), d.GetSingle("epsilon"), d.GetBoolean("center"), d.GetBoolean("scale"),
            d.GetInitializer("beta_initializer"), d.GetInitializer("gamma_initializer"), d.GetRegularizer("beta_regularizer"), d.GetRegularizer("gamma_regularizer"),
            config.GetString("name"))
        {
            BetaConstraint = d.GetConstraint("beta_constraint"),
            GammaConstraint = d.GetConstraint("gamma_constraint"),
        };
    }

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        int axis = AxisLayout.SampleAxes([Axis], inputShape, Describe())[0];
        int channels = inputShape[axis];
        int groups = Groups == -1 ? channels : Groups;
        if (groups > channels || channels % groups != 0)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"{Describe()} splits axis {Axis} into groups={groups} groups, but the input {inputShape.ToBatchString()} has {channels} channels there: the number of groups must divide the number of channels."),
                nameof(inputShape));
        }

        int outer = 1, inner = 1;
        for (int d = 0; d < axis; d++)
        {
            outer *= inputShape[d];
        }

        for (int d = axis + 1; d < inputShape.Rank; d++)
        {
            inner *= inputShape[d];
        }

        _geometry = new GroupNorm.Geometry(0, outer, channels, inner, groups);
        var shape = new TensorShape(channels);
        if (Scale)
        {
            _gamma = AddParameter("gamma", shape, GammaInitializer, GammaRegularizer, constraint: GammaConstraint);
        }

        if (Center)
        {
            _beta = AddParameter("beta", shape, BetaInitializer, BetaRegularizer, constraint: BetaConstraint);
        }

        _scratch = [];
        return inputShape;
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        _batch = input.Shape[0];
        _geometry = _geometry with { Batch = _batch };
        if (_invStd.Length < _batch * _geometry.Groups)
        {
            _invStd = new float[_batch * _geometry.Groups];
        }

        Tensor output = BatchView(ref _outputBuffer, _batch, OutputShape);
        Tensor xhat = BatchView(ref _xhatBuffer, _batch, InputShape);
        GroupNorm.Forward(input.AsReadOnlySpan(), _gamma is null ? default : _gamma.Value.AsReadOnlySpan(), _beta is null ? default : _beta.Value.AsReadOnlySpan(),
            _geometry, Epsilon, xhat.AsSpan(), _invStd, output.AsSpan());
        return output;
    }

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        if (outputGradient.Shape[0] != _batch)
        {
            throw new InvalidOperationException($"{Describe()}: backward needs a forward pass with the same batch size first (last forward batch {_batch}, gradient {outputGradient.Shape}).");
        }

        Tensor inputGradient = BatchView(ref _inputGradientBuffer, _batch, InputShape);

        // As large as a group of a sample, so made at the first backward pass, not when a file is loaded.
        if (_scratch.Length != _geometry.Block)
        {
            _scratch = new float[_geometry.Block];
        }

        GroupNorm.Backward(outputGradient.AsReadOnlySpan(), _xhatBuffer!.AsReadOnlySpan()[..inputGradient.Length], _gamma is null ? default : _gamma.Value.AsReadOnlySpan(),
            _invStd, _geometry, _scratch, _gamma is null ? default : _gamma.Gradient.AsSpan(), _beta is null ? default : _beta.Gradient.AsSpan(), inputGradient.AsSpan());
        return inputGradient;
    }
}
