using BenchmarkDotNet.Attributes;
using NeuralNet.Layers;

namespace NeuralNet.Benchmarks;

/// <summary>
/// One training step of <c>BatchNormalization</c> alone (forward with the batch's statistics, then backward) at batch
/// 128, for grayscale MNIST (28, 28, 1), an RGB image (28, 28, 3) and a feature map of 64 channels: the few-channel
/// shapes that ran one scalar chain per channel before session 41. Public API only, so that the same source builds
/// against an earlier commit (<see cref="PreviousCommitConfig"/>); returns a BCL type.
/// </summary>
[Config(typeof(PreviousCommitConfig))]
public class BatchNormStepBenchmarks
{
    private BatchNormalization _layer = null!;
    private Tensor _x = null!;
    private Tensor _gradient = null!;

    [Params(1, 3, 64)]
    public int Channels { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var shape = new TensorShape(28, 28, Channels);
        _layer = new BatchNormalization();
        _layer.Build(shape);
        _x = Tensor.RandomNormal(new TensorShape(128, 28, 28, Channels), seed: 1);
        _gradient = Tensor.RandomNormal(new TensorShape(128, 28, 28, Channels), seed: 2);
        _layer.Forward(_x, training: true);
        _layer.Backward(_gradient);
    }

    [Benchmark]
    public float TrainStep()
    {
        Tensor y = _layer.Forward(_x, training: true);
        return _layer.Backward(_gradient).AsReadOnlySpan()[0] + y.AsReadOnlySpan()[0];
    }
}
