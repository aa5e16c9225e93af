using System.Globalization;
using System.Numerics.Tensors;
using NeuralNet.Constraints;
using NeuralNet.Initializers;
using NeuralNet.Regularizers;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// The Keras <c>PReLU</c> layer, a leaky ReLU with a learned slope: <c>f(x) = x</c> for <c>x &gt;= 0</c>,
/// <c>alpha * x</c> otherwise, with one <c>alpha</c> per position of a sample except along <see cref="SharedAxes"/>.
/// </summary>
/// <remarks>
/// The weight <c>alpha</c> has the sample's shape with each shared axis set to 1: on (None, 28, 28, 32) with
/// <c>sharedAxes: [1, 2]</c> (one slope per channel, shared over space) it is (1, 1, 32). Shared axes count the batch
/// axis, as in Keras. Keras starts <c>alpha</c> at zeros, so the layer begins as a plain ReLU.
/// </remarks>
public sealed class PReLU : Layer
{
    private readonly int[]? _sharedAxes;
    private Parameter? _alpha;
    private int[] _alphaIndex = [];
    private float[] _expandedAlpha = [];
    private float[] _expandedGradient = [];
    private Tensor? _outputBuffer;
    private Tensor? _inputGradientBuffer;
    private Tensor? _lastInput;

    /// <summary>Creates a PReLU layer.</summary>
    /// <param name="alphaInitializer">How <c>alpha</c> starts; null for <see cref="Zeros"/> (Keras' default).</param>
    /// <param name="alphaRegularizer">A penalty on <c>alpha</c>, or null.</param>
    /// <param name="sharedAxes">Axes (counting the batch axis, so 1 is a sample's first axis) along which one <c>alpha</c> is shared; null for none.</param>
    /// <param name="name">The layer's name; the model names it <c>p_re_lu</c>, ... when null (Keras' automatic name).</param>
    /// <exception cref="ArgumentException"><paramref name="sharedAxes"/> contains an axis below 1.</exception>
    public PReLU(Initializer? alphaInitializer = null, Regularizer? alphaRegularizer = null, int[]? sharedAxes = null, string? name = null)
        : base(name)
    {
        if (sharedAxes is not null && sharedAxes.Any(a => a < 1))
        {
            throw new ArgumentException($"{Describe()} expects shared axes of the samples (1, 2, ...; 0 is the batch axis) but got [{string.Join(", ", sharedAxes)}].", nameof(sharedAxes));
        }

        AlphaInitializer = alphaInitializer ?? Zeros.Instance;
        AlphaRegularizer = alphaRegularizer;
        _sharedAxes = sharedAxes is null ? null : (int[])sharedAxes.Clone();
    }

    /// <summary>How <c>alpha</c> starts.</summary>
    public Initializer AlphaInitializer { get; }

    /// <summary>The penalty on <c>alpha</c>, or null.</summary>
    public Regularizer? AlphaRegularizer { get; }

    /// <summary>
    /// The projection the optimizer applies to <c>alpha</c> after each step (Keras' <c>alpha_constraint</c>, such as
    /// <c>new PReLU { AlphaConstraint = new NonNeg() }</c>), or null. Set before the layer is built.
    /// </summary>
    public Constraint? AlphaConstraint { get; init; }

    /// <summary>The axes along which <c>alpha</c> is shared (counting the batch axis), or null for none.</summary>
    public IReadOnlyList<int>? SharedAxes => _sharedAxes;

    /// <summary>The learned slopes, the sample's shape with shared axes set to 1. Throws until the layer is built.</summary>
    public Parameter Alpha => _alpha ?? throw new InvalidOperationException($"{Describe()} has no alpha until it is built.");

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "p_re_lu";

    /// <inheritdoc/>
    public override bool SupportsMasking => true;

    /// <inheritdoc/>
    public override Config GetConfig()
    {
        Config config = base.GetConfig().Set("alpha_initializer", AlphaInitializer).Set("alpha_regularizer", AlphaRegularizer).Set("alpha_constraint", AlphaConstraint);
        return _sharedAxes is null ? config.SetNull("shared_axes") : config.Set("shared_axes", _sharedAxes);
    }

