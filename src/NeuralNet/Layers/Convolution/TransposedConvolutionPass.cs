using NeuralNet.Activations;
using NeuralNet.Kernels;

namespace NeuralNet.Layers;

/// <summary>
/// The forward and backward passes of <see cref="Conv1DTranspose"/>, <see cref="Conv2DTranspose"/> and <see cref="Conv3DTranspose"/>: per sample a
/// matrix product then a scatter-add (col2im), then bias and activation. The geometry is the convolution whose input
/// gradient this is: its "input" is the layer's output, its output the layer's input. The layer owns the parameters and
/// passes them in; this owns the reused buffers.
/// </summary>
internal sealed class TransposedConvolutionPass<TGeometry>(Layer owner, TGeometry geometry, TensorShape inputShape, TensorShape outputShape,
    ActivationFunction? activation)
    where TGeometry : struct, IPatchGeometry
{
    private readonly int _filters = geometry.Channels;
    private readonly int _channels = inputShape[inputShape.Rank - 1];
    private float[] _cols = [];
    private readonly ActivatedOutput _output = new(outputShape, activation);
    private Tensor? _dxBuffer;
    private Tensor? _input;
    private int _batch = -1;

    /// <summary>Runs the layer on <paramref name="input"/> (B, ...inputShape); the output is a reused buffer.</summary>
    public Tensor Forward(Tensor input, Parameter kernel, Parameter? bias)
    {
        TGeometry g = geometry;
        int batch = input.Shape[0], channels = _channels, filters = _filters, pixels = g.OutputPositions, patch = g.Taps * filters, inSize = pixels * channels;
        // The forward pass reads one sample's matrix at a time; only the backward pass packs the whole batch (so that an
        // inference pass of large images does not hold the batch's matrix, gigabytes in a U-Net's decoder). A batch whose
        // matrix no array could hold is refused here all the same, before a training step runs anything.
        ColsLength(batch);
        EnsureCols(1);
        _input = input;
        _batch = batch;
        Span<float> z = _output.PreActivation(batch).AsSpan();
        z.Clear();
        ReadOnlySpan<float> x = input.AsReadOnlySpan(), k = kernel.Value.AsReadOnlySpan();
        Span<float> cols = _cols.AsSpan(0, pixels * patch);
        for (int n = 0; n < batch; n++)
        {
            // cols (H*W, KH*KW*F) = x[n] (H*W, C) · kernelᵀ, the kernel read as (KH*KW*F, C); then scatter-add (col2im).
            Gemm.Multiply(false, true, pixels, patch, channels, 1f, x.Slice(n * inSize, inSize), channels, k, channels, 0f, cols, patch);
            g.AddUnpack(cols, z.Slice(n * g.InputSize, g.InputSize));
        }

        if (bias is not null)
        {
            Convolution.AddBias(bias.Value.AsReadOnlySpan(), z);
        }

        return _output.Activate(batch);
    }

    /// <summary>Adds the parameters' gradients; returns the input gradient, or the output gradient itself when the owner computes none.</summary>
    public Tensor Backward(Tensor outputGradient, Parameter kernel, Parameter? bias)
    {
        if (_input is null || outputGradient.Shape[0] != _batch)
        {
            throw new InvalidOperationException($"{owner.Description}: backward needs a forward pass with the same batch size first (last forward batch {_batch}, gradient {outputGradient.Shape}).");
        }

        TGeometry g = geometry;
        int batch = _batch, channels = _channels, filters = _filters, pixels = g.OutputPositions, patch = g.Taps * filters, rows = batch * pixels;
        // A frozen parameter's gradient is skipped: nothing reads it.
        ReadOnlySpan<float> dzSpan = _output.Backward(batch, outputGradient, bias is { Trainable: true } ? bias : null).AsReadOnlySpan();
        // dcols (B*H*W, KH*KW*F) = im2col(dz); dkernel (KH*KW*F, C) += dcolsᵀ · x; dx (B*H*W, C) = dcols · kernel.
        EnsureCols(batch);
        Span<float> cols = _cols.AsSpan(0, rows * patch);
        for (int n = 0; n < batch; n++)
        {
            g.Pack(dzSpan.Slice(n * g.InputSize, g.InputSize), cols.Slice(n * pixels * patch, pixels * patch));
        }

        if (kernel.Trainable)
        {
            Span<float> kernelGradient = kernel.GradientForProduct(out float beta);
            Gemm.Multiply(true, false, patch, channels, rows, 1f, cols, patch, _input.AsReadOnlySpan(), channels, beta, kernelGradient, channels);
        }

        if (!owner.ComputesInputGradient)
        {
            return outputGradient;
        }

        Tensor dx = Layer.ReusedBatchView(ref _dxBuffer, batch, inputShape);
        Gemm.Multiply(false, false, rows, channels, patch, 1f, cols, patch, kernel.Value.AsReadOnlySpan(), channels, 0f, dx.AsSpan(), channels);
        return dx;
    }

    private long ColsLength(int batch)
    {
        long length = (long)batch * geometry.OutputPositions * geometry.Taps * _filters;
        return length > Array.MaxLength
            ? throw new InvalidOperationException($"{owner.Description}: a batch of {batch} needs a patch matrix of {length} elements, more than an array holds; use smaller batches.")
            : length;
    }

    private void EnsureCols(int batch)
    {
        long length = ColsLength(batch);
        if (_cols.Length < length)
        {
            _cols = new float[length];
        }
    }
}
