using NeuralNet.Activations;
using NeuralNet.Datasets;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Training;

namespace NeuralNet.Samples.DigitServer;

/// <summary>The quick model the server trains when it is given none: the README's 784-512-10 MLP on MNIST.</summary>
internal static class DigitModel
{
    /// <summary>Builds, compiles and trains a 784-<paramref name="hiddenUnits"/>-10 MLP (ReLU, softmax, Adam).</summary>
    /// <param name="train">Training images (n, 784) in [0, 1] with their labels.</param>
    /// <param name="hiddenUnits">Units of the hidden layer.</param>
    /// <param name="epochs">Passes over <paramref name="train"/>.</param>
    /// <param name="seed">Seed of the weights and the shuffling: same seed, same model.</param>
    /// <param name="output">Where Fit writes one line per epoch; null for silence.</param>
    /// <returns>The trained model.</returns>
    public static Sequential Train(LabeledDataset train, int hiddenUnits = 512, int epochs = 1, long seed = 42, TextWriter? output = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        var model = new Sequential(seed: seed);
        model.Add(new InputLayer(PixelRequest.PixelCount));
        model.Add(new Dense(hiddenUnits, ActivationFunction.Relu));
        model.Add(new Dense(10, ActivationFunction.Softmax));
        model.Compile(new Adam(), new CategoricalCrossEntropy(), new Accuracy());
        model.Fit(train.Features, train.OneHotLabels(), epochs: epochs, batchSize: 128, seed: seed,
            verbose: output is null ? 0 : 2, output: output);
        return model;
    }
}
