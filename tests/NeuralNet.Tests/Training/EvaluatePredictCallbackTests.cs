using System.Numerics.Tensors;
using NeuralNet.Activations;
using NeuralNet.Datasets;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Regularizers;
using NeuralNet.Training;
using Xunit;

namespace NeuralNet.Tests.Training;

// Keras 3's callbacks in evaluate and predict: the test and predict events, their logs and outputs, stop_evaluating and
// stop_predicting, and SwapEMAWeights outside fit.
public class EvaluatePredictCallbackTests
{
    private static readonly Tensor X = Tensor.RandomNormal(new TensorShape(20, 3), 11);
    private static readonly Tensor Y = Tensor.RandomNormal(new TensorShape(20, 1), 12);

    [Fact]
    public void Evaluate_brackets_its_batches_with_test_events_and_running_logs()
    {
        Sequential model = Compiled();
        var events = new EventLog();

        IReadOnlyDictionary<string, double> result = model.Evaluate(X, Y, batchSize: 8, verbose: 0, callbacks: [events]);

        Assert.Equal(["test_begin", "test_batch_begin 0", "test_batch_end 0", "test_batch_begin 1", "test_batch_end 1",
            "test_batch_begin 2", "test_batch_end 2", "test_end"], events.Names);

        // Batch-end logs are the running means over the batches so far, penalties included, as Keras' test_function returns them.
        IReadOnlyDictionary<string, double> firstBatch = Compiled().Evaluate(X.Slice(0, 8), Y.Slice(0, 8), batchSize: 8, verbose: 0);
        Assert.Equal(firstBatch["loss"], events.BatchLogs[0]["loss"]);
        Assert.Equal(firstBatch["mean_absolute_error"], events.BatchLogs[0]["mean_absolute_error"]);
        IReadOnlyDictionary<string, double> firstTwo = Compiled().Evaluate(X.Slice(0, 16), Y.Slice(0, 16), batchSize: 8, verbose: 0);
        Assert.Equal(firstTwo["loss"], events.BatchLogs[1]["loss"]);
        Assert.NotEqual(events.BatchLogs[0]["loss"], events.BatchLogs[1]["loss"]);

        // The last batch's logs and the end event's are the result.
        Assert.Equal(result["loss"], events.BatchLogs[2]["loss"]);
        Assert.Equal(result.OrderBy(p => p.Key), events.EndLogs!.OrderBy(p => p.Key));
        Assert.Same(model, events.Model);
    }

    [Fact]
    public void Evaluate_with_callbacks_gives_what_it_gives_without()
    {
        IReadOnlyDictionary<string, double> plain = Compiled().Evaluate(X, Y, batchSize: 8, verbose: 0);
        IReadOnlyDictionary<string, double> withCallbacks = Compiled().Evaluate(X, Y, batchSize: 8, verbose: 0, callbacks: [new EventLog()]);

        Assert.Equal(plain.OrderBy(p => p.Key), withCallbacks.OrderBy(p => p.Key));
    }

    [Fact]
    public void Stop_evaluating_ends_after_the_current_batch()
    {
        Sequential model = Compiled();
        var events = new EventLog { StopEvaluatingAfter = 0 };

        IReadOnlyDictionary<string, double> result = model.Evaluate(X, Y, batchSize: 8, verbose: 0, callbacks: [events]);

        Assert.Equal(["test_begin", "test_batch_begin 0", "test_batch_end 0", "test_end"], events.Names);
        IReadOnlyDictionary<string, double> firstBatch = Compiled().Evaluate(X.Slice(0, 8), Y.Slice(0, 8), verbose: 0);
        Assert.Equal(firstBatch.OrderBy(p => p.Key), result.OrderBy(p => p.Key));

        // The next evaluation starts with the flag cleared.
        Assert.Equal(3, CountBatchEnds(model, callbacks: [new EventLog()], events: out _));
    }

