using System.Diagnostics;
using NeuralNet.Activations;
using NeuralNet.Datasets;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Training;

namespace NeuralNet.Samples.Sequences;

/// <summary>MNIST images read as sequences: 28 steps of 28 pixels (one row per step) through an LSTM(128).</summary>
internal static class MnistRows
{
    public static Sequential Build(long seed = 42)
    {
        var model = new Sequential(name: "mnist_rows_lstm", seed: seed);
        model.Add(new InputLayer(new TensorShape(28, 28), name: "rows"));
        model.Add(new Lstm(128));
        model.Add(new Dense(10, ActivationFunction.Softmax, name: "digit"));
        return model;
    }

    public static double Run(MnistData mnist, int epochs)
    {
        Console.WriteLine($"== MNIST rows as sequences: LSTM(128), {epochs} epoch(s) on {mnist.Train.Count} images");
        Sequential model = Build();
        model.Compile(new Adam(0.003f), new CategoricalCrossEntropy(), new Accuracy());
        model.PrintSummary();

        Tensor train = mnist.Train.Features.Reshape(mnist.Train.Count, 28, 28);
        Tensor test = mnist.Test.Features.Reshape(mnist.Test.Count, 28, 28);
        var clock = Stopwatch.StartNew();
        model.Fit(train, mnist.Train.OneHotLabels(), epochs: epochs, batchSize: 128, verbose: 2);
        clock.Stop();
        IReadOnlyDictionary<string, double> result = model.Evaluate(test, mnist.Test.OneHotLabels(), verbose: 0);
        Console.WriteLine($"LSTM over rows: test accuracy {result["accuracy"]:0.0000} (loss {result["loss"]:0.0000}), {clock.Elapsed.TotalSeconds / epochs:0.0} s per epoch");
        return result["accuracy"];
    }
}
