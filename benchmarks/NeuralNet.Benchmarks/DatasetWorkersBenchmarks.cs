#if !NEURALNET_BASELINE
using BenchmarkDotNet.Attributes;
using NeuralNet.Datasets;
using NeuralNet.Models;

namespace NeuralNet.Benchmarks;

/// <summary>
/// Fit on a <see cref="BatchDataset"/> whose batches wait 12 ms each for their data (a file or the network; about three
/// training steps of this 784-512-10 model at batch 256 on the 2-core machine; 60 steps): one worker (Keras' default)
/// against three (<c>workers: 3</c>). With one, the epoch takes the waiting's time; with three, the calls overlap and
/// the epoch should come near the training's own time. The wait is a constant, not measured per run, so every case of
/// a run (each in its own process) waits the same.
/// </summary>
[SimpleJob(warmupCount: 2, iterationCount: 10)]
public class DatasetWorkersBenchmarks
{
    private const int Steps = 60;
    private const int BatchSize = 256;

    private Sequential _model = null!;
    private Tensor _x = null!;
    private Tensor _y = null!;
    private static readonly TimeSpan Wait = TimeSpan.FromMilliseconds(12);

    [GlobalSetup]
    public void Setup()
    {
        _model = DenseBenchmarkData.Model();
        (_x, _y) = DenseBenchmarkData.Images(Steps * BatchSize, seed: 3);
        _model.Fit(_x, _y, epochs: 1, batchSize: BatchSize, verbose: 0, shuffle: false);
    }

    [Benchmark(Baseline = true)]
    public int OneWorker() => _model.Fit(new WaitingSource(_x, _y, Wait, workers: 1), epochs: 1, shuffle: false, verbose: 0).EpochCount;

    [Benchmark]
    public int ThreeWorkers() => _model.Fit(new WaitingSource(_x, _y, Wait, workers: 3), epochs: 1, shuffle: false, verbose: 0).EpochCount;

    [Benchmark]
    public int TrainingOnly() => _model.Fit(_x, _y, epochs: 1, batchSize: BatchSize, verbose: 0, shuffle: false).EpochCount;

    // Batch i is a slice of the tensors, handed out after waiting.
    private sealed class WaitingSource(Tensor x, Tensor y, TimeSpan wait, int workers) : BatchDataset(workers)
    {
        public override int BatchCount => x.Shape[0] / BatchSize;

        public override DataBatch GetBatch(int index)
        {
            Thread.Sleep(wait);
            return new DataBatch(x.Slice(index * BatchSize, BatchSize), y.Slice(index * BatchSize, BatchSize));
        }
    }
}
#endif
