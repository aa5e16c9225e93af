using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Training;
using Xunit;
using static NeuralNet.Tests.Models.FunctionalTests;

namespace NeuralNet.Tests.Models;

// Keras' compile with per-output losses and metrics given as strings: loss={"pair": "categorical_crossentropy", ...},
// metrics={"pair": ["accuracy"]}, and the list form in output order.
public class CompileByNameTests
{
    [Fact]
    public void Compile_LossesAndMetricsByOutputName_TrainAsTheSameLossObjectsBitForBit()
    {
        var (a, b, pair, first) = SiameseData(24, 3);
        Functional byObjects = Siamese(seed: 9), byName = Siamese(seed: 9);
        byObjects.Compile(new Adam(0.01f), [new CategoricalCrossEntropy(), new MeanSquaredError()]);
        byName.Compile(
            new Adam(0.01f),
            new Dictionary<string, string> { ["pair"] = "categorical_crossentropy", ["first"] = "mse" },
            metrics: new Dictionary<string, IReadOnlyList<string>> { ["pair"] = ["accuracy"], ["first"] = ["mae"] });

        History expected = byObjects.Fit([a, b], [pair, first], epochs: 2, batchSize: 8, verbose: 0, seed: 5);
        History history = byName.Fit([a, b], [pair, first], epochs: 2, batchSize: 8, verbose: 0, seed: 5);

        Assert.Equal(expected["loss"], history["loss"]);
        Assert.Equal(Weights(byObjects), Weights(byName));
        // Keras 3 logs a string metric under its identifier, prefixed with the output's name.
        Assert.Equal(["first_loss", "first_mae", "loss", "pair_accuracy", "pair_loss"], history.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Compile_LossesAndMetricsInOutputOrder_TrainAsByName()
    {
        var (a, b, pair, first) = SiameseData(24, 4);
        Functional byList = Siamese(seed: 2), byName = Siamese(seed: 2);
        byList.Compile("rmsprop", ["categorical_crossentropy", "mse"], lossWeights: [1f, 0.2f], metrics: [["accuracy"], []]);
        byName.Compile("rmsprop", new Dictionary<string, string> { ["pair"] = "categorical_crossentropy", ["first"] = "mse" },
            lossWeights: new Dictionary<string, float> { ["pair"] = 1f, ["first"] = 0.2f },
            metrics: new Dictionary<string, IReadOnlyList<string>> { ["pair"] = ["accuracy"] });

        History h1 = byList.Fit([a, b], [pair, first], epochs: 2, batchSize: 8, verbose: 0, seed: 5);
        History h2 = byName.Fit([a, b], [pair, first], epochs: 2, batchSize: 8, verbose: 0, seed: 5);

        Assert.IsType<RmsProp>(byList.Optimizer);
        Assert.Equal(h1["pair_accuracy"], h2["pair_accuracy"]);
        Assert.Equal(Weights(byList), Weights(byName));
        Assert.Equal([1f, 0.2f], byList.LossWeights);
    }

    [Fact]
    public void Compile_OutputWithoutALossInTheList_IsNotTrained()
    {
        Functional model = Siamese();
        model.Compile("sgd", [null, "mse"]);

        Assert.Null(model.Losses[0]);
        Assert.IsType<MeanSquaredError>(model.Losses[1]);
    }

    [Fact]
    public void Compile_UnknownLossName_IsRefusedListingTheKnownOnesAndChangesNothing()
    {
        Functional model = Siamese();

        var ex = Assert.Throws<ArgumentException>(() => model.Compile(new Adam(), new Dictionary<string, string> { ["pair"] = "categorical_crossentropy", ["first"] = "mean_sqared_error" }));

        Assert.Equal("losses", ex.ParamName);
        Assert.Contains("\"mean_sqared_error\"", ex.Message, StringComparison.Ordinal);
        Assert.Contains("mean_squared_error", ex.Message, StringComparison.Ordinal);
        Assert.False(model.IsCompiled);
    }

    [Fact]
    public void Compile_UnknownMetricName_IsRefusedListingTheKnownOnesAndChangesNothing()
    {
        Functional model = Siamese();

        var ex = Assert.Throws<ArgumentException>(() => model.Compile("adam", ["categorical_crossentropy", "mse"], metrics: [["acuracy"], []]));

        Assert.Equal("metrics", ex.ParamName);
        Assert.Contains("\"acuracy\"", ex.Message, StringComparison.Ordinal);
        Assert.Contains("accuracy", ex.Message.Replace("\"acuracy\"", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.False(model.IsCompiled);
    }

    [Fact]
    public void Compile_UnknownOutputName_IsRefusedNamingTheOutputs()
    {
        Functional model = Siamese();

        var ex = Assert.Throws<ArgumentException>(() => model.Compile("adam", new Dictionary<string, string> { ["priority"] = "binary_crossentropy" }));

        Assert.Equal("losses", ex.ParamName);
        Assert.Contains("'priority' is not an output of model 'siamese'", ex.Message, StringComparison.Ordinal);
        Assert.False(model.IsCompiled);
    }

    private static List<float[]> Weights(Model model) => [.. model.Parameters.Select(p => p.Value.ToArray())];
}
