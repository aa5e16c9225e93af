using NeuralNet.Datasets;
using NeuralNet.Models;
using NeuralNet.Training;
using Xunit;
using static NeuralNet.Tests.Training.DataSourceFitTests;

namespace NeuralNet.Tests.Training;

// A BatchDataset with several workers (Keras' PyDataset(workers=n)): GetBatch calls run side by side, the batches are
// trained in the pass's order.
public class DataSourceWorkersTests
{
    private const int Samples = 100;
    private const int BatchSize = 16;

    [Theory]
    [InlineData(0, false)]
    [InlineData(2, false)]
    [InlineData(2, true)]
    [InlineData(1, true)]
    public void Fit_with_several_workers_equals_one_worker_bit_for_bit(int prefetch, bool shuffle)
    {
        (Tensor x, Tensor y) = Data(Samples);
        Sequential one = Model(), several = Model();

        History expected = one.Fit(new WorkedDataset(x, y, workers: 1), epochs: 3, shuffle: shuffle, verbose: 0, prefetch: prefetch);
        var dataset = new WorkedDataset(x, y, workers: 3) { Delay = TimeSpan.FromMilliseconds(3) };
        History actual = several.Fit(dataset, epochs: 3, shuffle: shuffle, verbose: 0, prefetch: prefetch);

        AssertSameWeights(one, several);
        Assert.Equal(expected["loss"], actual["loss"]);
        Assert.Equal(expected["accuracy"], actual["accuracy"]);
        Assert.Equal(3 * dataset.BatchCount, dataset.Calls);
    }

    [Fact]
    public void Several_workers_prepare_batches_at_once_but_never_more_than_the_workers()
    {
        (Tensor x, Tensor y) = Data(Samples);

        // Each call but the last waits until another one is running (or 5 s pass): with one call at a time it never would.
        var dataset = new WorkedDataset(x, y, workers: 2) { WaitForCompany = true };
        Model().Fit(dataset, epochs: 1, shuffle: false, verbose: 0, prefetch: 2);

        Assert.Equal(2, dataset.MostAtOnce);
        Assert.Empty(dataset.Alone);
        Assert.Equal(dataset.BatchCount - 1, dataset.MetCompany);
    }

