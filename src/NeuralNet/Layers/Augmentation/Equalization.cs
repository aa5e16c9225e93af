using NeuralNet.Kernels;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Histogram equalization of each channel during training (Keras' <c>Equalization</c>): not random; at inference the
/// layer is the identity, as Keras' code has it. Channels-last images (height, width, channels) of any channel count;
/// output shape = input shape.
/// </summary>
/// <remarks>
/// <para>Keras' computation, in its float32 / float64 order (<c>Kernels/HistogramEqualization</c>): the values are mapped
/// from <see cref="ValueRange"/> to [0, 255]; <b>per channel over the whole batch</b> (Keras equalizes
/// <c>images[..., c]</c> at once, so the images of a batch share one histogram of <see cref="Bins"/> bins) the
/// cumulative histogram gives a table round((cdf − cdf_min) · 255 / (cdf_max − cdf_min)) clipped to [0, 255]; each value
/// is replaced by the table entry of its bin and mapped back. A channel whose values all fall in one bin is returned as
/// it is.</para>
/// <para>Inference: Keras' <c>transform_images</c> equalizes only <c>if training</c>, so <c>predict</c> returns the images
/// unchanged (a standalone Keras call equalizes, its <c>training</c> defaulting to true); this layer follows the code (and
/// exports to ONNX as the identity).</para>
/// <para>Backward: the output is a table lookup, piecewise constant in the input, and Keras' gradient through it is 0
/// (no gradient flows through the integer bin indices); a channel returned as it is passes its gradient unchanged (the
/// maps to and from [0, 255] cancel), as Keras' <c>where</c> does.</para>
/// </remarks>
/// <example><c>model.Add(new Equalization(valueRange: (0, 1), bins: 128));</c></example>
public sealed class Equalization : Layer
{
    private long[] _histogram = [];
    private double[] _lookup = [];
    private bool[] _passed = [];
    private Tensor? _output;
    private Tensor? _inputGradient;
    private int _batch = -1;
    private bool _transformed;

    /// <summary>Creates an equalization layer.</summary>
    /// <param name="valueRange">The (low, high) range of the images, sorted as Keras sorts it; null for Keras' default (0, 255).</param>
    /// <param name="bins">The number of histogram bins, at least 1 (Keras' default 256).</param>
    /// <param name="name">The layer's name; null to have the model name it <c>equalization</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException">An end of the value range is not finite, both ends are equal, or bins &lt; 1.</exception>
    public Equalization((double Low, double High)? valueRange = null, int bins = 256, string? name = null)
        : base(name)
    {
        (double Low, double High) range = valueRange ?? (0, 255);
        AugmentationChecks.FiniteRange(nameof(Equalization), range);
        if (range.Low == range.High)
        {
            throw new ArgumentOutOfRangeException(nameof(valueRange), range, $"{nameof(Equalization)} expects a valueRange of two different numbers (low != high; the images are mapped to [0, 255] by dividing by high - low). Received: valueRange={AugmentationChecks.Format(range)}.");
        }

        if (bins < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(bins), bins, $"{nameof(Equalization)} expects bins to be a positive integer. Received: bins={bins}.");
        }

        ValueRange = range.Low <= range.High ? range : (range.High, range.Low);
        Bins = bins;
    }

    /// <summary>The (low, high) range of the images, sorted.</summary>
    public (double Low, double High) ValueRange { get; }

    /// <summary>The number of histogram bins.</summary>
    public int Bins { get; }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "equalization";

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig()
        .Set("bins", Bins)
        .SetPair("value_range", ValueRange);

    /// <summary>Keras' <c>from_config</c>: <c>"value_range"</c> (0, 255) and <c>"bins"</c> 256 when absent.</summary>
    internal static Equalization FromConfig(Config config)
    {
        ConfigChecks.RequireChannelsLast(config);
        (double, double) valueRange = config.Contains("value_range") ? AugmentationConfig.ReadPair(config, "value_range") : (0, 255);
        return new Equalization(valueRange, config.GetInt32("bins", 256), config.GetString("name"));
    }

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        ConvolutionChecks.Image(Describe(), inputShape);

        // Made at build, so every instance of a shared layer (one per call, or per concurrent prediction) has its own.
        _histogram = new long[Bins];
        _lookup = new double[Bins];
        _passed = new bool[inputShape[2]];
        _output = null;
        _inputGradient = null;
        return inputShape;
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        _batch = input.Shape[0];
        _transformed = training;
        if (!training)
        {
            return input;
        }

        Tensor output = View(ref _output);
        ReadOnlySpan<float> x = input.AsReadOnlySpan();
        Span<float> y = output.AsSpan();
        for (int c = 0; c < _passed.Length; c++)
        {
            _passed[c] = HistogramEqualization.Equalize(x, _passed.Length, c, ValueRange, _histogram, _lookup, y);
        }

        return output;
    }

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        if (outputGradient.Shape[0] != _batch)
        {
            throw new InvalidOperationException($"{this} got an output gradient {outputGradient.Shape} that does not follow a forward pass of the same batch size (last forward batch {_batch}).");
        }

        if (!_transformed || !ComputesInputGradient)
        {
            return outputGradient;
        }

        Tensor inputGradient = View(ref _inputGradient);
        ReadOnlySpan<float> dy = outputGradient.AsReadOnlySpan();
        Span<float> dx = inputGradient.AsSpan();
        int channels = _passed.Length;
        for (int i = 0; i < dx.Length; i++)
        {
            dx[i] = _passed[i % channels] ? dy[i] : 0f;
        }

        return inputGradient;
    }

    private Tensor View(ref Tensor? buffer)
    {
        if (buffer is null || buffer.Shape[0] < _batch)
        {
            buffer = new Tensor(InputShape.Prepend(_batch));
        }

        return buffer.FirstRows(_batch);
    }
}
