using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using NeuralNet.Models;

namespace NeuralNet.Benchmarks;

/// <summary>
/// The first training epoch of a fresh process (E4.3 CNN, 12,800 images at batch 128, as
/// <see cref="RegressionBenchmarks.CnnEpoch"/> measures warm): every launch is a new process that builds the model and
/// times one <c>Fit</c> epoch, nothing run before it, so just-in-time compilation and tiering are inside the measurement.
/// Against the earlier commit as in <see cref="PreviousCommitConfig"/>. Run together with the warm epoch:
/// <c>--filter '*FirstEpochBenchmarks*' '*RegressionBenchmarks.CnnEpoch*'</c>; the ratio of the two medians is the first
/// epoch's cost over a steady one.
/// </summary>
[Config(typeof(ColdStartConfig))]
public class FirstEpochBenchmarks
{
    private Sequential _cnn = null!;
    private Tensor _x = null!;
    private Tensor _y = null!;

    [GlobalSetup]
    public void Setup()
    {
        _cnn = ConvTrainStepBenchmarks.Model();
        (_x, _y) = ConvTrainStepBenchmarks.Batch(12_800, seed: 2);
    }

    [Benchmark]
    public int CnnFirstEpoch() => _cnn.Fit(_x, _y, epochs: 1, batchSize: 128, verbose: 0, seed: 1).EpochCount;

    /// <summary>Cold-start jobs: eight processes per build, one unwarmed invocation each.</summary>
    public sealed class ColdStartConfig : ManualConfig
    {
        public ColdStartConfig()
        {
            PreviousCommitConfig.AddBeforeAndChange(
                this, Job.Default.WithStrategy(RunStrategy.ColdStart).WithLaunchCount(8).WithWarmupCount(0).WithIterationCount(1).WithInvocationCount(1).WithUnrollFactor(1));
            AddColumn(StatisticColumn.Median, StatisticColumn.Min, StatisticColumn.Max);
        }
    }
}
