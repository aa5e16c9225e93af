using NeuralNet.Activations;
using NeuralNet.Datasets;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Training;
using Xunit;

namespace NeuralNet.Tests.Training;

// Keras' validation_data=(x, y, sample_weight): val_loss and the weighted metrics are what evaluate(x, y, sample_weight)
// gives on the same data after the epoch.
public class ValidationSampleWeightTests
{
    [Fact]
    public void Fit_ValidationSampleWeight_ValLossIsEvaluatesWeightedLossBitForBit()
    {
        (Tensor x, Tensor y) = Data(40, seed: 1);
        (Tensor vx, Tensor vy) = Data(18, seed: 2);
        Tensor vw = OutputSampleWeightTests.Weights(18, seed: 3);
        Sequential model = Model();

        History history = model.Fit(x, y, epochs: 1, batchSize: 8, verbose: 0, validationData: (vx, vy), validationSampleWeight: vw);
        IReadOnlyDictionary<string, double> evaluated = model.Evaluate(vx, vy, batchSize: 8, verbose: 0, sampleWeight: vw);

        Assert.Equal(evaluated["loss"], history["val_loss"][0]);
        Assert.Equal(evaluated["weighted_accuracy"], history["val_weighted_accuracy"][0]);
        Assert.Equal(evaluated["accuracy"], history["val_accuracy"][0]);
        Assert.NotEqual(model.Evaluate(vx, vy, batchSize: 8, verbose: 0)["loss"], history["val_loss"][0], 4);
    }

    [Fact]
    public void Fit_ValidationWeightsByOutput_ValLossesAreEvaluates()
    {
        (Tensor x, Tensor ya, Tensor yb) = OutputSampleWeightTests.Data(20, seed: 4);
        (Tensor vx, Tensor vya, Tensor vyb) = OutputSampleWeightTests.Data(9, seed: 5);
        var vw = new Dictionary<string, Tensor> { ["b"] = OutputSampleWeightTests.Weights(9, seed: 6) };
        Functional model = OutputSampleWeightTests.Model();

        History history = model.Fit(x, new[] { ya, yb }, epochs: 1, batchSize: 4, verbose: 0, validationData: (vx, new[] { vya, vyb }), validationSampleWeight: vw);
        IReadOnlyDictionary<string, double> evaluated = model.Evaluate(vx, new[] { vya, vyb }, batchSize: 4, verbose: 0, sampleWeight: vw);

        Assert.Equal(evaluated["loss"], history["val_loss"][0]);
        Assert.Equal(evaluated["a_loss"], history["val_a_loss"][0]);
        Assert.Equal(evaluated["b_loss"], history["val_b_loss"][0]);
    }

    [Fact]
    public void Fit_DataSourceValidationWithWeights_ValLossIsEvaluatesWeightedLoss()
    {
        (Tensor x, Tensor y) = Data(32, seed: 7);
        (Tensor vx, Tensor vy) = Data(12, seed: 8);
        Tensor vw = OutputSampleWeightTests.Weights(12, seed: 9);
        DataBatch[] train = [.. Enumerable.Range(0, 4).Select(b => new DataBatch(x.Slice(b * 8, 8), y.Slice(b * 8, 8)))];
        DataBatch[] validation = [.. Enumerable.Range(0, 3).Select(b => new DataBatch(vx.Slice(b * 4, 4), vy.Slice(b * 4, 4), vw.Slice(b * 4, 4)))];
        Sequential model = Model();

        History history = model.Fit(train, epochs: 1, validationData: DataSource.FromBatches(validation), verbose: 0, prefetch: 0);

        Assert.Equal(model.Evaluate(validation, verbose: 0, prefetch: 0)["loss"], history["val_loss"][0]);
        Assert.Equal(model.Evaluate(vx, vy, batchSize: 4, verbose: 0, sampleWeight: vw)["loss"], history["val_loss"][0]);
        Assert.NotEqual(model.Evaluate(vx, vy, batchSize: 4, verbose: 0)["loss"], history["val_loss"][0], 4);
    }

    [Fact]
    public void Fit_BadValidationSampleWeight_IsRefusedBeforeTraining()
    {
        (Tensor x, Tensor y) = Data(16, seed: 10);
        (Tensor vx, Tensor vy) = Data(6, seed: 11);
        Sequential model = Model();

        var length = Assert.Throws<ArgumentException>(() => model.Fit(x, y, verbose: 0, validationData: (vx, vy), validationSampleWeight: OutputSampleWeightTests.Weights(5, seed: 12)));
        Assert.Equal("validationSampleWeight", length.ParamName);
        Assert.Contains("validationSampleWeight has shape (5,)", length.Message, StringComparison.Ordinal);

        var alone = Assert.Throws<ArgumentException>(() => model.Fit(x, y, verbose: 0, validationSampleWeight: OutputSampleWeightTests.Weights(6, seed: 13)));
        Assert.Equal("validationSampleWeight", alone.ParamName);
        Assert.Equal(0, model.Optimizer!.Iterations);
    }

    private static Sequential Model()
    {
        var model = new Sequential([new InputLayer(4), new Dense(6, ActivationFunction.Tanh), new Dense(3, ActivationFunction.Softmax)], seed: 5);
        model.Compile(new Sgd(0.1f), new CategoricalCrossEntropy(), [new Accuracy()], [new Accuracy()]);
        return model;
    }

    private static (Tensor X, Tensor Y) Data(int samples, int seed) =>
        (GradientChecking.TestData.Normal(seed, 1f, samples, 4), GradientChecking.TestData.OneHot(GradientChecking.TestData.Labels(seed + 50, samples, 3), 3));
}
