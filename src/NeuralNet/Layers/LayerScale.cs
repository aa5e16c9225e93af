using System.Globalization;
using System.Numerics.Tensors;
using NeuralNet.Initializers;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Keras' <c>LayerScale</c> of <c>keras.applications.convnext</c> (Touvron et al., 2021): multiplies each channel (the
/// last axis) by a learned scale, <c>y = x * gamma</c>, with <c>gamma</c> of shape (projection_dim) starting at
/// <see cref="InitValues"/>. Same shape out as in.
/// </summary>
public sealed class LayerScale : Layer
{
    private Parameter? _gamma;
    private Tensor? _output;
    private Tensor? _inputGradient;
    private Tensor? _lastInput;

    /// <summary>Creates the layer.</summary>
    /// <param name="initValues">The initial value of every scale (Keras' <c>init_values</c>, 1e-6 in ConvNeXt); finite.</param>
    /// <param name="projectionDim">The number of channels (Keras' <c>projection_dim</c>), the size of the input's last axis; at least 1.</param>
    /// <param name="name">The layer's name; the model names it <c>layer_scale</c>, ... when null.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="initValues"/> is not finite, or <paramref name="projectionDim"/> is below 1.</exception>
    public LayerScale(double initValues, int projectionDim, string? name = null)
        : base(name)
    {
        float init = Float32Hyperparameter.Finite(initValues, nameof(initValues), "LayerScale", "init_values");

        if (projectionDim < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(projectionDim), projectionDim, $"LayerScale expects a positive projection_dim. Received: projection_dim={projectionDim}.");
        }

        InitValues = init;
        ProjectionDim = projectionDim;
    }

    /// <summary>The initial value of every scale (Keras' <c>init_values</c>), as float32 (the value given, rounded to float32).</summary>
    public float InitValues { get; }

    /// <summary>The number of channels scaled (Keras' <c>projection_dim</c>).</summary>
    public int ProjectionDim { get; }

    /// <summary>The scales, of shape (projection_dim) (Keras' <c>gamma</c>), once the layer is built.</summary>
    /// <exception cref="InvalidOperationException">The layer is not built.</exception>
    public Parameter Gamma => _gamma ?? throw new InvalidOperationException($"{Describe()} has no gamma until it is built.");

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "layer_scale";

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig().Set("init_values", InitValues).Set("projection_dim", ProjectionDim);

    /// <summary>Keras' <c>from_config</c>.</summary>
    internal static LayerScale FromConfig(Config config) =>
        new(config.GetSingle("init_values"), config.GetInt32("projection_dim"), config.GetString("name"));

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        if (inputShape.Rank < 1 || inputShape[-1] != ProjectionDim)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"{Describe()} expects inputs whose last axis is projection_dim={ProjectionDim}, but got {inputShape.ToBatchString()}."), nameof(inputShape));
        }

        _gamma = AddParameter("gamma", new TensorShape(ProjectionDim), new Constant(InitValues));
        return inputShape;
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        // input (batch, ..., C), gamma (C): each row of C channels times gamma.
        Tensor output = BatchView(ref _output, input.Shape[0], OutputShape);
        ReadOnlySpan<float> x = input.AsReadOnlySpan(), gamma = _gamma!.Value.AsReadOnlySpan();
        Span<float> y = output.AsSpan();
        for (int start = 0; start < x.Length; start += ProjectionDim)
        {
            TensorPrimitives.Multiply(x.Slice(start, ProjectionDim), gamma, y.Slice(start, ProjectionDim));
        }

        _lastInput = input;
        return output;
    }

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        // dgamma[c] += sum over rows of dy[., c] * x[., c]; dx = dy * gamma.
        CheckForwardRan(_lastInput, outputGradient);
        ReadOnlySpan<float> x = _lastInput!.AsReadOnlySpan(), dy = outputGradient.AsReadOnlySpan(), gamma = _gamma!.Value.AsReadOnlySpan();
        if (_gamma.Trainable)
        {
            Span<float> dGamma = _gamma.Gradient.AsSpan();
            for (int start = 0; start < x.Length; start += ProjectionDim)
            {
                TensorPrimitives.MultiplyAdd(dy.Slice(start, ProjectionDim), x.Slice(start, ProjectionDim), dGamma, dGamma);
            }
        }

        if (!ComputesInputGradient)
        {
            return outputGradient;
        }

        Tensor inputGradient = BatchView(ref _inputGradient, outputGradient.Shape[0], InputShape);
        Span<float> dx = inputGradient.AsSpan();
        for (int start = 0; start < dy.Length; start += ProjectionDim)
        {
            TensorPrimitives.Multiply(dy.Slice(start, ProjectionDim), gamma, dx.Slice(start, ProjectionDim));
        }

        return inputGradient;
    }
}
