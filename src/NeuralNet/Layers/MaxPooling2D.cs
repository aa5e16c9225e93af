using NeuralNet.Kernels;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Max pooling over channels-last images (Keras <c>MaxPooling2D</c>): each output is the largest input of its window,
/// per channel. The backward pass sends each gradient to the position that held the maximum (the first one on ties).
/// </summary>
public sealed class MaxPooling2D : Pooling2D
{
    private int[] _argmax = [];

    /// <summary>Creates max pooling with a square window.</summary>
    /// <param name="poolSize">The window's height and width, at least 1.</param>
    /// <param name="strides">The step between windows, at least 1; <paramref name="poolSize"/> when null.</param>
    /// <param name="padding"><see cref="Padding.Valid"/> (whole windows only) or <see cref="Padding.Same"/> (output ceil(in / stride); padding ignored).</param>
    /// <param name="name">The layer's name; the model names it <c>max_pooling2d</c>, ... when null.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size or stride is below 1.</exception>
    public MaxPooling2D(int poolSize = 2, int? strides = null, Padding padding = Padding.Valid, string? name = null)
        : base((poolSize, poolSize), strides is int s ? (s, s) : null, padding, name)
    {
    }

    /// <summary>Creates max pooling with a rectangular window.</summary>
    /// <param name="poolSize">The window's (height, width), each at least 1.</param>
    /// <param name="strides">The (vertical, horizontal) step, each at least 1; <paramref name="poolSize"/> when null.</param>
    /// <param name="padding"><see cref="Padding.Valid"/> (whole windows only) or <see cref="Padding.Same"/> (output ceil(in / stride); padding ignored).</param>
    /// <param name="name">The layer's name; the model names it <c>max_pooling2d</c>, ... when null.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size or stride is below 1.</exception>
    public MaxPooling2D((int Height, int Width) poolSize, (int Height, int Width)? strides = null, Padding padding = Padding.Valid, string? name = null)
        : base(poolSize, strides, padding, name)
    {
    }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "max_pooling2d";

    private protected override void PrepareBatch(int batch)
    {
        int needed = batch * Geometry.OutputPixels * Geometry.Channels;
        if (_argmax.Length < needed)
        {
            _argmax = new int[needed];
        }
    }

    private protected override void ForwardSample(int sample, ReadOnlySpan<float> input, Span<float> output)
        => Pooling.MaxForward(input, Geometry, 1, output, _argmax.AsSpan(sample * output.Length, output.Length));

    private protected override void BackwardSample(int sample, ReadOnlySpan<float> outputGradient, Span<float> inputGradient)
        => Pooling.MaxBackward(outputGradient, _argmax.AsSpan(sample * outputGradient.Length, outputGradient.Length), Geometry, 1, inputGradient);

    /// <summary>Keras' <c>from_config</c>.</summary>
    internal static MaxPooling2D FromConfig(Config config)
    {
        ConfigChecks.RequireChannelsLast(config);
        (int, int) poolSize = ConfigChecks.ReadPair(config.WithDefaults(new MaxPooling2D().GetConfig()), "pool_size")
            ?? throw config.Error("\"pool_size\" is null; expected a positive integer or a pair of positive integers.");

        // Keras writes strides; when a file leaves them out they default to the pool size, as in the constructor.
        return new MaxPooling2D(poolSize, ConfigChecks.ReadPair(config, "strides"), ConfigChecks.ReadPadding(config), config.GetString("name"));
    }
}
