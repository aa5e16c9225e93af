using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Training;
using Xunit;

namespace NeuralNet.Tests.Models;

// Keras' train_on_batch, test_on_batch, predict_on_batch and reset_metrics.
public class BatchMethodsTests
{
    [Fact]
    public void TrainOnBatch_takes_the_same_step_as_one_batch_of_Fit()
    {
        (Tensor x, Tensor y) = Data(16);
        Sequential byFit = Model(), byBatch = Model();
        byFit.Fit(x, y, epochs: 1, batchSize: 16, shuffle: false, verbose: 0);

        IReadOnlyDictionary<string, double> logs = byBatch.TrainOnBatch(x, y);

        for (int i = 0; i < byFit.Parameters.Count; i++)
        {
            Assert.Equal(byFit.Parameters[i].Value.ToArray(), byBatch.Parameters[i].Value.ToArray());
        }

        Assert.True(logs["loss"] > 0);
        Assert.InRange(logs["accuracy"], 0, 1);
    }

    [Fact]
    public void Batch_logs_accumulate_until_ResetMetrics_as_in_keras()
    {
        (Tensor x, Tensor y) = Data(16);
        Sequential model = Model();
        Tensor firstX = x.Slice(0, 8), firstY = y.Slice(0, 8), secondX = x.Slice(8, 8), secondY = y.Slice(8, 8);

        double first = model.TestOnBatch(firstX, firstY)["loss"];
        double meanOfTwo = model.TestOnBatch(secondX, secondY)["loss"];
        double meanOfThree = model.TestOnBatch(secondX, secondY)["loss"];
        model.ResetMetrics();
        double second = model.TestOnBatch(secondX, secondY)["loss"];

        // The logged loss is the mean of the batch losses since the last reset.
        Assert.Equal((first + second) / 2, meanOfTwo, 6);
        Assert.Equal((first + second + second) / 3, meanOfThree, 6);
        Assert.NotEqual(first, second);
        var evaluated = model.Evaluate(secondX, secondY, batchSize: 8, verbose: 0);
        Assert.Equal(evaluated["loss"], second, 5);
        Assert.Equal(evaluated["accuracy"], model.TestOnBatch(secondX, secondY)["accuracy"], 6);

        // Batches of different sizes count per sample, as Keras' loss tracker (weighted by the batch size) and Fit do.
        model.ResetMetrics();
        double eight = model.TestOnBatch(firstX, firstY)["loss"];
        model.ResetMetrics();
        double four = model.TestOnBatch(secondX.Slice(0, 4), secondY.Slice(0, 4))["loss"];
        double both = model.TestOnBatch(firstX, firstY)["loss"];
        Assert.Equal(((4 * four) + (8 * eight)) / 12, both, 6);
        Assert.NotEqual(eight, four);
    }

    [Fact]
    public void TestOnBatch_leaves_the_weights_and_PredictOnBatch_equals_Predict()
    {
        (Tensor x, Tensor y) = Data(10);
        Sequential model = Model();
        float[][] before = [.. model.Parameters.Select(p => p.Value.ToArray())];

        model.TestOnBatch(x, y);

        Assert.Equal(before, model.Parameters.Select(p => p.Value.ToArray()).ToArray());
        Assert.Equal(model.Predict(x, batchSize: 3).ToArray(), model.PredictOnBatch(x).ToArray());
    }

    [Fact]
    public void Batch_methods_refuse_bad_input_before_anything_changes()
    {
        (Tensor x, Tensor y) = Data(8);
        Sequential model = Model();
        float[] before = model.Parameters[0].Value.ToArray();

        var ex = Assert.Throws<ArgumentException>(() => model.TrainOnBatch(x, Tensor.Zeros(7, 3)));
        Assert.Contains("8", ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, model.Parameters[0].Value.ToArray());
        var uncompiled = new Sequential();
        uncompiled.Add(new InputLayer(4));
        uncompiled.Add(new Dense(3));
        Assert.Throws<InvalidOperationException>(() => uncompiled.TrainOnBatch(x, y));
        Assert.Throws<InvalidOperationException>(() => uncompiled.TestOnBatch(x, y));
    }

    private static Sequential Model()
    {
        var model = new Sequential(seed: 12);
        model.Add(new InputLayer(4));
        model.Add(new Dense(6, ActivationFunction.Relu));
        model.Add(new Dense(3, ActivationFunction.Softmax));
        model.Compile(new Adam(0.01f), new CategoricalCrossEntropy(), new Accuracy());
        return model;
    }

    private static (Tensor X, Tensor Y) Data(int samples)
    {
        Tensor x = Tensor.RandomNormal(new TensorShape(samples, 4), 3);
        var y = Tensor.Zeros(samples, 3);
        for (int i = 0; i < samples; i++)
        {
            y[i, i % 3] = 1f;
        }

        return (x, y);
    }
}
