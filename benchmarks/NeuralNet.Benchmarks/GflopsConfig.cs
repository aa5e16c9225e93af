using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace NeuralNet.Benchmarks;

/// <summary>
/// A suite whose benchmarks each do a known number of floating-point operations in matrix products, some of them paired
/// with a baseline benchmark that runs the same GEMM shapes through <c>Gemm.Multiply</c> alone.
/// </summary>
public interface IGflopsSuite
{
    /// <summary>Floating-point operations of the products one call of <paramref name="method"/> makes (2 per multiply-add), or 0 for none.</summary>
    static abstract double FlopsOf(string method);

    /// <summary>The benchmark that runs the same GEMM shapes as <paramref name="method"/>, or null.</summary>
    static abstract string? GemmBaselineOf(string method);
}

/// <summary>
/// Short jobs (the machine is shared and noisy; the same as <see cref="ConvConfig"/>), the median, a GFLOPS column from
/// the median and a "vs GEMM" column: this benchmark's GFLOPS over its GEMM baseline's, measured in the same run.
/// </summary>
/// <typeparam name="TSuite">The suite, which gives each benchmark's FLOPs and baseline.</typeparam>
public sealed class GflopsConfig<TSuite> : ManualConfig
    where TSuite : IGflopsSuite
{
    /// <summary>Initializes a new instance of the <see cref="GflopsConfig{TSuite}"/> class.</summary>
    public GflopsConfig()
    {
        AddJob(Job.Default.WithWarmupCount(3).WithIterationCount(10).WithInvocationCount(8).WithUnrollFactor(1));
        AddColumn(StatisticColumn.Median, new GflopsColumn(false), new GflopsColumn(true));
        WithOrderer(new BenchmarkDotNet.Order.DefaultOrderer(BenchmarkDotNet.Order.SummaryOrderPolicy.Declared));
    }

    private static double? Gflops(Summary summary, BenchmarkCase benchmarkCase)
    {
        double flops = TSuite.FlopsOf(benchmarkCase.Descriptor.WorkloadMethod.Name);
        return flops > 0 && summary[benchmarkCase]?.ResultStatistics is { } stats ? flops / stats.Median : null;
    }

    private sealed class GflopsColumn(bool ratio) : IColumn
    {
        public string Id => ratio ? "VsGemmColumn" : "GflopsColumn";

        public string ColumnName => ratio ? "vs GEMM" : "GFLOPS";

        public bool AlwaysShow => true;

        public ColumnCategory Category => ColumnCategory.Custom;

        public int PriorityInCategory => ratio ? 1 : 0;

        public bool IsNumeric => true;

        public UnitType UnitType => UnitType.Dimensionless;

        public string Legend => ratio
            ? "GFLOPS over the GFLOPS of the benchmark that runs the same GEMM shapes through Gemm.Multiply, same run"
            : "Floating-point operations of the matrix products (2 per multiply-add, forward + backward) per second, from the median time";

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            if (Gflops(summary, benchmarkCase) is not double gflops)
            {
                return "-";
            }

            if (!ratio)
            {
                return gflops.ToString("F1", CultureInfo.InvariantCulture);
            }

            string? baseline = TSuite.GemmBaselineOf(benchmarkCase.Descriptor.WorkloadMethod.Name);
            BenchmarkCase? other = baseline is null ? null : summary.BenchmarksCases.FirstOrDefault(c => c.Descriptor.WorkloadMethod.Name == baseline);
            return other is not null && Gflops(summary, other) is double reference
                ? (gflops / reference).ToString("P0", CultureInfo.InvariantCulture)
                : "-";
        }

        public bool IsAvailable(Summary summary) => true;

        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    }
}
