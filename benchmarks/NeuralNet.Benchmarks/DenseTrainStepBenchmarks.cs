using BenchmarkDotNet.Attributes;
using NeuralNet.Models;

namespace NeuralNet.Benchmarks;

/// <summary>
/// One training step (forward, fused softmax-CE gradient, backward, Adam update) of 784-512-10 at batch 128.
/// Target: 0 bytes allocated per step. The Adam update alone, on the same model in the same run, shows the
/// optimizer's share of the step.
/// </summary>
[MemoryDiagnoser]
public class DenseTrainStepBenchmarks
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

    // The optimizer's share of a training step. In training the backward pass has just written every gradient; here
    // each is marked as written the same way (a discarded gradient would otherwise be cleared on the step's read,
    // a pass that training never makes).
    [Benchmark]
    public void AdamStep()
    {
        IReadOnlyList<Parameter> parameters = _model.Parameters;
        for (int i = 0; i < parameters.Count; i++)
        {
            parameters[i].GradientForProduct(out _);
        }

        _model.Optimizer!.Step(parameters);
    }
}
