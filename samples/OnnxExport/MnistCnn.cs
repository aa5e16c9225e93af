using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Models;

namespace NeuralNet.Samples.Onnx;

/// <summary>The MNIST CNN of the experiments (E4.3), with batch normalization so that the export carries moving statistics too.</summary>
internal static class MnistCnn
{
    public static Sequential Build(long seed = 42)
    {
        var model = new Sequential(name: "mnist_cnn", seed: seed);
        model.Add(new InputLayer(new TensorShape(28, 28, 1), name: "image"));
        model.Add(new Conv2D(32, 3, activation: ActivationFunction.Relu));
        model.Add(new MaxPooling2D(2));
        model.Add(new Conv2D(64, 3, padding: Padding.Same, useBias: false));
        model.Add(new BatchNormalization());
        model.Add(new Activation(ActivationFunction.Relu));
        model.Add(new MaxPooling2D(2));
        model.Add(new Flatten());
        model.Add(new Dropout(0.5));
        model.Add(new Dense(10, ActivationFunction.Softmax, name: "digit"));
        return model;
    }
}
