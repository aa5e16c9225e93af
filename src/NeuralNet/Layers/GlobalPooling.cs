using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// The base of the global pooling layers over steps or pixels: (batch, positions..., channels) -> (batch, channels), the
/// largest value or the mean over every position of each channel. <see cref="GlobalAveragePooling2D"/> predates it.
/// </summary>
public abstract class GlobalPooling : Layer
{
    private int _positions;
    private int _channels;
    private Tensor? _output;
    private Tensor? _inputGradient;
    private int[] _winners = [];
    private int _lastBatch = -1;
    private Tensor? _mask;

    private protected GlobalPooling(string? name)
        : base(name)
    {
    }

    /// <summary>The rank of the samples it reads: 2 (steps, channels), 3 (height, width, channels) or 4 (depth, height, width, channels).</summary>
    private protected abstract int SampleRank { get; }

    /// <summary>Whether the largest value is kept (else the mean).</summary>
    private protected abstract bool TakesMaximum { get; }

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig().Set("data_format", "channels_last").Set("keepdims", false);

    /// <summary>Checks a Keras configuration: channels last, no keepdims.</summary>
    private protected static string ReadName(Config config)
    {
        ConfigChecks.RequireChannelsLast(config);
        if (config.Contains("keepdims") && config.GetBoolean("keepdims"))
        {
            throw config.Error("\"keepdims\": true is not supported.");
        }

        return config.GetString("name");
    }

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        if (inputShape.Rank != SampleRank)
        {
            string expected = SampleRank switch
            {
                2 => "(None, steps, channels)",
                3 => "(None, height, width, channels)",
                _ => "(None, depth, height, width, channels)",
            };
            throw new ArgumentException($"{Describe()} expects input {expected} but got {inputShape.ToBatchString()}.", nameof(inputShape));
        }

        _channels = inputShape[-1];
        _positions = inputShape.ElementCount / _channels;
        return new TensorShape(_channels);
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        int batch = input.Shape[0], c = _channels, p = _positions;
        Tensor output = BatchView(ref _output, batch, OutputShape);
        if (TakesMaximum && _winners.Length < output.Length)
        {
            _winners = new int[output.Length];
        }

        _mask = TakesMaximum || SampleRank != 2 ? null : InputMask;
        ReadOnlySpan<float> x = input.AsReadOnlySpan(), mask = _mask is null ? default : _mask.AsReadOnlySpan();
        Span<float> y = output.AsSpan();
        for (int b = 0; b < batch; b++)
        {
            for (int ch = 0; ch < c; ch++)
            {
                int at = (b * c) + ch;
                if (TakesMaximum)
                {
                    int best = (b * p * c) + ch;
                    for (int i = 1; i < p; i++)
                    {
                        int index = (((b * p) + i) * c) + ch;
                        best = x[index] > x[best] ? index : best;
                    }

                    _winners[at] = best;
                    y[at] = x[best];
                }
                else if (_mask is not null)
                {
                    // Keras: Σ mask·x / Σ mask, over the real steps only (0/0 when every step is masked, as in Keras).
                    double sum = 0, count = 0;
                    for (int i = 0; i < p; i++)
                    {
                        float keep = mask[(b * p) + i] != 0f ? 1f : 0f;
                        sum += keep * x[(((b * p) + i) * c) + ch];
                        count += keep;
                    }

                    y[at] = (float)(sum / count);
                }
                else
                {
                    double sum = 0;
                    for (int i = 0; i < p; i++)
                    {
                        sum += x[(((b * p) + i) * c) + ch];
                    }

                    y[at] = (float)(sum / p);
                }
            }
        }

        _lastBatch = batch;
        return output;
    }

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        int batch = outputGradient.Shape[0], c = _channels, p = _positions;
        if (batch != _lastBatch)
        {
            throw new InvalidOperationException($"{Describe()} got an output gradient {outputGradient.Shape} that does not follow a forward pass of the same batch size.");
        }

        Tensor inputGradient = BatchView(ref _inputGradient, batch, InputShape);
        Span<float> dx = inputGradient.AsSpan();
        ReadOnlySpan<float> dy = outputGradient.AsReadOnlySpan();
        if (TakesMaximum)
        {
            dx.Clear();
            for (int at = 0; at < batch * c; at++)
            {
                dx[_winners[at]] += dy[at];
            }

            return inputGradient;
        }

        ReadOnlySpan<float> mask = _mask is null ? default : _mask.AsReadOnlySpan();
        for (int b = 0; b < batch; b++)
        {
            float count = p;
            if (_mask is not null)
            {
                count = 0;
                for (int i = 0; i < p; i++)
                {
                    count += mask[(b * p) + i] != 0f ? 1f : 0f;
                }
            }

            for (int i = 0; i < p; i++)
            {
                bool keep = _mask is null || mask[(b * p) + i] != 0f;
                for (int ch = 0; ch < c; ch++)
                {
                    dx[(((b * p) + i) * c) + ch] = keep ? dy[(b * c) + ch] / count : 0f;
                }
            }
        }

        return inputGradient;
    }
}
