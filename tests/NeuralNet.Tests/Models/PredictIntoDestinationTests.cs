using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Models;
using Xunit;

namespace NeuralNet.Tests.Models;

// Predict(x, destination): the allocation-free call of a served model.
public class PredictIntoDestinationTests
{
    [Fact]
    public void Writes_what_Predict_returns_for_one_row_and_for_many()
    {
        Sequential model = Model();
        Tensor rows = Tensor.RandomNormal(new TensorShape(70, 784), 5);
        var destination = new Tensor(70, 10);
        var one = new Tensor(1, 10);

        model.Predict(rows, destination, batchSize: 32);
        model.Predict(rows.Slice(3, 1), one);

        Assert.Equal(model.Predict(rows, 32).ToArray(), destination.ToArray());
        Assert.Equal(destination.Slice(3, 1).ToArray(), one.ToArray());
    }

    [Fact]
    public void A_warm_call_for_one_sample_allocates_nothing()
    {
        Sequential model = Model();
        Tensor row = Tensor.RandomNormal(new TensorShape(1, 784), 6);
        var destination = new Tensor(1, 10);
        model.Predict(row, destination);

        AllocationCheck.AssertNone(() =>
        {
            for (int i = 0; i < 10; i++)
            {
                model.Predict(row, destination);
            }
        });
    }

    [Fact]
    public void A_destination_of_the_wrong_shape_is_named_with_both_shapes()
    {
        Sequential model = Model();
        Tensor rows = Tensor.RandomNormal(new TensorShape(2, 784), 5);
        var destination = new Tensor(2, 9);
        destination.AsSpan().Fill(7f);

        var error = Assert.Throws<ArgumentException>(() => model.Predict(rows, destination));

        Assert.Contains("destination has shape (2, 9)", error.Message);
        Assert.Contains("(2, 10)", error.Message);
        Assert.All(destination.ToArray(), v => Assert.Equal(7f, v));
        Assert.Contains("(None, 784)", Assert.Throws<ArgumentException>(() => model.Predict(new Tensor(1, 783), new Tensor(1, 10))).Message);
    }

    [Fact]
    public void Eight_threads_predicting_at_once_get_the_single_threaded_results_bit_for_bit()
    {
        Sequential model = Model();
        Tensor rows = Tensor.RandomNormal(new TensorShape(64, 784), 8);
        var expected = new float[64][];
        for (int i = 0; i < 64; i++)
        {
            var one = new Tensor(1, 10);
            model.Predict(rows.Slice(i, 1), one);
            expected[i] = one.ToArray();
        }

        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        var threads = Enumerable.Range(0, 8).Select(t => new Thread(() =>
        {
            var one = new Tensor(1, 10);
            for (int round = 0; round < 20; round++)
            {
                for (int i = t; i < 64; i += 8)
                {
                    Tensor row = rows.Slice(i, 1);
                    model.Predict(row, one);
                    if (!one.ToArray().SequenceEqual(expected[i]) || !model.Predict(row).ToArray().SequenceEqual(expected[i]))
                    {
                        failures.Add($"thread {t}, row {i}, round {round}");
                    }
                }
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        Assert.Empty(failures);
    }

    private static Sequential Model() => new(
    [
        new InputLayer(784),
        new Dense(512, ActivationFunction.Relu),
        new Dense(10, ActivationFunction.Softmax),
    ], seed: 3);
}
