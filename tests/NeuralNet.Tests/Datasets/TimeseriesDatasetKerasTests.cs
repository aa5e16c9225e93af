using NeuralNet.Datasets;
using Xunit;

namespace NeuralNet.Tests.Datasets;

// Keras' own tests of timeseries_dataset_from_array (keras/src/utils/timeseries_dataset_utils_test.py) and the examples
// of its docstring, transcribed: np.arange data, so every window's values are its row numbers.
public class TimeseriesDatasetKerasTests
{
    [Fact]
    public void Basics_ordering_targets_sequence_length_and_batch_size()
    {
        float[] data = Arange(100);
        TimeseriesDataset dataset = TimeseriesDataset.FromArray(data, Times(data, 2), sequenceLength: 9, batchSize: 5);

        // Expect 19 batches: 92 windows, the last batch of 2.
        Assert.Equal(19, dataset.BatchCount);
        for (int i = 0; i < dataset.BatchCount; i++)
        {
            (Tensor inputs, Tensor targets) = Read(dataset.GetBatch(i));
            Assert.Equal(i < 18 ? new TensorShape(5, 9) : new TensorShape(2, 9), inputs.Shape);
            Assert.Equal(Column0(inputs).Select(v => v * 2), targets.ToArray());
            for (int j = 0; j < inputs.Shape[0]; j++)
            {
                Assert.Equal(Range((i * 5) + j, (i * 5) + j + 9), Row(inputs, j));
            }
        }
    }

    [Fact]
    public void Timeseries_regression_targets_are_the_step_after_each_window()
    {
        float[] data = Arange(10);
        const int Offset = 3;
        TimeseriesDataset dataset = TimeseriesDataset.FromArray(data, data[Offset..], sequenceLength: Offset, batchSize: 1);

        Assert.Equal(7, dataset.BatchCount); // expect 7 batches
        for (int i = 0; i < dataset.BatchCount; i++)
        {
            (Tensor inputs, Tensor targets) = Read(dataset.GetBatch(i));
            Assert.Equal(new TensorShape(1, 3), inputs.Shape);
            Assert.Equal(data[Offset + i], targets[0]);
            Assert.Equal(data[i..(i + Offset)], Row(inputs, 0));
        }
    }

    [Fact]
    public void No_targets_yields_inputs_only()
    {
        TimeseriesDataset dataset = TimeseriesDataset.FromArray(Arange(50), null, sequenceLength: 10, batchSize: 5);

        Assert.False(dataset.HasTargets);
        Assert.Equal(9, dataset.BatchCount); // expect 9 batches
        for (int i = 0; i < dataset.BatchCount; i++)
        {
            DataBatch batch = dataset.GetBatch(i);
            Assert.False(batch.HasTargets);
            Tensor inputs = batch.X.Single();
            Assert.Equal(i < 8 ? new TensorShape(5, 10) : new TensorShape(1, 10), inputs.Shape);
            for (int j = 0; j < inputs.Shape[0]; j++)
            {
                Assert.Equal(Range((i * 5) + j, (i * 5) + j + 10), Row(inputs, j));
            }
        }
    }

    [Fact]
    public void Shuffle_changes_order_between_passes_and_is_determined_by_the_seed()
    {
        // Keras asserts that seed 123's first window is not [0..5) and that a second iteration's first window differs:
        // facts of numpy's and TensorFlow's generators for that seed (here seed 123's pass 0 happens to start with window 0,
        // a 1-in-6 chance). Transcribed as what they stand for: a pass is not in time order, the next pass is in
        // another order, targets stay with their windows, and the same seed gives the same order.
        float[] data = Arange(10);
        TimeseriesDataset dataset = TimeseriesDataset.FromArray(data, Times(data, 2), sequenceLength: 5, batchSize: 1, shuffle: true, seed: 123);

        Assert.Equal(6, dataset.BatchCount);
        float[] pass0 = FirstValuesOfPass(dataset, 0);
        Assert.NotEqual(Range(0, 6), pass0);
        Assert.Equal(Range(0, 6), pass0.Order());
        for (int i = 0; i < dataset.BatchCount; i++)
        {
            (Tensor x, Tensor y) = Read(dataset.GetBatch(i));
            Assert.Equal(Column0(x).Select(v => v * 2), y.ToArray());
            Assert.Equal(Range((int)x[0, 0], (int)x[0, 0] + 5), Row(x, 0));
        }

        // A new pass over the same dataset yields another order (Keras: a new iteration).
        Assert.NotEqual(pass0, FirstValuesOfPass(dataset, 1));

        // Determinism with the same seed.
        TimeseriesDataset again = TimeseriesDataset.FromArray(data, Times(data, 2), sequenceLength: 5, batchSize: 1, shuffle: true, seed: 123);
        Assert.Equal(pass0, FirstValuesOfPass(again, 0));
    }

