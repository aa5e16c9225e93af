using NeuralNet.Kernels;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// The base of <see cref="MaxPooling3D"/> and <see cref="AveragePooling3D"/>: windows of <see cref="PoolSize"/> every
/// <see cref="Strides"/> over (batch, depth, height, width, channels), per channel. Per axis, 'valid' keeps whole windows,
/// ⌊(in − pool) / stride⌋ + 1 of them; 'same' gives ⌈in / stride⌉ windows, padded evenly with the odd position after,
/// padded positions ignored (as Keras: a window's mean is over its positions inside the input).
/// </summary>
public abstract class Pooling3D : Layer
{
    private VolumeGeometry _geometry;
    private Tensor? _output;
    private Tensor? _inputGradient;
    private int[] _winners = [];
    private int _lastBatch = -1;

    private protected Pooling3D((int Depth, int Height, int Width) poolSize, (int Depth, int Height, int Width)? strides, Padding padding, string? name)
        : base(name)
    {
        VolumeChecks.Positive(Describe(), poolSize, nameof(poolSize), "pool sizes");
        VolumeChecks.Positive(Describe(), strides ?? poolSize, nameof(strides), "strides");
        ConvolutionChecks.ValidOrSame(Describe(), padding);
        PoolSize = poolSize;
        Strides = strides ?? poolSize;
        Padding = padding;
    }

    /// <summary>The window's (depth, height, width).</summary>
    public (int Depth, int Height, int Width) PoolSize { get; }

    /// <summary>The step between windows along each axis (the pool size unless given).</summary>
    public (int Depth, int Height, int Width) Strides { get; }

    /// <summary>Valid or Same.</summary>
    public Padding Padding { get; }

    /// <summary>Whether the window keeps its largest value (else its mean).</summary>
    private protected abstract bool TakesMaximum { get; }

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig()
        .Set("pool_size", [PoolSize.Depth, PoolSize.Height, PoolSize.Width])
        .Set("strides", [Strides.Depth, Strides.Height, Strides.Width])
        .Set("padding", ConfigChecks.PaddingName(Padding))
        .Set("data_format", "channels_last");

    /// <summary>Reads pool size, strides and padding from a Keras configuration.</summary>
    private protected static ((int, int, int) PoolSize, (int, int, int)? Strides, Padding Padding) ReadConfig(Config config)
    {
        ConfigChecks.RequireChannelsLast(config);
        return (VolumeChecks.ReadTriple(config, "pool_size") ?? (2, 2, 2), VolumeChecks.ReadTriple(config, "strides"), ConfigChecks.ReadPadding(config));
    }

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        _geometry = VolumeChecks.Geometry(Describe(), inputShape, PoolSize, Strides, (1, 1, 1), Padding);
        return new TensorShape(_geometry.Depth.Output, _geometry.Height.Output, _geometry.Width.Output, inputShape[3]);
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        VolumeGeometry g = _geometry;
        int batch = input.Shape[0], c = g.Channels;
        Tensor output = BatchView(ref _output, batch, OutputShape);
        if (TakesMaximum && _winners.Length < output.Length)
        {
            _winners = new int[output.Length];
        }

        ReadOnlySpan<float> x = input.AsReadOnlySpan();
        Span<float> y = output.AsSpan();
        int at = 0;
        for (int b = 0; b < batch; b++)
        {
            int sample = b * g.InputSize;
            for (int od = 0; od < g.Depth.Output; od++)
            {
                (int d0, int d1) = Clip(g.Depth, od);
                for (int oh = 0; oh < g.Height.Output; oh++)
                {
                    (int h0, int h1) = Clip(g.Height, oh);
                    for (int ow = 0; ow < g.Width.Output; ow++)
                    {
                        (int w0, int w1) = Clip(g.Width, ow);
                        for (int ch = 0; ch < c; ch++, at++)
                        {
                            if (TakesMaximum)
                            {
                                int best = sample + g.Offset(d0, h0, w0) + ch;
                                for (int d = d0; d < d1; d++)
                                {
                                    for (int h = h0; h < h1; h++)
                                    {
                                        for (int w = w0; w < w1; w++)
                                        {
                                            int index = sample + g.Offset(d, h, w) + ch;
                                            best = x[index] > x[best] ? index : best;
                                        }
                                    }
                                }

                                _winners[at] = best;
                                y[at] = x[best];
                            }
                            else
                            {
                                double sum = 0;
                                for (int d = d0; d < d1; d++)
                                {
                                    for (int h = h0; h < h1; h++)
                                    {
                                        for (int w = w0; w < w1; w++)
                                        {
                                            sum += x[sample + g.Offset(d, h, w) + ch];
                                        }
                                    }
                                }

                                y[at] = (float)(sum / ((d1 - d0) * (h1 - h0) * (w1 - w0)));
                            }
                        }
                    }
                }
            }
        }

        _lastBatch = batch;
        return output;
    }

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        VolumeGeometry g = _geometry;
        int batch = outputGradient.Shape[0], c = g.Channels;
        if (batch != _lastBatch)
        {
            throw new InvalidOperationException($"{Describe()} got an output gradient {outputGradient.Shape} that does not follow a forward pass of the same batch size (last forward batch {_lastBatch}).");
        }

        Tensor inputGradient = BatchView(ref _inputGradient, batch, InputShape);
        Span<float> dx = inputGradient.AsSpan();
        ReadOnlySpan<float> dy = outputGradient.AsReadOnlySpan();
        dx.Clear();
        if (TakesMaximum)
        {
            for (int at = 0; at < dy.Length; at++)
            {
                dx[_winners[at]] += dy[at];
            }

            return inputGradient;
        }

        int position = 0;
        for (int b = 0; b < batch; b++)
        {
            int sample = b * g.InputSize;
            for (int od = 0; od < g.Depth.Output; od++)
            {
                (int d0, int d1) = Clip(g.Depth, od);
                for (int oh = 0; oh < g.Height.Output; oh++)
                {
                    (int h0, int h1) = Clip(g.Height, oh);
                    for (int ow = 0; ow < g.Width.Output; ow++, position++)
                    {
                        (int w0, int w1) = Clip(g.Width, ow);
                        float count = (d1 - d0) * (h1 - h0) * (w1 - w0);
                        ReadOnlySpan<float> upstream = dy.Slice(position * c, c);
                        for (int d = d0; d < d1; d++)
                        {
                            for (int h = h0; h < h1; h++)
                            {
                                for (int w = w0; w < w1; w++)
                                {
                                    Span<float> target = dx.Slice(sample + g.Offset(d, h, w), c);
                                    for (int ch = 0; ch < c; ch++)
                                    {
                                        target[ch] += upstream[ch] / count;
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }

        return inputGradient;
    }

    // The window's positions inside the input along one axis: [first, end).
    private static (int First, int End) Clip(in WindowAxis axis, int output)
    {
        int start = axis.Start(output);
        return (Math.Max(start, 0), Math.Min(start + axis.Kernel, axis.Input));
    }

}
