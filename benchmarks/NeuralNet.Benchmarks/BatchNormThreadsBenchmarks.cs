using BenchmarkDotNet.Attributes;
using NeuralNet.Layers;

namespace NeuralNet.Benchmarks;

/// <summary>
/// One training step of <c>BatchNormalization</c> alone (forward with the batch's statistics, then backward) on
/// (128, 28, 28, 64) with <see cref="Parallelism.MaxDegreeOfParallelism"/> 1 and 2 (session 45: its passes on the
/// worker pool; on one thread they run the single-threaded code of before, one call over the whole input). The
/// results have the same bits in both. Run: <c>dotnet run -c Release --project benchmarks/NeuralNet.Benchmarks -- --filter '*BatchNormThreads*'</c>.
/// </summary>
[Config(typeof(InProcessConfig))]
public class BatchNormThreadsBenchmarks
{
    private BatchNormalization _layer = null!;
    private Tensor _x = null!;
    private Tensor _gradient = null!;
    private int _previous;

    /// <summary>Gets or sets the thread count.</summary>
    [Params(1, 2)]
    public int Threads { get; set; } = 2;

    [GlobalSetup]
    public void Setup()
    {
        _previous = Parallelism.MaxDegreeOfParallelism;
        Parallelism.MaxDegreeOfParallelism = Threads;
        _layer = new BatchNormalization();
        _layer.Build(new TensorShape(28, 28, 64));
        _x = Tensor.RandomNormal(new TensorShape(128, 28, 28, 64), seed: 1);
        _gradient = Tensor.RandomNormal(new TensorShape(128, 28, 28, 64), seed: 2);
        TrainStep();
    }

    [GlobalCleanup]
    public void Cleanup() => Parallelism.MaxDegreeOfParallelism = _previous;

    /// <summary>A steady-state training step.</summary>
    [Benchmark]
    public float TrainStep()
    {
        Tensor y = _layer.Forward(_x, training: true);
        return _layer.Backward(_gradient).AsReadOnlySpan()[0] + y.AsReadOnlySpan()[0];
    }
}
