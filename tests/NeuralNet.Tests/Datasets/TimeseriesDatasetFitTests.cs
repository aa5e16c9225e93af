using NeuralNet.Activations;
using NeuralNet.Datasets;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Training;
using Xunit;

namespace NeuralNet.Tests.Datasets;

// Fit, Evaluate and Predict on a TimeseriesDataset, end to end with small recurrent and convolutional models.
public class TimeseriesDatasetFitTests
{
    private const int Steps = 240;
    private const int Window = 12;

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public void Fit_on_windows_equals_Fit_on_the_same_windows_as_tensors_bit_for_bit(int prefetch)
    {
        (Tensor series, Tensor next) = Sine();
        TimeseriesDataset windows = TimeseriesDataset.FromArray(series, next, Window, sequenceStride: 2, batchSize: 16);
        (Tensor x, Tensor y) = Materialise(windows, 0);

        // Neither model has an InputLayer: the dataset's first batch builds the model, as the tensors build the other.
        Sequential fromTensors = LstmModel(), fromDataset = LstmModel();
        History expected = fromTensors.Fit(x, y, epochs: 3, batchSize: 16, shuffle: false, verbose: 0);

        // Fit's shuffle (true by default) does not reorder a dataset, as Keras' fit leaves a dataset's order alone.
        History actual = fromDataset.Fit(windows, epochs: 3, verbose: 0, prefetch: prefetch);

        Assert.Equal(expected["loss"], actual["loss"]);
        AssertSameWeights(fromTensors, fromDataset);
        Assert.Equal(new TensorShape(Window, 1), fromDataset.InputShape);
    }

    [Fact]
    public void A_shuffled_dataset_trains_epoch_k_on_pass_k_and_repeats_with_its_seed()
    {
        (Tensor series, Tensor next) = Sine();
        TimeseriesDataset windows = TimeseriesDataset.FromArray(series, next, Window, batchSize: 32, shuffle: true, seed: 5);
        Sequential first = LstmModel(), second = LstmModel(), byPass = LstmModel();

        History one = first.Fit(windows, epochs: 3, verbose: 0);
        History two = second.Fit(TimeseriesDataset.FromArray(series, next, Window, batchSize: 32, shuffle: true, seed: 5), epochs: 3, verbose: 0);

        // The same training, batch by batch from GetBatch(index, pass): one Fit of one epoch per pass.
        for (int pass = 0; pass < 3; pass++)
        {
            (Tensor x, Tensor y) = Materialise(windows, pass);
            byPass.Fit(x, y, epochs: 1, batchSize: 32, shuffle: false, verbose: 0);
        }

        Assert.Equal(one["loss"], two["loss"]);
        AssertSameWeights(first, second);
        AssertSameWeights(first, byPass);
    }

    [Fact]
    public void An_unseeded_dataset_follows_the_models_seed_and_each_Fit_call_gets_new_orders()
    {
        (Tensor series, Tensor next) = Sine();
        Sequential first = LstmModel(), second = LstmModel();
        first.Fit(TimeseriesDataset.FromArray(series, next, Window, batchSize: 32, shuffle: true), epochs: 2, verbose: 0);
        second.Fit(TimeseriesDataset.FromArray(series, next, Window, batchSize: 32, shuffle: true), epochs: 2, verbose: 0);
        AssertSameWeights(first, second);

        // Fit hands each call its own shuffle seed (from the model's seed and the call's count): an unseeded dataset's pass
        // follows it, a seeded one keeps its own.
        TimeseriesDataset unseeded = TimeseriesDataset.FromArray(series, next, Window, batchSize: 32, shuffle: true);
        TimeseriesDataset seeded = TimeseriesDataset.FromArray(series, next, Window, batchSize: 32, shuffle: true, seed: 9);
        float[] FirstBatch(TimeseriesDataset dataset, long fitSeed)
        {
            using IEnumerator<DataBatch> pass = dataset.OpenPass(0, null, true, fitSeed, false, CancellationToken.None);
            Assert.True(pass.MoveNext());
            return pass.Current.X.Single().ToArray();
        }

        Assert.NotEqual(FirstBatch(unseeded, 11), FirstBatch(unseeded, 12));
        Assert.Equal(FirstBatch(unseeded, 11), FirstBatch(unseeded, 11));
        Assert.Equal(FirstBatch(unseeded, 0), unseeded.GetBatch(0).X.Single().ToArray());
        Assert.Equal(FirstBatch(seeded, 11), FirstBatch(seeded, 12));
    }