    [Fact]
    public void Evaluate_and_Predict_with_several_workers_equal_the_tensor_versions()
    {
        (Tensor x, Tensor y) = Data(Samples);
        Sequential model = Model();
        model.Fit(x, y, epochs: 1, batchSize: BatchSize, verbose: 0);
        var dataset = new WorkedDataset(x, y, workers: 4) { Delay = TimeSpan.FromMilliseconds(2) };

        Assert.Equal(model.Predict(x, batchSize: BatchSize).ToArray(), model.Predict(dataset).ToArray());
        Assert.Equal(model.Evaluate(x, y, batchSize: BatchSize, verbose: 0)["loss"], model.Evaluate(dataset, verbose: 0)["loss"], 12);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public void A_failing_call_surfaces_at_its_batch_and_the_batches_before_it_are_trained(int prefetch)
    {
        (Tensor x, Tensor y) = Data(Samples);
        var boom = new InvalidDataException("image 4 is corrupt");
        var dataset = new WorkedDataset(x, y, workers: 3) { FailAt = 4, Failure = boom };
        Sequential failed = Model(), reference = Model();

        var error = Assert.Throws<DataSourceException>(() => failed.Fit(dataset, shuffle: false, verbose: 0, prefetch: prefetch));
        reference.Fit(x.Slice(0, 4 * BatchSize), y.Slice(0, 4 * BatchSize), batchSize: BatchSize, shuffle: false, verbose: 0);

        Assert.Same(boom, error.InnerException);
        Assert.Equal(4, error.BatchIndex);
        Assert.Contains("Batch 4 of the training data (epoch 1) could not be produced: image 4 is corrupt", error.Message);
        AssertSameWeights(reference, failed);
        Assert.Equal(0, dataset.Running);
        Assert.True(dataset.Calls <= 4 + 3, $"{dataset.Calls} calls: none may start after the failing one (batch 4, 3 workers)");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public void A_pass_stopped_early_waits_for_the_calls_ahead_before_the_epoch_hook(int prefetch)
    {
        (Tensor x, Tensor y) = Data(Samples);

        // Cancelled after the second step: up to three calls are under way for the batches after it.
        using var cancellation = new CancellationTokenSource();
        var cancelAfterSecond = new LambdaCallback(onBatchEnd: (batch, _) =>
        {
            if (batch == 1)
            {
                cancellation.Cancel();
            }
        });
        var dataset = new WorkedDataset(x, y, workers: 3) { Delay = TimeSpan.FromMilliseconds(30) };

        Assert.ThrowsAny<OperationCanceledException>(() => Model().Fit(dataset, shuffle: false, callbacks: [cancelAfterSecond], verbose: 0, prefetch: prefetch, cancellationToken: cancellation.Token));

        Assert.Equal(1, dataset.EpochEnds);
        Assert.False(dataset.HookOverlappedBatch);
        Assert.Equal(0, dataset.Running);
    }

    [Fact]
    public void A_validation_stopped_by_a_callback_does_not_stop_the_next_ones()
    {
        (Tensor x, Tensor y) = Data(Samples);
        var validation = new WorkedDataset(x, y, workers: 2) { Delay = TimeSpan.FromMilliseconds(2) };
        Sequential model = Model();
        bool stopped = false;
        var stopFirstValidation = new LambdaCallback(onTestBatchEnd: (batch, _) =>
        {
            if (!stopped && batch == 1)
            {
                stopped = true;
                model.StopEvaluating = true;
            }
        });

        History history = model.Fit(new WorkedDataset(x, y, workers: 1), epochs: 3, validationData: validation, callbacks: [stopFirstValidation], verbose: 0);

        Assert.True(stopped);
        Assert.Equal(3, history["val_loss"].Count);
        Assert.Equal(model.Evaluate(x, y, batchSize: BatchSize, verbose: 0)["loss"], history["val_loss"][2], 12);
    }

    [Fact]
    public void Workers_below_one_are_refused_by_name()
    {
        (Tensor x, Tensor y) = Data(Samples);

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new WorkedDataset(x, y, workers: 0));

        Assert.Equal("workers", error.ParamName);
        Assert.Contains("WorkedDataset expects workers >= 1", error.Message);
    }

    // Batch i is rows [i * 16, ...) of the tensors; counts the calls running at once.
    private sealed class WorkedDataset(Tensor x, Tensor y, int workers) : BatchDataset(workers)
    {
        private int _running;
        private int _arrivals;
        private int _mostAtOnce;
        private int _calls;
        private int _metCompany;
        private int _inHook;
        private int _overlapped;

        public TimeSpan Delay { get; init; }

        public bool WaitForCompany { get; init; }

        public int FailAt { get; init; } = -1;

        public Exception? Failure { get; init; }

        public int Running => Volatile.Read(ref _running);

        public int MostAtOnce => Volatile.Read(ref _mostAtOnce);

        public int Calls => Volatile.Read(ref _calls);

        public int MetCompany => Volatile.Read(ref _metCompany);

        public int EpochEnds { get; private set; }

        public List<int> Alone { get; } = [];

        public bool HookOverlappedBatch => Volatile.Read(ref _overlapped) != 0;

        public override int BatchCount => (x.Shape[0] + BatchSize - 1) / BatchSize;

        public override DataBatch GetBatch(int index)
        {
            int arrival = Interlocked.Increment(ref _arrivals);
            int running = Interlocked.Increment(ref _running);
            Interlocked.Increment(ref _calls);
            try
            {
                int most;
                while (running > (most = Volatile.Read(ref _mostAtOnce)) && Interlocked.CompareExchange(ref _mostAtOnce, running, most) != most)
                {
                }

                if (Volatile.Read(ref _inHook) != 0)
                {
                    Volatile.Write(ref _overlapped, 1);
                }

                if (WaitForCompany && index < BatchCount - 1)
                {
                    // Company: a call was running when this one came, or one came while this one runs.
                    if (running > 1 || SpinWait.SpinUntil(() => Volatile.Read(ref _arrivals) > arrival, TimeSpan.FromSeconds(5)))
                    {
                        Interlocked.Increment(ref _metCompany);
                    }
                    else
                    {
                        lock (Alone)
                        {
                            Alone.Add(index);
                        }
                    }
                }

                if (Delay > TimeSpan.Zero)
                {
                    Thread.Sleep(Delay);
                }

                if (index == FailAt)
                {
                    throw Failure!;
                }

                int start = index * BatchSize, n = Math.Min(BatchSize, x.Shape[0] - start);
                return new DataBatch(x.Slice(start, n), y.Slice(start, n));
            }
            finally
            {
                Interlocked.Decrement(ref _running);
            }
        }

        public override void OnEpochBegin() => Hook(() => { });

        public override void OnEpochEnd() => Hook(() => EpochEnds++);

        private void Hook(Action count)
        {
            Volatile.Write(ref _inHook, 1);
            if (Running != 0)
            {
                Volatile.Write(ref _overlapped, 1);
            }

            Thread.Sleep(5);
            count();
            Volatile.Write(ref _inHook, 0);
        }
    }
}
