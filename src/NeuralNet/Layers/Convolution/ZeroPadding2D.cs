using NeuralNet.Kernels;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Adds rows and columns of zeros around channels-last images (Keras <c>ZeroPadding2D</c>): (height, width, channels) to
/// (top + height + bottom, left + width + right, channels). No parameters.
/// </summary>
/// <example><c>model.Add(new ZeroPadding2D(((1, 2), (3, 4))));</c></example>
public sealed class ZeroPadding2D : Layer
{
    private Tensor? _output;
    private Tensor? _inputGradient;
    private int _batch = -1;

    /// <summary>Pads every side with the same number of rows or columns (Keras' default 1).</summary>
    /// <param name="padding">The amount on each side, at least 0.</param>
    /// <param name="name">The layer's name; the model names it <c>zero_padding2d</c>, ... when null.</param>
    /// <exception cref="ArgumentOutOfRangeException">An amount is negative.</exception>
    public ZeroPadding2D(int padding = 1, string? name = null)
        : this(((padding, padding), (padding, padding)), name)
    {
    }

    /// <summary>Pads top and bottom with <c>Height</c> rows, left and right with <c>Width</c> columns.</summary>
    /// <param name="padding">The symmetric (rows, columns) amounts, each at least 0.</param>
    /// <param name="name">The layer's name; the model names it <c>zero_padding2d</c>, ... when null.</param>
    /// <exception cref="ArgumentOutOfRangeException">An amount is negative.</exception>
    public ZeroPadding2D((int Height, int Width) padding, string? name = null)
        : this(((padding.Height, padding.Height), (padding.Width, padding.Width)), name)
    {
    }

    /// <summary>Pads each side by its own amount.</summary>
    /// <param name="padding">((top, bottom), (left, right)), each at least 0.</param>
    /// <param name="name">The layer's name; the model names it <c>zero_padding2d</c>, ... when null.</param>
    /// <exception cref="ArgumentOutOfRangeException">An amount is negative.</exception>
    public ZeroPadding2D(((int Top, int Bottom) Height, (int Left, int Right) Width) padding, string? name = null)
        : base(name)
    {
        ImageSides.NonNegative(Describe(), padding, nameof(padding));
        Padding = padding;
    }

    /// <summary>The ((top, bottom), (left, right)) amounts.</summary>
    public ((int Top, int Bottom) Height, (int Left, int Right) Width) Padding { get; }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "zero_padding2d";

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig()
        .Set("padding", ImageSides.ToJson(Padding))
        .Set("data_format", "channels_last");

    /// <summary>Keras' <c>from_config</c>: channels last.</summary>
    internal static ZeroPadding2D FromConfig(Config config)
    {
        ConfigChecks.RequireChannelsLast(config);
        return new ZeroPadding2D(ImageSides.Read(config, "padding", ((1, 1), (1, 1))), config.GetString("name"));
    }

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        ConvolutionChecks.Image(Describe(), inputShape);
        long height = (long)inputShape[0] + Padding.Height.Top + Padding.Height.Bottom, width = (long)inputShape[1] + Padding.Width.Left + Padding.Width.Right;
        if (height * width * inputShape[2] > int.MaxValue)
        {
            throw new ArgumentException($"{Describe()}: padding {ImageSides.Describe(Padding)} makes input {inputShape.ToBatchString()} too large.", nameof(inputShape));
        }

        return new TensorShape((int)height, (int)width, inputShape[2]);
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        int batch = input.Shape[0], inSize = InputShape.ElementCount, outSize = OutputShape.ElementCount;
        _batch = batch;
        Tensor output = BatchView(ref _output, batch, OutputShape);
        Span<float> y = output.AsSpan();
        y.Clear();
        for (int n = 0; n < batch; n++)
        {
            Resampling.CopyWindow(input.AsReadOnlySpan().Slice(n * inSize, inSize), InputShape[1], 0, 0, y.Slice(n * outSize, outSize), OutputShape[1],
                Padding.Height.Top, Padding.Width.Left, InputShape[0], InputShape[1], InputShape[2]);
        }

        return output;
    }

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        if (outputGradient.Shape[0] != _batch)
        {
            throw new InvalidOperationException($"{Describe()}: backward needs a forward pass with the same batch size first (last forward batch {_batch}, gradient {outputGradient.Shape}).");
        }

        int inSize = InputShape.ElementCount, outSize = OutputShape.ElementCount;
        Tensor inputGradient = BatchView(ref _inputGradient, _batch, InputShape);
        for (int n = 0; n < _batch; n++)
        {
            Resampling.CopyWindow(outputGradient.AsReadOnlySpan().Slice(n * outSize, outSize), OutputShape[1], Padding.Height.Top, Padding.Width.Left,
                inputGradient.AsSpan().Slice(n * inSize, inSize), InputShape[1], 0, 0, InputShape[0], InputShape[1], InputShape[2]);
        }

        return inputGradient;
    }
}
