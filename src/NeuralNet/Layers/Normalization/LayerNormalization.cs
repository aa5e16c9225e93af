using System.Text.Json.Nodes;
using NeuralNet.Constraints;
using NeuralNet.Initializers;
using NeuralNet.Kernels;
using NeuralNet.Regularizers;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Layer normalization (Keras <c>LayerNormalization</c>): each sample is normalized on its own over
/// <see cref="Axes"/>, <c>y = (x - mean) / sqrt(variance + epsilon) * gamma + beta</c>, with the sample's mean and
/// biased variance over those axes; the same in training and inference, with no moving statistics.
/// </summary>
/// <remarks>
/// <para>Weights, in Keras' order: <c>gamma</c> (when <see cref="Scale"/>) and <c>beta</c> (when <see cref="Center"/>),
/// both shaped as the normalized axes: (features) for the default axis -1, (20, 30, 40) for <c>axes: [1, 2, 3]</c> on
/// (None, 20, 30, 40). Axes count the batch axis as Keras does (1 is a sample's first axis, -1 its last).</para>
/// <para>Trailing axes are normalized in place; other axes are gathered into rows first. The forward and backward
/// passes are row-wise TensorPrimitives passes, and after the first batch of a given size they allocate nothing.</para>
/// </remarks>
public sealed class LayerNormalization : Layer
{
    private static readonly Ones s_ones = new();
    private readonly int[] _axes;
    private readonly bool _axisIsList;
    private Parameter? _gamma;
    private Parameter? _beta;
    private AxisLayout? _layout;
    private Tensor? _outputBuffer;
    private Tensor? _xhatBuffer;
    private Tensor? _gatherBuffer;
    private Tensor? _inputGradientBuffer;
    private float[] _invStd = [];
    private float[] _scratch = [];
    private int _batch = -1;

    /// <summary>Creates layer normalization over one axis.</summary>
    /// <param name="axis">The axis to normalize over, counting the batch axis (Keras' convention); -1, the default, is the last.</param>
    /// <param name="epsilon">Added to the variance before the square root; positive (Keras default 1e-3).</param>
    /// <param name="center">Whether to learn an offset <c>beta</c>.</param>
    /// <param name="scale">Whether to learn a factor <c>gamma</c>.</param>
    /// <param name="betaInitializer">How <c>beta</c> starts; null for <see cref="Zeros"/>.</param>
    /// <param name="gammaInitializer">How <c>gamma</c> starts; null for <see cref="Ones"/>.</param>
    /// <param name="betaRegularizer">A penalty on <c>beta</c>, or null.</param>
    /// <param name="gammaRegularizer">A penalty on <c>gamma</c>, or null.</param>
    /// <param name="name">The layer's name; the model names it <c>layer_normalization</c>, ... when null.</param>
    /// <exception cref="ArgumentException"><paramref name="axis"/> is 0, the batch axis.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="epsilon"/> is not positive and finite.</exception>
    public LayerNormalization(
        int axis = -1,
        double epsilon = 1e-3,
        bool center = true,
        bool scale = true,
        Initializer? betaInitializer = null,
        Initializer? gammaInitializer = null,
        Regularizer? betaRegularizer = null,
        Regularizer? gammaRegularizer = null,
        string? name = null)
        : this([axis], false, epsilon, center, scale, betaInitializer, gammaInitializer, betaRegularizer, gammaRegularizer, name)
    {
    }

    /// <summary>Creates layer normalization over several axes (Keras' <c>axis=[1, 2, 3]</c>).</summary>
    /// <param name="axes">The axes to normalize over, counting the batch axis; at least one, none of them 0.</param>
    /// <param name="epsilon">Added to the variance before the square root; positive (Keras default 1e-3).</param>
    /// <param name="center">Whether to learn an offset <c>beta</c>.</param>
    /// <param name="scale">Whether to learn a factor <c>gamma</c>.</param>
    /// <param name="betaInitializer">How <c>beta</c> starts; null for <see cref="Zeros"/>.</param>
    /// <param name="gammaInitializer">How <c>gamma</c> starts; null for <see cref="Ones"/>.</param>
    /// <param name="betaRegularizer">A penalty on <c>beta</c>, or null.</param>
    /// <param name="gammaRegularizer">A penalty on <c>gamma</c>, or null.</param>
    /// <param name="name">The layer's name; the model names it <c>layer_normalization</c>, ... when null.</param>
    /// <exception cref="ArgumentException"><paramref name="axes"/> is empty or contains 0 (the batch axis).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="epsilon"/> is not positive and finite.</exception>
    public LayerNormalization(
        int[] axes,
        double epsilon = 1e-3,
        bool center = true,
        bool scale = true,
        Initializer? betaInitializer = null,
        Initializer? gammaInitializer = null,
        Regularizer? betaRegularizer = null,
        Regularizer? gammaRegularizer = null,
        string? name = null)
        : this(axes, true, epsilon, center, scale, betaInitializer, gammaInitializer, betaRegularizer, gammaRegularizer, name)
    {
    }

