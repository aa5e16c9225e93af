using NeuralNet.Kernels;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Moves blocks of channels into space (TensorFlow's <c>tf.nn.depth_to_space</c>, channels last, the order it calls DCR):
/// (None, h, w, c*b*b) becomes (None, h*b, w*b, c), the sub-pixel upsampling that ends the ESPCN super-resolution
/// model (<c>depth_to_space(x, 3)</c>). Channel <c>(bi*b + bj)*c + k</c> of pixel (i, j) goes to channel k of pixel
/// (i*b + bi, j*b + bj). PyTorch's <c>nn.PixelShuffle</c> works on channels first and reads the channels the other way
/// round (CRD): its input channel <c>k*b*b + bi*b + bj</c> goes there, so a kernel trained in PyTorch needs its output
/// channels reordered before this layer. The height and width may be variable axes (<c>new Input([null, null, 9])</c>).
/// </summary>
public sealed class DepthToSpace : Layer
{
    private Tensor? _output;
    private Tensor? _inputGradient;

    /// <summary>Creates the layer.</summary>
    /// <param name="blockSize">The side b of each block, at least 2 (TensorFlow's <c>block_size</c>).</param>
    /// <param name="name">The layer's name; the model names it <c>depth_to_space</c>, ... when null.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="blockSize"/> is below 2.</exception>
    public DepthToSpace(int blockSize, string? name = null)
        : base(name)
    {
        if (blockSize < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(blockSize), blockSize, $"DepthToSpace expects a block size of at least 2 but got blockSize={blockSize}.");
        }

        BlockSize = blockSize;
    }

    /// <summary>The side of each block: channels are divided by its square, height and width multiplied by it.</summary>
    public int BlockSize { get; }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "depth_to_space";

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig().Set("block_size", BlockSize);

    /// <summary>Creates the layer from its configuration.</summary>
    internal static DepthToSpace FromConfig(Config config) => new(config.GetInt32("block_size", 2, minimum: 2), config.GetString("name"));

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        int square = BlockSize * BlockSize;
        if (inputShape.Rank != 3 || inputShape[2] % square != 0)
        {
            throw new ArgumentException($"{Describe()} expects input (None, height, width, channels) with channels a multiple of blockSize² = {square} but got {inputShape.ToBatchString()}.", nameof(inputShape));
        }

        return new TensorShape(inputShape[0] * BlockSize, inputShape[1] * BlockSize, inputShape[2] / square);
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        // input is (n, h, w, c*b*b), output is (n, h*b, w*b, c).
        Tensor output = BatchView(ref _output, input.Shape[0], OutputShape);
        DepthSpace.DepthToSpace(input.AsReadOnlySpan(), output.AsSpan(), input.Shape[0], InputShape[0], InputShape[1], OutputShape[2], BlockSize);
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
        DepthSpace.SpaceToDepth(outputGradient.AsReadOnlySpan(), inputGradient.AsSpan(), outputGradient.Shape[0], InputShape[0], InputShape[1], OutputShape[2], BlockSize);
        return inputGradient;
    }
}
