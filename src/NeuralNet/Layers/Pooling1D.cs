using System.Globalization;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// The base of <see cref="MaxPooling1D"/> and <see cref="AveragePooling1D"/>: windows of <see cref="PoolSize"/> steps every
/// <see cref="Strides"/> steps over (batch, steps, channels), per channel. 'valid' keeps whole windows,
/// ⌊(steps − poolSize) / strides⌋ + 1 of them; 'same' gives ⌈steps / strides⌉ windows, padded evenly with the odd step
/// after, padded positions ignored (as Keras).
/// </summary>
public abstract class Pooling1D : Layer
{
    private int _steps;
    private int _channels;
    private int _outSteps;
    private int _padBefore;
    private Tensor? _output;
    private Tensor? _inputGradient;
    private int[] _winners = [];
    private int _lastBatch = -1;

    private protected Pooling1D(int poolSize, int? strides, Padding padding, string? name)
        : base(name)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(poolSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(strides ?? poolSize, 1);
        if (padding is not (Padding.Valid or Padding.Same))
        {
            throw new ArgumentOutOfRangeException(nameof(padding), padding, $"{GetType().Name} expects padding Valid or Same.");
        }

        PoolSize = poolSize;
        Strides = strides ?? poolSize;
        Padding = padding;
    }

    /// <summary>The window length.</summary>
    public int PoolSize { get; }

    /// <summary>The step between windows (the window length unless given).</summary>
    public int Strides { get; }

    /// <summary>Valid or Same.</summary>
    public Padding Padding { get; }

    /// <summary>Whether the window keeps its largest value (else its mean).</summary>
    private protected abstract bool TakesMaximum { get; }

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig()
        .Set("pool_size", [PoolSize])
        .Set("strides", [Strides])
        .Set("padding", ConfigChecks.PaddingName(Padding))
        .Set("data_format", "channels_last");

    /// <summary>Reads pool size, strides and padding from a Keras configuration.</summary>
    private protected static (int PoolSize, int? Strides, Padding Padding) ReadConfig(Config config)
    {
        ConfigChecks.RequireChannelsLast(config);
        return (ConfigChecks.ReadSingle(config, "pool_size") ?? 2, ConfigChecks.ReadSingle(config, "strides"), ConfigChecks.ReadPadding(config));
    }

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        if (inputShape.Rank != 2)
        {
            throw new ArgumentException($"{Describe()} expects input (None, steps, channels) but got {inputShape.ToBatchString()}.", nameof(inputShape));
        }

        _steps = inputShape[0];
        _channels = inputShape[1];
        if (Padding == Padding.Same)
        {
            _outSteps = (_steps + Strides - 1) / Strides;
            _padBefore = Math.Max(((_outSteps - 1) * Strides) + PoolSize - _steps, 0) / 2;
        }
        else
        {
            _outSteps = _steps >= PoolSize ? ((_steps - PoolSize) / Strides) + 1 : 0;
            _padBefore = 0;
        }

        if (_outSteps < 1)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"{Describe()}: a window of {PoolSize} steps does not fit input {inputShape.ToBatchString()} with 'valid' padding."), nameof(inputShape));
        }

        return new TensorShape(_outSteps, _channels);
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        int batch = input.Shape[0], c = _channels;
        Tensor output = BatchView(ref _output, batch, OutputShape);
        if (TakesMaximum && _winners.Length < output.Length)
        {
            _winners = new int[output.Length];
        }

        ReadOnlySpan<float> x = input.AsReadOnlySpan();
        Span<float> y = output.AsSpan();
        for (int b = 0; b < batch; b++)
        {
            for (int o = 0; o < _outSteps; o++)
            {
                int first = Math.Max((o * Strides) - _padBefore, 0), end = Math.Min((o * Strides) - _padBefore + PoolSize, _steps);
                for (int ch = 0; ch < c; ch++)
                {
                    int at = (((b * _outSteps) + o) * c) + ch;
                    if (TakesMaximum)
                    {
                        int best = (((b * _steps) + first) * c) + ch;
                        for (int t = first + 1; t < end; t++)
                        {
                            int index = (((b * _steps) + t) * c) + ch;
                            best = x[index] > x[best] ? index : best;
                        }

                        _winners[at] = best;
                        y[at] = x[best];
                    }
                    else
                    {
                        double sum = 0;
                        for (int t = first; t < end; t++)
                        {
                            sum += x[(((b * _steps) + t) * c) + ch];
                        }

                        y[at] = (float)(sum / (end - first));
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
        int batch = outputGradient.Shape[0], c = _channels;
        if (batch != _lastBatch)
        {
            throw new InvalidOperationException($"{Describe()} got an output gradient {outputGradient.Shape} that does not follow a forward pass of the same batch size.");
        }

        Tensor inputGradient = BatchView(ref _inputGradient, batch, InputShape);
        Span<float> dx = inputGradient.AsSpan();
        ReadOnlySpan<float> dy = outputGradient.AsReadOnlySpan();
        dx.Clear();
        for (int b = 0; b < batch; b++)
        {
            for (int o = 0; o < _outSteps; o++)
            {
                int first = Math.Max((o * Strides) - _padBefore, 0), end = Math.Min((o * Strides) - _padBefore + PoolSize, _steps);
                for (int ch = 0; ch < c; ch++)
                {
                    int at = (((b * _outSteps) + o) * c) + ch;
                    if (TakesMaximum)
                    {
                        dx[_winners[at]] += dy[at];
                    }
                    else
                    {
                        float share = dy[at] / (end - first);
                        for (int t = first; t < end; t++)
                        {
                            dx[(((b * _steps) + t) * c) + ch] += share;
                        }
                    }
                }
            }
        }

        return inputGradient;
    }
}
