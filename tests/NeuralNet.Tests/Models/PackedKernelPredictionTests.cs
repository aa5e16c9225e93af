using NeuralNet.Activations;
using NeuralNet.Datasets;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Training;
using Xunit;

namespace NeuralNet.Tests.Models;

// From the second batch of a prediction or an evaluation on, Dense reads its kernel packed once for the whole call
// instead of packing it per batch. Each batch must get the bits it gets when predicted alone (one batch, nothing packed
// ahead), and a call after the weights changed must not read the copy an earlier one made.
public class PackedKernelPredictionTests
{
    [Fact]
    public void Every_batch_of_a_prediction_equals_that_batch_predicted_alone_before_and_after_training()
    {
        Sequential model = Mlp();
        Tensor x = Tensor.RandomNormal(new TensorShape(100, 64), seed: 1);
        Tensor y = LabeledDataset.OneHot([.. Enumerable.Range(0, 100).Select(i => i * 7 % 10)], 10);

        float[] before = model.Predict(x, batchSize: 32).ToArray();
        Assert.Equal(BatchByBatch(model, x, 32), before);

        model.Fit(x, y, epochs: 1, batchSize: 20, verbose: 0);
        float[] after = model.Predict(x, batchSize: 32).ToArray();

        Assert.NotEqual(before, after);
        Assert.Equal(BatchByBatch(model, x, 32), after);
    }

    [Fact]
    public void Every_batch_of_a_data_source_prediction_equals_that_batch_predicted_alone_before_and_after_training()
    {
        Sequential model = Mlp(seed: 12);
        Tensor x = Tensor.RandomNormal(new TensorShape(100, 64), seed: 13);
        Tensor y = LabeledDataset.OneHot([.. Enumerable.Range(0, 100).Select(i => i * 3 % 10)], 10);
        DataSource Batches() => DataSource.FromBatches(Enumerable.Range(0, 4).Select(b => new DataBatch(x.Slice(b * 25, 25))));

        float[] before = model.Predict(Batches()).ToArray();
        Assert.Equal(BatchByBatch(model, x, 25), before);

        model.Fit(x, y, epochs: 1, batchSize: 20, verbose: 0);
        float[] after = model.Predict(Batches()).ToArray();

        Assert.NotEqual(before, after);
        Assert.Equal(BatchByBatch(model, x, 25), after);
    }

    [Fact]
    public void Weights_loaded_between_two_predictions_are_the_ones_the_second_reads()
    {
        Sequential model = Mlp(seed: 2), other = Mlp(seed: 3);
        Tensor x = Tensor.RandomNormal(new TensorShape(70, 64), seed: 4);
        model.Predict(x, batchSize: 16);
        string path = Path.Combine(Path.GetTempPath(), $"packed-{Guid.NewGuid():N}.safetensors");
        try
        {
            other.SaveWeights(path);
            model.LoadWeights(path);
        }
        finally
        {
            File.Delete(path);
        }

        Assert.Equal(other.Predict(x, batchSize: 16).ToArray(), model.Predict(x, batchSize: 16).ToArray());
    }

    [Fact]
    public void Evaluate_after_training_gives_what_a_model_that_never_evaluated_gives()
    {
        Sequential model = Mlp(seed: 5), fresh = Mlp(seed: 6);
        Tensor x = Tensor.RandomNormal(new TensorShape(90, 64), seed: 7);
        Tensor y = LabeledDataset.OneHot([.. Enumerable.Range(0, 90).Select(i => i * 3 % 10)], 10);
        IReadOnlyDictionary<string, double> before = model.Evaluate(x, y, batchSize: 16, verbose: 0);

        model.Fit(x, y, epochs: 1, batchSize: 30, verbose: 0, validationData: (x, y));
        string path = Path.Combine(Path.GetTempPath(), $"packed-{Guid.NewGuid():N}.safetensors");
        try
        {
            model.SaveWeights(path);
            fresh.LoadWeights(path);
        }
        finally
        {
            File.Delete(path);
        }

        IReadOnlyDictionary<string, double> after = model.Evaluate(x, y, batchSize: 16, verbose: 0);
        Assert.NotEqual(before["loss"], after["loss"]);
        Assert.Equal(fresh.Evaluate(x, y, batchSize: 16, verbose: 0)["loss"], after["loss"]);
    }

    [Fact]
    public void Another_model_trained_from_a_metric_inside_an_evaluation_is_read_with_its_new_weights()
    {
        // The evaluation's pass number is the thread's; B's one-batch calls inside it must still see B's latest weights.
        Sequential b = Mlp(seed: 8);
        Tensor bx = Tensor.RandomNormal(new TensorShape(16, 64), seed: 9);
        Tensor by = LabeledDataset.OneHot([.. Enumerable.Range(0, 16).Select(i => i % 10)], 10);
        var metric = new TrainingAnotherModel(b, bx, by);
        Sequential a = Mlp(seed: 10);
        a.Compile(new Adam(0.01f), new CategoricalCrossEntropy(), metric);
        Tensor ax = Tensor.RandomNormal(new TensorShape(64, 64), seed: 11);
        Tensor ay = LabeledDataset.OneHot([.. Enumerable.Range(0, 64).Select(i => i * 3 % 10)], 10);

        a.Evaluate(ax, ay, batchSize: 16, verbose: 0);

        Assert.Equal(4, metric.Checked);
        Assert.Empty(metric.Failures);
    }

    private sealed class TrainingAnotherModel(Sequential model, Tensor x, Tensor y) : Metric
    {
        public int Checked { get; private set; }

        public List<string> Failures { get; } = [];

        public override string Name => "trains_another_model";

        public override void Reset()
        {
        }

        public override void Update(Tensor predictions, Tensor targets)
        {
            model.Predict(x, batchSize: 4);
            model.TestOnBatch(x, y);
            model.TestOnBatch(x, y);
            model.TrainOnBatch(x, y);
            float[] expected = model.Forward(x, training: false)[0].ToArray();
            model.TestOnBatch(x, y);
            float[] actual = model.PredictOnBatch(x).ToArray();
            if (!expected.AsSpan().SequenceEqual(actual))
            {
                Failures.Add($"call {Checked}: PredictOnBatch differs from Forward after TrainOnBatch");
            }

            Checked++;
        }

        public override double Result() => Checked;
    }

    private static float[] BatchByBatch(Model model, Tensor x, int batchSize)
    {
        var rows = new List<float>();
        for (int start = 0; start < x.Shape[0]; start += batchSize)
        {
            int count = Math.Min(batchSize, x.Shape[0] - start);
            rows.AddRange(model.Predict(x.Slice(start, count), batchSize: batchSize).ToArray());
        }

        return [.. rows];
    }

    private static Sequential Mlp(long seed = 1)
    {
        var model = new Sequential(
        [
            new InputLayer(64),
            new Dense(300, ActivationFunction.Relu),
            new Dense(200),
            new Dense(10, ActivationFunction.Softmax),
        ], seed: seed);
        model.Compile(new Adam(0.01f), new CategoricalCrossEntropy());
        return model;
    }
}