    [Fact]
    public void Evaluate_on_a_stream_calls_the_test_events_per_source_batch()
    {
        Sequential model = Compiled();
        var events = new EventLog();

        IReadOnlyDictionary<string, double> result = model.Evaluate(Batches(X, Y, 8), verbose: 0, callbacks: [events]);

        Assert.Equal(["test_begin", "test_batch_begin 0", "test_batch_end 0", "test_batch_begin 1", "test_batch_end 1",
            "test_batch_begin 2", "test_batch_end 2", "test_end"], events.Names);
        Assert.Equal(Compiled().Evaluate(X, Y, batchSize: 8, verbose: 0)["loss"], result["loss"]);
    }

    [Fact]
    public void Fit_validation_calls_the_test_batch_events_with_unprefixed_logs()
    {
        Sequential model = Compiled();
        var events = new EventLog();

        History history = model.Fit(X, Y, epochs: 1, batchSize: 8, validationData: (X.Slice(0, 12), Y.Slice(0, 12)), shuffle: false, callbacks: [events], verbose: 0);

        Assert.Equal(["test_begin", "test_batch_begin 0", "test_batch_end 0", "test_batch_begin 1", "test_batch_end 1", "test_end"], events.Names);
        Assert.Equal(history["val_loss"][0], events.BatchLogs[1]["loss"]);
        Assert.DoesNotContain(events.BatchLogs[1].Keys, key => key.StartsWith("val_", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(8)]
    [InlineData(200)]
    public void Predict_calls_the_predict_events_with_each_batch_of_outputs(int batchSize)
    {
        // 300 rows at batch 200 also runs each callback batch in passes of the model's inference rows (128 here).
        Tensor x = Tensor.RandomNormal(new TensorShape(batchSize == 8 ? 20 : 300, 3), 13);
        Sequential model = Compiled();
        var events = new EventLog();

        Tensor predicted = model.Predict(x, batchSize: batchSize, callbacks: [events]);

        int batches = (x.Shape[0] + batchSize - 1) / batchSize;
        var expected = new List<string> { "predict_begin" };
        for (int b = 0; b < batches; b++)
        {
            expected.Add($"predict_batch_begin {b}");
            expected.Add($"predict_batch_end {b}");
        }

        expected.Add("predict_end");
        Assert.Equal(expected, events.Names);
        Assert.Equal(Enumerable.Range(0, batches).Select(b => Math.Min(batchSize, x.Shape[0] - (b * batchSize))), events.BatchOutputs.Select(o => o[0].Shape[0]));
        Assert.Equal(predicted.ToArray(), events.BatchOutputs.SelectMany(o => o[0].ToArray()).ToArray());
        Assert.Equal(Compiled().Predict(x, batchSize: batchSize).ToArray(), predicted.ToArray());
    }

    [Fact]
    public void Stop_predicting_returns_the_rows_of_the_batches_run()
    {
        Sequential model = Compiled();
        var events = new EventLog { StopPredictingAfter = 1 };

        Tensor predicted = model.Predict(X, batchSize: 8, callbacks: [events]);

        Assert.Equal(new TensorShape(16, 1), predicted.Shape);
        Assert.Equal(Compiled().Predict(X.Slice(0, 16)).ToArray(), predicted.ToArray());
        Assert.Equal("predict_end", events.Names[^1]);
        Assert.Equal(2, events.BatchOutputs.Count);
    }

    [Fact]
    public void Predict_on_a_stream_and_PredictOutputs_call_the_predict_events()
    {
        Sequential model = Compiled();
        var streamEvents = new EventLog();
        var outputEvents = new EventLog { StopPredictingAfter = 0 };

        Tensor fromStream = model.Predict(Batches(X, Y, 8), callbacks: [streamEvents]);
        IReadOnlyList<Tensor> outputs = model.PredictOutputs(X, batchSize: 8, callbacks: [outputEvents]);

        Assert.Equal(3, streamEvents.BatchOutputs.Count);
        Assert.Equal(fromStream.ToArray(), streamEvents.BatchOutputs.SelectMany(o => o[0].ToArray()).ToArray());
        Assert.Equal(Compiled().Predict(X).ToArray(), fromStream.ToArray());
        Assert.Equal(X.Slice(0, 8).Shape[0], outputs[0].Shape[0]);

        var stoppedStream = new EventLog { StopPredictingAfter = 1 };
        Assert.Equal(16, model.Predict(Batches(X, Y, 8), callbacks: [stoppedStream]).Shape[0]);
    }

    [Fact]
    public void Swap_ema_weights_evaluates_and_predicts_on_the_averages_and_swaps_back()
    {
        Sequential model = EmaTrained(out float[] averages);
        float[] weights = Flat(model);
        Sequential averaged = WithWeights(averages);

        IReadOnlyDictionary<string, double> evaluated = model.Evaluate(X, Y, batchSize: 8, verbose: 0, callbacks: [new SwapEmaWeights()]);
        Tensor predicted = model.Predict(X, batchSize: 8, callbacks: [new SwapEmaWeights()]);
        Tensor fromStream = model.Predict(Batches(X, Y, 8), callbacks: [new SwapEmaWeights()]);

        Assert.Equal(averaged.Evaluate(X, Y, batchSize: 8, verbose: 0)["loss"], evaluated["loss"]);
        Assert.Equal(averaged.Predict(X).ToArray(), predicted.ToArray());
        Assert.Equal(averaged.Predict(X).ToArray(), fromStream.ToArray());
        Assert.NotEqual(model.Predict(X).ToArray(), predicted.ToArray());
        Assert.Equal(weights, Flat(model));
    }

    [Fact]
    public void A_failing_prediction_or_evaluation_puts_the_training_weights_back()
    {
        Sequential model = EmaTrained(out _);
        float[] weights = Flat(model);

        Assert.Throws<InvalidOperationException>(() => model.Predict(X, batchSize: 8, callbacks: [new SwapEmaWeights(), new ThrowAtBatch(1)]));
        Assert.Equal(weights, Flat(model));
        Assert.Throws<InvalidOperationException>(() => model.Evaluate(X, Y, batchSize: 8, verbose: 0, callbacks: [new SwapEmaWeights(), new ThrowAtBatch(1)]));
        Assert.Equal(weights, Flat(model));

        using var cancel = new CancellationTokenSource();
        Assert.ThrowsAny<OperationCanceledException>(() => model.Predict(X, batchSize: 8, callbacks: [new SwapEmaWeights(), new CancelAtBatchEnd(cancel)], cancellationToken: cancel.Token));
        Assert.Equal(weights, Flat(model));
    }

    [Fact]
    public void Swap_ema_weights_without_averages_is_refused_before_anything_runs()
    {
        Sequential model = Compiled();
        float[] weights = Flat(model);
        var events = new EventLog();

        // Refused before any callback begins, whatever its place in the list (Fit checks the same way).
        var evaluate = Assert.Throws<InvalidOperationException>(() => model.Evaluate(X, Y, verbose: 0, callbacks: [events, new SwapEmaWeights()]));
        var predict = Assert.Throws<InvalidOperationException>(() => Make().Predict(X, callbacks: [events, new SwapEmaWeights()]));
        var stream = Assert.Throws<InvalidOperationException>(() => model.Predict(Batches(X, Y, 8), callbacks: [events, new SwapEmaWeights()]));

        Assert.Contains("UseEma = true; the model's optimizer Sgd has UseEma = false", evaluate.Message, StringComparison.Ordinal);
        Assert.Contains("the model has no optimizer (it is not compiled)", predict.Message, StringComparison.Ordinal);
        Assert.Contains("Nothing was evaluated or predicted.", stream.Message, StringComparison.Ordinal);

        // With UseEma but before any step there are no averages yet: refused too, as Keras raises then.
        Sequential untrained = Make();
        untrained.Compile(new Sgd(0.1f) { UseEma = true }, new MeanSquaredError());
        var early = Assert.Throws<InvalidOperationException>(() => untrained.Predict(X, callbacks: [events, new SwapEmaWeights()]));
        Assert.Contains("the optimizer Sgd has not stepped yet", early.Message, StringComparison.Ordinal);
        Assert.Empty(events.Names);
        Assert.Equal(weights, Flat(model));
    }

    [Fact]
    public void A_null_callback_is_refused_by_index()
    {
        Sequential model = Compiled();

        var evaluate = Assert.Throws<ArgumentException>(() => model.Evaluate(X, Y, verbose: 0, callbacks: [new EventLog(), null!]));
        var predict = Assert.Throws<ArgumentException>(() => model.Predict(X, callbacks: [null!]));

        Assert.Contains("callbacks[1] is null", evaluate.Message, StringComparison.Ordinal);
        Assert.Contains("callbacks[0] is null", predict.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_call_with_callbacks_that_fails_leaves_an_unbuilt_model_unbuilt()
    {
        // Built from x by the call, then failed in a callback: the model is unbuilt again, as a failed check leaves it.
        var model = new Sequential([new Dense(2), new Dense(1)], seed: 3);
        model.Compile(new Sgd(0.1f), new MeanSquaredError());

        Assert.Throws<InvalidOperationException>(() => model.Predict(X, callbacks: [new ThrowAtBegin()]));
        Assert.False(model.IsBuilt);
        Assert.Throws<InvalidOperationException>(() => model.Evaluate(X, Y, verbose: 0, callbacks: [new ThrowAtBegin()]));
        Assert.False(model.IsBuilt);
        Assert.Throws<InvalidOperationException>(() => model.Evaluate(X, Y, batchSize: 8, verbose: 0, callbacks: [new ThrowAtBatch(1)]));
        Assert.False(model.IsBuilt);
        Assert.Throws<ArgumentException>(() => model.Evaluate(X, Y, verbose: 0, callbacks: [null!]));
        Assert.False(model.IsBuilt);

        Assert.Equal(new TensorShape(20, 1), model.Predict(X, callbacks: [new EventLog()]).Shape);
    }

    [Fact]
    public void Stop_evaluating_set_at_test_begin_runs_one_batch()
    {
        // Keras clears stop_evaluating before on_test_begin, so a callback can stop there (after the first batch).
        var events = new StopAtTestBegin();

        Compiled().Evaluate(X, Y, batchSize: 8, verbose: 0, callbacks: [events]);
        Compiled().Fit(X, Y, epochs: 1, batchSize: 8, validationData: (X, Y), shuffle: false, callbacks: [events], verbose: 0);

        Assert.Equal([1, 1], events.BatchesPerEvaluation);
    }

    [Fact]
    public void Weights_changed_by_a_test_batch_event_are_the_ones_the_next_batches_use()
    {
        // Dense packs its kernel once per evaluation: a callback that changes the weights between batches renews that.
        Tensor x = Tensor.RandomNormal(new TensorShape(60, 16), 21), y = Tensor.RandomNormal(new TensorShape(60, 1), 22);
        Sequential Wide()
        {
            var model = new Sequential([new InputLayer(16), new Dense(32, ActivationFunction.Tanh), new Dense(1)], seed: 9);
            model.Compile(new Sgd(0.1f), new MeanSquaredError());
            return model;
        }

        Sequential changed = Wide(), doubled = Wide();
        foreach (Parameter parameter in doubled.Parameters)
        {
            TensorPrimitives.Multiply(parameter.Value.AsSpan(), 2f, parameter.Value.AsSpan());
        }

        double loss = changed.Evaluate(x, y, batchSize: 20, verbose: 0, callbacks: [new DoubleWeightsAtBatch(1)])["loss"];

        double first = Wide().Evaluate(x.Slice(0, 20), y.Slice(0, 20), batchSize: 20, verbose: 0)["loss"];
        double rest = doubled.Evaluate(x.Slice(20, 40), y.Slice(20, 40), batchSize: 20, verbose: 0)["loss"];
        Assert.Equal(((first * 20) + (rest * 40)) / 60, loss, 1e-9);
    }

    [Fact]
    public void Empty_stream_batches_have_no_events_and_take_no_batch_index()
    {
        Sequential model = Compiled();
        var events = new EventLog();
        DataBatch[] batches = [new(X.Slice(0, 8), Y.Slice(0, 8)), new(X.Slice(8, 0), Y.Slice(8, 0)), new(X.Slice(8, 8), Y.Slice(8, 8))];

        Tensor predicted = model.Predict(batches, callbacks: [events]);

        Assert.Equal(["predict_begin", "predict_batch_begin 0", "predict_batch_end 0", "predict_batch_begin 1", "predict_batch_end 1", "predict_end"], events.Names);
        Assert.Equal(16, predicted.Shape[0]);
    }

    [Fact]
    public void A_failing_stream_prediction_puts_the_training_weights_back()
    {
        Sequential model = EmaTrained(out _);
        float[] weights = Flat(model);

        Assert.Throws<InvalidOperationException>(() => model.Predict(Batches(X, Y, 8), callbacks: [new SwapEmaWeights(), new ThrowAtBatch(1)]));

        Assert.Equal(weights, Flat(model));
    }

    [Fact]
    public void Lambda_callback_takes_the_test_and_predict_events()
    {
        Sequential model = Compiled();
        var names = new List<string>();
        var rows = new List<int>();
        double? lastBatchLoss = null;
        var lambda = new LambdaCallback(
            onTestBegin: _ => names.Add("test_begin"),
            onTestBatchEnd: (batch, logs) => lastBatchLoss = logs["loss"],
            onTestEnd: logs => names.Add($"test_end {logs["loss"]}"),
            onPredictBegin: _ => names.Add("predict_begin"),
            onPredictBatchEnd: (batch, outputs) => rows.Add(outputs[0].Shape[0]),
            onPredictEnd: _ => names.Add("predict_end"));

        double loss = model.Evaluate(X, Y, batchSize: 8, verbose: 0, callbacks: [lambda])["loss"];
        model.Predict(X, batchSize: 8, callbacks: [lambda]);

        Assert.Equal(["test_begin", $"test_end {loss}", "predict_begin", "predict_end"], names);
        Assert.Equal(loss, lastBatchLoss);
        Assert.Equal([8, 8, 4], rows);
    }

    private static int CountBatchEnds(Sequential model, Callback[] callbacks, out EventLog events)
    {
        events = (EventLog)callbacks[0];
        model.Evaluate(X, Y, batchSize: 8, verbose: 0, callbacks: callbacks);
        return events.Names.Count(name => name.StartsWith("test_batch_end", StringComparison.Ordinal));
    }

    private static Sequential Make() =>
        new([new InputLayer(3), new Dense(4, ActivationFunction.Tanh, kernelRegularizer: new L2(0.05)), new Dense(1)], seed: 7);

    private static Sequential Compiled()
    {
        Sequential model = Make();
        model.Compile(new Sgd(0.1f), new MeanSquaredError(), new MeanAbsoluteErrorMetric());
        return model;
    }

    // A few steps that move the weights away from their averages (TrainOnBatch does not give the parameters their averages, as Fit's end does).
    private static Sequential EmaTrained(out float[] averages)
    {
        Sequential model = Make();
        model.Compile(new Sgd(0.3f) { UseEma = true, EmaMomentum = 0.5f }, new MeanSquaredError());
        for (int step = 0; step < 4; step++)
        {
            model.TrainOnBatch(X.Slice(step * 5, 5), Y.Slice(step * 5, 5));
        }

        int average = model.Optimizer!.StateSlotNames.ToList().IndexOf("average");
        averages = [.. model.Parameters.SelectMany(p => model.Optimizer.GetState(p)[average].ToArray())];
        Assert.NotEqual(averages, Flat(model));
        return model;
    }

    private static Sequential WithWeights(float[] weights)
    {
        Sequential model = Make();
        model.Compile(new Sgd(0.3f), new MeanSquaredError());
        int at = 0;
        foreach (Parameter parameter in model.Parameters)
        {
            weights.AsSpan(at, parameter.Value.Length).CopyTo(parameter.Value.AsSpan());
            at += parameter.Value.Length;
        }

        return model;
    }

    private static float[] Flat(Model model) => [.. model.Parameters.SelectMany(p => p.Value.ToArray())];

    private static IEnumerable<DataBatch> Batches(Tensor x, Tensor y, int size)
    {
        for (int start = 0; start < x.Shape[0]; start += size)
        {
            int count = Math.Min(size, x.Shape[0] - start);
            yield return new DataBatch(x.Slice(start, count), y.Slice(start, count));
        }
    }

    private sealed class EventLog : Callback
    {
        public List<string> Names { get; } = [];

        public List<Dictionary<string, double>> BatchLogs { get; } = [];

        public Dictionary<string, double>? EndLogs { get; private set; }

        public List<Tensor[]> BatchOutputs { get; } = [];

        public int? StopEvaluatingAfter { get; init; }

        public int? StopPredictingAfter { get; init; }

        public override void OnTestBegin(IReadOnlyDictionary<string, double> logs) => Names.Add("test_begin");

        public override void OnTestBatchBegin(int batch, IReadOnlyDictionary<string, double> logs)
        {
            Assert.Empty(logs);
            Names.Add($"test_batch_begin {batch}");
        }

        public override void OnTestBatchEnd(int batch, IReadOnlyDictionary<string, double> logs)
        {
            Names.Add($"test_batch_end {batch}");
            BatchLogs.Add(new Dictionary<string, double>(logs));
            if (batch == StopEvaluatingAfter)
            {
                Model!.StopEvaluating = true;
            }
        }

        public override void OnTestEnd(IReadOnlyDictionary<string, double> logs)
        {
            Names.Add("test_end");
            EndLogs = new Dictionary<string, double>(logs);
        }

        public override void OnPredictBegin(IReadOnlyDictionary<string, double> logs) => Names.Add("predict_begin");

        public override void OnPredictBatchBegin(int batch, IReadOnlyDictionary<string, double> logs) => Names.Add($"predict_batch_begin {batch}");

        public override void OnPredictBatchEnd(int batch, IReadOnlyList<Tensor> outputs)
        {
            Names.Add($"predict_batch_end {batch}");
            BatchOutputs.Add([.. outputs.Select(output => output.Clone())]);
            if (batch == StopPredictingAfter)
            {
                Model!.StopPredicting = true;
            }
        }

        public override void OnPredictEnd(IReadOnlyDictionary<string, double> logs) => Names.Add("predict_end");
    }

    private sealed class ThrowAtBatch(int at) : Callback
    {
        public override void OnPredictBatchBegin(int batch, IReadOnlyDictionary<string, double> logs) => Throw(batch);

        public override void OnTestBatchBegin(int batch, IReadOnlyDictionary<string, double> logs) => Throw(batch);

        private void Throw(int batch)
        {
            if (batch == at)
            {
                throw new InvalidOperationException("test failure");
            }
        }
    }

    private sealed class ThrowAtBegin : Callback
    {
        public override void OnPredictBegin(IReadOnlyDictionary<string, double> logs) => throw new InvalidOperationException("test failure");

        public override void OnTestBegin(IReadOnlyDictionary<string, double> logs) => throw new InvalidOperationException("test failure");
    }

    private sealed class StopAtTestBegin : Callback
    {
        public List<int> BatchesPerEvaluation { get; } = [];

        public override void OnTestBegin(IReadOnlyDictionary<string, double> logs)
        {
            Model!.StopEvaluating = true;
            BatchesPerEvaluation.Add(0);
        }

        public override void OnTestBatchEnd(int batch, IReadOnlyDictionary<string, double> logs) => BatchesPerEvaluation[^1]++;
    }

    private sealed class DoubleWeightsAtBatch(int at) : Callback
    {
        public override void OnTestBatchBegin(int batch, IReadOnlyDictionary<string, double> logs)
        {
            if (batch == at)
            {
                foreach (Parameter parameter in Model!.Parameters)
                {
                    TensorPrimitives.Multiply(parameter.Value.AsSpan(), 2f, parameter.Value.AsSpan());
                }
            }
        }
    }

    private sealed class CancelAtBatchEnd(CancellationTokenSource cancel) : Callback
    {
        public override void OnPredictBatchEnd(int batch, IReadOnlyList<Tensor> outputs) => cancel.Cancel();
    }
}
