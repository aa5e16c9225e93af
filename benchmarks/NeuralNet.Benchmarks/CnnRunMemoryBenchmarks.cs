using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using NeuralNet.Models;

namespace NeuralNet.Benchmarks;

/// <summary>
/// The E4.3 CNN's whole run as the experiments make it, on data of MNIST's size (60,000 training and 10,000 test images
/// of 28 x 28): an epoch at batch 128, then <c>Evaluate</c> of the test images at batch 1000; and that Evaluate alone.
/// Each case runs in a process of its own, which prints its peak working set when it ends ("// peak working set" in the
/// log). Public API only, so the same source builds against an earlier commit (the "before" job).
/// </summary>
[Config(typeof(Config))]
public class CnnRunMemoryBenchmarks
{
    private Sequential _cnn = null!;
    private Tensor _trainX = null!;
    private Tensor _trainY = null!;
    private Tensor _testX = null!;
    private Tensor _testY = null!;

    [GlobalSetup]
    public void Setup()
    {
        _cnn = ConvTrainStepBenchmarks.Model();
        (_trainX, _trainY) = ConvTrainStepBenchmarks.Batch(60_000, seed: 2);
        (_testX, _testY) = ConvTrainStepBenchmarks.Batch(10_000, seed: 3);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        using var process = Process.GetCurrentProcess();
        Console.WriteLine($"// peak working set: {process.PeakWorkingSet64 / (1024.0 * 1024.0):F0} MiB");
    }

    [Benchmark]
    public double EpochThenEvaluateAtBatch1000()
    {
        _cnn.Fit(_trainX, _trainY, epochs: 1, batchSize: 128, verbose: 0, seed: 1);
        return _cnn.Evaluate(_testX, _testY, batchSize: 1000, verbose: 0)["loss"];
    }

    [Benchmark]
    public double EvaluateAtBatch1000() => _cnn.Evaluate(_testX, _testY, batchSize: 1000, verbose: 0)["loss"];

    private sealed class Config : ManualConfig
    {
        public Config()
        {
            Job current = Job.Default.WithLaunchCount(1).WithWarmupCount(1).WithIterationCount(3).WithInvocationCount(1).WithUnrollFactor(1).WithId("change");
            string? baseline = Environment.GetEnvironmentVariable("NEURALNET_BASELINE");
            if (!string.IsNullOrEmpty(baseline))
            {
                AddJob(current.WithArguments([new MsBuildArgument($"/p:NeuralNetBaseline={baseline}")]).WithId("before").AsBaseline());
            }

            AddJob(current);
            AddDiagnoser(MemoryDiagnoser.Default);
            AddColumn(StatisticColumn.Median, StatisticColumn.Min, StatisticColumn.Max);
        }
    }
}
