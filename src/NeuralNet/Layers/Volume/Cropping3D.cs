using NeuralNet.Kernels;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Crops channels-last volumes (Keras' <c>Cropping3D</c>): removes (before, after) positions along depth, height and width.
/// No parameters.
/// </summary>
/// <example><c>model.Add(new Cropping3D(((1, 1), (2, 2), (2, 2))));</c></example>
public sealed class Cropping3D : Layer
{
    private Tensor? _output;
    private Tensor? _inputGradient;
    private int _batch = -1;

    /// <summary>Crops every side of every axis by the same amount (Keras' default 1).</summary>
    /// <param name="cropping">The amount on each side, at least 0.</param>
    /// <param name="name">The layer's name; the model names it <c>cropping3d</c>, ... when null.</param>
    /// <exception cref="ArgumentOutOfRangeException">An amount is negative.</exception>
    public Cropping3D(int cropping = 1, string? name = null)
        : this(((cropping, cropping), (cropping, cropping), (cropping, cropping)), name)
    {
    }

    /// <summary>Crops both sides of each axis by that axis' amount.</summary>
    /// <param name="cropping">The symmetric (depth, height, width) amounts, each at least 0.</param>
    /// <param name="name">The layer's name; the model names it <c>cropping3d</c>, ... when null.</param>
    /// <exception cref="ArgumentOutOfRangeException">An amount is negative.</exception>
    public Cropping3D((int Depth, int Height, int Width) cropping, string? name = null)
        : this(((cropping.Depth, cropping.Depth), (cropping.Height, cropping.Height), (cropping.Width, cropping.Width)), name)
    {
    }

    /// <summary>Crops each side by its own amount.</summary>
    /// <param name="cropping">((before, after) of depth, of height, of width), each at least 0.</param>
    /// <param name="name">The layer's name; the model names it <c>cropping3d</c>, ... when null.</param>
    /// <exception cref="ArgumentOutOfRangeException">An amount is negative.</exception>
    public Cropping3D(((int Before, int After) Depth, (int Before, int After) Height, (int Before, int After) Width) cropping, string? name = null)
        : base(name)
    {
        VolumeSides.NonNegative(Describe(), cropping, nameof(cropping));
        Cropping = cropping;
    }

    /// <summary>The (before, after) amounts of each axis.</summary>
    public ((int Before, int After) Depth, (int Before, int After) Height, (int Before, int After) Width) Cropping { get; }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "cropping3d";

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig()
        .Set("cropping", VolumeSides.ToJson(Cropping))
        .Set("data_format", "channels_last");

    /// <summary>Keras' <c>from_config</c>: channels last.</summary>
    internal static Cropping3D FromConfig(Config config)
    {
        ConfigChecks.RequireChannelsLast(config);
        return new Cropping3D(VolumeSides.Read(config, "cropping", ((1, 1), (1, 1), (1, 1))), config.GetString("name"));
    }

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        VolumeChecks.Volume(Describe(), inputShape);
        long depth = (long)inputShape[0] - Cropping.Depth.Before - Cropping.Depth.After;
        long height = (long)inputShape[1] - Cropping.Height.Before - Cropping.Height.After;
        long width = (long)inputShape[2] - Cropping.Width.Before - Cropping.Width.After;
        if (depth < 1 || height < 1 || width < 1)
        {
            throw new ArgumentException($"{Describe()}: cropping {VolumeSides.Describe(Cropping)} leaves nothing of input {inputShape.ToBatchString()}.", nameof(inputShape));
        }

        return new TensorShape((int)depth, (int)height, (int)width, inputShape[3]);
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        int batch = input.Shape[0], inSize = InputShape.ElementCount, outSize = OutputShape.ElementCount;
        _batch = batch;
        Tensor output = BatchView(ref _output, batch, OutputShape);
        for (int n = 0; n < batch; n++)
        {
            VolumeWindow.Copy(input.AsReadOnlySpan().Slice(n * inSize, inSize), Size(InputShape), (Cropping.Depth.Before, Cropping.Height.Before, Cropping.Width.Before),
                output.AsSpan().Slice(n * outSize, outSize), Size(OutputShape), (0, 0, 0), Size(OutputShape), InputShape[3]);
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
            VolumeWindow.Copy(outputGradient.AsReadOnlySpan().Slice(n * outSize, outSize), Size(OutputShape), (0, 0, 0), dx.Slice(n * inSize, inSize), Size(InputShape),
                (Cropping.Depth.Before, Cropping.Height.Before, Cropping.Width.Before), Size(OutputShape), InputShape[3]);
        }

        return inputGradient;
    }

    private static (int, int, int) Size(TensorShape shape) => (shape[0], shape[1], shape[2]);
}
