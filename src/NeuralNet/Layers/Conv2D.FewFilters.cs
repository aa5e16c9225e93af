using NeuralNet.Kernels;

namespace NeuralNet.Layers;

// The few-filter path of Conv2D (Kernels/ConvFewFilters.cs): 4 to 7 filters at horizontal stride 1, on output rows of at
// least one vector, few channels and small patches (ConvFewFilters.Supports), for which im2col + GEMM is a
// matrix-vector product whose time goes into writing and reading the patch matrix. No patch matrix at all, in training
// or inference: each image is convolved from a zero-padded planar copy held per thread.
//
//   forward          z[n] = conv(x[n], kernel) + bias (ReLU when fused), then any other activation      one image per item
//   backward         dkernel partial[n], dx[n] from one planar copy of dz[n]                              one image per item
//                    dkernel += partial[0] + partial[1] + ... in image order (the same bits on any thread count)
public sealed partial class Conv2D
{
    private Step _fewForward = null!;
    private Step _fewBackward = null!;
    private bool _fewFilters;

    // One image's planar scratch for the few-filter kernels, per thread and shared by every Conv2D.
    [ThreadStatic]
    private static float[]? s_fewFiltersScratch;

    // After the direct path's choice (it takes multiples of the vector width, this path 4 to 7 filters).
    private void BuildFewFilters()
    {
        _fewForward = new Step(this, StepKind.FewForward);
        _fewBackward = new Step(this, StepKind.FewBackward);
        _fewFilters = !_direct && ConvFewFilters.Supports(_geometry, Filters);
    }

    // The kernel partials (summed in image order) and the input gradient, image by image.
    private Tensor FewFiltersBackward(Tensor outputGradient, Tensor dz)
    {
        if (_kernel!.Trainable)
        {
            EnsureKernelPartials(_batch);
        }

        if (_kernel.Trainable || ComputesInputGradient)
        {
            _dzForData = dz;
            _dx = ComputesInputGradient ? BatchView(ref _dxBuffer, _batch, InputShape) : null;
            ConvParallel.For(_batch, _fewBackward);
            _dzForData = null;
        }

        AddPartials();
        return ComputesInputGradient ? _dx! : outputGradient;
    }

    // Image n: z with the bias (and ReLU when fused), then any other activation.
    private void RunFewForward(int n)
    {
        ConvGeometry g = _geometry;
        int outSize = g.OutputPixels * Filters;
        Span<float> z = _z!.AsSpan().Slice(n * outSize, outSize);
        ConvFewFilters.Forward(_input!.AsReadOnlySpan().Slice(n * g.InputSize, g.InputSize), _kernel!.Value.AsReadOnlySpan(),
            _bias is null ? default : _bias.Value.AsReadOnlySpan(), g, Filters, _fusedEpilogue && _fusedRelu, FewFiltersScratch(), z);
        if (!_fusedEpilogue && Activation is not null)
        {
            Activation.Forward(z, _y!.AsSpan().Slice(n * outSize, outSize), Filters);
        }
    }

    // Image n's kernel partial (when the kernel trains) and input gradient (when asked for) from its dz.
    private void RunFewBackward(int n)
    {
        ConvGeometry g = _geometry;
        int outSize = g.OutputPixels * Filters, kernelSize = g.PatchSize * Filters;
        ConvFewFilters.Backward(_input!.AsReadOnlySpan().Slice(n * g.InputSize, g.InputSize), _kernel!.Value.AsReadOnlySpan(),
            _dzForData!.AsReadOnlySpan().Slice(n * outSize, outSize), g, Filters, FewFiltersScratch(),
            _kernel.Trainable ? _kernelPartials.AsSpan(n * kernelSize, kernelSize) : default,
            ComputesInputGradient ? _dx!.AsSpan().Slice(n * g.InputSize, g.InputSize) : default);
    }

    // This thread's scratch for the few-filter kernels, grown to the layer's need on first use.
    private Span<float> FewFiltersScratch()
    {
        int length = ConvFewFilters.ScratchLength(_geometry, Filters);
        float[] scratch = s_fewFiltersScratch is { } held && held.Length >= length ? held : s_fewFiltersScratch = new float[length];
        return scratch.AsSpan(0, length);
    }
}
