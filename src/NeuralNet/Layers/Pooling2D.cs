using NeuralNet.Kernels;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// The common part of 2-D window pooling over channels-last images (<see cref="MaxPooling2D"/>, <see cref="AveragePooling2D"/>):
/// input (height, width, channels) per sample, output (outHeight, outWidth, channels).
/// </summary>
public abstract class Pooling2D : Layer
{
    private Step _forward = null!;
    private Step _backward = null!;
    private Tensor? _outputBuffer;
    private Tensor? _inputGradientBuffer;
    private Tensor? _output;
    private Tensor? _inputGradient;
    private Tensor? _input;
    private Tensor? _outputGradient;
    private int _batch;

    /// <summary>Validates and stores the window settings.</summary>
    /// <param name="poolSize">The window's (height, width), each at least 1.</param>
    /// <param name="strides">The (vertical, horizontal) step between windows, each at least 1; the pool size when null.</param>
    /// <param name="padding">How borders are handled; padded positions never take part in a window.</param>
    /// <param name="name">The layer's name, or null for an automatic one.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size or stride is below 1, or the padding is unknown.</exception>
    private protected Pooling2D((int Height, int Width) poolSize, (int Height, int Width)? strides, Padding padding, string? name)
        : base(name)
    {
        (int Height, int Width) s = strides ?? poolSize;
        RequirePositive(poolSize.Height, nameof(poolSize), "pool height");
        RequirePositive(poolSize.Width, nameof(poolSize), "pool width");
        RequirePositive(s.Height, nameof(strides), "vertical stride");
        RequirePositive(s.Width, nameof(strides), "horizontal stride");
        if (padding is not (Padding.Valid or Padding.Same))
        {
            throw new ArgumentOutOfRangeException(nameof(padding), padding, $"{Describe()} expects padding Valid or Same. Received: padding={padding}.");
        }

        PoolSize = poolSize;
        Strides = s;
        Padding = padding;
    }

    /// <summary>The window's (height, width).</summary>
    public (int Height, int Width) PoolSize { get; }

    /// <summary>The (vertical, horizontal) step between windows.</summary>
    public (int Height, int Width) Strides { get; }

    /// <summary>How borders are handled.</summary>
    public Padding Padding { get; }

    /// <summary>The windows' geometry; valid once built.</summary>
    internal ConvGeometry Geometry { get; private set; }

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        if (inputShape.Rank != 3)
        {
            throw new ArgumentException($"{Describe()} expects input of rank 3 per sample (height, width, channels), such as (None, 26, 26, 32), but got {inputShape.ToBatchString()}.", nameof(inputShape));
        }

        if (!ConvGeometry.TryCreate(inputShape[0], inputShape[1], inputShape[2], PoolSize.Height, PoolSize.Width,
            Strides.Height, Strides.Width, Padding == Padding.Same, out ConvGeometry geometry))
        {
            throw new ArgumentException($"{Describe()} pool ({PoolSize.Height}, {PoolSize.Width}) is larger than its input {inputShape.ToBatchString()} with padding {Padding}.", nameof(inputShape));
        }

        Geometry = geometry;

        // Made here, not in the constructor: each instance of a shared layer runs its own steps.
        _forward = new Step(this, true);
        _backward = new Step(this, false);
        return new TensorShape(geometry.OutHeight, geometry.OutWidth, inputShape[2]);
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        _batch = input.Shape[0];
        _input = input;
        PrepareBatch(_batch);
        _output = BatchView(ref _outputBuffer, _batch, OutputShape);
        ConvParallel.For(_batch, _forward);
        return _output;
    }

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        if (_input is null || outputGradient.Shape[0] != _batch)
        {
            throw new InvalidOperationException($"{Describe()}: backward needs a forward pass with the same batch size first (last forward batch {_batch}, gradient {outputGradient.Shape}).");
        }

        _outputGradient = outputGradient;
        _inputGradient = BatchView(ref _inputGradientBuffer, _batch, InputShape);
        ConvParallel.For(_batch, _backward);
        return _inputGradient;
    }

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig()
        .Set("pool_size", [PoolSize.Height, PoolSize.Width])
        .Set("strides", [Strides.Height, Strides.Width])
        .Set("padding", ConfigChecks.PaddingName(Padding))
        .Set("data_format", "channels_last");

    /// <summary>Creates per-batch scratch (such as argmax indices) for <paramref name="batch"/> samples.</summary>
    private protected virtual void PrepareBatch(int batch)
    {
    }

    /// <summary>Pools sample <paramref name="sample"/>: input (H, W, C) to output (OH, OW, C).</summary>
    private protected abstract void ForwardSample(int sample, ReadOnlySpan<float> input, Span<float> output);

    /// <summary>Back-propagates sample <paramref name="sample"/>: output gradient (OH, OW, C) to input gradient (H, W, C), overwritten.</summary>
    private protected abstract void BackwardSample(int sample, ReadOnlySpan<float> outputGradient, Span<float> inputGradient);

    private void RunStep(bool forward, int n)
    {
        int inSize = Geometry.InputSize, outSize = Geometry.OutputPixels * Geometry.Channels;
        if (forward)
        {
            ForwardSample(n, _input!.AsReadOnlySpan().Slice(n * inSize, inSize), _output!.AsSpan().Slice(n * outSize, outSize));
        }
        else
        {
            BackwardSample(n, _outputGradient!.AsReadOnlySpan().Slice(n * outSize, outSize), _inputGradient!.AsSpan().Slice(n * inSize, inSize));
        }
    }

    private void RequirePositive(int value, string parameter, string what)
    {
        if (value < 1)
        {
            throw new ArgumentOutOfRangeException(parameter, value, $"{Describe()} expects a positive {what}. Received: {parameter}={value}.");
        }
    }

    private sealed class Step(Pooling2D layer, bool forward) : ParallelWork
    {
        public override void Run(int index) => layer.RunStep(forward, index);
    }
}
