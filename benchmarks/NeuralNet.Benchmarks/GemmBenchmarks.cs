using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace NeuralNet.Benchmarks;

/// <summary>
/// Gemm.Multiply against OpenBLAS cblas_sgemm, side by side in one run: square sizes 64..2048 and the
/// MNIST 784-512-10 products at batch 128, on 1 and 2 threads. Columns: GFLOPS (2mnk / median time) and
/// the ratio to OpenBLAS for the same shape and thread count.
/// Run: <c>dotnet run -c Release --project benchmarks/NeuralNet.Benchmarks -- --filter '*Gemm*'</c>.
/// </summary>
[Config(typeof(GemmConfig))]
public class GemmBenchmarks
{
    private GemmData? _data;

    /// <summary>
    /// Gets the shapes benchmarked: all of <see cref="GemmShape.All"/>, or those listed in the <c>GEMM_SHAPES</c>
    /// environment variable (space-separated, as <see cref="GemmShape.Parse"/> reads them, e.g. <c>GEMM_SHAPES=1024</c>)
    /// to repeat one shape without the seven-minute full run.
    /// </summary>
    public static IEnumerable<GemmShape> Shapes =>
        Environment.GetEnvironmentVariable("GEMM_SHAPES") is { Length: > 0 } list
            ? list.Split(' ', StringSplitOptions.RemoveEmptyEntries).SelectMany(GemmShape.Parse)
            : GemmShape.All;

    /// <summary>Gets the implementations benchmarked: ours, and OpenBLAS when libopenblas.so.0 is installed.</summary>
    public static IEnumerable<string> Libraries
    {
        get
        {
            yield return GemmLibrary.NeuralNet;
            if (OpenBlas.IsAvailable)
            {
                yield return GemmLibrary.OpenBlas;
            }
            else
            {
                Console.WriteLine("// OpenBLAS (libopenblas.so.0) not found: skipped the OpenBLAS baseline. Install it with apt-get install libopenblas0-pthread.");
            }
        }
    }

    /// <summary>Gets or sets the product.</summary>
    [ParamsSource(nameof(Shapes))]
    public GemmShape Shape { get; set; } = GemmShape.All[0];

    /// <summary>Gets or sets the thread count given to both libraries.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    /// <summary>Gets or sets which implementation runs.</summary>
    [ParamsSource(nameof(Libraries))]
    public string Library { get; set; } = GemmLibrary.NeuralNet;

    [GlobalSetup]
    public void Setup()
    {
        Parallelism.MaxDegreeOfParallelism = Threads;
        OpenBlas.SetThreads(Threads);
        _data = new GemmData(Shape);
        Console.WriteLine($"// Gemm kernel: {Kernels.Gemm.KernelName}; OpenBLAS: {(OpenBlas.IsAvailable ? OpenBlas.LibraryName : "not installed, baseline skipped")}");
    }

    [Benchmark]
    public void Multiply()
    {
        if (Library == GemmLibrary.OpenBlas)
        {
            _data!.RunOpenBlas();
        }
        else
        {
            _data!.RunOurs();
        }
    }
}

/// <summary>The naive triple loop next to Gemm.Multiply on the small square sizes (single thread).</summary>
[Config(typeof(GemmConfig))]
public class GemmNaiveBenchmarks
{
    private GemmData? _data;

    /// <summary>Gets the shapes benchmarked: small squares only (the naive loop takes seconds beyond).</summary>
    public static IEnumerable<GemmShape> Shapes => [GemmShape.Square(64), GemmShape.Square(128), GemmShape.Square(256)];

    /// <summary>Gets or sets the product.</summary>
    [ParamsSource(nameof(Shapes))]
    public GemmShape Shape { get; set; } = GemmShape.All[0];

    /// <summary>Gets or sets the thread count.</summary>
    [Params(1)]
    public int Threads { get; set; }

    /// <summary>Gets or sets which implementation runs.</summary>
    [Params(GemmLibrary.NeuralNet, GemmLibrary.Naive)]
    public string Library { get; set; } = GemmLibrary.NeuralNet;

    [GlobalSetup]
    public void Setup()
    {
        Parallelism.MaxDegreeOfParallelism = Threads;
        _data = new GemmData(Shape);
    }

    [Benchmark]
    public void Multiply()
    {
        if (Library == GemmLibrary.Naive)
        {
            _data!.RunNaive();
        }
        else
        {
            _data!.RunOurs();
        }
    }
}

