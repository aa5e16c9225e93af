using BenchmarkDotNet.Attributes;
using NeuralNet.Models;

namespace NeuralNet.Benchmarks;

/// <summary>Predict of 10,000 random 784-pixel images with 784-512-10, at Keras' default batch size 32 and at 256.</summary>
[MemoryDiagnoser]
public class DensePredictBenchmarks
{
    private Sequential _model = null!;
    private Tensor _x = null!;

    [Params(32, 256)]
    public int BatchSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _model = DenseBenchmarkData.Model();
        (_x, _) = DenseBenchmarkData.Images(10_000, seed: 4);
        _model.Predict(_x, BatchSize);
    }

    [Benchmark]
    public Tensor Predict() => _model.Predict(_x, BatchSize);
}
