using NeuralNet.Kernels;

namespace NeuralNet.Layers;

/// <summary>
/// The buffers and call bookkeeping shared by the colour augmentation layers (<see cref="RandomGrayscale"/>,
/// <see cref="RandomSaturation"/>, <see cref="RandomHue"/>, ...), and by <see cref="RandomErasing"/>, <see cref="MixUp"/>
/// and <see cref="CutMix"/>: the numbers drawn per image, the output and input-gradient
/// views, the input of the last training call. Created by the layer, so each layer has its own; nothing is allocated
/// after a batch as large as the largest seen.
/// </summary>
internal sealed class ColorAugmentation
{
    private double[] _draws = [];
    private Tensor? _output;
    private Tensor? _inputGradient;
    private Tensor? _input;
    private int _batch = -1;
    private int _perImage = 1;
    private bool _transformed;

    /// <summary>The numbers drawn by the last training call, <c>perImage</c> per image (empty after an inference call).</summary>
    public ReadOnlySpan<double> Draws => _transformed ? _draws.AsSpan(0, _batch * _perImage) : [];

    /// <summary>The input of the last training call.</summary>
    public Tensor Input => _input ?? throw new InvalidOperationException("No training call has run.");

    /// <summary>
    /// Starts a training call on <paramref name="input"/>: returns the span of its draws to fill, <paramref name="perImage"/>
    /// per image (image n's at n · perImage).
    /// </summary>
    public Span<double> Begin(Tensor input, int perImage = 1)
    {
        int length = input.Shape[0] * perImage;
        if (_draws.Length < length)
        {
            _draws = new double[length];
        }

        _batch = input.Shape[0];
        _perImage = perImage;
        _transformed = true;
        _input = input;
        return _draws.AsSpan(0, length);
    }

    /// <summary>Records an inference call, which returns the images as they are.</summary>
    public void Skip(int batch)
    {
        _batch = batch;
        _transformed = false;
        _input = null;
    }

    /// <summary>The output view of the current call.</summary>
    public Tensor Output(TensorShape imageShape) => View(ref _output, _batch, imageShape);

    /// <summary>
    /// Checks that <paramref name="outputGradient"/> follows the last forward pass; returns the view to write the input
    /// gradient into, or null when the output gradient itself is the answer (after an inference call, or when the layer
    /// needs no input gradient).
    /// </summary>
    public Tensor? BeginBackward(Tensor outputGradient, Layer layer, TensorShape imageShape)
    {
        if (outputGradient.Shape[0] != _batch)
        {
            throw new InvalidOperationException($"{layer} got an output gradient {outputGradient.Shape} that does not follow a forward pass of the same batch size (last forward batch {_batch}).");
        }

        return !_transformed || !layer.ComputesInputGradient ? null : View(ref _inputGradient, _batch, imageShape);
    }

    /// <summary>dx = Jᵀ · g for one pixel whose outputs carry their derivatives with respect to its input channels.</summary>
    public static void PixelBackward(PixelDual r, PixelDual g, PixelDual b, ReadOnlySpan<float> dy, Span<float> dx)
    {
        for (int j = 0; j < 3; j++)
        {
            dx[j] = (float)((dy[0] * r.D(j)) + (dy[1] * g.D(j)) + (dy[2] * b.D(j)));
        }
    }

    private static Tensor View(ref Tensor? buffer, int batch, TensorShape imageShape)
    {
        if (buffer is null || buffer.Shape[0] < batch)
        {
            buffer = new Tensor(imageShape.Prepend(batch));
        }

        return buffer.FirstRows(batch);
    }
}
