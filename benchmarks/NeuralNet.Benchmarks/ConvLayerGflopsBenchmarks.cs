#if !NEURALNET_BASELINE
using BenchmarkDotNet.Attributes;
using NeuralNet.Activations;
using NeuralNet.Kernels;
using NeuralNet.Layers;

namespace NeuralNet.Benchmarks;

/// <summary>
/// Forward + backward (input gradient included) of the newer convolutions on MNIST-sized maps at batch 128, each next to
/// a baseline that runs the same matrix products through <c>Gemm.Multiply</c> alone ("vs GEMM": the layer's GFLOPS over
/// the baseline's, same run). GFLOPS count the products only (2 per multiply-add):
/// <list type="bullet">
/// <item><c>Conv2DTranspose(32, 3, strides: 2, padding: same, relu)</c>, (14, 14, 32) to (28, 28, 32): per image
/// x (196, 32) · kernelᵀ (32, 288) forward, then over the batch dcolsᵀ · x (288 x 32 x 25,088) and dcols · kernel
/// (25,088 x 32 x 288); plus col2im, im2col, bias and ReLU outside the products.</item>
/// <item><c>SeparableConv2D(32, 3, padding: same, relu)</c>, (28, 28, 32) to (28, 28, 32): the pointwise products
/// (100,352 x 32 x 32, forward, weight and input gradients); the depthwise 3 x 3 step (9 multiply-adds per output and
/// channel, 58 MFLOP forward, 173 MFLOP forward + backward) is not a product and not counted.</item>
/// </list>
/// Run: <c>dotnet run -c Release --project benchmarks/NeuralNet.Benchmarks -- --filter '*ConvLayerGflops*'</c>.
/// </summary>
[Config(typeof(GflopsConfig<ConvLayerGflopsBenchmarks>))]
[MemoryDiagnoser]
public class ConvLayerGflopsBenchmarks : IGflopsSuite
{
    private const int Batch = 128, Channels = 32, Filters = 32, Taps = 9;
    private const int SmallPixels = 14 * 14, LargePixels = 28 * 28;

    private Conv2DTranspose _transpose = null!;
    private SeparableConv2D _separable = null!;
    private DepthwiseConv2D _depthwiseLayer = null!;
    private Tensor _small = null!;
    private Tensor _large = null!;
    private Tensor _largeGradient = null!;
    private float[] _x = [];
    private float[] _kernel = [];
    private float[] _cols = [];
    private float[] _kernelGradient = [];
    private float[] _dx = [];
    private float[] _depthwise = [];
    private float[] _z = [];

    /// <summary>Forward + backward products of the transposed convolution.</summary>
    public static double TransposeFlops => 3 * 2.0 * Batch * SmallPixels * Taps * Filters * Channels;

    /// <summary>Forward + backward pointwise products of the separable convolution.</summary>
    public static double SeparableFlops => 3 * 2.0 * Batch * LargePixels * Channels * Filters;

    /// <inheritdoc/>
    public static double FlopsOf(string method) => method switch
    {
        nameof(Conv2DTransposeStep) or nameof(GemmConv2DTranspose) => TransposeFlops,
        nameof(SeparableConv2DStep) or nameof(GemmSeparableConv2D) => SeparableFlops,
        _ => 0,
    };

    /// <inheritdoc/>
    public static string? GemmBaselineOf(string method) => method switch
    {
        nameof(Conv2DTransposeStep) => nameof(GemmConv2DTranspose),
        nameof(SeparableConv2DStep) => nameof(GemmSeparableConv2D),
        _ => null,
    };

