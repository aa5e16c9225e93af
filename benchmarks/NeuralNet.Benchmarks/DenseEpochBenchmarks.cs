using BenchmarkDotNet.Attributes;
using NeuralNet.Models;

namespace NeuralNet.Benchmarks;

/// <summary>
/// One full epoch of <c>Fit</c> over 60,000 random 784-pixel images at batch 128 (469 steps, shuffled, silent), the
/// figure issue #4's epoch-time target refers to (TorchSharp: 1.23 s on the reference machine).
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
[SimpleJob(launchCount: 1, warmupCount: 1, iterationCount: 5)]
public class DenseEpochBenchmarks
{
    private Sequential _model = null!;
    private Tensor _x = null!;
    private Tensor _y = null!;

    [GlobalSetup]
    public void Setup()
    {
        _model = DenseBenchmarkData.Model();
        (_x, _y) = DenseBenchmarkData.Images(60_000, seed: 3);
    }

    [Benchmark]
    public int Epoch() => _model.Fit(_x, _y, epochs: 1, batchSize: 128, verbose: 0, seed: 1).EpochCount;
}