    [Fact]
    public void A_Conv1D_model_learns_the_next_step_of_a_sine()
    {
        (Tensor series, Tensor next) = Sine();
        TimeseriesDataset train = TimeseriesDataset.FromArray(series, next, Window, batchSize: 16, shuffle: true, seed: 1, endIndex: 180);
        TimeseriesDataset validation = TimeseriesDataset.FromArray(series, next, Window, batchSize: 16, startIndex: 180);
        var model = new Sequential(seed: 3);
        model.Add(new InputLayer(Window, 1));
        model.Add(new Conv1D(8, 3, activation: ActivationFunction.Relu));
        model.Add(new Flatten());
        model.Add(new Dense(1));
        model.Compile(new Adam(0.01f), new MeanSquaredError());

        History history = model.Fit(train, epochs: 25, validationData: validation, verbose: 0);

        // The next value of a sine is nearly a linear function of the previous ones: the error falls far below the
        // variance of the targets (about 0.5).
        Assert.True(history["loss"][^1] < 0.01 * history["loss"][0], $"loss {history["loss"][0]} -> {history["loss"][^1]}");
        Assert.True(history["val_loss"][^1] < 0.005, $"val_loss {history["val_loss"][^1]}");
        Assert.Equal(model.Evaluate(validation, verbose: 0)["loss"], history["val_loss"][^1], 6);
    }

