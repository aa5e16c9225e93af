using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Training;

namespace NeuralNet.Benchmarks;

/// <summary>The E4.1-style network (784-512 ReLU-10 softmax, Adam, categorical cross-entropy) on seeded random "images".</summary>
internal static class DenseBenchmarkData
{
    public static Sequential Model()
    {
        var model = new Sequential([
            new InputLayer(784),
            new Dense(512, ActivationFunction.Relu),
            new Dense(10, ActivationFunction.Softmax),
        ], seed: 1);
        model.Compile(new Adam(), new CategoricalCrossEntropy(), new Accuracy());
        return model;
    }

    public static (Tensor X, Tensor Y) Images(int samples, long seed)
    {
        Tensor x = Tensor.RandomUniform(new TensorShape(samples, 784), seed);
        var y = new Tensor(samples, 10);
        var random = new SeededRandom(seed + 1);
        for (int i = 0; i < samples; i++)
        {
            y[i, random.NextInt(10)] = 1f;
        }

        return (x, y);
    }
}
