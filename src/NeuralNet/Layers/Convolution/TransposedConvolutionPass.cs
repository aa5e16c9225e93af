using NeuralNet.Activations;
using NeuralNet.Kernels;

namespace NeuralNet.Layers;

/// <summary>
/// The forward and backward passes of <see cref="Conv1DTranspose"/>, <see cref="Conv2DTranspose"/> and <see cref="Conv3DTranspose"/>: per sample a
/// matrix product then a scatter-add (col2im), then bias and activation. The geometry is the convolution whose input
/// gradient this is: its "input" is the layer's output, its output the layer's input. The layer owns the parameters and
/// passes them in; this owns the reused buffers.
/// </summary>
/// <remarks>
/// The backward pass keeps the batch's patch matrix of the output gradient, unless it would pass the budget it is given
/// (<see cref="PatchChunks"/>): then it packs the matrix's rows a chunk at a time into one buffer and runs both products
/// on each chunk, with the same results.
/// </remarks>
internal sealed class TransposedConvolutionPass<TGeometry>(Layer owner, TGeometry geometry, TensorShape inputShape, TensorShape outputShape,
    ActivationFunction? activation)
    where TGeometry : struct, IPatchGeometry
{
    private readonly int _filters = geometry.Channels;
    private readonly int _channels = inputShape[inputShape.Rank - 1];
    private float[] _cols = [];
    private float[] _chunk = [];
    private readonly ActivatedOutput _output = new(outputShape, activation);
    private Tensor? _dxBuffer;
    private Tensor? _input;
    private int _batch = -1;

    /// <summary>Runs the layer on <paramref name="input"/> (B, ...inputShape); the output is a reused buffer.</summary>
    public Tensor Forward(Tensor input, Parameter kernel, Parameter? bias)
    {
        TGeometry g = geometry;
        int batch = input.Shape[0], channels = _channels, filters = _filters, pixels = g.OutputPositions, patch = g.Taps * filters, inSize = pixels * channels;
        // The forward pass reads one sample's matrix at a time; only the backward pass packs the batch's (so that an
        // inference pass of large images does not hold the batch's matrix, gigabytes in a U-Net's decoder), and past the
        // budget only a chunk of it.
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

    /// <summary>The length of the patch matrix kept for the backward pass (one sample's after a forward pass alone).</summary>
    public int KeptColumnsLength => _cols.Length;

    /// <summary>The length of the chunk buffer the backward pass packs into past the budget (0 until it runs).</summary>
    public int ChunkColumnsLength => _chunk.Length;

    /// <summary>
    /// Adds the parameters' gradients; returns the input gradient, or the output gradient itself when the owner computes
    /// none. A batch patch matrix larger than <paramref name="columnsBudgetBytes"/> is packed a chunk at a time.
    /// </summary>
    public Tensor Backward(Tensor outputGradient, Parameter kernel, Parameter? bias, long columnsBudgetBytes)
    {
        if (_input is null || outputGradient.Shape[0] != _batch)
        {
            throw new InvalidOperationException($"{owner.Description}: backward needs a forward pass with the same batch size first (last forward batch {_batch}, gradient {outputGradient.Shape}).");
        }

        TGeometry g = geometry;
        int batch = _batch, channels = _channels, filters = _filters, pixels = g.OutputPositions, patch = g.Taps * filters, rows = batch * pixels;
        // A frozen parameter's gradient is skipped: nothing reads it.
        ReadOnlySpan<float> dzSpan = _output.Backward(batch, outputGradient, bias is { Trainable: true } ? bias : null).AsReadOnlySpan();
        if (PatchChunks.Exceed(rows, patch, columnsBudgetBytes))
        {
            return BackwardByChunks(outputGradient, dzSpan, kernel, columnsBudgetBytes);
        }

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

    // The backward pass past the budget: for each chunk of R patch rows (R in whole GEMM depth blocks),
    //   chunk (R, KH*KW*F) = im2col(dz) rows [r, r + R)
    //   dkernel (KH*KW*F, C) += chunkᵀ · x[r .. r + R)      beta 1 after the first chunk: the bits of the one product
    //   dx[r .. r + R) (R, C) = chunk · kernel              rows independent
    private Tensor BackwardByChunks(Tensor outputGradient, ReadOnlySpan<float> dz, Parameter kernel, long columnsBudgetBytes)
    {
        TGeometry g = geometry;
        int batch = _batch, channels = _channels, patch = g.Taps * _filters, rows = batch * g.OutputPositions;
        bool kernelGradient = kernel.Trainable, inputGradient = owner.ComputesInputGradient;
        if (!kernelGradient && !inputGradient)
        {
            return outputGradient;
        }

        int chunkRows = PatchChunks.Rows(columnsBudgetBytes, patch, rows);
        Span<float> chunk = PatchChunks.Buffer(ref _chunk, (long)chunkRows * patch);
        float beta = 1f;
        Span<float> dkernel = kernelGradient ? kernel.GradientForProduct(out beta) : default;
        Tensor? dx = inputGradient ? Layer.ReusedBatchView(ref _dxBuffer, batch, inputShape) : null;
        ReadOnlySpan<float> x = _input!.AsReadOnlySpan(), k = kernel.Value.AsReadOnlySpan();
        for (int first = 0; first < rows; first += chunkRows)
        {
            int count = Math.Min(chunkRows, rows - first);
            Span<float> cols = chunk[..(count * patch)];
            g.PackRows(dz, first, count, cols);
            if (kernelGradient)
            {
                Gemm.Multiply(true, false, patch, channels, count, 1f, cols, patch, x.Slice(first * channels, count * channels), channels,
                    first == 0 ? beta : 1f, dkernel, channels);
            }

            if (dx is not null)
            {
                Gemm.Multiply(false, false, count, channels, patch, 1f, cols, patch, k, channels, 0f, dx.AsSpan().Slice(first * channels, count * channels), channels);
            }
        }

        return dx ?? outputGradient;
    }

    private long ColsLength(int batch)
    {
        long length = (long)batch * geometry.OutputPositions * geometry.Taps * _filters;
        return length > Array.MaxLength
            ? throw new InvalidOperationException($"{owner.Description}: {batch} sample(s) need a patch matrix of {length} elements, more than an array holds.")
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
