using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Training;
using Xunit;

namespace NeuralNet.Tests.Layers;

// Convolution layers inside a Sequential model: the E4.3 summary and small CNNs learning a toy image task.
public class ConvModelTests
{
    private static Sequential E43(long seed = 0) => new(
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

    [Fact]
    public void Summary_E43Cnn_MatchesKerasTable()
    {
        Sequential model = E43();

        const string expected =
            "Model: \"sequential\"\n" +
            "┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓\n" +
            "┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃\n" +
            "┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩\n" +
            "│ conv2d (Conv2D)                 │ (None, 26, 26, 32)     │           320 │\n" +
            "├─────────────────────────────────┼────────────────────────┼───────────────┤\n" +
            "│ max_pooling2d (MaxPooling2D)    │ (None, 13, 13, 32)     │             0 │\n" +
            "├─────────────────────────────────┼────────────────────────┼───────────────┤\n" +
            "│ conv2d_1 (Conv2D)               │ (None, 11, 11, 64)     │        18,496 │\n" +
            "├─────────────────────────────────┼────────────────────────┼───────────────┤\n" +
            "│ max_pooling2d_1 (MaxPooling2D)  │ (None, 5, 5, 64)       │             0 │\n" +
            "├─────────────────────────────────┼────────────────────────┼───────────────┤\n" +
            "│ flatten (Flatten)               │ (None, 1600)           │             0 │\n" +
            "├─────────────────────────────────┼────────────────────────┼───────────────┤\n" +
            "│ dropout (Dropout)               │ (None, 1600)           │             0 │\n" +
            "├─────────────────────────────────┼────────────────────────┼───────────────┤\n" +
            "│ dense (Dense)                   │ (None, 10)             │        16,010 │\n" +
            "└─────────────────────────────────┴────────────────────────┴───────────────┘\n" +
            " Total params: 34,826 (136.04 KB)\n" +
            " Trainable params: 34,826 (136.04 KB)\n" +
            " Non-trainable params: 0 (0.00 B)\n";
        Assert.Equal(expected, model.Summary());
    }

    [Fact]
    public void Summary_BatchNormalization_CountsMovingStatisticsAsNonTrainable()
    {
        var model = new Sequential([new InputLayer(8, 8, 1), new Conv2D(4, 3), new BatchNormalization(), new GlobalAveragePooling2D(), new Dense(2)]);

        string summary = model.Summary();

        Assert.Contains("batch_normalization", summary, StringComparison.Ordinal);
        Assert.Contains("(BatchNormalization)", summary, StringComparison.Ordinal);
        Assert.Contains("global_average_pooling2d", summary, StringComparison.Ordinal);
        Assert.Contains(" Trainable params: 58 ", summary, StringComparison.Ordinal);
        Assert.Contains(" Non-trainable params: 8 ", summary, StringComparison.Ordinal);
    }

    [Fact]
    public void Fit_SmallCnnOnToyImages_LearnsToHundredPercent()
    {
        (Tensor x, Tensor y) = ToyImages(96, seed: 3);
        var model = new Sequential(
            [
                new InputLayer(8, 8, 1),
                new Conv2D(8, 3, activation: ActivationFunction.Relu),
                new MaxPooling2D(2),
                new Flatten(),
                new Dense(3, ActivationFunction.Softmax),
            ],
            seed: 7);
        model.Compile(new Adam(0.01f), new CategoricalCrossEntropy(), new Accuracy());

        model.Fit(x, y, epochs: 60, batchSize: 16, verbose: 0, seed: 1);

        Assert.Equal(1.0, model.Evaluate(x, y, verbose: 0)["accuracy"]);
    }

    [Fact]
    public void Fit_CnnWithBatchNormalizationAndGlobalPooling_LearnsToHundredPercent()
    {
        (Tensor x, Tensor y) = ToyImages(96, seed: 4);
        var model = new Sequential(
            [
                new InputLayer(8, 8, 1),
                new Conv2D(8, 3, padding: Padding.Same),
                new BatchNormalization(momentum: 0.9f),
                new Activation(ActivationFunction.Relu),
                new AveragePooling2D(2),
                new Conv2D(12, 3, activation: ActivationFunction.Relu),
                new GlobalAveragePooling2D(),
                new Dense(3, ActivationFunction.Softmax),
            ],
            seed: 11);
        model.Compile(new Adam(0.02f), new CategoricalCrossEntropy(), new Accuracy());

        model.Fit(x, y, epochs: 80, batchSize: 16, verbose: 0, seed: 2);

        Assert.Equal(1.0, model.Evaluate(x, y, verbose: 0)["accuracy"]);
    }

    // 8x8 single-channel images, three classes: a horizontal, vertical or diagonal stroke of length 3 at a random
    // place, on faint uniform noise. Targets one-hot (samples, 3).
    private static (Tensor X, Tensor Y) ToyImages(int samples, long seed)
    {
        var random = new SeededRandom(seed);
        var x = new Tensor(samples, 8, 8, 1);
        var y = new Tensor(samples, 3);
        for (int n = 0; n < samples; n++)
        {
            int label = n % 3;
            for (int i = 0; i < 8; i++)
            {
                for (int j = 0; j < 8; j++)
                {
                    x[n, i, j, 0] = random.NextSingle() * 0.1f;
                }
            }

            int r = random.NextInt(6), c = random.NextInt(6);
            for (int k = 0; k < 3; k++)
            {
                (int dr, int dc) = label switch { 0 => (0, k), 1 => (k, 0), _ => (k, k) };
                x[n, r + dr, c + dc, 0] = 1f;
            }

            y[n, label] = 1f;
        }

        return (x, y);
    }
}
