#if !NEURALNET_BASELINE
using BenchmarkDotNet.Attributes;
using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Training;

namespace NeuralNet.Benchmarks;

/// <summary>
/// One full epoch of <c>Fit</c> of samples/Sequences' model (LSTM(128) over 28 steps of 28 features, Dense(10) softmax,
/// Adam, batch 128: 469 steps) on 60,000 random MNIST-sized sequences: the figure the sequences issue's epoch target
/// refers to (TorchSharp's nn.LSTM: 31-35 s per epoch on the reference machine, measured outside this repository).
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
[SimpleJob(launchCount: 1, warmupCount: 1, iterationCount: 5)]
public class LstmEpochBenchmarks
{
    private Sequential _model = null!;
    private Tensor _x = null!;
    private Tensor _y = null!;

    [GlobalSetup]
    public void Setup()
    {
        _model = new Sequential(seed: 42);
        _model.Add(new InputLayer(28, 28));
        _model.Add(new Lstm(128));
        _model.Add(new Dense(10, ActivationFunction.Softmax));
        _model.Compile(new Adam(0.003f), new CategoricalCrossEntropy(), new Accuracy());
        (Tensor images, _y) = DenseBenchmarkData.Images(60_000, seed: 3);
        _x = images.Reshape(60_000, 28, 28);
    }

    [Benchmark]
    public int Epoch() => _model.Fit(_x, _y, epochs: 1, batchSize: 128, verbose: 0, seed: 1).EpochCount;
}
#endif
