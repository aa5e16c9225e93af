using NeuralNet.Kernels;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Upsamples channels-last volumes by repeating each position (Keras' <c>UpSampling3D</c>): (depth, height, width,
/// channels) to (depth·sizeD, height·sizeH, width·sizeW, channels). No parameters.
/// </summary>
/// <example><c>model.Add(new UpSampling3D((1, 2, 2)));</c></example>
public sealed class UpSampling3D : Layer
{
    private Tensor? _output;
    private Tensor? _inputGradient;
    private int _batch = -1;

    /// <summary>Creates an upsampling layer with the same factor on every axis.</summary>
    /// <param name="size">The factor, at least 1 (Keras' default 2).</param>
    /// <param name="name">The layer's name; the model names it <c>up_sampling3d</c>, ... when null.</param>
    /// <exception cref="ArgumentOutOfRangeException">The factor is below 1.</exception>
    public UpSampling3D(int size = 2, string? name = null)
        : this((size, size, size), name)
    {
    }

    /// <summary>Creates an upsampling layer with per-axis factors.</summary>
    /// <param name="size">The (depth, height, width) factors, each at least 1.</param>
    /// <param name="name">The layer's name; the model names it <c>up_sampling3d</c>, ... when null.</param>
    /// <exception cref="ArgumentOutOfRangeException">A factor is below 1.</exception>
    public UpSampling3D((int Depth, int Height, int Width) size, string? name = null)
        : base(name)
    {
        VolumeChecks.Positive(Describe(), size, nameof(size), "sizes");
        Size = size;
    }

    /// <summary>The (depth, height, width) upsampling factors.</summary>
    public (int Depth, int Height, int Width) Size { get; }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "up_sampling3d";

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig()
        .Set("size", [Size.Depth, Size.Height, Size.Width])
        .Set("data_format", "channels_last");

    /// <summary>Keras' <c>from_config</c>: channels last.</summary>
    internal static UpSampling3D FromConfig(Config config)
    {
        ConfigChecks.RequireChannelsLast(config);
        return new UpSampling3D(VolumeChecks.ReadTriple(config, "size") ?? (2, 2, 2), config.GetString("name"));
    }

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        VolumeChecks.Volume(Describe(), inputShape);
        return VolumeChecks.Shape(Describe(), (long)inputShape[0] * Size.Depth, (long)inputShape[1] * Size.Height, (long)inputShape[2] * Size.Width, inputShape[3],
            $"size {VolumeChecks.Describe(Size)} on input {inputShape.ToBatchString()}");
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        int batch = input.Shape[0], inSize = InputShape.ElementCount, outSize = OutputShape.ElementCount;
        _batch = batch;
        Tensor output = BatchView(ref _output, batch, OutputShape);
        for (int n = 0; n < batch; n++)
        {
            VolumeWindow.Repeat(input.AsReadOnlySpan().Slice(n * inSize, inSize), (InputShape[0], InputShape[1], InputShape[2]), Size, InputShape[3],
                output.AsSpan().Slice(n * outSize, outSize));
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
            VolumeWindow.SumRepeats(outputGradient.AsReadOnlySpan().Slice(n * outSize, outSize), (InputShape[0], InputShape[1], InputShape[2]), Size, InputShape[3],
                inputGradient.AsSpan().Slice(n * inSize, inSize));
        }

        return inputGradient;
    }
}