/// <summary>Names of the implementations compared.</summary>
public static class GemmLibrary
{
    /// <summary>Gemm.Multiply.</summary>
    public const string NeuralNet = "NeuralNet";

    /// <summary>OpenBLAS cblas_sgemm.</summary>
    public const string OpenBlas = "OpenBLAS";

    /// <summary>The naive triple loop.</summary>
    public const string Naive = "naive";
}

/// <summary>Short jobs (the machine is shared and noisy; medians matter) plus the GFLOPS and ratio columns.</summary>
public sealed class GemmConfig : ManualConfig
{
    /// <summary>Initializes a new instance of the <see cref="GemmConfig"/> class.</summary>
    public GemmConfig()
    {
        AddJob(Job.Default.WithWarmupCount(4).WithIterationCount(15).WithIterationTime(Perfolizer.Horology.TimeInterval.FromMilliseconds(250)));
        AddColumn(new GflopsColumn(), new RatioToOpenBlasColumn(), StatisticColumn.Median);
        WithOrderer(new BenchmarkDotNet.Order.DefaultOrderer(BenchmarkDotNet.Order.SummaryOrderPolicy.Declared));
    }
}

/// <summary>GFLOPS = 2 m n k / median time.</summary>
public sealed class GflopsColumn : IColumn
{
    /// <inheritdoc/>
    public string Id => "GFLOPS";

    /// <inheritdoc/>
    public string ColumnName => "GFLOPS";

    /// <inheritdoc/>
    public bool AlwaysShow => true;

    /// <inheritdoc/>
    public ColumnCategory Category => ColumnCategory.Custom;

    /// <inheritdoc/>
    public int PriorityInCategory => 0;

    /// <inheritdoc/>
    public bool IsNumeric => true;

    /// <inheritdoc/>
    public UnitType UnitType => UnitType.Dimensionless;

    /// <inheritdoc/>
    public string Legend => "Billions of floating-point operations per second, 2mnk / median";

    /// <inheritdoc/>
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    /// <inheritdoc/>
    public bool IsAvailable(Summary summary) => true;

    /// <inheritdoc/>
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    /// <inheritdoc/>
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        double gflops = Gflops(summary, benchmarkCase);
        return double.IsNaN(gflops) ? "-" : gflops.ToString("F1", System.Globalization.CultureInfo.InvariantCulture);
    }

    internal static double Gflops(Summary summary, BenchmarkCase benchmarkCase)
    {
        double? median = summary[benchmarkCase]?.ResultStatistics?.Median;
        return median is > 0 && benchmarkCase.Parameters["Shape"] is GemmShape shape ? shape.Flops / median.Value : double.NaN;
    }
}

/// <summary>Our GFLOPS over OpenBLAS's for the same shape and thread count, measured in the same run.</summary>
public sealed class RatioToOpenBlasColumn : IColumn
{
    /// <inheritdoc/>
    public string Id => "VsOpenBLAS";

    /// <inheritdoc/>
    public string ColumnName => "vs OpenBLAS";

    /// <inheritdoc/>
    public bool AlwaysShow => true;

    /// <inheritdoc/>
    public ColumnCategory Category => ColumnCategory.Custom;

    /// <inheritdoc/>
    public int PriorityInCategory => 1;

    /// <inheritdoc/>
    public bool IsNumeric => true;

    /// <inheritdoc/>
    public UnitType UnitType => UnitType.Dimensionless;

    /// <inheritdoc/>
    public string Legend => "GFLOPS of this row over OpenBLAS's GFLOPS for the same Shape and Threads (same run)";

    /// <inheritdoc/>
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    /// <inheritdoc/>
    public bool IsAvailable(Summary summary) => true;

    /// <inheritdoc/>
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    /// <inheritdoc/>
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        BenchmarkCase? baseline = summary.BenchmarksCases.FirstOrDefault(other =>
            Equals(other.Parameters["Library"], GemmLibrary.OpenBlas)
            && Equals(other.Parameters["Shape"], benchmarkCase.Parameters["Shape"])
            && Equals(other.Parameters["Threads"], benchmarkCase.Parameters["Threads"]));
        if (baseline is null)
        {
            return "-";
        }

        double ratio = GflopsColumn.Gflops(summary, benchmarkCase) / GflopsColumn.Gflops(summary, baseline);
        return double.IsNaN(ratio) ? "-" : ratio.ToString("P1", System.Globalization.CultureInfo.InvariantCulture);
    }
}
