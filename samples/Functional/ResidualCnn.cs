using NeuralNet.Activations;
using NeuralNet.Datasets;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Training;

namespace NeuralNet.Samples.GraphModels;

/// <summary>
/// A small residual CNN for MNIST: two residual blocks (Conv2D, BatchNormalization, ReLU, Conv2D, BatchNormalization,
/// then Add with the block's input), the second after a strided convolution, then a dense classifier.
/// </summary>
internal static class ResidualCnn
{
    public static Functional Build(long seed = 42)
    {
        var image = new Input(new TensorShape(28, 28, 1), name: "image");
        SymbolicTensor x = new Conv2D(32, 3, activation: ActivationFunction.Relu).Call(image);      // 26 x 26 x 32
        x = new MaxPooling2D(2).Call(x);                                                            // 13 x 13 x 32
        x = ResidualBlock(x, 32);
        x = new Conv2D(64, 3, strides: 2, padding: Padding.Same, activation: ActivationFunction.Relu).Call(x);   // 7 x 7 x 64
        x = ResidualBlock(x, 64);
        x = new Flatten().Call(x);
        x = new Dropout(0.3).Call(x);
        SymbolicTensor digit = new Dense(10, ActivationFunction.Softmax, name: "digit").Call(x);
        return new Functional(image, digit, name: "residual_cnn", seed: seed);
    }

    public static void Run(MnistData mnist, int epochs)
    {
        Console.WriteLine($"== Residual CNN, {epochs} epoch(s) on {mnist.Train.Count} images");
        Functional model = Build();
        model.Compile(new Adam(), new CategoricalCrossEntropy(), new Accuracy());
        model.PrintSummary();

        Tensor train = Images(mnist.Train), test = Images(mnist.Test);
        model.Fit(train, mnist.Train.OneHotLabels(), epochs: epochs, batchSize: 128, validationSplit: 0.1, verbose: 2,
            callbacks: [new ReduceLROnPlateau(monitor: "val_loss", factor: 0.3f, patience: 1)]);
        IReadOnlyDictionary<string, double> result = model.Evaluate(test, mnist.Test.OneHotLabels(), verbose: 0);
        Console.WriteLine($"Residual CNN test accuracy: {result["accuracy"]:0.0000} (loss {result["loss"]:0.0000})");
    }

    // y = relu(x + bn(conv(relu(bn(conv(x)))))): the Add is where the gradient of the block's output fans back out.
    private static SymbolicTensor ResidualBlock(SymbolicTensor x, int filters)
    {
        SymbolicTensor y = new Conv2D(filters, 3, padding: Padding.Same, useBias: false).Call(x);
        y = new BatchNormalization().Call(y);
        y = new Activation(ActivationFunction.Relu).Call(y);
        y = new Conv2D(filters, 3, padding: Padding.Same, useBias: false).Call(y);
        y = new BatchNormalization().Call(y);
        return new Activation(ActivationFunction.Relu).Call(new Add().Call(x, y));
    }

    private static Tensor Images(LabeledDataset data) => data.Features.Reshape(data.Count, 28, 28, 1);
}
