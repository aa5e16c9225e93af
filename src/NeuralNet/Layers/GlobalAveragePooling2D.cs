using NeuralNet.Kernels;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Global average pooling over channels-last images (Keras <c>GlobalAveragePooling2D</c>): input (height, width, channels)
/// per sample, output (channels), the mean of each channel over every pixel; (1, 1, channels) with <see cref="KeepDims"/>.
/// </summary>
public sealed class GlobalAveragePooling2D : Layer
{
    private Tensor? _outputBuffer;
    private Tensor? _inputGradientBuffer;
    private int _pixels;
    private int _channels;

    /// <summary>Creates global average pooling.</summary>
    /// <param name="name">The layer's name; the model names it <c>global_average_pooling2d</c>, ... when null.</param>
    public GlobalAveragePooling2D(string? name = null)
        : this(false, name)
    {
    }

    /// <summary>Creates global average pooling that may keep the pooled axes (Keras' <c>keepdims</c>).</summary>
    /// <param name="keepDims">Whether the output keeps height and width, of size 1: (1, 1, channels) rather than (channels).</param>
    /// <param name="name">The layer's name; the model names it <c>global_average_pooling2d</c>, ... when null.</param>
    public GlobalAveragePooling2D(bool keepDims, string? name = null)
        : base(name)
    {
        KeepDims = keepDims;
    }

    /// <summary>Whether the output keeps height and width, of size 1 (Keras' <c>keepdims</c>, default false).</summary>
    public bool KeepDims { get; }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "global_average_pooling2d";

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        if (inputShape.Rank != 3)
        {
            throw new ArgumentException($"{Describe()} expects input of rank 3 per sample (height, width, channels), such as (None, 7, 7, 64), but got {inputShape.ToBatchString()}.", nameof(inputShape));
        }

        _pixels = inputShape[0] * inputShape[1];
        _channels = inputShape[2];
        return KeepDims ? new TensorShape(1, 1, _channels) : new TensorShape(_channels);
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        int batch = input.Shape[0];
        Tensor output = BatchView(ref _outputBuffer, batch, OutputShape);
        Pooling.GlobalAverageForward(input.AsReadOnlySpan(), _pixels, _channels, batch, output.AsSpan());
        return output;
    }

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        int batch = outputGradient.Shape[0];
        Tensor inputGradient = BatchView(ref _inputGradientBuffer, batch, InputShape);
        Pooling.GlobalAverageBackward(outputGradient.AsReadOnlySpan(), _pixels, _channels, batch, inputGradient.AsSpan());
        return inputGradient;
    }

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig().Set("data_format", "channels_last").Set("keepdims", KeepDims);

    /// <summary>Keras' <c>from_config</c>.</summary>
    internal static GlobalAveragePooling2D FromConfig(Config config)
    {
        ConfigChecks.RequireChannelsLast(config);
        return new GlobalAveragePooling2D(config.GetBoolean("keepdims", false), config.GetString("name"));
    }
}
