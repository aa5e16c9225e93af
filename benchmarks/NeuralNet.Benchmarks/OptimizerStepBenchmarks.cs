using BenchmarkDotNet.Attributes;
using NeuralNet.Models;

namespace NeuralNet.Benchmarks;

/// <summary>
/// The share of a 784-512-10 training step spent in the optimizer: one Adam step over the model's 407,050 parameters,
/// next to the whole training step it is part of (same model, same run).
/// </summary>
[MemoryDiagnoser]
public class OptimizerStepBenchmarks
{
    private Sequential _model = null!;
    private Tensor _x = null!;
    private Tensor _y = null!;

    [GlobalSetup]
    public void Setup()
    {
        _model = DenseBenchmarkData.Model();
        (_x, _y) = DenseBenchmarkData.Images(128, seed: 2);
        _model.TrainStep(_x, _y);
    }

    [Benchmark(Baseline = true)]
    public float TrainStep() => _model.TrainStep(_x, _y);

    [Benchmark]
    public void AdamStep() => _model.Optimizer!.Step(_model.Parameters);
}
