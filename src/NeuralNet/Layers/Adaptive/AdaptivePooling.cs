using NeuralNet.Kernels;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// The base of Keras' adaptive pooling layers (<c>BaseAdaptivePooling</c>): each channel of a channels-last sequence, image or
/// volume pooled to a fixed spatial size whatever the input's, as PyTorch's <c>AdaptiveAvgPool</c> / <c>AdaptiveMaxPool</c>.
/// Along an axis of n positions pooled to m, output i reads window [⌊i·n / m⌋, ⌈(i + 1)·n / m⌉): windows of
/// n / m positions every n / m when m divides n, overlapping by one position here and there otherwise; an output larger
/// than the input repeats positions.
/// </summary>
public abstract class AdaptivePooling : Layer
{
    private AdaptivePoolShape _shape;
    private Step _forward = null!;
    private Step _backward = null!;
    private Tensor? _outputBuffer;
    private Tensor? _inputGradientBuffer;
    private Tensor? _input;
    private Tensor? _output;
    private Tensor? _outputGradient;
    private Tensor? _inputGradient;
    private int[] _winners = [];
    private int _lastBatch = -1;

    /// <summary>Checks and keeps the output size; a 1-D or 2-D layer passes 1 for the axes it does not have.</summary>
    /// <param name="outputSize">The output's (depth, height, width), each at least 1.</param>
    /// <param name="spatialAxes">1 (steps), 2 (height, width) or 3 (depth, height, width).</param>
    /// <param name="name">The layer's name, or null for an automatic one.</param>
    private protected AdaptivePooling((int Depth, int Height, int Width) outputSize, int spatialAxes, string? name)
        : base(name)
    {
        SpatialAxes = spatialAxes;
        foreach (int size in new[] { outputSize.Depth, outputSize.Height, outputSize.Width })
        {
            if (size < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(outputSize), size,
                    $"{Describe()} expects output sizes of at least 1. Received: outputSize=({string.Join(", ", Sizes(outputSize, spatialAxes))}).");
            }
        }

        Volume = outputSize;
    }

    /// <summary>Whether each window keeps its largest value (else its mean).</summary>
    private protected abstract bool TakesMaximum { get; }

    /// <summary>The output's (depth, height, width), 1 for the axes a 1-D or 2-D layer does not have.</summary>
    internal (int Depth, int Height, int Width) Volume { get; }

    /// <summary>1, 2 or 3: the spatial axes the layer pools.</summary>
    internal int SpatialAxes { get; }

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig()
        .Set("output_size", Sizes(Volume, SpatialAxes))
        .Set("data_format", "channels_last");

    /// <summary>Reads Keras' <c>output_size</c> (an integer for every axis, or one per axis) from a configuration, channels last.</summary>
    private protected static (int Depth, int Height, int Width) ReadOutputSize(Config config, int spatialAxes)
    {
        ConfigChecks.RequireChannelsLast(config);
        if (!config.Contains("output_size") || config.GetNode("output_size") is null)
        {
            throw config.Error("\"output_size\" is required.");
        }

        if (spatialAxes == 1)
        {
            return (1, 1, ConfigChecks.ReadSingle(config, "output_size")!.Value);
        }

        if (spatialAxes == 2)
        {
            (int height, int width) = ConfigChecks.ReadPair(config, "output_size")!.Value;
            return (1, height, width);
        }

        return VolumeChecks.ReadTriple(config, "output_size")!.Value;
    }

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        if (inputShape.Rank != SpatialAxes + 1)
        {
            string expected = SpatialAxes switch
            {
                1 => "(None, steps, channels)",
                2 => "(None, height, width, channels)",
                _ => "(None, depth, height, width, channels)",
            };
            throw new ArgumentException($"{Describe()} expects input {expected} but got {inputShape.ToBatchString()}.", nameof(inputShape));
        }

        int depth = SpatialAxes == 3 ? inputShape[0] : 1, height = SpatialAxes >= 2 ? inputShape[SpatialAxes - 2] : 1;
        _shape = new AdaptivePoolShape(depth, height, inputShape[SpatialAxes - 1], inputShape[SpatialAxes], Volume.Depth, Volume.Height, Volume.Width);

        // Made here, not in the constructor: each instance of a shared layer runs its own steps.
        _forward = new Step(this, true);
        _backward = new Step(this, false);
        return SpatialAxes switch
        {
            1 => new TensorShape(Volume.Width, _shape.Channels),
            2 => new TensorShape(Volume.Height, Volume.Width, _shape.Channels),
            _ => new TensorShape(Volume.Depth, Volume.Height, Volume.Width, _shape.Channels),
        };
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        int batch = input.Shape[0];
        _input = input;
        _output = BatchView(ref _outputBuffer, batch, OutputShape);
        if (TakesMaximum && _winners.Length < _output.Length)
        {
            _winners = new int[_output.Length];
        }

        ConvParallel.For(batch, _forward);
        _lastBatch = batch;
        return _output;
    }

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        int batch = outputGradient.Shape[0];
        if (batch != _lastBatch)
        {
            throw new InvalidOperationException($"{Describe()} got an output gradient {outputGradient.Shape} that does not follow a forward pass of the same batch size (last forward batch {_lastBatch}).");
        }

        _outputGradient = outputGradient;
        _inputGradient = BatchView(ref _inputGradientBuffer, batch, InputShape);
        ConvParallel.For(batch, _backward);
        return _inputGradient;
    }

    private static int[] Sizes((int Depth, int Height, int Width) volume, int spatialAxes) => spatialAxes switch
    {
        1 => [volume.Width],
        2 => [volume.Height, volume.Width],
        _ => [volume.Depth, volume.Height, volume.Width],
    };

    private void RunStep(bool forward, int n)
    {
        int inSize = _shape.InputSize, outSize = _shape.OutputSize;
        Span<int> winners = TakesMaximum ? _winners.AsSpan(n * outSize, outSize) : default;
        if (forward)
        {
            ReadOnlySpan<float> x = _input!.AsReadOnlySpan().Slice(n * inSize, inSize);
            Span<float> y = _output!.AsSpan().Slice(n * outSize, outSize);
            if (TakesMaximum)
            {
                AdaptivePool.Max(x, y, winners, _shape);
            }
            else
            {
                AdaptivePool.Average(x, y, _shape);
            }
        }
        else
        {
            ReadOnlySpan<float> dy = _outputGradient!.AsReadOnlySpan().Slice(n * outSize, outSize);
            Span<float> dx = _inputGradient!.AsSpan().Slice(n * inSize, inSize);
            if (TakesMaximum)
            {
                AdaptivePool.MaxBackward(dy, winners, dx);
            }
            else
            {
                AdaptivePool.AverageBackward(dy, dx, _shape);
            }
        }
    }

    private sealed class Step(AdaptivePooling layer, bool forward) : ParallelWork
    {
        public override void Run(int index) => layer.RunStep(forward, index);
    }
}
