#if !NEURALNET_BASELINE
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using NeuralNet.Models;

namespace NeuralNet.Benchmarks;

/// <summary>
/// The latency of each single call of <c>Predict(row, destination)</c> on the 784-512-10 MLP (one invocation per
/// iteration, 3,000 iterations), for the median and the tail (P95, P99 columns): what a served request waits. The
/// baseline is a fixed chain of 8,000 dependent multiply-adds in registers on one thread, which takes about as long as
/// the median prediction and touches no memory: its tail is the machine's own (timer interrupts, the hypervisor),
/// not the library's. The "per-call" job forces a full garbage collection between calls, as
/// BenchmarkDotNet does by default (the caches are cold and the worker thread asleep at every call); "per-call-no-gc"
/// does not, which is closer to a server answering requests back to back.
/// </summary>
[Config(typeof(LatencyConfig))]
public class SingleSampleLatencyBenchmarks
{
    private Sequential _model = null!;
    private Tensor _row = null!;
    private Tensor _destination = null!;
    private float _chainStart = 0.5f;

    [GlobalSetup]
    public void Setup()
    {
        _model = DenseBenchmarkData.Model();
        (_row, _) = DenseBenchmarkData.Images(1, seed: 4);
        _destination = new Tensor(1, 10);
        _model.Predict(_row, _destination);
    }

    [Benchmark(Baseline = true)]
    public float FixedWork()
    {
        float x = _chainStart;
        for (int i = 0; i < 8_000; i++)
        {
            x = MathF.FusedMultiplyAdd(x, 0.999f, 0.001f);
        }

        return x;
    }

    [Benchmark]
    public int PredictOneRowIntoDestination()
    {
        _model.Predict(_row, _destination);
        return _destination.Length;
    }

    private sealed class LatencyConfig : ManualConfig
    {
        public LatencyConfig()
        {
            AddJob(Job.Default.WithStrategy(RunStrategy.Monitoring).WithLaunchCount(1).WithWarmupCount(200)
                .WithIterationCount(3000).WithInvocationCount(1).WithUnrollFactor(1).WithId("per-call"));
            AddJob(Job.Default.WithStrategy(RunStrategy.Monitoring).WithLaunchCount(1).WithWarmupCount(200)
                .WithIterationCount(3000).WithInvocationCount(1).WithUnrollFactor(1).WithGcForce(false).WithId("per-call-no-gc"));
            AddColumn(StatisticColumn.Median, StatisticColumn.P95, new P99Column(), StatisticColumn.Max);
        }
    }

    private sealed class P99Column : IColumn
    {
        public string Id => "P99";

        public string ColumnName => "P99";

        public bool AlwaysShow => true;

        public ColumnCategory Category => ColumnCategory.Statistics;

        public int PriorityInCategory => 0;

        public bool IsNumeric => true;

        public UnitType UnitType => UnitType.Time;

        public string Legend => "99th percentile of the per-call times";

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            double? nanoseconds = summary[benchmarkCase]?.ResultStatistics?.Percentiles.Percentile(99);
            return nanoseconds is double ns ? $"{ns / 1000:F2} us" : "-";
        }

        public bool IsAvailable(Summary summary) => true;

        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    }
}
#endif