    private LayerNormalization(int[] axes, bool axisIsList, double epsilon, bool center, bool scale, Initializer? betaInitializer,
        Initializer? gammaInitializer, Regularizer? betaRegularizer, Regularizer? gammaRegularizer, string? name)
        : base(name)
    {
        _axes = CheckAxes(axes, Describe(), axisIsList ? nameof(axes) : "axis");
        _axisIsList = axisIsList;
        float positiveEpsilon = Float32Hyperparameter.Positive(epsilon, nameof(epsilon), Describe());

        Epsilon = positiveEpsilon;
        Center = center;
        Scale = scale;
        BetaInitializer = betaInitializer ?? Zeros.Instance;
        GammaInitializer = gammaInitializer ?? s_ones;
        BetaRegularizer = betaRegularizer;
        GammaRegularizer = gammaRegularizer;
    }

    /// <summary>The normalized axes as given, counting the batch axis (negative from the end).</summary>
    public IReadOnlyList<int> Axes => _axes;

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
    /// <c>new LayerNormalization { BetaConstraint = new NonNeg() }</c>), or null. Set before the layer is built.
    /// </summary>
    public Constraint? BetaConstraint { get; init; }

    /// <summary>The projection the optimizer applies to <c>gamma</c> after each step (Keras' <c>gamma_constraint</c>), or null.</summary>
    public Constraint? GammaConstraint { get; init; }

    /// <summary>The learned factor, shaped as the normalized axes; null when <see cref="Scale"/> is false or before the layer is built.</summary>
    public Parameter? Gamma => _gamma;

    /// <summary>The learned offset, shaped as the normalized axes; null when <see cref="Center"/> is false or before the layer is built.</summary>
    public Parameter? Beta => _beta;

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "layer_normalization";

    /// <inheritdoc/>
    public override bool SupportsMasking => true;

    /// <inheritdoc/>
    public override Config GetConfig()
    {
        Config config = base.GetConfig();
        config = _axisIsList ? config.Set("axis", _axes) : config.Set("axis", _axes[0]);
        return config.Set("epsilon", Epsilon).Set("center", Center).Set("scale", Scale).Set("rms_scaling", false)
            .Set("beta_initializer", BetaInitializer).Set("gamma_initializer", GammaInitializer)
            .Set("beta_regularizer", BetaRegularizer).Set("gamma_regularizer", GammaRegularizer)
            .Set("beta_constraint", BetaConstraint).Set("gamma_constraint", GammaConstraint);
    }

    /// <summary>Keras' <c>from_config</c>; <c>"axis"</c> may be an integer or a list, <c>rms_scaling</c> false.</summary>
    internal static LayerNormalization FromConfig(Config config)
    {
        if (config.Contains("rms_scaling") && config.GetBoolean("rms_scaling"))
        {
            throw config.Error("\"rms_scaling\": true (deprecated in Keras) is not supported.");
        }

        Config d = config.WithDefaults(new LayerNormalization().GetConfig());
        float epsilon = d.GetSingle("epsilon");
        bool center = d.GetBoolean("center"), scale = d.GetBoolean("scale");
        Initializer? beta = d.GetInitializer("beta_initializer"), gamma = d.GetInitializer("gamma_initializer");
        Regularizer? betaPenalty = d.GetRegularizer("beta_regularizer"), gammaPenalty = d.GetRegularizer("gamma_regularizer");
        Constraint? betaConstraint = d.GetConstraint("beta_constraint"), gammaConstraint = d.GetConstraint("gamma_constraint");
        string name = config.GetString("name");
        return d.GetNode("axis") is JsonArray
            ? new LayerNormalization(d.GetInt32Array("axis", 32), epsilon, center, scale, beta, gamma, betaPenalty, gammaPenalty, name) { BetaConstraint = betaConstraint, GammaConstraint = gammaConstraint }
            : new LayerNormalization(d.GetInt32("axis"), epsilon, center, scale, beta, gamma, betaPenalty, gammaPenalty, name) { BetaConstraint = betaConstraint, GammaConstraint = gammaConstraint };
    }

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        int[] sampleAxes = AxisLayout.SampleAxes(_axes, inputShape, Describe());
        if (sampleAxes.Length != _axes.Length)
        {
            throw new ArgumentException($"{Describe()} names an axis twice in [{string.Join(", ", _axes)}] for input {inputShape.ToBatchString()}; each axis may appear once.", nameof(inputShape));
        }

