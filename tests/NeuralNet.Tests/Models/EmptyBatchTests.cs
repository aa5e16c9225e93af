using NeuralNet.Activations;
using NeuralNet.Datasets;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Training;
using Xunit;

namespace NeuralNet.Tests.Models;

// Batches of 0 samples: Predict gives an empty result, training and evaluation refuse them by name.
public class EmptyBatchTests
{
    [Fact]
    public void Predict_of_no_samples_gives_an_empty_result_of_the_output_shape()
    {
        Sequential model = Model();

        Tensor predicted = model.Predict(new Tensor(0, 4));
        Tensor onBatch = model.PredictOnBatch(new Tensor(0, 4));

        Assert.Equal(new TensorShape(0, 3), predicted.Shape);
        Assert.Equal(new TensorShape(0, 3), onBatch.Shape);
    }

    [Fact]
    public void Training_and_evaluation_refuse_an_empty_batch_by_name()
    {
        Sequential model = Model();
        var x = new Tensor(0, 4);
        var y = new Tensor(0, 3);
        float[][] before = [.. model.Parameters.Select(p => p.Value.ToArray())];

        Assert.Contains("no samples", Assert.Throws<ArgumentException>(() => model.Fit(x, y, verbose: 0)).Message);
        Assert.Contains("no samples", Assert.Throws<ArgumentException>(() => model.Evaluate(x, y, verbose: 0)).Message);
        Assert.Contains("no samples", Assert.Throws<ArgumentException>(() => model.TrainOnBatch(x, y)).Message);
        Assert.Contains("no samples", Assert.Throws<ArgumentException>(() => model.Forward(x, training: false)).Message);
        Assert.Contains("(0, 4)", Assert.Throws<DataSourceException>(() => model.Fit(new[] { new DataBatch(x, y) }, verbose: 0)).Message);
        Assert.Contains("at least one sample", Assert.Throws<ArgumentException>(() => new Dense(2).Forward(new Tensor(0, 4), training: false)).Message);
        Assert.Equal(before, model.Parameters.Select(p => p.Value.ToArray()));
    }

    [Fact]
    public void Empty_batches_add_nothing_to_what_preprocessing_and_metrics_learn()
    {
        Tensor batch = Tensor.RandomNormal(new TensorShape(6, 3), 2);
        var withEmpty = new Normalization();
        var without = new Normalization();

        withEmpty.Adapt(new[] { batch, new Tensor(0, 3) });
        without.Adapt(new[] { batch });

        Assert.Equal(without.Forward(batch, training: false).ToArray(), withEmpty.Forward(batch, training: false).ToArray());
        Assert.Contains("no samples", Assert.Throws<ArgumentException>(() => new Normalization().Adapt(new[] { new Tensor(0, 3) })).Message);
        var accuracy = new Accuracy();
        accuracy.Update(new Tensor(0, 3), new Tensor(0, 3));
        Assert.Equal(0, accuracy.Result());
        Assert.Throws<ArgumentException>(() => ConfusionMatrix.FromPredictions(new Tensor(0, 3), new Tensor(0, 3)));
    }

    [Fact]
    public void An_input_of_zero_size_is_refused()
    {
        Assert.Throws<ArgumentException>(() => new InputLayer(0));
        Assert.Throws<ArgumentException>(() => new Input(0));
    }

    private static Sequential Model()
    {
        var model = new Sequential(seed: 4);
        model.Add(new InputLayer(4));
        model.Add(new Dense(3, ActivationFunction.Softmax));
        model.Compile(new Adam(), new CategoricalCrossEntropy(), new Accuracy());
        return model;
    }
}
