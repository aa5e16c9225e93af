using NeuralNet.Activations;
using NeuralNet.Initializers;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Regularizers;
using NeuralNet.Training;

namespace NeuralNet.Tests.Serialization;

/// <summary>Small seeded datasets and models for the serialization tests.</summary>
internal static class ModelTestData
{
    /// <summary>(samples, features) inputs and one-hot targets of a seeded linear rule with <paramref name="classes"/> classes.</summary>
    public static (Tensor X, Tensor Y) Classification(int samples, int features, int classes, long seed)
    {
        var x = Tensor.RandomNormal(new TensorShape(samples, features), seed);
        var w = Tensor.RandomNormal(new TensorShape(features, classes), seed + 1);
        var y = new Tensor(samples, classes);
        for (int i = 0; i < samples; i++)
        {
            int best = 0;
            double bestScore = double.NegativeInfinity;
            for (int c = 0; c < classes; c++)
            {
                double score = 0;
                for (int f = 0; f < features; f++)
                {
                    score += x[i, f] * w[f, c];
                }

                if (score > bestScore)
                {
                    bestScore = score;
                    best = c;
                }
            }

            y.AsSpan()[(i * classes) + best] = 1f;
        }

        return (x, y);
    }

    /// <summary>A dense model exercising every dense-side layer type, activation and component the format describes.</summary>
    public static Sequential DenseModel(long seed = 3, Optimizer? optimizer = null) => Compiled(
        new Sequential(
        [
            new InputLayer(8),
            new Dense(16, ActivationFunction.Relu, kernelInitializer: new HeNormal(5), kernelRegularizer: new L2(1e-3)),
            new Dropout(0.25),
            new Dense(12, new LeakyRelu(0.1f), biasInitializer: new Constant(0.1f), biasRegularizer: new L1L2(1e-4, 2e-4)),
            new Activation(ActivationFunction.Tanh),
            new Dense(10, new Elu(0.5f), kernelInitializer: new RandomNormal(0, 0.1, 9), useBias: false, kernelRegularizer: new L1(1e-5)),
            new Dense(3, ActivationFunction.Softmax, kernelInitializer: new GlorotNormal()),
        ],
        name: "dense_net",
        seed: seed),
        optimizer ?? new Adam(0.01f));

    /// <summary>A small CNN with every convolution-side layer type.</summary>
    public static Sequential ConvModel(long seed) => Compiled(
        new Sequential(
        [
            new InputLayer(8, 8, 1),
            new Conv2D(4, 3, activation: ActivationFunction.Relu, kernelRegularizer: new L2(1e-4), biasInitializer: new Constant(0.01f)),
            new BatchNormalization(momentum: 0.9f, epsilon: 1e-4f),
            new MaxPooling2D(2),
            new Conv2D(3, (2, 2), strides: (1, 2), padding: Padding.Same, useBias: false, kernelInitializer: new HeUniform(7)),
            new AveragePooling2D((2, 1), strides: (1, 1)),
            new BatchNormalization(center: false),
            new GlobalAveragePooling2D(),
            new Dropout(0.1),
            new Dense(3, ActivationFunction.Softmax),
        ],
        name: "cnn",
        seed: seed),
        new Adam(0.005f));

    public static Sequential Compiled(Sequential model, Optimizer optimizer)
    {
        model.Compile(optimizer, new CategoricalCrossEntropy(), new Accuracy());
        return model;
    }

    public static int[] Bits(Tensor t) => Array.ConvertAll(t.ToArray(), BitConverter.SingleToInt32Bits);

    public static void AssertSameWeights(Sequential expected, Sequential actual)
    {
        var a = expected.GetWeights();
        var b = actual.GetWeights();
        Xunit.Assert.Equal(a.Count, b.Count);
        for (int i = 0; i < a.Count; i++)
        {
            Xunit.Assert.Equal(a[i].Shape, b[i].Shape);
            Xunit.Assert.True(Bits(a[i]).AsSpan().SequenceEqual(Bits(b[i])), $"weight {i} ({expected.Parameters[i].Name}) differs");
        }
    }
}
