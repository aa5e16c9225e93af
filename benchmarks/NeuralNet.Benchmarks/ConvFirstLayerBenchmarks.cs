using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using NeuralNet.Activations;
using NeuralNet.Kernels;

namespace NeuralNet.Benchmarks;

/// <summary>
/// The first convolution of E4.3 (3x3x1 -> 32, ReLU, batch 128, no input gradient) on one thread, two ways, same data:
/// the direct small-patch kernel (<c>ConvDirect</c>) against im2col + GEMM (fused bias + ReLU) with a separate ReLU
/// backward pass and a GEMM for the kernel gradient. Decides which path <c>Conv2D</c> takes for small patches.
/// Run: <c>dotnet run -c Release --project benchmarks/NeuralNet.Benchmarks -- --filter '*ConvFirstLayer*'</c>.
/// </summary>
[SimpleJob(RunStrategy.Monitoring, warmupCount: 3, iterationCount: 15, invocationCount: 4)]
public class ConvFirstLayerBenchmarks
{
    private const int Batch = 128;
    private const int Filters = 32;
    private ConvGeometry _g;
    private float[] _input = [];
    private float[] _kernel = [];
    private float[] _bias = [];
    private float[] _output = [];
    private float[] _outputGradient = [];
    private float[] _dz = [];
    private float[] _cols = [];
    private float[] _kernelGradient = [];
    private float[] _biasGradient = [];
    private float[] _partials = [];

    [GlobalSetup]
    public void Setup()
    {
        Parallelism.MaxDegreeOfParallelism = 1;
        ConvGeometry.TryCreate(28, 28, 1, 3, 3, 1, 1, same: false, out _g);
        _input = Tensor.RandomUniform(new TensorShape(Batch, 28, 28, 1), 1, 0f, 1f).ToArray();
        _kernel = Tensor.RandomNormal(new TensorShape(9, Filters), 2, 0f, 0.3f).ToArray();
        _bias = Tensor.RandomNormal(new TensorShape(Filters), 3, 0f, 0.1f).ToArray();
        int outLength = Batch * _g.OutputPixels * Filters;
        _output = new float[outLength];
        _dz = new float[outLength];
        _outputGradient = Tensor.RandomNormal(new TensorShape(outLength), 4, 0f, 0.01f).ToArray();
        _cols = new float[Batch * _g.OutputPixels * 9];
        _kernelGradient = new float[9 * Filters];
        _biasGradient = new float[Filters];
        _partials = new float[9 * Filters];
    }

    [Benchmark(Baseline = true)]
    public void Im2ColGemmForward()
    {
        Im2Col.Pack(_input, _g, Batch, _cols);
        Gemm.Multiply(false, false, Batch * _g.OutputPixels, Filters, 9, _cols, 9, _kernel, Filters, _bias, GemmActivation.Relu, _output, Filters);
    }

    [Benchmark]
    public void Im2ColGemmBackward()
    {
        ActivationFunction.Relu.Backward(_output, _output, _outputGradient, _dz, Filters);
        Convolution.AddColumnSums(_dz, Filters, _biasGradient);
        Convolution.BackwardFilter(_cols, _dz, Batch * _g.OutputPixels, 9, Filters, _kernelGradient);
    }

    [Benchmark]
    public void DirectForward()
    {
        int inSize = _g.InputSize, outSize = _g.OutputPixels * Filters;
        for (int n = 0; n < Batch; n++)
        {
            ConvDirect.Forward(_input.AsSpan(n * inSize, inSize), _kernel, _bias, _g, Filters, relu: true, _output.AsSpan(n * outSize, outSize));
        }
    }

    [Benchmark]
    public void DirectBackward()
    {
        int inSize = _g.InputSize, outSize = _g.OutputPixels * Filters;
        for (int n = 0; n < Batch; n++)
        {
            ConvDirect.BackwardFilter(_input.AsSpan(n * inSize, inSize), _output.AsSpan(n * outSize, outSize), _outputGradient.AsSpan(n * outSize, outSize),
                _g, Filters, relu: true, _partials, _biasGradient, default);
        }
    }
}
