using BenchmarkDotNet.Attributes;
using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;

namespace NeuralNet.Benchmarks;

/// <summary>
/// One training step of experiment E4.3 at batch 128 (Conv2D 32 3x3 ReLU, MaxPool 2, Conv2D 64 3x3 ReLU, MaxPool 2,
/// Flatten, Dropout 0.5, Dense 10 softmax; categorical cross-entropy; Adam): forward, fused softmax-CE gradient,
/// backward and the Adam update. An epoch of 60,000 images is 469 steps (468 of 128 and one of 96), so
/// epoch time ~ 469 x this. Target: &lt;= 9 s per epoch on the 2-core machine, 0 bytes allocated per step.
/// Run: <c>dotnet run -c Release --project benchmarks/NeuralNet.Benchmarks -- --filter '*ConvTrainStep*'</c>.
/// </summary>
[MemoryDiagnoser]
public class ConvTrainStepBenchmarks
{
    private Sequential _model = null!;
    private Tensor _x = null!;
    private Tensor _y = null!;

    /// <summary>The E4.3 model, compiled with Adam and categorical cross-entropy.</summary>
    public static Sequential Model(long seed = 1)
    {
        var model = new Sequential(
            [
                new InputLayer(28, 28, 1),
                new Conv2D(32, 3, activation: ActivationFunction.Relu),
                new MaxPooling2D(2),
                new Conv2D(64, 3, activation: ActivationFunction.Relu),
                new MaxPooling2D(2),
                new Flatten(),
                new Dropout(0.5),
                new Dense(10, ActivationFunction.Softmax),
            ],
            seed: seed);
        model.Compile(new Adam(), new CategoricalCrossEntropy());
        return model;
    }

    /// <summary>A batch of random images in [0, 1) with one-hot labels.</summary>
    public static (Tensor X, Tensor Y) Batch(int batch, long seed)
    {
        Tensor x = Tensor.RandomUniform(new TensorShape(batch, 28, 28, 1), seed, 0f, 1f);
        var y = new Tensor(batch, 10);
        for (int i = 0; i < batch; i++)
        {
            y[i, i % 10] = 1f;
        }

        return (x, y);
    }

    [GlobalSetup]
    public void Setup()
    {
        _model = Model();
        (_x, _y) = Batch(128, seed: 2);
        for (int i = 0; i < 3; i++)
        {
            _model.TrainStep(_x, _y);
        }
    }

    [Benchmark]
    public float TrainStep() => _model.TrainStep(_x, _y);
}
