using NeuralNet.Kernels;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Removes rows and columns from the borders of channels-last images (Keras <c>Cropping2D</c>): (height, width, channels)
/// to (height − top − bottom, width − left − right, channels). No parameters.
/// </summary>
/// <example><c>model.Add(new Cropping2D(((2, 2), (4, 4))));</c></example>
public sealed class Cropping2D : Layer
{
    private Tensor? _output;
    private Tensor? _inputGradient;
    private int _batch = -1;

    /// <summary>Crops every side by the same number of rows or columns (Keras' default 0).</summary>
    /// <param name="cropping">The amount on each side, at least 0.</param>
    /// <param name="name">The layer's name; the model names it <c>cropping2d</c>, ... when null.</param>
    /// <exception cref="ArgumentOutOfRangeException">An amount is negative.</exception>
    public Cropping2D(int cropping = 0, string? name = null)
        : this(((cropping, cropping), (cropping, cropping)), name)
    {
    }

    /// <summary>Crops <c>Height</c> rows from the top and the bottom, <c>Width</c> columns from the left and the right.</summary>
    /// <param name="cropping">The symmetric (rows, columns) amounts, each at least 0.</param>
    /// <param name="name">The layer's name; the model names it <c>cropping2d</c>, ... when null.</param>
    /// <exception cref="ArgumentOutOfRangeException">An amount is negative.</exception>
    public Cropping2D((int Height, int Width) cropping, string? name = null)
        : this(((cropping.Height, cropping.Height), (cropping.Width, cropping.Width)), name)
    {
    }

    /// <summary>Crops each side by its own amount.</summary>
    /// <param name="cropping">((top, bottom), (left, right)), each at least 0.</param>
    /// <param name="name">The layer's name; the model names it <c>cropping2d</c>, ... when null.</param>
    /// <exception cref="ArgumentOutOfRangeException">An amount is negative.</exception>
    public Cropping2D(((int Top, int Bottom) Height, (int Left, int Right) Width) cropping, string? name = null)
        : base(name)
    {
        ImageSides.NonNegative(Describe(), cropping, nameof(cropping));
        Cropping = cropping;
    }

    /// <summary>The ((top, bottom), (left, right)) amounts.</summary>
    public ((int Top, int Bottom) Height, (int Left, int Right) Width) Cropping { get; }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "cropping2d";

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig()
        .Set("cropping", ImageSides.ToJson(Cropping))
        .Set("data_format", "channels_last");

    /// <summary>Keras' <c>from_config</c>: channels last.</summary>
    internal static Cropping2D FromConfig(Config config)
    {
        ConfigChecks.RequireChannelsLast(config);
        return new Cropping2D(ImageSides.Read(config, "cropping", ((0, 0), (0, 0))), config.GetString("name"));
    }

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        ConvolutionChecks.Image(Describe(), inputShape);
        long height = (long)inputShape[0] - Cropping.Height.Top - Cropping.Height.Bottom, width = (long)inputShape[1] - Cropping.Width.Left - Cropping.Width.Right;
        if (height < 1 || width < 1)
        {
            throw new ArgumentException($"{Describe()}: cropping {ImageSides.Describe(Cropping)} leaves nothing of input {inputShape.ToBatchString()}.", nameof(inputShape));
        }

        return new TensorShape((int)height, (int)width, inputShape[2]);
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        int batch = input.Shape[0], inSize = InputShape.ElementCount, outSize = OutputShape.ElementCount;
        _batch = batch;
        Tensor output = BatchView(ref _output, batch, OutputShape);
        for (int n = 0; n < batch; n++)
        {
            Resampling.CopyWindow(input.AsReadOnlySpan().Slice(n * inSize, inSize), InputShape[1], Cropping.Height.Top, Cropping.Width.Left,
                output.AsSpan().Slice(n * outSize, outSize), OutputShape[1], 0, 0, OutputShape[0], OutputShape[1], InputShape[2]);
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
        Span<float> dx = inputGradient.AsSpan();
        dx.Clear();
        for (int n = 0; n < _batch; n++)
        {
            Resampling.CopyWindow(outputGradient.AsReadOnlySpan().Slice(n * outSize, outSize), OutputShape[1], 0, 0,
                dx.Slice(n * inSize, inSize), InputShape[1], Cropping.Height.Top, Cropping.Width.Left, OutputShape[0], OutputShape[1], InputShape[2]);
        }

        return inputGradient;
    }
}
