using NeuralNet.Kernels;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Moves blocks of pixels into channels, the inverse of <see cref="DepthToSpace"/> (TensorFlow's
/// <c>tf.nn.space_to_depth</c>, channels last, DCR order): (None, h*b, w*b, c) becomes (None, h, w, c*b*b), channel k of
/// pixel (i*b + bi, j*b + bj) going to channel <c>(bi*b + bj)*c + k</c> of pixel (i, j). PyTorch's
/// <c>nn.PixelUnshuffle</c> works on channels first and writes the channels the other way round (CRD): there it is
/// channel <c>k*b*b + bi*b + bj</c>. The height and width may be variable axes; a batch whose height or width is not a
/// multiple of the block size is refused.
/// </summary>
public sealed class SpaceToDepth : Layer
{
    private Tensor? _output;
    private Tensor? _inputGradient;

    /// <summary>Creates the layer.</summary>
    /// <param name="blockSize">The side b of each block, at least 2 (TensorFlow's <c>block_size</c>).</param>
    /// <param name="name">The layer's name; the model names it <c>space_to_depth</c>, ... when null.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="blockSize"/> is below 2.</exception>
    public SpaceToDepth(int blockSize, string? name = null)
        : base(name)
    {
        if (blockSize < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(blockSize), blockSize, $"SpaceToDepth expects a block size of at least 2 but got blockSize={blockSize}.");
        }

        BlockSize = blockSize;
    }

    /// <summary>The side of each block: height and width are divided by it, channels multiplied by its square.</summary>
    public int BlockSize { get; }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "space_to_depth";

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig().Set("block_size", BlockSize);

    /// <summary>Creates the layer from its configuration.</summary>
    internal static SpaceToDepth FromConfig(Config config) => new(config.GetInt32("block_size", 2, minimum: 2), config.GetString("name"));

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        if (inputShape.Rank != 3 || inputShape[0] % BlockSize != 0 || inputShape[1] % BlockSize != 0)
        {
            throw new ArgumentException($"{Describe()} expects input (None, height, width, channels) with height and width multiples of blockSize = {BlockSize} but got {inputShape.ToBatchString()}.", nameof(inputShape));
        }

        return new TensorShape(inputShape[0] / BlockSize, inputShape[1] / BlockSize, inputShape[2] * BlockSize * BlockSize);
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        // input is (n, h*b, w*b, c), output is (n, h, w, c*b*b).
        Tensor output = BatchView(ref _output, input.Shape[0], OutputShape);
        DepthSpace.SpaceToDepth(input.AsReadOnlySpan(), output.AsSpan(), input.Shape[0], OutputShape[0], OutputShape[1], InputShape[2], BlockSize);
        return output;
    }

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        if (!ComputesInputGradient)
        {
            return outputGradient;
        }

        // A permutation: the gradient goes back the way the values came.
        Tensor inputGradient = BatchView(ref _inputGradient, outputGradient.Shape[0], InputShape);
        DepthSpace.DepthToSpace(outputGradient.AsReadOnlySpan(), inputGradient.AsSpan(), outputGradient.Shape[0], OutputShape[0], OutputShape[1], InputShape[2], BlockSize);
        return inputGradient;
    }
}
