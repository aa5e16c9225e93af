using NeuralNet.Kernels;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Adds zeros around channels-last volumes (Keras' <c>ZeroPadding3D</c>): (depth, height, width, channels) to
/// (depth + padded, height + padded, width + padded, channels). No parameters.
/// </summary>
/// <example><c>model.Add(new ZeroPadding3D(((0, 0), (1, 1), (2, 2))));</c></example>
public sealed class ZeroPadding3D : Layer
{
    private Tensor? _output;
    private Tensor? _inputGradient;
    private int _batch = -1;

    /// <summary>Pads every side of every axis with the same amount (Keras' default 1).</summary>
    /// <param name="padding">The amount on each side, at least 0.</param>
    /// <param name="name">The layer's name; the model names it <c>zero_padding3d</c>, ... when null.</param>
    /// <exception cref="ArgumentOutOfRangeException">An amount is negative.</exception>
    public ZeroPadding3D(int padding = 1, string? name = null)
        : this(((padding, padding), (padding, padding), (padding, padding)), name)
    {
    }

    /// <summary>Pads both sides of each axis with that axis' amount.</summary>
    /// <param name="padding">The symmetric (depth, height, width) amounts, each at least 0.</param>
    /// <param name="name">The layer's name; the model names it <c>zero_padding3d</c>, ... when null.</param>
    /// <exception cref="ArgumentOutOfRangeException">An amount is negative.</exception>
    public ZeroPadding3D((int Depth, int Height, int Width) padding, string? name = null)
        : this(((padding.Depth, padding.Depth), (padding.Height, padding.Height), (padding.Width, padding.Width)), name)
    {
    }

    /// <summary>Pads each side by its own amount.</summary>
    /// <param name="padding">((before, after) of depth, of height, of width), each at least 0.</param>
    /// <param name="name">The layer's name; the model names it <c>zero_padding3d</c>, ... when null.</param>
    /// <exception cref="ArgumentOutOfRangeException">An amount is negative.</exception>
    public ZeroPadding3D(((int Before, int After) Depth, (int Before, int After) Height, (int Before, int After) Width) padding, string? name = null)
        : base(name)
    {
        VolumeSides.NonNegative(Describe(), padding, nameof(padding));
        Padding = padding;
    }

    /// <summary>The (before, after) amounts of each axis.</summary>
    public ((int Before, int After) Depth, (int Before, int After) Height, (int Before, int After) Width) Padding { get; }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "zero_padding3d";

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig()
        .Set("padding", VolumeSides.ToJson(Padding))
        .Set("data_format", "channels_last");

    /// <summary>Keras' <c>from_config</c>: channels last.</summary>
    internal static ZeroPadding3D FromConfig(Config config)
    {
        ConfigChecks.RequireChannelsLast(config);
        return new ZeroPadding3D(VolumeSides.Read(config, "padding", ((1, 1), (1, 1), (1, 1))), config.GetString("name"));
    }

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        VolumeChecks.Volume(Describe(), inputShape);
        return VolumeChecks.Shape(Describe(), (long)inputShape[0] + Padding.Depth.Before + Padding.Depth.After,
            (long)inputShape[1] + Padding.Height.Before + Padding.Height.After, (long)inputShape[2] + Padding.Width.Before + Padding.Width.After, inputShape[3],
            $"padding {VolumeSides.Describe(Padding)} of input {inputShape.ToBatchString()}");
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
            VolumeWindow.Copy(input.AsReadOnlySpan().Slice(n * inSize, inSize), Size(InputShape), (0, 0, 0), y.Slice(n * outSize, outSize), Size(OutputShape),
                (Padding.Depth.Before, Padding.Height.Before, Padding.Width.Before), Size(InputShape), InputShape[3]);
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
            VolumeWindow.Copy(outputGradient.AsReadOnlySpan().Slice(n * outSize, outSize), Size(OutputShape), (Padding.Depth.Before, Padding.Height.Before, Padding.Width.Before),
                inputGradient.AsSpan().Slice(n * inSize, inSize), Size(InputShape), (0, 0, 0), Size(InputShape), InputShape[3]);
        }

        return inputGradient;
    }

    private static (int, int, int) Size(TensorShape shape) => (shape[0], shape[1], shape[2]);
}