    [Fact]
    public void Evaluate_and_Predict_follow_the_windows_in_time_order()
    {
        (Tensor series, Tensor next) = Sine();
        TimeseriesDataset withTargets = TimeseriesDataset.FromArray(series, next, Window, samplingRate: 2, batchSize: 10);
        TimeseriesDataset inputsOnly = TimeseriesDataset.FromArray(series, null, Window, samplingRate: 2, batchSize: 10);
        (Tensor x, Tensor y) = Materialise(withTargets, 0);
        Sequential model = LstmModel();
        model.Fit(x, y, epochs: 1, batchSize: 10, verbose: 0);

        Assert.Equal(model.Predict(x, batchSize: 10).ToArray(), model.Predict(inputsOnly).ToArray());
        Assert.Equal(model.Evaluate(x, y, batchSize: 10, verbose: 0)["loss"], model.Evaluate(withTargets, verbose: 0)["loss"], 12);

        // Training a model compiled with a loss needs targets: a dataset made without them is refused, naming the loss.
        DataSourceException e = Assert.Throws<DataSourceException>(() => model.Fit(inputsOnly, verbose: 0));
        Assert.Contains("was given no y, but the loss", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void StepsPerEpoch_runs_on_across_passes_and_is_bounded_by_the_batches()
    {
        (Tensor series, Tensor next) = Sine();
        TimeseriesDataset windows = TimeseriesDataset.FromArray(series, next, Window, batchSize: 40, shuffle: true, seed: 8);
        Assert.Equal(6, windows.BatchCount); // 229 windows

        // 4 steps per epoch over 6 batches: epoch 0 = pass 0 batches 0-3, epoch 1 = pass 0 batches 4-5 then pass 1 batches 0-1.
        // A stream cannot build a model: both get an InputLayer.
        Sequential continued = LstmModel(withInputLayer: true), manual = LstmModel(withInputLayer: true);
        continued.Fit(windows, epochs: 2, stepsPerEpoch: 4, verbose: 0);
        var order = new List<DataBatch>();
        for (int g = 0; g < 8; g++)
        {
            order.Add(windows.GetBatch(g % 6, g / 6));
        }

        manual.Fit(order, epochs: 1, verbose: 0);
        AssertSameWeights(continued, manual);
        Assert.Throws<ArgumentOutOfRangeException>(() => LstmModel().Fit(windows, stepsPerEpoch: 7, verbose: 0));
    }

    [Fact]
    public void A_batch_allocates_its_two_tensors_and_nothing_per_window()
    {
        // 4,070 windows of 16 rows of 3 features every 2 rows: a batch of 8 windows is 384 + 8 floats. Reading a shuffled pass
        // must not re-draw its permutation (16 KB) per batch, nor allocate per window or row.
        Tensor series = Tensor.RandomNormal(new TensorShape(4100, 3), 2);
        Tensor targets = Tensor.RandomNormal(new TensorShape(4100, 1), 3);
        TimeseriesDataset dataset = TimeseriesDataset.FromArray(series, targets, 16, samplingRate: 2, batchSize: 8, shuffle: true, seed: 4);
        dataset.GetBatch(0, pass: 1);
        const long TensorBytes = (8 * 16 * 3 * 4) + (8 * 4);

        DataBatch batch = default;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int b = 1; b <= 10; b++)
        {
            batch = dataset.GetBatch(b, pass: 1);
        }

        long perBatch = (GC.GetAllocatedBytesForCurrentThread() - before) / 10;
        Assert.Equal(new TensorShape(8, 16, 3), batch.X.Single().Shape);

        // The two tensors, their shapes and the batch's wrappers: well under the 8 * 16 row copies' worth of small objects.
        Assert.InRange(perBatch, TensorBytes, TensorBytes + 1024);
    }

    internal static (Tensor Series, Tensor Next) Sine()
    {
        // series[t] = sin(0.3 t) (with a small seeded noise), next[t] = series[t + Window]: window i's target is the step after it.
        Tensor noise = Tensor.RandomNormal(new TensorShape(Steps + Window), 11);
        var values = new float[Steps + Window];
        for (int t = 0; t < values.Length; t++)
        {
            values[t] = MathF.Sin(0.3f * t) + (0.01f * noise[t]);
        }

        return (Tensor.FromArray(values[..Steps], Steps, 1), Tensor.FromArray(values[Window..], Steps, 1));
    }

    // Every batch of a pass, concatenated: the windows (n, Window, 1) and targets (n, 1) as tensors.
    private static (Tensor X, Tensor Y) Materialise(TimeseriesDataset dataset, int pass)
    {
        var xs = new List<float>();
        var ys = new List<float>();
        for (int b = 0; b < dataset.BatchCount; b++)
        {
            DataBatch batch = dataset.GetBatch(b, pass);
            xs.AddRange(batch.X.Single().ToArray());
            ys.AddRange(batch.Y.Single().ToArray());
        }

        int n = dataset.SequenceCount;
        Assert.Equal(n * Window, xs.Count);
        return (Tensor.FromArray(xs.ToArray(), n, Window, 1), Tensor.FromArray(ys.ToArray(), n, 1));
    }

    private static Sequential LstmModel(bool withInputLayer = false)
    {
        var model = new Sequential(seed: 21);
        if (withInputLayer)
        {
            model.Add(new InputLayer(Window, 1));
        }

        model.Add(new Lstm(6));
        model.Add(new Dense(1));
        model.Compile(new Adam(0.01f), new MeanSquaredError());
        return model;
    }

    private static void AssertSameWeights(Model expected, Model actual)
    {
        Assert.Equal(expected.Parameters.Count, actual.Parameters.Count);
        for (int i = 0; i < expected.Parameters.Count; i++)
        {
            Assert.Equal(expected.Parameters[i].Value.ToArray(), actual.Parameters[i].Value.ToArray());
        }
    }
}
