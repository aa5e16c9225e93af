using NeuralNet.Kernels;

namespace NeuralNet.Layers;

// The general path of Conv2D, for dilationRate or groups other than 1; the plain convolution keeps its own fast path.
//
//   x (B, H, W, C), groups G, Cg = C / G channels and Fg = F / G filters per group, P = KH*KW*Cg
//   kernel (KH, KW, Cg, F) = (P, F) as a matrix: group g's filters are its columns [g*Fg, (g+1)*Fg)
//   cols[g] (B*OH*OW, P) = dilated im2col of channels [g*Cg, (g+1)*Cg)          (kept for the kernel gradient)
//   forward          z[:, g*Fg ..] = cols[g] · kernel[:, g*Fg ..]                 one GEMM per group over the batch
//   backward filter  dkernel[:, g*Fg ..] += cols[g]ᵀ · dz[:, g*Fg ..]             one GEMM per group
//   backward data    dx[n][..., g*Cg ..] = col2im(dz[n][:, g*Fg ..] · kernel[:, g*Fg ..]ᵀ), per image and group
// When every group's cols together would pass ColumnsBudgetBytes (Conv2D.Chunked.cs), no cols are kept: the forward pass
// and the kernel gradient pack one group's rows a chunk at a time (chunks in whole GEMM depth blocks, so the kernel
// gradient has the same bits), and the same products run on each chunk.
public sealed partial class Conv2D
{
    private float[] _groupCols = [];
    private float[] _groupPatchGradient = [];
    private bool _generalChunked;

    private TensorShape BuildGeneral(TensorShape inputShape)
    {
        int channels = inputShape[2];
        if (channels % Groups != 0)
        {
            throw new ArgumentException(
                $"{Describe()}: the number of input channels must be evenly divisible by the number of groups. Received: groups={Groups}, but the input has {channels} channels (input {inputShape.ToBatchString()}).",
                nameof(inputShape));
        }

        if (!DilatedConvGeometry.TryCreate(inputShape[0], inputShape[1], channels, KernelSize, Strides, DilationRate, Padding == Padding.Same, out _dilated))
        {
            throw new ArgumentException(
                $"{Describe()} kernel ({KernelSize.Height}, {KernelSize.Width}) with dilation ({DilationRate.Height}, {DilationRate.Width}) is larger than its input {inputShape.ToBatchString()} with padding {Padding}.",
                nameof(inputShape));
        }

        _kernel = AddParameter("kernel", new TensorShape(KernelSize.Height, KernelSize.Width, channels / Groups, Filters), _kernelInitializer, _kernelRegularizer);
        if (UseBias)
        {
            _bias = AddParameter("bias", new TensorShape(Filters), _biasInitializer, _biasRegularizer);
        }

        return new TensorShape(_dilated.OutHeight, _dilated.OutWidth, Filters);
    }

    private Tensor ForwardGeneral(Tensor input)
    {
        DilatedConvGeometry g = _dilated;
        int batch = input.Shape[0], cg = g.Channels / Groups, fg = Filters / Groups, patch = g.Taps * cg;
        int rows = batch * g.OutputPixels, imageCols = g.OutputPixels * patch;
        _input = input;
        _batch = batch;
        _generalChunked = ColumnsExceedBudget(batch);
        _z = BatchView(ref _zBuffer, batch, OutputShape);
        Span<float> z = _z.AsSpan();
        ReadOnlySpan<float> kernel = _kernel!.Value.AsReadOnlySpan();
        ReadOnlySpan<float> x = input.AsReadOnlySpan();
        if (_generalChunked)
        {
            // Rows are independent in this product: each chunk's are those of the whole batch's product.
            int chunkRows = ChunkRows(patch, rows);
            Span<float> columns = ChunkColumns((long)chunkRows * patch);
            for (int first = 0; first < rows; first += chunkRows)
            {
                int count = Math.Min(chunkRows, rows - first);
                for (int group = 0; group < Groups; group++)
                {
                    DilatedIm2Col.PackRows(x, g, group * cg, cg, first, count, columns);
                    Gemm.Multiply(false, false, count, fg, patch, 1f, columns[..(count * patch)], patch,
                        kernel[(group * fg)..], Filters, 0f, z[((first * Filters) + (group * fg))..], Filters);
                }
            }
        }
        else
        {
            long colsLength = (long)Groups * rows * patch;
            if (_groupCols.Length < colsLength)
            {
                _groupCols = new float[colsLength];
            }

            for (int group = 0; group < Groups; group++)
            {
                Span<float> cols = _groupCols.AsSpan(group * rows * patch, rows * patch);
                for (int n = 0; n < batch; n++)
                {
                    DilatedIm2Col.Pack(x.Slice(n * g.InputSize, g.InputSize), g, group * cg, cg, cols.Slice(n * imageCols, imageCols));
                }
            }

            for (int group = 0; group < Groups; group++)
            {
                Gemm.Multiply(false, false, rows, fg, patch, 1f, _groupCols.AsSpan(group * rows * patch, rows * patch), patch,
                    kernel[(group * fg)..], Filters, 0f, z[(group * fg)..], Filters);
            }
        }

        if (_bias is not null)
        {
            Convolution.AddBias(_bias.Value.AsReadOnlySpan(), z);
        }

        if (Activation is null)
        {
            _y = _z;
            return _z;
        }

        _y = BatchView(ref _yBuffer, batch, OutputShape);
        Activation.Forward(_z.AsReadOnlySpan(), _y.AsSpan(), Filters);
        return _y;
    }

