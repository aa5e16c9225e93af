using NeuralNet.Activations;
using NeuralNet.Datasets;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using Xunit;

namespace NeuralNet.Tests.Models;

// A Sequential without an InputLayer is built by its first Fit, Evaluate or Predict, from that call's data. When the call
// then fails (a check of later data, the destination, a cancellation), nothing of it stays: the model is unbuilt, and
// corrected data of another width builds it.
public class FailedFirstUseTests
{
    private static Sequential Unbuilt()
    {
        var model = new Sequential([new Dense(4, ActivationFunction.Relu), new Dense(3, ActivationFunction.Softmax)], seed: 1);
        model.Compile(new Adam(), new CategoricalCrossEntropy());
        return model;
    }

    private static (Tensor X, Tensor Y) Data(int width, int samples = 8) => ModelTestData.RandomClassification(samples, width, 3, seed: 1);

    private static Tensor WithNaN(Tensor x)
    {
        Tensor copy = x.Clone();
        copy[copy.Shape[0] - 1, 1] = float.NaN;
        return copy;
    }

    private static void AssertUnbuiltAndBuildsFromWidth6(Sequential model)
    {
        Assert.False(model.IsBuilt, "a call that failed left the model built");
        Assert.Empty(model.Parameters);
        (Tensor x6, _) = Data(width: 6);
        Assert.Equal(3, model.Predict(x6).Shape[1]);
        Assert.Equal(6, model.Layers[0].InputShape[0]);
    }

    [Fact]
    public void PredictIntoDestination_InputWithNaN_LeavesTheModelUnbuilt()
    {
        Sequential model = Unbuilt();
        (Tensor x5, _) = Data(width: 5);

        var error = Assert.Throws<ArgumentException>(() => model.Predict(WithNaN(x5), new Tensor(8, 3)));

        Assert.Contains("NaN", error.Message, StringComparison.Ordinal);
        AssertUnbuiltAndBuildsFromWidth6(model);
    }

    [Fact]
    public void PredictIntoDestination_DestinationOfTheWrongShape_LeavesTheModelUnbuilt()
    {
        Sequential model = Unbuilt();
        (Tensor x5, _) = Data(width: 5);

        var error = Assert.Throws<ArgumentException>(() => model.Predict(x5, new Tensor(8, 4)));

        Assert.Equal("destination", error.ParamName);
        AssertUnbuiltAndBuildsFromWidth6(model);
    }

    [Fact]
    public void PredictIntoDestination_Cancelled_LeavesTheModelUnbuilt()
    {
        Sequential model = Unbuilt();
        (Tensor x5, _) = Data(width: 5);

        Assert.Throws<OperationCanceledException>(() => model.Predict(x5, new Tensor(8, 3), cancellationToken: new CancellationToken(canceled: true)));

        AssertUnbuiltAndBuildsFromWidth6(model);
    }

    [Fact]
    public void Predict_Cancelled_LeavesTheModelUnbuilt()
    {
        Sequential model = Unbuilt();
        (Tensor x5, _) = Data(width: 5);

        Assert.Throws<OperationCanceledException>(() => model.Predict(x5, cancellationToken: new CancellationToken(canceled: true)));
        Assert.False(model.IsBuilt, "a cancelled Predict left the model built");
        Assert.Throws<OperationCanceledException>(() => model.PredictOutputs(x5, cancellationToken: new CancellationToken(canceled: true)));

        AssertUnbuiltAndBuildsFromWidth6(model);
    }

    [Fact]
    public void PredictFromADataSource_LaterBatchWithNaN_LeavesTheModelUnbuilt()
    {
        Sequential model = Unbuilt();
        (Tensor x5, _) = Data(width: 5);
        var source = new Batches(x5.Slice(0, 4), WithNaN(x5.Slice(4, 4)));

        var error = Assert.Throws<DataSourceException>(() => model.Predict(source, prefetch: 0));

        Assert.Contains("NaN", error.Message, StringComparison.Ordinal);
        AssertUnbuiltAndBuildsFromWidth6(model);
    }

    [Fact]
    public void EvaluateOnADataSource_LaterBatchWithNaN_LeavesTheModelUnbuilt()
    {
        Sequential model = Unbuilt();
        (Tensor x5, Tensor y) = Data(width: 5);
        var source = new Batches(x5.Slice(0, 4), WithNaN(x5.Slice(4, 4))) { Targets = y };

        Assert.Throws<DataSourceException>(() => model.Evaluate(source, verbose: 0, prefetch: 0));

        AssertUnbuiltAndBuildsFromWidth6(model);
    }

    [Fact]
    public void FitOnADataSource_FirstBatchWithTargetsOfTheWrongShape_LeavesTheModelUnbuilt()
    {
        Sequential model = Unbuilt();
        (Tensor x5, _) = Data(width: 5);
        var source = new Batches(x5.Slice(0, 4), x5.Slice(4, 4)) { Targets = new Tensor(8, 4) };

        Assert.Throws<DataSourceException>(() => model.Fit(source, verbose: 0, prefetch: 0));

        Assert.Equal(0, model.Optimizer!.Iterations);
        AssertUnbuiltAndBuildsFromWidth6(model);
    }

    [Fact]
    public void FitOnADataSource_BatchFailingAfterSteps_KeepsTheTrainedModel()
    {
        Sequential model = Unbuilt();
        (Tensor x5, Tensor y) = Data(width: 5);
        var source = new Batches(x5.Slice(0, 4), WithNaN(x5.Slice(4, 4))) { Targets = y };

        Assert.Throws<DataSourceException>(() => model.Fit(source, shuffle: false, verbose: 0, prefetch: 0));

        // The first batch trained the model: its weights are kept, and so is its build.
        Assert.Equal(1, model.Optimizer!.Iterations);
        Assert.True(model.IsBuilt);
        Assert.Equal(5, model.Layers[0].InputShape[0]);
    }

    /// <summary>An indexable source of the given input batches, with targets sliced alike when given.</summary>
    private sealed class Batches(params Tensor[] inputs) : BatchDataset
    {
        public Tensor? Targets { get; init; }

        public override int BatchCount => inputs.Length;

        public override DataBatch GetBatch(int index)
        {
            int start = inputs.Take(index).Sum(t => t.Shape[0]);
            return Targets is null ? new DataBatch(inputs[index]) : new DataBatch(inputs[index], Targets.Slice(start, inputs[index].Shape[0]));
        }
    }
}
