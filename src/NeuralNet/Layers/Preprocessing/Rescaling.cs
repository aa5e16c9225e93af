using System.Numerics.Tensors;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Rescales its input (Keras' <c>Rescaling</c>): <c>y = x · scale + offset</c>, element-wise, for any input shape; the
/// output has the input's shape. For images in [0, 255]: <c>new Rescaling(1f / 255)</c> gives [0, 1],
/// <c>new Rescaling(1f / 127.5f, -1)</c> gives [-1, 1].
/// </summary>
/// <remarks>Differentiable: <c>dx = dy · scale</c>. No state, so nothing to adapt; the factors are saved in the configuration.
/// The product is rounded before the offset is added (no fused multiply-add), as Keras computes it. Keras also takes
/// per-channel lists for <c>scale</c> and <c>offset</c>; only single numbers are supported here.</remarks>
public sealed class Rescaling : Layer
{
    private Tensor? _output;
    private Tensor? _inputGradient;
    private int _batch = -1;

    /// <summary>Creates a rescaling layer.</summary>
    /// <param name="scale">The factor applied to the input.</param>
    /// <param name="offset">The offset added after scaling (Keras default 0).</param>
    /// <param name="name">The layer's name; null to have the model name it <c>rescaling</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="scale"/> or <paramref name="offset"/> is not finite.</exception>
    public Rescaling(float scale, float offset = 0f, string? name = null)
        : base(name)
    {
        if (!float.IsFinite(scale))
        {
            throw new ArgumentOutOfRangeException(nameof(scale), scale, $"Rescaling expects a finite scale. Received: scale={scale}.");
        }

        if (!float.IsFinite(offset))
        {
            throw new ArgumentOutOfRangeException(nameof(offset), offset, $"Rescaling expects a finite offset. Received: offset={offset}.");
        }

        Scale = scale;
        Offset = offset;
    }

    /// <summary>The factor applied to the input.</summary>
    public float Scale { get; }

    /// <summary>The offset added after scaling.</summary>
    public float Offset { get; }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "rescaling";

    /// <inheritdoc/>
    public override bool SupportsMasking => true;

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig().Set("scale", Scale).Set("offset", Offset);

    /// <summary>Keras' <c>from_config</c>.</summary>
    internal static Rescaling FromConfig(Config config)
    {
        if (config.GetNode("scale") is System.Text.Json.Nodes.JsonArray || config.GetNode("offset") is System.Text.Json.Nodes.JsonArray)
        {
            throw config.Error("per-channel \"scale\" or \"offset\" lists are not supported; they must be numbers.");
        }

        return new(config.GetSingle("scale"), config.GetSingle("offset", 0f), config.GetString("name"));
    }

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape) => inputShape;

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        _batch = input.Shape[0];
        Tensor output = BatchView(ref _output, _batch, OutputShape);
        Span<float> y = output.AsSpan();
        TensorPrimitives.Multiply(input.AsReadOnlySpan(), Scale, y);
        TensorPrimitives.Add(y, Offset, y);
        return output;
    }

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        IdGradient.CheckBatch(this, outputGradient, _batch);
        if (!ComputesInputGradient)
        {
            return outputGradient;
        }

        Tensor inputGradient = BatchView(ref _inputGradient, _batch, InputShape);
        TensorPrimitives.Multiply(outputGradient.AsReadOnlySpan(), Scale, inputGradient.AsSpan());
        return inputGradient;
    }
}
