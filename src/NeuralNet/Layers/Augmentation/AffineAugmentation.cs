using NeuralNet.Kernels;

namespace NeuralNet.Layers;

/// <summary>
/// The buffers and the forward/backward passes shared by <see cref="RandomRotation"/>, <see cref="RandomZoom"/>,
/// <see cref="RandomTranslation"/>, <see cref="RandomShear"/> and <see cref="RandomPerspective"/> (the last with
/// projective transforms of <see cref="AffineSampling.ProjectiveLength"/> entries, the others affine ones of
/// <see cref="AffineSampling.TransformLength"/>): the layer draws its parameters and writes one Keras transform per image into
/// <see cref="Begin"/>'s span; <see cref="Forward"/> samples every image through its transform with
/// <see cref="AffineSampling"/>, and <see cref="Backward"/> applies the adjoint. Created by the layer's build, so each
/// call of a shared layer has its own.
/// </summary>
internal sealed class AffineAugmentation(TensorShape imageShape, Interpolation interpolation, FillMode fillMode, float fillValue,
    int transformLength = AffineSampling.TransformLength)
{
    private readonly int _height = imageShape[0], _width = imageShape[1], _channels = imageShape[2];
    private double[] _transforms = [];
    private Tensor? _output;
    private Tensor? _inputGradient;
    private int _batch = -1;
    private bool _transformed;

    /// <summary>The transforms of the last training call, one of the constructor's transform length per image.</summary>
    public ReadOnlySpan<double> Transforms => _transformed ? _transforms.AsSpan(0, _batch * transformLength) : [];

    /// <summary>Starts a training call on <paramref name="batch"/> images: returns the span the layer fills with their transforms.</summary>
    public Span<double> Begin(int batch)
    {
        int length = batch * transformLength;
        if (_transforms.Length < length)
        {
            _transforms = new double[length];
        }

        _batch = batch;
        _transformed = true;
        return _transforms.AsSpan(0, length);
    }

    /// <summary>Records an inference call, which leaves the images as they are.</summary>
    public void Skip(int batch)
    {
        _batch = batch;
        _transformed = false;
    }

    /// <summary>Every image of <paramref name="input"/> through its transform.</summary>
    public Tensor Forward(Tensor input)
    {
        Tensor output = View(ref _output, _batch);
        int size = imageShape.ElementCount;
        ReadOnlySpan<float> x = input.AsReadOnlySpan();
        Span<float> y = output.AsSpan();
        for (int n = 0; n < _batch; n++)
        {
            AffineSampling.Forward(x.Slice(n * size, size), _height, _width, _channels, _transforms.AsSpan(n * transformLength, transformLength),
                interpolation, fillMode, fillValue, y.Slice(n * size, size));
        }

        return output;
    }

    /// <summary>The input gradient of the last call; the output gradient itself after an inference call or when none is needed.</summary>
    public Tensor Backward(Tensor outputGradient, Layer layer)
    {
        if (outputGradient.Shape[0] != _batch)
        {
            throw new InvalidOperationException($"{layer} got an output gradient {outputGradient.Shape} that does not follow a forward pass of the same batch size (last forward batch {_batch}).");
        }

        if (!_transformed || !layer.ComputesInputGradient)
        {
            return outputGradient;
        }

        Tensor inputGradient = View(ref _inputGradient, _batch);
        int size = imageShape.ElementCount;
        ReadOnlySpan<float> dy = outputGradient.AsReadOnlySpan();
        Span<float> dx = inputGradient.AsSpan();
        for (int n = 0; n < _batch; n++)
        {
            AffineSampling.Backward(dy.Slice(n * size, size), _height, _width, _channels, _transforms.AsSpan(n * transformLength, transformLength),
                interpolation, fillMode, dx.Slice(n * size, size));
        }

        return inputGradient;
    }

    private Tensor View(ref Tensor? buffer, int batch)
    {
        if (buffer is null || buffer.Shape[0] < batch)
        {
            buffer = new Tensor(imageShape.Prepend(batch));
        }

        return buffer.FirstRows(batch);
    }
}
