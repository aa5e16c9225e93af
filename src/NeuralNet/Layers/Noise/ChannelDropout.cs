using System.Globalization;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace NeuralNet.Layers;

/// <summary>
/// The work of <see cref="SpatialDropout1D"/>, <see cref="SpatialDropout2D"/> and <see cref="SpatialDropout3D"/>: one keep-or-drop value per sample and
/// channel (the last axis), shared by every position of the sample. Created by the layer's build, so each call of a
/// shared layer has its own buffers.
/// </summary>
internal sealed class ChannelDropout
{
    private readonly double _rate;
    private readonly TensorShape _sampleShape;
    private readonly TensorShape _maskShape;
    private Tensor? _mask;
    private Tensor? _output;
    private Tensor? _inputGradient;
    private Tensor? _lastMask;
    private int _lastBatch = -1;

    public ChannelDropout(double rate, TensorShape sampleShape)
    {
        _rate = rate;
        _sampleShape = sampleShape;
        _maskShape = new TensorShape(sampleShape[-1]);
    }

    /// <summary>
    /// Checks a dropout rate: in [0, 1), or in [0, 1] when <paramref name="allowOne"/> (a layer that drops everything at
    /// rate 1). The message names the rate by Keras' <paramref name="argument"/> (<c>rate</c>, <c>drop_path_rate</c>);
    /// the exception by the caller's parameter.
    /// </summary>
    public static double CheckRate(string layer, double rate, bool allowOne = false, string argument = "rate",
        [CallerArgumentExpression(nameof(rate))] string parameter = "rate") => rate >= 0.0 && (rate < 1.0 || (allowOne && rate == 1.0))
        ? rate
        : throw new ArgumentOutOfRangeException(parameter, rate, string.Create(CultureInfo.InvariantCulture, $"{layer} expects a {argument} in [0, {(allowOne ? "1]" : "1)")} but got {argument}={rate}."));

    /// <summary>The input itself without <paramref name="random"/> (inference, or rate 0); else input ⊙ mask.</summary>
    public Tensor Forward(Tensor input, SeededRandom? random)
    {
        int batch = input.Shape[0];
        _lastBatch = batch;
        if (random is null)
        {
            _lastMask = null;
            return input;
        }

        Tensor mask = View(ref _mask, batch, _maskShape);
        if (_rate == 1.0)
        {
            // Every channel dropped; the scale 1 / (1 - rate) would be inf.
            mask.AsSpan().Clear();
        }
        else
        {
            random.FillKeepMask(mask.AsSpan(), (uint)Math.Round(_rate * (1 << 24)), (float)(1.0 / (1.0 - _rate)));
        }

        Tensor output = View(ref _output, batch, _sampleShape);
        Apply(input.AsReadOnlySpan(), mask.AsReadOnlySpan(), output.AsSpan(), batch);
        _lastMask = mask;
        return output;
    }

    /// <summary>dy ⊙ mask (dy itself after an identity pass); null when the batch size differs from the last forward pass.</summary>
    public Tensor? Backward(Tensor outputGradient, bool computeInput)
    {
        int batch = outputGradient.Shape[0];
        if (batch != _lastBatch)
        {
            return null;
        }

        if (_lastMask is null || !computeInput)
        {
            return outputGradient;
        }

        Tensor inputGradient = View(ref _inputGradient, batch, _sampleShape);
        Apply(outputGradient.AsReadOnlySpan(), _lastMask.AsReadOnlySpan(), inputGradient.AsSpan(), batch);
        return inputGradient;
    }

    // y[b, ..., c] = x[b, ..., c] · mask[b, c].
    private void Apply(ReadOnlySpan<float> x, ReadOnlySpan<float> mask, Span<float> y, int batch)
    {
        int channels = _maskShape[0], size = _sampleShape.ElementCount;
        for (int b = 0; b < batch; b++)
        {
            ReadOnlySpan<float> m = mask.Slice(b * channels, channels);
            for (int start = b * size; start < (b + 1) * size; start += channels)
            {
                TensorPrimitives.Multiply(x.Slice(start, channels), m, y.Slice(start, channels));
            }
        }
    }

    private static Tensor View(ref Tensor? buffer, int batch, TensorShape sample)
    {
        if (buffer is null || buffer.Shape[0] < batch || buffer.Length / buffer.Shape[0] != sample.ElementCount)
        {
            buffer = new Tensor(sample.Prepend(batch));
        }

        return buffer.FirstRows(batch);
    }
}
