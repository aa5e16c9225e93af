#if !NEURALNET_BASELINE
using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using NeuralNet.Datasets;
using NeuralNet.Models;

namespace NeuralNet.Benchmarks;

/// <summary>
/// Fit on a data source whose batches take as long to prepare as a training step (784-512-10, batch 256, 60 steps):
/// the preparation alone, the training steps alone (from tensors), and Fit on the source without prefetching (their
/// sum) and with it (at best the longer of the two). The source either waits (input/output, such as reading a file
/// or the network) or computes (decoding, augmentation) for its time; with computing preparation and training on 1
/// thread, the two keep both cores busy. Compare <c>Prefetched</c> with the larger of <c>PreparationOnly</c> and
/// <c>TrainingOnly</c> in the same run.
/// </summary>
[SimpleJob(warmupCount: 2, iterationCount: 10)]
public class PrefetchBenchmarks
{
    private const int Steps = 60;
    private const int BatchSize = 256;

    private Sequential _model = null!;
    private Tensor _x = null!;
    private Tensor _y = null!;
    private SlowSource _source = null!;
    private int _threads;

    /// <summary>How a batch spends its preparation time.</summary>
    public enum Preparation
    {
        /// <summary>Sleeps (input/output).</summary>
        Waiting,

        /// <summary>Computes on the CPU.</summary>
        Computing,
    }

    [Params(Preparation.Waiting, Preparation.Computing)]
    public Preparation Kind { get; set; }

    [Params(1, 2)]
    public int TrainingThreads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _threads = Parallelism.MaxDegreeOfParallelism;
        Parallelism.MaxDegreeOfParallelism = TrainingThreads;
        _model = DenseBenchmarkData.Model();
        (_x, _y) = DenseBenchmarkData.Images(Steps * BatchSize, seed: 3);

        // The preparation time is the measured step time of this model on this machine.
        _model.Fit(_x, _y, epochs: 1, batchSize: BatchSize, verbose: 0, shuffle: false);
        var clock = Stopwatch.StartNew();
        _model.Fit(_x, _y, epochs: 2, batchSize: BatchSize, verbose: 0, shuffle: false);
        TimeSpan step = clock.Elapsed / (2 * Steps);
        _source = new SlowSource(_x, _y, BatchSize, step, Kind == Preparation.Computing);
        Console.WriteLine($"// step {step.TotalMilliseconds:F2} ms; preparation set to the same");
    }

    [GlobalCleanup]
    public void Cleanup() => Parallelism.MaxDegreeOfParallelism = _threads;

    [Benchmark]
    public int PreparationOnly()
    {
        int rows = 0;
        for (int b = 0; b < _source.BatchCount; b++)
        {
            rows += _source.GetBatch(b).X.First().Shape[0];
        }

        return rows;
    }

    [Benchmark]
    public int TrainingOnly() => _model.Fit(_x, _y, epochs: 1, batchSize: BatchSize, verbose: 0, shuffle: false).EpochCount;

    [Benchmark(Baseline = true)]
    public int WithoutPrefetch() => _model.Fit(_source, epochs: 1, shuffle: false, verbose: 0, prefetch: 0).EpochCount;

    [Benchmark]
    public int Prefetched() => _model.Fit(_source, epochs: 1, shuffle: false, verbose: 0, prefetch: 2).EpochCount;

    // Batch i is a slice of the tensors, handed out after `cost` of sleeping or of arithmetic.
    private sealed class SlowSource(Tensor x, Tensor y, int batchSize, TimeSpan cost, bool compute) : BatchDataset
    {
        private readonly float[] _scratch = new float[4096];

        public override int BatchCount => x.Shape[0] / batchSize;

        public override DataBatch GetBatch(int index)
        {
            if (compute)
            {
                long end = Stopwatch.GetTimestamp() + (long)(cost.TotalSeconds * Stopwatch.Frequency);
                while (Stopwatch.GetTimestamp() < end)
                {
                    for (int i = 0; i < _scratch.Length; i++)
                    {
                        _scratch[i] = (_scratch[i] * 0.999f) + 1f;
                    }
                }
            }
            else
            {
                Thread.Sleep(cost);
            }

            return new DataBatch(x.Slice(index * batchSize, batchSize), y.Slice(index * batchSize, batchSize));
        }
    }
}
#endif