        // Keras shapes gamma and beta by the axes in the order given, then reshapes them onto the input: their values
        // follow the input's (sorted) axis order whatever the given order, and only the declared shape differs.
        int rank = inputShape.Rank + 1;
        var parameterShape = new TensorShape([.. _axes.Select(a => inputShape[(a < 0 ? a + rank : a) - 1])]);
        _layout = AxisLayout.Create(inputShape, sampleAxes);
        if (Scale)
        {
            _gamma = AddParameter("gamma", parameterShape, GammaInitializer, GammaRegularizer, constraint: GammaConstraint);
        }

        if (Center)
        {
            _beta = AddParameter("beta", parameterShape, BetaInitializer, BetaRegularizer, constraint: BetaConstraint);
        }

        _scratch = [];
        return inputShape;
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        AxisLayout layout = _layout!;
        _batch = input.Shape[0];
        int rows = _batch * layout.Rows;
        if (_invStd.Length < rows)
        {
            _invStd = new float[rows];
        }

        Tensor output = BatchView(ref _outputBuffer, _batch, OutputShape);
        Tensor xhat = BatchView(ref _xhatBuffer, _batch, InputShape);
        ReadOnlySpan<float> gamma = _gamma is null ? default : _gamma.Value.AsReadOnlySpan();
        ReadOnlySpan<float> beta = _beta is null ? default : _beta.Value.AsReadOnlySpan();
        if (layout.IsContiguous)
        {
            LayerNorm.Forward(input.AsReadOnlySpan(), gamma, beta, layout.Columns, Epsilon, xhat.AsSpan(), _invStd, output.AsSpan());
        }
        else
        {
            Tensor gathered = BatchView(ref _gatherBuffer, _batch, InputShape);
            layout.Gather(input.AsReadOnlySpan(), gathered.AsSpan());
            LayerNorm.Forward(gathered.AsReadOnlySpan(), gamma, beta, layout.Columns, Epsilon, xhat.AsSpan(), _invStd, gathered.AsSpan());
            layout.Scatter(gathered.AsReadOnlySpan(), output.AsSpan());
        }

        return output;
    }

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        if (outputGradient.Shape[0] != _batch)
        {
            throw new InvalidOperationException($"{Describe()}: backward needs a forward pass with the same batch size first (last forward batch {_batch}, gradient {outputGradient.Shape}).");
        }

        AxisLayout layout = _layout!;
        Tensor inputGradient = BatchView(ref _inputGradientBuffer, _batch, InputShape);
        ReadOnlySpan<float> gamma = _gamma is null ? default : _gamma.Value.AsReadOnlySpan();
        Span<float> gammaGradient = _gamma is null ? default : _gamma.Gradient.AsSpan();
        Span<float> betaGradient = _beta is null ? default : _beta.Gradient.AsSpan();
        ReadOnlySpan<float> xhat = _xhatBuffer!.AsReadOnlySpan()[..inputGradient.Length];

        // As large as a sample's normalized group, so made at the first backward pass, not when a file is loaded.
        if (_scratch.Length != layout.Columns)
        {
            _scratch = new float[layout.Columns];
        }

        if (layout.IsContiguous)
        {
            LayerNorm.Backward(outputGradient.AsReadOnlySpan(), xhat, gamma, _invStd, layout.Columns, _scratch, gammaGradient, betaGradient, inputGradient.AsSpan());
        }
        else
        {
            Tensor gathered = BatchView(ref _gatherBuffer, _batch, InputShape);
            layout.Gather(outputGradient.AsReadOnlySpan(), gathered.AsSpan());
            LayerNorm.Backward(gathered.AsReadOnlySpan(), xhat, gamma, _invStd, layout.Columns, _scratch, gammaGradient, betaGradient, gathered.AsSpan());
            layout.Scatter(gathered.AsReadOnlySpan(), inputGradient.AsSpan());
        }

        return inputGradient;
    }

    /// <summary>Checks Keras-style axes given to a constructor: at least one, none the batch axis.</summary>
    internal static int[] CheckAxes(int[] axes, string layer, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(axes, parameterName);
        if (axes.Length == 0 || axes.Contains(0))
        {
            throw new ArgumentException($"{layer} expects axes of the samples (1, 2, ... or -1, -2, ...; 0 is the batch axis) but got [{string.Join(", ", axes)}].", parameterName);
        }

        return (int[])axes.Clone();
    }
}
