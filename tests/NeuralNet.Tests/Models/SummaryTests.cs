using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using Xunit;

namespace NeuralNet.Tests.Models;

public class SummaryTests
{
    [Fact]
    public void Summary_E31LinearHidden512_MatchesKerasTable()
    {
        var model = new Sequential([
            new InputLayer(784),
            new Dense(512),
            new Dense(10, ActivationFunction.Softmax),
        ]);

        const string expected =
            "Model: \"sequential\"\n" +
            "┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓\n" +
            "┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃\n" +
            "┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩\n" +
            "│ dense (Dense)                   │ (None, 512)            │       401,920 │\n" +
            "├─────────────────────────────────┼────────────────────────┼───────────────┤\n" +
            "│ dense_1 (Dense)                 │ (None, 10)             │         5,130 │\n" +
            "└─────────────────────────────────┴────────────────────────┴───────────────┘\n" +
            " Total params: 407,050 (1.55 MB)\n" +
            " Trainable params: 407,050 (1.55 MB)\n" +
            " Non-trainable params: 0 (0.00 B)\n";
        Assert.Equal(expected, model.Summary());
        Assert.Equal(407_050, model.ParameterCount);
    }

    [Fact]
    public void Summary_E310DropoutNetwork_MatchesKerasTable()
    {
        var model = new Sequential([
            new InputLayer(784),
            new Dense(512, ActivationFunction.Relu),
            new Dropout(0.3),
            new Dense(128, ActivationFunction.Relu),
            new Dropout(0.3),
            new Dense(10, ActivationFunction.Softmax),
        ]);

        const string expected =
            "Model: \"sequential\"\n" +
            "┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓\n" +
            "┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃\n" +
            "┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩\n" +
            "│ dense (Dense)                   │ (None, 512)            │       401,920 │\n" +
            "├─────────────────────────────────┼────────────────────────┼───────────────┤\n" +
            "│ dropout (Dropout)               │ (None, 512)            │             0 │\n" +
            "├─────────────────────────────────┼────────────────────────┼───────────────┤\n" +
            "│ dense_1 (Dense)                 │ (None, 128)            │        65,664 │\n" +
            "├─────────────────────────────────┼────────────────────────┼───────────────┤\n" +
            "│ dropout_1 (Dropout)             │ (None, 128)            │             0 │\n" +
            "├─────────────────────────────────┼────────────────────────┼───────────────┤\n" +
            "│ dense_2 (Dense)                 │ (None, 10)             │         1,290 │\n" +
            "└─────────────────────────────────┴────────────────────────┴───────────────┘\n" +
            " Total params: 468,874 (1.79 MB)\n" +
            " Trainable params: 468,874 (1.79 MB)\n" +
            " Non-trainable params: 0 (0.00 B)\n";
        Assert.Equal(expected, model.Summary());
    }

    [Fact]
    public void Summary_AfterTraining_AddsOptimizerParamsAsKerasDoes()
    {
        // Keras counts the optimizer's variables once built: Adam's two slots per weight plus iterations and learning rate.
        var model = new Sequential([new InputLayer(3), new Dense(2, ActivationFunction.Softmax)]);
        model.Compile(new Adam(), new CategoricalCrossEntropy());
        var x = Tensor.RandomUniform(new TensorShape(4, 3), seed: 1);
        var y = Tensor.FromArray([1, 0, 0, 1, 1, 0, 0, 1], 4, 2);
        model.Fit(x, y, epochs: 1, batchSize: 4, verbose: 0);
        string summary = model.Summary();
        Assert.Contains(" Total params: 26 (108.00 B)\n", summary, StringComparison.Ordinal);
        Assert.Contains(" Trainable params: 8 (32.00 B)\n", summary, StringComparison.Ordinal);
        Assert.EndsWith(" Optimizer params: 18 (76.00 B)\n", summary, StringComparison.Ordinal);
    }

    [Fact]
    public void Summary_UnbuiltModel_ShowsQuestionMarksAndUnbuilt()
    {
        var model = new Sequential([new Dense(4)]);
        string summary = model.Summary();
        Assert.Contains("│ dense (Dense)                   │ ?                      │   0 (unbuilt) │", summary, StringComparison.Ordinal);
    }

    [Fact]
    public void Summary_LongLayerName_WrapsInsideTheCell()
    {
        var model = new Sequential([new InputLayer(4), new Dense(2, name: "a_really_long_dense_layer_name")]);
        string summary = model.Summary();
        Assert.Contains("│ a_really_long_dense_layer_name  │ (None, 2)              │            10 │\n│ (Dense)                         │                        │               │\n", summary, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, "0.00 B")]
    [InlineData(1023, "1023.00 B")]
    [InlineData(1024, "1.00 KB")]
    [InlineData(1_628_200, "1.55 MB")]
    [InlineData(487_720, "476.29 KB")]
    public void ReadableSize_Bytes_FormatsLikeKeras(double bytes, string expected) =>
        Assert.Equal(expected, ModelSummary.ReadableSize(bytes));

    [Fact]
    public void PrintSummary_Writer_WritesTheSummary()
    {
        var model = new Sequential([new InputLayer(2), new Dense(1)], name: "tiny");
        using var writer = new StringWriter();
        model.PrintSummary(writer);
        Assert.Equal(model.Summary(), writer.ToString());
        Assert.StartsWith("Model: \"tiny\"\n", writer.ToString(), StringComparison.Ordinal);
    }
}
