using NeuralNet.Activations;
using NeuralNet.Initializers;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Training;

namespace NeuralNet.Experiments;

/// <summary>Model builders shared by the experiments.</summary>
internal static class ModelZoo
{
    /// <summary>A multi-layer perceptron on flattened MNIST: 784 -> hidden... -> 10 softmax.</summary>
    public static Sequential Mlp(long seed, IReadOnlyList<int> hidden, ActivationFunction? hiddenActivation,
        Func<int, int, Initializer>? kernelInitializer = null, Func<int, int, Initializer>? biasInitializer = null,
        double dropout = 0, Func<Regularizers.Regularizer>? kernelRegularizer = null)
    {
        var model = new Sequential(seed: seed);
        model.Add(new InputLayer(784));
        int fanIn = 784;
        foreach (int units in hidden)
        {
            model.Add(new Dense(units, hiddenActivation, kernelInitializer?.Invoke(fanIn, units), biasInitializer?.Invoke(fanIn, units), kernelRegularizer?.Invoke()));
            if (dropout > 0)
            {
                model.Add(new Dropout(dropout));
            }

            fanIn = units;
        }

        model.Add(new Dense(10, ActivationFunction.Softmax, kernelInitializer?.Invoke(fanIn, 10), biasInitializer?.Invoke(fanIn, 10), kernelRegularizer?.Invoke()));
        return model;
    }

    /// <summary>The CNN of the Granada practice (E4.3): two conv/pool blocks, dropout 0.5, softmax.</summary>
    public static Sequential GranadaCnn(long seed)
    {
        var model = new Sequential(seed: seed);
        model.Add(new InputLayer(28, 28, 1));
        model.Add(new Conv2D(32, 3, activation: ActivationFunction.Relu));
        model.Add(new MaxPooling2D(2));
        model.Add(new Conv2D(64, 3, activation: ActivationFunction.Relu));
        model.Add(new MaxPooling2D(2));
        model.Add(new Flatten());
        model.Add(new Dropout(0.5));
        model.Add(new Dense(10, ActivationFunction.Softmax));
        return model;
    }

    /// <summary>Compiles with categorical cross-entropy and accuracy, as every document does.</summary>
    public static Sequential Compiled(this Sequential model, Optimizer optimizer)
    {
        model.Compile(optimizer, new CategoricalCrossEntropy(), new Accuracy());
        return model;
    }

    /// <summary>The optimizers compared by the documents, with Keras' defaults.</summary>
    public static Optimizer Optimizer(string name) => name switch
    {
        "sgd" => new Sgd(),
        "adam" => new Adam(),
        "rmsprop" => new RmsProp(),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "Expected sgd, adam or rmsprop."),
    };

    /// <summary>Weights drawn as randn / sqrt(fan_in), as the NumPy documents initialise them.</summary>
    public static Initializer ScaledNormal(int fanIn, int fanOut) => new RandomNormal(0, 1 / Math.Sqrt(fanIn));
}
