using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Training;

namespace NeuralNet.Tests.Models;

/// <summary>Small seeded datasets and models shared by the model and training tests.</summary>
internal static class ModelTestData
{
    public static (Tensor X, Tensor Y) Xor() => (
        Tensor.FromArray([0, 0, 0, 1, 1, 0, 1, 1], 4, 2),
        Tensor.FromArray([1, 0, 0, 1, 0, 1, 1, 0], 4, 2));

    /// <summary>Two interleaved spirals (1.5 turns each), one-hot labels, samples alternating between classes.</summary>
    public static (Tensor X, Tensor Y) TwoSpirals(int perClass)
    {
        var x = new Tensor(2 * perClass, 2);
        var y = new Tensor(2 * perClass, 2);
        for (int i = 0; i < perClass; i++)
        {
            double t = (double)i / perClass;
            double angle = 3 * Math.PI * t;
            double radius = 0.1 + t;
            for (int c = 0; c < 2; c++)
            {
                int row = (2 * i) + c;
                double sign = c == 0 ? 1 : -1;
                x[row, 0] = (float)(sign * radius * Math.Cos(angle));
                x[row, 1] = (float)(sign * radius * Math.Sin(angle));
                y[row, c] = 1f;
            }
        }

        return (x, y);
    }

    /// <summary>Random inputs in [0, 1) and one-hot labels of <paramref name="classes"/> classes.</summary>
    public static (Tensor X, Tensor Y) RandomClassification(int samples, int features, int classes, long seed)
    {
        Tensor x = Tensor.RandomUniform(new TensorShape(samples, features), seed);
        var y = new Tensor(samples, classes);
        var random = new SeededRandom(seed + 1);
        for (int i = 0; i < samples; i++)
        {
            y[i, random.NextInt(classes)] = 1f;
        }

        return (x, y);
    }

    public static Sequential SmallClassifier(int features, int classes, long seed = 0, bool dropout = false)
    {
        var layers = new List<Layer> { new InputLayer(features), new Dense(16, ActivationFunction.Relu) };
        if (dropout)
        {
            layers.Add(new Dropout(0.25));
        }

        layers.Add(new Dense(classes, ActivationFunction.Softmax));
        var model = new Sequential(layers, seed: seed);
        model.Compile(new Adam(0.01f), new CategoricalCrossEntropy(), new Accuracy());
        return model;
    }

    public static bool BitIdentical(IReadOnlyList<Tensor> a, IReadOnlyList<Tensor> b)
    {
        if (a.Count != b.Count)
        {
            return false;
        }

        for (int i = 0; i < a.Count; i++)
        {
            if (!a[i].AsReadOnlySpan().SequenceEqual(b[i].AsReadOnlySpan()))
            {
                return false;
            }
        }

        return true;
    }
}