    /// <summary>Keras' <c>from_config</c>; <c>"shared_axes"</c> may be null, an integer or a list.</summary>
    internal static PReLU FromConfig(Config config)
    {
        int[]? shared = !config.Contains("shared_axes") ? null
            : config.GetNode("shared_axes") is System.Text.Json.Nodes.JsonArray ? config.GetInt32Array("shared_axes", 32)
            : [config.GetInt32("shared_axes")];
        return new PReLU(config.GetInitializer("alpha_initializer"), config.GetRegularizer("alpha_regularizer"), shared, config.GetString("name"))
        {
            AlphaConstraint = config.GetConstraint("alpha_constraint"),
        };
    }

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        int rank = inputShape.Rank;
        int[] alphaShape = inputShape.Dimensions.ToArray();
        foreach (int axis in _sharedAxes ?? [])
        {
            if (axis > rank)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"{Describe()} shares alpha along axis {axis}, which input {inputShape.ToBatchString()} of rank {rank + 1} does not have."), nameof(inputShape));
            }

            alphaShape[axis - 1] = 1;
        }

        _alpha = AddParameter("alpha", new TensorShape(alphaShape), AlphaInitializer, AlphaRegularizer, constraint: AlphaConstraint);
        _alphaIndex = [];
        return inputShape;
    }

    // alphaIndex[i] = the alpha that sample position i uses. As large as a sample, so made on the first batch, not when a
    // file is loaded (a small file naming a huge input shape must not allocate gigabytes before its weights are read).
    private void ExpandAlphaIndex()
    {
        TensorShape inputShape = InputShape;
        int[] alphaShape = _alpha!.Shape.Dimensions.ToArray();
        int rank = inputShape.Rank;
        int length = inputShape.ElementCount;
        _alphaIndex = new int[length];
        var index = new int[rank];
        for (int i = 0; i < length; i++)
        {
            int a = 0;
            for (int d = 0; d < rank; d++)
            {
                a = (a * alphaShape[d]) + (alphaShape[d] == 1 ? 0 : index[d]);
            }

            _alphaIndex[i] = a;
            for (int d = rank - 1; d >= 0; d--)
            {
                if (++index[d] < inputShape[d])
                {
                    break;
                }

                index[d] = 0;
            }
        }

        _expandedAlpha = new float[length];
        _expandedGradient = new float[length];
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        // y = max(x, 0) + alpha * min(x, 0), alpha expanded to the sample's shape once per batch.
        if (_alphaIndex.Length == 0)
        {
            ExpandAlphaIndex();
        }

        ReadOnlySpan<float> alpha = _alpha!.Value.AsReadOnlySpan();
        for (int i = 0; i < _alphaIndex.Length; i++)
        {
            _expandedAlpha[i] = alpha[_alphaIndex[i]];
        }

        Tensor output = BatchView(ref _outputBuffer, input.Shape[0], OutputShape);
        ReadOnlySpan<float> x = input.AsReadOnlySpan();
        Span<float> y = output.AsSpan();
        int n = _expandedAlpha.Length;
        for (int start = 0; start < x.Length; start += n)
        {
            ReadOnlySpan<float> xs = x.Slice(start, n);
            Span<float> ys = y.Slice(start, n);
            TensorPrimitives.Min(xs, 0f, ys);
            TensorPrimitives.Multiply(ys, _expandedAlpha, ys);
            for (int i = 0; i < n; i++)
            {
                ys[i] += MathF.Max(xs[i], 0f);
            }
        }

        _lastInput = input;
        return output;
    }

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        if (_lastInput is null || _lastInput.Shape[0] != outputGradient.Shape[0])
        {
            throw new InvalidOperationException($"{Describe()}: backward needs a forward pass with the same batch size first (gradient {outputGradient.Shape}, last input {_lastInput?.Shape.ToString() ?? "none"}).");
        }

        // dalpha += sum g * min(x, 0); dx = g where x > 0, alpha * g elsewhere.
        Tensor inputGradient = BatchView(ref _inputGradientBuffer, outputGradient.Shape[0], InputShape);
        ReadOnlySpan<float> x = _lastInput.AsReadOnlySpan(), g = outputGradient.AsReadOnlySpan();
        Span<float> dx = inputGradient.AsSpan();
        Span<float> accumulated = _expandedGradient;
        accumulated.Clear();
        int n = _expandedAlpha.Length;
        for (int start = 0; start < x.Length; start += n)
        {
            ReadOnlySpan<float> xs = x.Slice(start, n), gs = g.Slice(start, n);
            Span<float> dxs = dx.Slice(start, n);
            TensorPrimitives.Min(xs, 0f, dxs);
            TensorPrimitives.MultiplyAdd(gs, dxs, accumulated, accumulated);
            for (int i = 0; i < n; i++)
            {
                dxs[i] = xs[i] > 0f ? gs[i] : _expandedAlpha[i] * gs[i];
            }
        }

        Span<float> alphaGradient = _alpha!.Gradient.AsSpan();
        for (int i = 0; i < n; i++)
        {
            alphaGradient[_alphaIndex[i]] += accumulated[i];
        }

        return inputGradient;
    }
}