    private Tensor BackwardGeneral(Tensor outputGradient)
    {
        DilatedConvGeometry g = _dilated;
        int batch = _batch, cg = g.Channels / Groups, fg = Filters / Groups, patch = g.Taps * cg;
        int rows = batch * g.OutputPixels, outSize = g.OutputPixels * Filters;
        Tensor dz = outputGradient;
        if (_backwardActivation is not null)
        {
            _dz = BatchView(ref _dzBuffer, batch, OutputShape);
            _backwardActivation.Backward(_z!.AsReadOnlySpan(), _y!.AsReadOnlySpan(), outputGradient.AsReadOnlySpan(), _dz.AsSpan(), Filters);
            dz = _dz;
        }

        ReadOnlySpan<float> dzSpan = dz.AsReadOnlySpan();
        if (_bias is { Trainable: true })
        {
            Convolution.AddColumnSums(dzSpan, Filters, _bias.Gradient.AsSpan());
        }

        if (_kernel!.Trainable)
        {
            // Skipped while frozen: nothing reads a frozen layer's gradients.
            Span<float> kernelGradient = _kernel.GradientForProduct(out float beta);
            if (_generalChunked)
            {
                // Chunks in whole GEMM depth blocks, each after the first added with beta 1: the bits of one product.
                int chunkRows = ChunkRows(patch, rows);
                Span<float> columns = ChunkColumns((long)chunkRows * patch);
                ReadOnlySpan<float> x = _input!.AsReadOnlySpan();
                for (int first = 0; first < rows; first += chunkRows)
                {
                    int count = Math.Min(chunkRows, rows - first);
                    for (int group = 0; group < Groups; group++)
                    {
                        DilatedIm2Col.PackRows(x, g, group * cg, cg, first, count, columns);
                        Gemm.Multiply(true, false, patch, fg, count, 1f, columns[..(count * patch)], patch,
                            dzSpan[((first * Filters) + (group * fg))..], Filters, first == 0 ? beta : 1f, kernelGradient[(group * fg)..], Filters);
                    }
                }
            }
            else
            {
                for (int group = 0; group < Groups; group++)
                {
                    Gemm.Multiply(true, false, patch, fg, rows, 1f, _groupCols.AsSpan(group * rows * patch, rows * patch), patch,
                        dzSpan[(group * fg)..], Filters, beta, kernelGradient[(group * fg)..], Filters);
                }
            }
        }

        if (!ComputesInputGradient)
        {
            return outputGradient;
        }

        int imageCols = g.OutputPixels * patch;
        if (_groupPatchGradient.Length < imageCols)
        {
            _groupPatchGradient = new float[imageCols];
        }

        _dx = BatchView(ref _dxBuffer, batch, InputShape);
        Span<float> dx = _dx.AsSpan();
        dx.Clear();
        ReadOnlySpan<float> kernel = _kernel.Value.AsReadOnlySpan();
        Span<float> patchGradient = _groupPatchGradient.AsSpan(0, imageCols);
        for (int n = 0; n < batch; n++)
        {
            for (int group = 0; group < Groups; group++)
            {
                Gemm.Multiply(false, true, g.OutputPixels, patch, fg, 1f, dzSpan.Slice((n * outSize) + (group * fg)), Filters,
                    kernel[(group * fg)..], Filters, 0f, patchGradient, patch);
                DilatedIm2Col.AddUnpack(patchGradient, g, group * cg, cg, dx.Slice(n * g.InputSize, g.InputSize));
            }
        }

        return _dx;
    }
}
