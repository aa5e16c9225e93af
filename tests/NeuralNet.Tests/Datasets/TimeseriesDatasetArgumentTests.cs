using NeuralNet.Datasets;
using Xunit;
using static NeuralNet.Tests.Datasets.TimeseriesDatasetKerasTests;

namespace NeuralNet.Tests.Datasets;

// The argument checks of TimeseriesDataset.FromArray: Keras' messages word for word (with .NET names), then the cases
// Keras leaves to an empty dataset or a failure while iterating.
public class TimeseriesDatasetArgumentTests
{
    [Theory]
    [InlineData(-1, null, "startIndex", "startIndex must be 0 or greater. Received: startIndex=-1.")]
    [InlineData(10, null, "startIndex", "startIndex must be lower than the length of the data. Received: startIndex=10, for data of length 10.")]
    [InlineData(5, 3, "endIndex", "endIndex must be higher than startIndex. Received: startIndex=5, and endIndex=3.")]
    [InlineData(5, 5, "endIndex", "endIndex must be higher than startIndex. Received: startIndex=5, and endIndex=5.")]
    [InlineData(null, 10, "endIndex", "endIndex must be lower than the length of the data. Received: endIndex=10, for data of length 10.")]
    [InlineData(null, -1, "endIndex", "endIndex must be higher than 0. Received: endIndex=-1.")]
    [InlineData(0, 0, "endIndex", "endIndex must be higher than 0. Received: endIndex=0.")]
    [InlineData(null, 0, "endIndex", "endIndex must be higher than 0. Received: endIndex=0.")]
    public void Start_and_end_index_are_checked_as_Keras_checks_them(int? startIndex, int? endIndex, string parameter, string message)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => TimeseriesDataset.FromArray(Arange(10), null, 2, startIndex: startIndex, endIndex: endIndex));

        Assert.Equal(parameter, e.ParamName);
        Assert.StartsWith(message, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, 1, "samplingRate", "samplingRate must be higher than 0. Received: samplingRate=0.")]
    [InlineData(-2, 1, "samplingRate", "samplingRate must be higher than 0. Received: samplingRate=-2.")]
    [InlineData(10, 1, "samplingRate", "samplingRate must be lower than the length of the data. Received: samplingRate=10, for data of length 10.")]
    [InlineData(1, 0, "sequenceStride", "sequenceStride must be higher than 0. Received: sequenceStride=0.")]
    [InlineData(1, 10, "sequenceStride", "sequenceStride must be lower than the length of the data. Received: sequenceStride=10, for data of length 10.")]
    [InlineData(0, 0, "samplingRate", "samplingRate must be higher than 0. Received: samplingRate=0.")] // Keras checks the rate first
    public void Sampling_rate_and_stride_are_checked_as_Keras_checks_them(int samplingRate, int sequenceStride, string parameter, string message)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => TimeseriesDataset.FromArray(Arange(10), null, 2, sequenceStride, samplingRate));

        Assert.Equal(parameter, e.ParamName);
        Assert.StartsWith(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Keras_checks_come_before_the_ones_Keras_lacks()
    {
        // A bad start and a zero length: Keras' start check speaks first.
        AssertRejected("startIndex", "startIndex must be 0 or greater", () => TimeseriesDataset.FromArray(Arange(10), null, 0, startIndex: -3));
        AssertRejected("samplingRate", "samplingRate must be higher than 0", () => TimeseriesDataset.FromArray(Arange(10), null, 0, batchSize: 0, samplingRate: 0));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-4)]
    public void A_sequence_length_below_one_is_refused(int sequenceLength)
    {
        AssertRejected("sequenceLength", $"sequenceLength must be higher than 0. Received: sequenceLength={sequenceLength}.",
            () => TimeseriesDataset.FromArray(Arange(10), null, sequenceLength));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void A_batch_size_below_one_is_refused(int batchSize)
    {
        AssertRejected("batchSize", $"batchSize must be higher than 0. Received: batchSize={batchSize}.",
            () => TimeseriesDataset.FromArray(Arange(10), null, 3, batchSize: batchSize));
    }

    [Fact]
    public void A_sequence_longer_than_the_rows_is_refused_with_the_span_and_the_range()
    {
        AssertRejected("sequenceLength", "sequenceLength=11 rows taken every samplingRate=1 rows span 11 rows, more than the 10 rows from startIndex=0 to endIndex=10 (exclusive): no window fits.",
            () => TimeseriesDataset.FromArray(Arange(10), null, 11));

        // The span counts the sampling rate, and the range startIndex and endIndex: 1 + 4 * 2 = 9 rows in [2, 9).
        AssertRejected("sequenceLength", "sequenceLength=5 rows taken every samplingRate=2 rows span 9 rows, more than the 7 rows from startIndex=2 to endIndex=9 (exclusive)",
            () => TimeseriesDataset.FromArray(Arange(10), Arange(10), 5, samplingRate: 2, startIndex: 2, endIndex: 9));

        // The longest window that fits is accepted: one window.
        Assert.Equal(1, TimeseriesDataset.FromArray(Arange(10), null, 10).SequenceCount);
        Assert.Equal(1, TimeseriesDataset.FromArray(Arange(10), null, 4, samplingRate: 2, startIndex: 2, endIndex: 9).SequenceCount);
    }

    [Fact]
    public void Targets_without_rows_are_refused()
    {
        AssertRejected("targets", "targets has no rows", () => TimeseriesDataset.FromArray(Arange(10), [], 3));
    }

    [Fact]
    public void Targets_too_short_for_a_window_after_startIndex_are_refused_naming_the_row()
    {
        // 6 starts below 10 - 4 - 0, capped by the 5 targets: windows at rows 4..8, and window 4's target would be targets[8].
        AssertRejected("targets", "targets has 5 rows but window 4 starts at row 8 (startIndex=4 + 4 * sequenceStride=1) and its target is targets[8]",
            () => TimeseriesDataset.FromArray(Arange(10), Arange(5), 1, startIndex: 4));

        // Keras' rule otherwise: fewer targets cap the windows.
        TimeseriesDataset capped = TimeseriesDataset.FromArray(Arange(10), Arange(4), 2);
        Assert.Equal(4, capped.SequenceCount);
        Assert.Equal(new float[] { 0, 1, 2, 3 }, capped.GetBatch(0).Y.Single().ToArray());
    }

    [Fact]
    public void Scalars_and_nulls_are_refused_by_name()
    {
        Assert.Equal("data", Assert.Throws<ArgumentNullException>(() => TimeseriesDataset.FromArray((Tensor)null!, null, 3)).ParamName);
        Assert.Equal("data", Assert.Throws<ArgumentNullException>(() => TimeseriesDataset.FromArray((float[])null!, null, 3)).ParamName);
        Assert.Equal("data", Assert.Throws<ArgumentException>(() => TimeseriesDataset.FromArray(new Tensor(), null, 3)).ParamName);
        Assert.Equal("targets", Assert.Throws<ArgumentException>(() => TimeseriesDataset.FromArray(Tensor.FromArray(Arange(10), 10), new Tensor(), 3)).ParamName);
    }

    [Fact]
    public void Empty_data_fails_Keras_sampling_rate_check()
    {
        AssertRejected("samplingRate", "samplingRate must be lower than the length of the data. Received: samplingRate=1, for data of length 0.",
            () => TimeseriesDataset.FromArray([], null, 1));
    }

    [Fact]
    public void GetBatch_outside_the_batches_is_refused()
    {
        TimeseriesDataset dataset = TimeseriesDataset.FromArray(Arange(10), null, 3, batchSize: 4);

        Assert.Equal(2, dataset.BatchCount);
        Assert.Equal("index", Assert.Throws<ArgumentOutOfRangeException>(() => dataset.GetBatch(2)).ParamName);
        Assert.Equal("index", Assert.Throws<ArgumentOutOfRangeException>(() => dataset.GetBatch(-1)).ParamName);
        Assert.Equal("pass", Assert.Throws<ArgumentOutOfRangeException>(() => dataset.GetBatch(0, -1)).ParamName);
    }

    [Fact]
    public void GetWindow_outside_the_windows_is_refused()
    {
        TimeseriesDataset dataset = TimeseriesDataset.FromArray(Arange(10), null, 3, batchSize: 4);

        Assert.Equal(8, dataset.SequenceCount);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => dataset.GetWindow(8));
        Assert.Equal("index", error.ParamName);
        Assert.StartsWith("index must be in [0, SequenceCount) = [0, 8). Received: index=8.", error.Message, StringComparison.Ordinal);
        Assert.Equal("index", Assert.Throws<ArgumentOutOfRangeException>(() => dataset.GetWindow(-1)).ParamName);
        Assert.Equal("pass", Assert.Throws<ArgumentOutOfRangeException>(() => dataset.GetWindow(0, -1)).ParamName);
    }
}
