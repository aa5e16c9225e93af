using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using NeuralNet.Kernels;

namespace NeuralNet.Benchmarks;

/// <summary>
/// The forward product of E4.3's second convolution at batch 128 in two layouts, same data, same run:
/// <c>Y (15488 x 64) = cols (15488 x 288) · W (288 x 64)</c> as the layer computes it, against the transposed product
/// <c>Yᵀ (64 x 15488) = Wᵀ · colsᵀ</c> followed by a transposition back to NHWC. Decides which layout the layer uses.
/// Run: <c>dotnet run -c Release --project benchmarks/NeuralNet.Benchmarks -- --filter '*ConvGemmLayout*'</c>.
/// </summary>
[SimpleJob(RunStrategy.Monitoring, warmupCount: 3, iterationCount: 15, invocationCount: 4)]
[MemoryDiagnoser]
public class ConvGemmLayoutBenchmarks
{
    private const int Rows = 128 * 11 * 11;
    private const int Patch = 288;
    private const int Filters = 64;
    private float[] _cols = [];
    private float[] _kernel = [];
    private float[] _output = [];
    private float[] _transposed = [];
    private float[] _outputGradient = [];
    private float[] _kernelGradient = [];
    private float[] _kernelGradientT = [];

    /// <summary>Gets or sets the thread count.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        Parallelism.MaxDegreeOfParallelism = Threads;
        _cols = Tensor.RandomUniform(new TensorShape(Rows, Patch), 1, 0f, 1f).ToArray();
        _kernel = Tensor.RandomNormal(new TensorShape(Patch, Filters), 2, 0f, 0.05f).ToArray();
        _output = new float[Rows * Filters];
        _transposed = new float[Rows * Filters];
        _outputGradient = Tensor.RandomNormal(new TensorShape(Rows, Filters), 3, 0f, 0.01f).ToArray();
        _kernelGradient = new float[Patch * Filters];
        _kernelGradientT = new float[Patch * Filters];
    }

    [Benchmark(Baseline = true)]
    public void PixelsByFilters() => Gemm.Multiply(false, false, Rows, Filters, Patch, 1f, _cols, Patch, _kernel, Filters, 0f, _output, Filters);

    [Benchmark]
    public void FiltersByPixelsThenTranspose()
    {
        Gemm.Multiply(true, true, Filters, Rows, Patch, 1f, _kernel, Filters, _cols, Patch, 0f, _transposed, Rows);
        for (int f = 0; f < Filters; f++)
        {
            ReadOnlySpan<float> row = _transposed.AsSpan(f * Rows, Rows);
            for (int p = 0; p < Rows; p++)
            {
                _output[(p * Filters) + f] = row[p];
            }
        }
    }

    [Benchmark]
    public void FilterGradientColsTransposedTimesDy() =>
        Gemm.Multiply(true, false, Patch, Filters, Rows, 1f, _cols, Patch, _outputGradient, Filters, 1f, _kernelGradient, Filters);

    [Benchmark]
    public void FilterGradientDyTransposedTimesColsThenTranspose()
    {
        Gemm.Multiply(true, false, Filters, Patch, Rows, 1f, _outputGradient, Filters, _cols, Patch, 0f, _kernelGradientT, Patch);
        for (int f = 0; f < Filters; f++)
        {
            for (int t = 0; t < Patch; t++)
            {
                _kernelGradient[(t * Filters) + f] += _kernelGradientT[(f * Patch) + t];
            }
        }
    }

    [Benchmark]
    public void DataGradientDyTimesKernelTransposed() =>
        Gemm.Multiply(false, true, Rows, Patch, Filters, 1f, _outputGradient, Filters, _kernel, Filters, 0f, _cols, Patch);
}
