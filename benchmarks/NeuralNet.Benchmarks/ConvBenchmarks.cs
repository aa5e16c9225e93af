using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using NeuralNet.Activations;
using NeuralNet.Kernels;
using NeuralNet.Layers;

namespace NeuralNet.Benchmarks;

/// <summary>
/// Forward + backward of each convolution of experiment E4.3 (Conv2D 32 3x3 ReLU on 28x28x1, Conv2D 64 3x3 ReLU on
/// 13x13x32): the layer at batch 128 against the naive seven-loop reference twin on a batch of 4, with a GFLOPS
/// column computed from each case's own multiply-add count. The first convolution skips its input gradient, as
/// the first layer of a model does. Run:
/// <c>dotnet run -c Release --project benchmarks/NeuralNet.Benchmarks -- --filter '*ConvBenchmarks*'</c>.
/// </summary>
[Config(typeof(ConvConfig))]
[MemoryDiagnoser]
public class ConvBenchmarks
{
    private Conv2D? _layer;
    private Tensor? _input;
    private Tensor? _outputGradient;
    private ConvGeometry _geometry;
    private float[] _reference = [];
    private float[] _referenceDx = [];
    private float[] _referenceDw = [];
    private float[] _referenceDb = [];

    /// <summary>Gets or sets which E4.3 convolution runs.</summary>
    [ParamsSource(nameof(Cases))]
    public ConvCase Case { get; set; } = ConvCase.First;

    /// <summary>Gets or sets the implementation: the layer (batch 128) or the naive reference (batch 4).</summary>
    [Params(ConvImplementation.Layer, ConvImplementation.Naive)]
    public string Implementation { get; set; } = ConvImplementation.Layer;

    /// <summary>Gets the E4.3 convolutions.</summary>
    public static IEnumerable<ConvCase> Cases => [ConvCase.First, ConvCase.Second];

    /// <summary>The batch size of a case for an implementation.</summary>
    public static int BatchOf(string implementation) => implementation == ConvImplementation.Naive ? 4 : 128;

    [GlobalSetup]
    public void Setup()
    {
        int batch = BatchOf(Implementation);
        _layer = new Conv2D(Case.Filters, 3, activation: ActivationFunction.Relu) { ComputesInputGradient = !Case.IsFirst };
        _layer.Build(new TensorShape(Case.Size, Case.Size, Case.Channels));
        _input = Tensor.RandomUniform(new TensorShape(batch, Case.Size, Case.Size, Case.Channels), 1, 0f, 1f);
        _outputGradient = Tensor.RandomNormal(_layer.OutputShape.Prepend(batch), 2, 0f, 0.01f);
        ConvGeometry.TryCreate(Case.Size, Case.Size, Case.Channels, 3, 3, 1, 1, same: false, out _geometry);
        _reference = new float[_outputGradient.Length];
        _referenceDx = new float[_input.Length];
        _referenceDw = new float[_layer.Kernel.Value.Length];
        _referenceDb = new float[Case.Filters];
        Console.WriteLine($"// Gemm kernel: {Gemm.KernelName}; threads {Parallelism.MaxDegreeOfParallelism}");
    }

    [Benchmark]
    public void ForwardBackward()
    {
        if (Implementation == ConvImplementation.Naive)
        {
            int batch = _input!.Shape[0];
            Parameter kernel = _layer!.Kernel;
            Convolution.ForwardReference(_input.AsReadOnlySpan(), kernel.Value.AsReadOnlySpan(), _layer.Bias!.Value.AsReadOnlySpan(), _geometry, Case.Filters, batch, _reference);
            Convolution.BackwardReference(_input.AsReadOnlySpan(), kernel.Value.AsReadOnlySpan(), _outputGradient!.AsReadOnlySpan(), _geometry, Case.Filters, batch, _referenceDx, _referenceDw, _referenceDb);
            return;
        }

        _layer!.Forward(_input!, training: true);
        _layer.Backward(_outputGradient!);
    }
}

/// <summary>One convolution of E4.3: input (Size, Size, Channels), Filters 3x3 filters, valid padding.</summary>
/// <param name="Name">The Keras layer name.</param>
/// <param name="Size">The input height and width.</param>
/// <param name="Channels">The input channels.</param>
/// <param name="Filters">The output channels.</param>
/// <param name="IsFirst">Whether it is the model's first layer (no input gradient).</param>
public sealed record ConvCase(string Name, int Size, int Channels, int Filters, bool IsFirst)
{
    /// <summary>conv2d: (28, 28, 1) to (26, 26, 32).</summary>
    public static ConvCase First { get; } = new("conv2d", 28, 1, 32, true);

    /// <summary>conv2d_1: (13, 13, 32) to (11, 11, 64).</summary>
    public static ConvCase Second { get; } = new("conv2d_1", 13, 32, 64, false);

    /// <summary>Floating-point operations of one forward + backward pass at <paramref name="batch"/> (2 per multiply-add).</summary>
    public double Flops(int batch)
    {
        int outSize = Size - 2;
        double product = 2.0 * batch * outSize * outSize * 9 * Channels * Filters;
        return product * (IsFirst ? 2 : 3);
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Name} {Size}x{Size}x{Channels}->{Filters}";
}

/// <summary>Names of the implementations compared.</summary>
public static class ConvImplementation
{
    /// <summary>The Conv2D layer (im2col + Gemm), batch 128.</summary>
    public const string Layer = "layer b128";

    /// <summary>The naive seven-loop reference, batch 4.</summary>
    public const string Naive = "naive b4";
}

/// <summary>Short jobs (the machine is shared and noisy) plus a GFLOPS column.</summary>
public sealed class ConvConfig : ManualConfig
{
    /// <summary>Initializes a new instance of the <see cref="ConvConfig"/> class.</summary>
    public ConvConfig()
    {
        AddJob(Job.Default.WithWarmupCount(3).WithIterationCount(10).WithInvocationCount(8).WithUnrollFactor(1));
        AddColumn(new ConvGflopsColumn(), StatisticColumn.Median);
        WithOrderer(new BenchmarkDotNet.Order.DefaultOrderer(BenchmarkDotNet.Order.SummaryOrderPolicy.Declared));
    }

    private sealed class ConvGflopsColumn : IColumn
    {
        public string Id => nameof(ConvGflopsColumn);

        public string ColumnName => "GFLOPS";

        public bool AlwaysShow => true;

        public ColumnCategory Category => ColumnCategory.Custom;

        public int PriorityInCategory => 0;

        public bool IsNumeric => true;

        public UnitType UnitType => UnitType.Dimensionless;

        public string Legend => "Floating-point operations (2 per multiply-add, forward + backward) per second, from the median time";

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            BenchmarkReport? report = summary[benchmarkCase];
            if (report?.ResultStatistics is not { } stats
                || benchmarkCase.Parameters["Case"] is not ConvCase convCase
                || benchmarkCase.Parameters["Implementation"] is not string implementation)
            {
                return "-";
            }

            double seconds = stats.Median / 1e9;
            return (convCase.Flops(ConvBenchmarks.BatchOf(implementation)) / seconds / 1e9).ToString("F1", System.Globalization.CultureInfo.InvariantCulture);
        }

        public bool IsAvailable(Summary summary) => true;

        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    }
}
