using System.Numerics.Tensors;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Rescales its input (Keras' <c>Rescaling</c>): <c>y = x · scale + offset</c>, element-wise, for any input shape; the
/// output has the input's shape. For images in [0, 255]: <c>new Rescaling(1.0 / 255)</c> gives [0, 1],
/// <c>new Rescaling(1.0 / 127.5, -1)</c> gives [-1, 1]; the factors are taken as double, as Keras' literals read in C#,
/// and used as float32 (<see cref="Scale"/>, <see cref="ChannelScales"/>, <see cref="Offset"/>).
/// </summary>
/// <remarks>Differentiable: <c>dx = dy · scale</c>. No state, so nothing to adapt; the factors are saved in the configuration.
/// The product is rounded before the offset is added (no fused multiply-add), as Keras computes it. As in Keras,
/// <c>scale</c> may also be a list with one factor per channel of the last axis (Keras' EfficientNet uses one for its
/// ImageNet weights), or a list of one factor, which broadcasts over any number of channels; a per-channel
/// <c>offset</c> is not supported.</remarks>
public sealed class Rescaling : Layer
{
    /// <summary>The most values a per-channel layer multiplies in one call: its factors are tiled to about this length once.</summary>
    private const int TiledLength = 1024;

    private readonly float[]? _channelScales;
    private float[] _tiledScales = [];
    private Tensor? _output;
    private Tensor? _inputGradient;
    private int _batch = -1;

    /// <summary>Creates a rescaling layer.</summary>
    /// <param name="scale">The factor applied to the input.</param>
    /// <param name="offset">The offset added after scaling (Keras default 0).</param>
    /// <param name="name">The layer's name; null to have the model name it <c>rescaling</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="scale"/> or <paramref name="offset"/> is not finite.</exception>
    public Rescaling(double scale, double offset = 0, string? name = null)
        : base(name)
    {
        float factor = Float32Hyperparameter.Finite(scale, nameof(scale), "Rescaling");

        float shift = Float32Hyperparameter.Finite(offset, nameof(offset), "Rescaling");

        Scale = factor;
        Offset = shift;
    }

    /// <summary>Creates a rescaling layer with one factor per channel of the last axis (Keras' <c>scale</c> given as a list).</summary>
    /// <param name="scale">The factor of each channel: y[..., c] = x[..., c] · scale[c] + offset; the input's last axis must have this length, unless it holds one factor (for every channel, as Keras broadcasts it).</param>
    /// <param name="offset">The offset added after scaling (Keras default 0).</param>
    /// <param name="name">The layer's name; null to have the model name it <c>rescaling</c>, ...</param>
    /// <exception cref="ArgumentException"><paramref name="scale"/> is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A factor or <paramref name="offset"/> is not finite.</exception>
    public Rescaling(double[] scale, double offset = 0, string? name = null)
        : this(1, offset, name)
    {
        ArgumentNullException.ThrowIfNull(scale);
        if (scale.Length == 0)
        {
            throw new ArgumentException("Rescaling expects at least one factor in a per-channel scale. Received: scale=[].", nameof(scale));
        }

        int bad = Array.FindIndex(scale, v => !float.IsFinite((float)v));
        if (bad >= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(scale), scale[bad], $"Rescaling expects finite factors. Received: scale[{bad}]={Float32Hyperparameter.Format(scale[bad])}.");
        }

        _channelScales = [.. scale.Select(v => (float)v)];
    }

    /// <summary>The factor applied to every value; 1 for a layer with a factor per channel (<see cref="ChannelScales"/>), as float32 (the value given, rounded to float32).</summary>
    public float Scale { get; }

    /// <summary>The factor of each channel of the last axis, or null when one <see cref="Scale"/> applies to every value, as float32 (the value given, rounded to float32).</summary>
    public IReadOnlyList<float>? ChannelScales => _channelScales;

    /// <summary>The offset added after scaling, as float32 (the value given, rounded to float32).</summary>
    public float Offset { get; }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "rescaling";

    /// <inheritdoc/>
    public override bool SupportsMasking => true;

    /// <inheritdoc/>
    /// <remarks>Keras' keys: <c>scale</c> (a number, or a list of numbers for a factor per channel) and <c>offset</c>.</remarks>
    public override Config GetConfig()
    {
        Config config = base.GetConfig();
        config = _channelScales is null ? config.Set("scale", Scale) : config.Set("scale", (ReadOnlySpan<double>)[.. _channelScales.Select(v => (double)v)]);
        return config.Set("offset", Offset);
    }

    /// <summary>
    /// Keras' <c>from_config</c>: <c>scale</c> a number, a flat list of numbers, or the <c>__numpy__</c> / <c>__tensor__</c>
    /// object Keras writes for an array (its <c>value</c> a number or a flat list); <c>offset</c> a number.
    /// </summary>
    internal static Rescaling FromConfig(Config config)
    {
        if (config.GetNode("offset") is System.Text.Json.Nodes.JsonArray)
        {
            throw config.Error("a per-channel \"offset\" list is not supported; it must be a number.");
        }

        float offset = config.GetSingle("offset", 0f);
        string name = config.GetString("name");
        Config source = config;
        string key = "scale";
        if (config.GetNode("scale") is System.Text.Json.Nodes.JsonObject wrapped)
        {
            Config array = config.GetConfig("scale");
            if (array.GetString("class_name", string.Empty) is not ("__numpy__" or "__tensor__"))
            {
                throw config.Error($"\"scale\" is {Config.Describe(wrapped)}; expected a number, a list of numbers, or a Keras __numpy__ or __tensor__ array of them.");
            }

            (source, key) = (array.GetConfig("config"), "value");
        }

        if (source.GetNode(key) is not System.Text.Json.Nodes.JsonArray)
        {
            return new(source.GetSingle(key), offset, name);
        }

        double[] scale = source.GetDoubleArray(key);
        try
        {
            return new([.. scale.Select(v => (float)v)], offset, name);
        }
        catch (ArgumentException e)
        {
            throw config.Error(e.Message, e);
        }
    }

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        if (_channelScales is null)
        {
            return inputShape;
        }

        if (inputShape.Rank == 0 || (_channelScales.Length != 1 && inputShape[inputShape.Rank - 1] != _channelScales.Length))
        {
            throw new ArgumentException(
                $"{Describe()} has {_channelScales.Length} per-channel factors, so its input's last axis must have {_channelScales.Length} channels, but got input {inputShape.ToBatchString()}.",
                nameof(inputShape));
        }

        // The factors repeated over whole rows of channels, about TiledLength long, so a call multiplies long spans.
        int channels = inputShape[inputShape.Rank - 1];
        int rows = Math.Max(1, TiledLength / Math.Max(1, channels));
        _tiledScales = new float[rows * channels];
        for (int i = 0; i < _tiledScales.Length; i++)
        {
            _tiledScales[i] = _channelScales[_channelScales.Length == 1 ? 0 : i % channels];
        }

        return inputShape;
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        _batch = input.Shape[0];
        Tensor output = BatchView(ref _output, _batch, OutputShape);
        Span<float> y = output.AsSpan();
        Scaled(input.AsReadOnlySpan(), y);
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
        Scaled(outputGradient.AsReadOnlySpan(), inputGradient.AsSpan());
        return inputGradient;
    }

    // destination = source · scale, the factor taken per channel when there is one per channel: the tiled factors span
    // whole rows of channels, so each block of the source (the last one shorter, still whole rows) lines up with them.
    private void Scaled(ReadOnlySpan<float> source, Span<float> destination)
    {
        if (_channelScales is null)
        {
            TensorPrimitives.Multiply(source, Scale, destination);
            return;
        }

        int block = _tiledScales.Length;
        for (int start = 0; start < source.Length; start += block)
        {
            int length = Math.Min(block, source.Length - start);
            TensorPrimitives.Multiply(source.Slice(start, length), _tiledScales.AsSpan(0, length), destination.Slice(start, length));
        }
    }
}