    [Fact]
    public void Sampling_rate_takes_every_rth_row()
    {
        float[] data = Arange(100);
        TimeseriesDataset dataset = TimeseriesDataset.FromArray(data, Times(data, 2), sequenceLength: 9, batchSize: 5, samplingRate: 2);

        Assert.Equal(17, dataset.BatchCount);
        for (int i = 0; i < dataset.BatchCount; i++)
        {
            (Tensor inputs, Tensor targets) = Read(dataset.GetBatch(i));
            Assert.Equal(i < 16 ? new TensorShape(5, 9) : new TensorShape(4, 9), inputs.Shape);
            Assert.Equal(Column0(inputs).Select(v => v * 2), targets.ToArray());
            for (int j = 0; j < inputs.Shape[0]; j++)
            {
                int start = (i * 5) + j;
                Assert.Equal(Range(start, start + (9 * 2), 2), Row(inputs, j));
            }
        }
    }

    [Fact]
    public void Sequence_stride_spaces_the_window_starts()
    {
        float[] data = Arange(100);
        TimeseriesDataset dataset = TimeseriesDataset.FromArray(data, Times(data, 2), sequenceLength: 9, batchSize: 5, sequenceStride: 3);

        Assert.Equal(7, dataset.BatchCount);
        for (int i = 0; i < dataset.BatchCount; i++)
        {
            (Tensor inputs, Tensor targets) = Read(dataset.GetBatch(i));
            Assert.Equal(i < 6 ? new TensorShape(5, 9) : new TensorShape(1, 9), inputs.Shape);
            Assert.Equal(Column0(inputs).Select(v => v * 2), targets.ToArray());
            for (int j = 0; j < inputs.Shape[0]; j++)
            {
                int start = (i * 5 * 3) + (j * 3);
                Assert.Equal(Range(start, start + 9), Row(inputs, j));
            }
        }
    }

    [Fact]
    public void Start_and_end_index_bound_the_rows_used()
    {
        TimeseriesDataset dataset = TimeseriesDataset.FromArray(Arange(100), null, sequenceLength: 9, batchSize: 5, sequenceStride: 3, samplingRate: 2, startIndex: 10, endIndex: 90);

        for (int i = 0; i < dataset.BatchCount; i++)
        {
            float[] values = dataset.GetBatch(i).X.Single().ToArray();
            Assert.True(values.Max() < 90);
            Assert.True(values.Min() > 9);
        }

        // Beyond Keras' bounds: the exact windows, 10 + 3i for 22 windows (64 starts below 90 - 10 - 8 * 2).
        Assert.Equal(22, dataset.SequenceCount);
        Assert.Equal(Range(10, 28, 2), Row(dataset.GetBatch(0).X.Single(), 0));
        Assert.Equal(Range(73, 91, 2), Row(dataset.GetBatch(4).X.Single(), 1));
    }

    [Fact]
    public void Errors_as_Keras_raises_them()
    {
        AssertRejected("startIndex", "startIndex must be ", () => TimeseriesDataset.FromArray(Arange(10), null, 3, startIndex: -1));
        AssertRejected("startIndex", "startIndex must be ", () => TimeseriesDataset.FromArray(Arange(10), null, 3, startIndex: 11));
        AssertRejected("endIndex", "endIndex must be ", () => TimeseriesDataset.FromArray(Arange(10), null, 3, endIndex: -1));
        AssertRejected("endIndex", "endIndex must be ", () => TimeseriesDataset.FromArray(Arange(10), null, 3, endIndex: 11));
        AssertRejected("samplingRate", "samplingRate must be ", () => TimeseriesDataset.FromArray(Arange(10), null, 3, samplingRate: 0));
        AssertRejected("sequenceStride", "sequenceStride must be ", () => TimeseriesDataset.FromArray(Arange(10), null, 3, sequenceStride: 0));
    }