    [GlobalSetup]
    public void Setup()
    {
        _transpose = new Conv2DTranspose(Filters, 3, strides: 2, padding: Padding.Same, activation: ActivationFunction.Relu);
        _transpose.Build(new TensorShape(14, 14, Channels));
        _separable = new SeparableConv2D(Filters, 3, padding: Padding.Same, activation: ActivationFunction.Relu);
        _separable.Build(new TensorShape(28, 28, Channels));
        _depthwiseLayer = new DepthwiseConv2D(3, padding: Padding.Same, useBias: false);
        _depthwiseLayer.Build(new TensorShape(28, 28, Channels));
        _small = Tensor.RandomUniform(new TensorShape(Batch, 14, 14, Channels), 1, 0f, 1f);
        _large = Tensor.RandomUniform(new TensorShape(Batch, 28, 28, Channels), 2, 0f, 1f);
        _largeGradient = Tensor.RandomNormal(new TensorShape(Batch, 28, 28, Filters), 3, 0f, 0.01f);
        _x = Filled(Batch * LargePixels * Channels, 4);
        _kernel = Filled(Taps * Filters * Channels, 5);
        _cols = Filled(Batch * SmallPixels * Taps * Filters, 6);
        _kernelGradient = new float[Taps * Filters * Channels];
        _dx = new float[Batch * LargePixels * Channels];
        _depthwise = Filled(Batch * LargePixels * Channels, 7);
        _z = Filled(Batch * LargePixels * Filters, 8);
        for (int i = 0; i < 3; i++)
        {
            Conv2DTransposeStep();
            SeparableConv2DStep();
        }

        Console.WriteLine($"// Gemm kernel: {Gemm.KernelName}; threads {Parallelism.MaxDegreeOfParallelism}");
    }

    /// <summary>Conv2DTranspose forward and backward, (14, 14, 32) to (28, 28, 32).</summary>
    [Benchmark]
    public Tensor Conv2DTransposeStep()
    {
        _transpose.Forward(_small, training: true);
        return _transpose.Backward(_largeGradient);
    }

    /// <summary>The transposed convolution's products alone, as the layer calls them.</summary>
    [Benchmark]
    public void GemmConv2DTranspose()
    {
        int patch = Taps * Filters, inSize = SmallPixels * Channels, rows = Batch * SmallPixels;
        for (int n = 0; n < Batch; n++)
        {
            Gemm.Multiply(false, true, SmallPixels, patch, Channels, 1f, _x.AsSpan(n * inSize, inSize), Channels, _kernel, Channels, 0f, _cols.AsSpan(0, SmallPixels * patch), patch);
        }

        Gemm.Multiply(true, false, patch, Channels, rows, 1f, _cols, patch, _x, Channels, 1f, _kernelGradient, Channels);
        Gemm.Multiply(false, false, rows, Channels, patch, 1f, _cols, patch, _kernel, Channels, 0f, _dx, Channels);
    }

    /// <summary>SeparableConv2D forward and backward, (28, 28, 32) to (28, 28, 32).</summary>
    [Benchmark]
    public Tensor SeparableConv2DStep()
    {
        _separable.Forward(_large, training: true);
        return _separable.Backward(_largeGradient);
    }

    /// <summary>
    /// SeparableConv2D's depthwise step alone (a DepthwiseConv2D without bias or activation), forward and backward: where
    /// the separable convolution's time goes outside its products.
    /// </summary>
    [Benchmark]
    public Tensor DepthwiseConv2DStep()
    {
        _depthwiseLayer.Forward(_large, training: true);
        return _depthwiseLayer.Backward(_largeGradient);
    }

    /// <summary>The separable convolution's pointwise products alone, as the layer calls them.</summary>
    [Benchmark]
    public void GemmSeparableConv2D()
    {
        int rows = Batch * LargePixels;
        Gemm.Multiply(false, false, rows, Filters, Channels, 1f, _depthwise, Channels, _kernel, Filters, 0f, _z, Filters);
        Gemm.Multiply(true, false, Channels, Filters, rows, 1f, _depthwise, Channels, _z, Filters, 1f, _kernelGradient, Filters);
        Gemm.Multiply(false, true, rows, Channels, Filters, 1f, _z, Filters, _kernel, Filters, 0f, _dx, Channels);
    }

    private static float[] Filled(int length, int seed)
    {
        var random = new Random(seed);
        var values = new float[length];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)((random.NextDouble() * 2) - 1) * 0.1f;
        }

        return values;
    }
}
#endif
