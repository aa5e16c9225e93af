using System.Globalization;
using System.Text.Json.Nodes;
using NeuralNet.Initializers;
using NeuralNet.Kernels;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Root-mean-square normalization (Keras' <c>RMSNormalization</c>, Zhang and Sennrich 2019), the normalization of
/// LLaMA-style transformers: <c>y = x · rsqrt(mean(x²) + epsilon) · scale</c> over <see cref="Axes"/>, with a learned
/// <c>scale</c> (ones at first) of the normalized axes' shape. Unlike <see cref="LayerNormalization"/> it neither centers
/// nor shifts.
/// </summary>
/// <remarks>
/// The axes must be the trailing ones (the default, -1, is the last): Keras multiplies by <c>scale</c> by broadcasting
/// against the trailing axes, and its torch backend calls <c>F.rms_norm</c>, which normalizes trailing axes only.
/// </remarks>
/// <example><c>x = new RMSNormalization(epsilon: 1e-5f).Call(x);</c></example>
public sealed class RMSNormalization : Layer
{
    private readonly int[] _axes;
    private readonly bool _axisIsList;
    private Parameter? _scale;
    private int _columns;
    private Tensor? _input;
    private Tensor? _outputBuffer;
    private Tensor? _inputGradientBuffer;
    private float[] _invRms = [];
    private float[] _normalized = [];
    private int _batch = -1;

    /// <summary>Creates RMS normalization over one axis.</summary>
    /// <param name="axis">The axis, counting the batch axis (Keras' convention); -1, the default, is the last.</param>
    /// <param name="epsilon">Added to the mean square before the square root; Keras' default 1e-6.</param>
    /// <param name="name">The layer's name; the model names it <c>rms_normalization</c>, ... when null.</param>
    /// <exception cref="ArgumentException"><paramref name="axis"/> is 0, the batch axis.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="epsilon"/> is not positive and finite.</exception>
    public RMSNormalization(int axis = -1, double epsilon = 1e-6, string? name = null)
        : this([axis], false, epsilon, name)
    {
    }

    /// <summary>Creates RMS normalization over several trailing axes (Keras' <c>axis=[2, 3]</c>).</summary>
    /// <param name="axes">The axes, counting the batch axis; at least one, none of them 0.</param>
    /// <param name="epsilon">Added to the mean square before the square root; Keras' default 1e-6.</param>
    /// <param name="name">The layer's name; the model names it <c>rms_normalization</c>, ... when null.</param>
    /// <exception cref="ArgumentException"><paramref name="axes"/> is empty or contains 0 (the batch axis).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="epsilon"/> is not positive and finite.</exception>
    public RMSNormalization(int[] axes, double epsilon = 1e-6, string? name = null)
        : this(axes, true, epsilon, name)
    {
    }

    private RMSNormalization(int[] axes, bool axisIsList, double epsilon, string? name)
        : base(name)
    {
        _axes = LayerNormalization.CheckAxes(axes, Describe(), axisIsList ? nameof(axes) : "axis");
        _axisIsList = axisIsList;
        float positiveEpsilon = Float32Hyperparameter.Positive(epsilon, nameof(epsilon), Describe());

        Epsilon = positiveEpsilon;
    }

    /// <summary>The normalized axes as given, counting the batch axis (negative from the end).</summary>
    public IReadOnlyList<int> Axes => _axes;

    /// <summary>Added to the mean square before the square root, as float32 (the value given, rounded to float32).</summary>
    public float Epsilon { get; }

    /// <summary>The learned scale, of the normalized axes' shape. Throws until the layer is built.</summary>
    public Parameter Scale => _scale ?? throw new InvalidOperationException($"{Describe()} has no scale until it is built.");

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "rms_normalization";

    /// <inheritdoc/>
    /// <remarks>Once built, <c>axis</c> is written as Keras' <c>build</c> leaves it: a sorted list (<c>[-1]</c> for the default).</remarks>
    public override Config GetConfig() =>
        (_axisIsList || IsBuilt ? base.GetConfig().Set("axis", _axes.Order().ToArray()) : base.GetConfig().Set("axis", _axes[0])).Set("epsilon", Epsilon);

    /// <summary>Keras' <c>from_config</c>; <c>"axis"</c> may be an integer or a list.</summary>
    internal static RMSNormalization FromConfig(Config config)
    {
        float epsilon = config.GetSingle("epsilon", 1e-6f);
        return config.GetNode("axis") is JsonArray
            ? new RMSNormalization(config.GetInt32Array("axis", 32), epsilon, config.GetString("name"))
            : new RMSNormalization(config.GetInt32("axis", -1), epsilon, config.GetString("name"));
    }

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        int[] sampleAxes = AxisLayout.SampleAxes(_axes, inputShape, Describe());
        for (int i = 0; i < sampleAxes.Length; i++)
        {
            if (sampleAxes[i] != inputShape.Rank - sampleAxes.Length + i)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"{Describe()} normalizes over axes [{string.Join(", ", _axes)}] of input {inputShape.ToBatchString()}, which are not its trailing axes; Keras' RMSNormalization broadcasts its scale against the trailing axes, so use axis -1 or a list of the last axes."),
                    nameof(inputShape));
            }
        }

        int[] scaleShape = [.. sampleAxes.Select(a => inputShape[a])];
        _columns = scaleShape.Aggregate(1, (product, size) => product * size);
        _scale = AddParameter("scale", new TensorShape(scaleShape), new Ones(), regularizer: null);
        return inputShape;
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        _batch = input.Shape[0];
        int rows = input.Length / _columns;
        if (_invRms.Length < rows)
        {
            _invRms = new float[rows];
        }

        _input = input;
        Tensor output = BatchView(ref _outputBuffer, _batch, OutputShape);
        RmsNorm.Forward(input.AsReadOnlySpan(), Scale.Value.AsReadOnlySpan(), Epsilon, _invRms, output.AsSpan());
        return output;
    }

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        if (_input is null || outputGradient.Shape[0] != _batch)
        {
            throw new InvalidOperationException($"{Describe()}: backward needs a forward pass with the same batch size first (last forward batch {_batch}, gradient {outputGradient.Shape}).");
        }

        if (_normalized.Length < _columns)
        {
            _normalized = new float[_columns];
        }

        Tensor inputGradient = BatchView(ref _inputGradientBuffer, _batch, InputShape);
        Span<float> dx = ComputesInputGradient ? inputGradient.AsSpan() : default;
        Span<float> dScale = Scale.Trainable ? Scale.Gradient.AsSpan() : default;
        RmsNorm.Backward(outputGradient.AsReadOnlySpan(), _input.AsReadOnlySpan(), _invRms, Scale.Value.AsReadOnlySpan(), dx, dScale, _normalized);
        return ComputesInputGradient ? inputGradient : outputGradient;
    }
}