    [Fact]
    public void Docstring_example_1_windows_of_every_second_row_every_third_start()
    {
        // Indices [0, 1, ... 98]; sequence_length=10, sampling_rate=2, sequence_stride=3.
        TimeseriesDataset dataset = TimeseriesDataset.FromArray(Arange(99), null, sequenceLength: 10, sequenceStride: 3, samplingRate: 2, batchSize: 128);

        Tensor windows = dataset.GetBatch(0).X.Single();
        Assert.Equal(1, dataset.BatchCount);
        Assert.Equal(new float[] { 0, 2, 4, 6, 8, 10, 12, 14, 16, 18 }, Row(windows, 0));
        Assert.Equal(new float[] { 3, 5, 7, 9, 11, 13, 15, 17, 19, 21 }, Row(windows, 1));
        Assert.Equal(new float[] { 6, 8, 10, 12, 14, 16, 18, 20, 22, 24 }, Row(windows, 2));
        Assert.Equal(new float[] { 78, 80, 82, 84, 86, 88, 90, 92, 94, 96 }, Row(windows, windows.Shape[0] - 1));
    }

    [Fact]
    public void Docstring_example_2_temporal_regression()
    {
        float[] data = Times(Arange(60), 0.5f);
        TimeseriesDataset dataset = TimeseriesDataset.FromArray(data[..^10], data[10..], sequenceLength: 10);

        (Tensor inputs, Tensor targets) = Read(dataset.GetBatch(0));
        Assert.Equal(data[..10], Row(inputs, 0)); // first sequence: steps [0-9]
        Assert.Equal(data[10], targets[0]);       // corresponding target: step 10
    }

    [Fact]
    public void Docstring_example_3_many_to_many_from_two_datasets()
    {
        float[] x = Arange(100);
        float[] y = Times(x, 2);
        const int SampleLength = 20;
        TimeseriesDataset inputs = TimeseriesDataset.FromArray(x, null, sequenceLength: SampleLength, sequenceStride: SampleLength);
        TimeseriesDataset targets = TimeseriesDataset.FromArray(y, null, sequenceLength: SampleLength, sequenceStride: SampleLength);

        Assert.Equal(x[..SampleLength], Row(inputs.GetBatch(0).X.Single(), 0));
        Assert.Equal(y[SampleLength..(2 * SampleLength)], Row(targets.GetBatch(0).X.Single(), 1)); // the second sample: steps 20-40
    }

    internal static float[] Arange(int count) => [.. Enumerable.Range(0, count).Select(i => (float)i)];

    internal static float[] Range(int start, int stop, int step = 1)
    {
        var values = new List<float>();
        for (int v = start; v < stop; v += step)
        {
            values.Add(v);
        }

        return [.. values];
    }

    internal static float[] Row(Tensor batch, int j)
    {
        int length = batch.Length / batch.Shape[0];
        return batch.AsReadOnlySpan().Slice(j * length, length).ToArray();
    }

    internal static (Tensor Inputs, Tensor Targets) Read(DataBatch batch) => (batch.X.Single(), batch.Y.Single());

    internal static void AssertRejected(string parameter, string messageStart, Action create)
    {
        ArgumentException e = Assert.ThrowsAny<ArgumentException>(create);
        Assert.Equal(parameter, e.ParamName);
        Assert.StartsWith(messageStart, e.Message, StringComparison.Ordinal);
    }

    private static float[] FirstValuesOfPass(TimeseriesDataset dataset, int pass) =>
        [.. Enumerable.Range(0, dataset.BatchCount).Select(i => dataset.GetBatch(i, pass).X.Single()[0, 0])];

    private static float[] Times(float[] values, float factor) => [.. values.Select(v => v * factor)];

    private static IEnumerable<float> Column0(Tensor inputs) => Enumerable.Range(0, inputs.Shape[0]).Select(j => Row(inputs, j)[0]);
}
