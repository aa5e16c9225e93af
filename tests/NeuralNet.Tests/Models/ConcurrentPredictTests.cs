using System.Collections.Concurrent;
using NeuralNet.Activations;
using NeuralNet.Datasets;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Training;
using Xunit;

namespace NeuralNet.Tests.Models;

// Predictions from several threads run side by side on copies of the layers that share the model's weights; everything
// else waits for them. A Rendezvous layer makes two predictions meet inside the forward pass, so the second one is
// certain to run on a copy.
public class ConcurrentPredictTests
{
    public static TheoryData<string> Architectures => ["mlp", "cnn", "sequence", "preprocessing"];

    [Theory]
    [MemberData(nameof(Architectures))]
    public void Two_predictions_that_overlap_give_the_single_threaded_results_bit_for_bit(string architecture)
    {
        var meeting = new Meeting();
        (Model model, Tensor[] x) = Build(architecture, meeting);
        IReadOnlyList<Tensor> expected = model.PredictOutputs(x, batchSize: 5);

        IReadOnlyList<Tensor>[] results = Overlapping(meeting, 2, _ => model.PredictOutputs(x, batchSize: 5));

        Assert.All(results, r => Assert.True(ModelTestData.BitIdentical(expected, r), $"{architecture}: a concurrent prediction differs"));
    }

    [Fact]
    public void A_prediction_from_a_data_source_runs_beside_another_prediction_with_the_single_threaded_results()
    {
        var meeting = new Meeting();
        (Model model, Tensor[] x) = Build("mlp", meeting);
        Tensor rows = x[0];
        DataSource Source() => DataSource.FromBatches(Enumerable.Range(0, 4).Select(b => new DataBatch(rows.Slice(b * 4, 4))));
        float[] expected = model.Predict(rows, batchSize: 4).ToArray();
        Assert.Equal(expected, model.Predict(Source(), prefetch: 0).ToArray());

        // Both first forward passes meet inside the model: the data-source prediction no longer holds the model alone.
        float[][] results = Overlapping(meeting, 2, t => (t == 0 ? model.Predict(Source(), prefetch: 0) : model.Predict(rows, batchSize: 4)).ToArray());

        Assert.All(results, r => Assert.Equal(expected, r));
    }

    [Fact]
    public void A_copy_reads_the_weights_training_has_changed_since_it_was_made()
    {
        var meeting = new Meeting();
        (Model model, Tensor[] x) = Build("cnn", meeting);
        Overlapping(meeting, 2, _ => model.PredictOutputs(x));
        Tensor y = LabeledDataset.OneHot(Enumerable.Range(0, x[0].Shape[0]).Select(i => (i * 7) % 5).ToArray(), 5);

        model.Fit(x, y, epochs: 2, batchSize: 4, verbose: 0);
        IReadOnlyList<Tensor> expected = model.PredictOutputs(x);
        IReadOnlyList<Tensor>[] results = Overlapping(meeting, 2, _ => model.PredictOutputs(x));

        Assert.All(results, r => Assert.True(ModelTestData.BitIdentical(expected, r)));
    }

    [Theory]
    [InlineData("mlp")]
    [InlineData("cnn")]
    public void Eight_threads_with_Predict_into_a_destination_match_one_thread_and_a_warm_call_on_a_copy_allocates_nothing(string architecture)
    {
        var meeting = new Meeting();
        (Model model, Tensor[] x) = Build(architecture, meeting);
        Tensor rows = x[0];
        int samples = rows.Shape[0], classes = model.Outputs[0].Shape[0];
        var expected = new float[samples][];
        for (int i = 0; i < samples; i++)
        {
            var one = new Tensor(1, classes);
            model.Predict(rows.Slice(i, 1), one);
            expected[i] = one.ToArray();
        }

        var failures = new ConcurrentBag<string>();
        var allocated = new long[8][];
        Overlapping(meeting, 8, t =>
        {
            var one = new Tensor(1, classes);
            Tensor[] slices = [.. Enumerable.Range(0, samples).Select(i => rows.Slice(i, 1))];
            model.Predict(slices[t % samples], one);

            // As AllocationCheck: up to three attempts, one of which must allocate nothing (the runtime itself sometimes
            // allocates once on a thread, compiling a method on stack replacement or tiering it up).
            allocated[t] = new long[3];
            for (int attempt = 0; attempt < 3; attempt++)
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                for (int round = 0; round < 3; round++)
                {
                    for (int i = 0; i < samples; i++)
                    {
                        model.Predict(slices[i], one);
                        if (!one.AsReadOnlySpan().SequenceEqual(expected[i]))
                        {
                            failures.Add($"thread {t}, row {i}, attempt {attempt}, round {round}");
                        }
                    }
                }

                allocated[t][attempt] = GC.GetAllocatedBytesForCurrentThread() - before;
                if (allocated[t][attempt] == 0)
                {
                    break;
                }
            }

            return 0;
        });

        Assert.Empty(failures);
        Assert.All(allocated, attempts => Assert.Contains(0L, attempts));
    }

    [Fact]
    public void Fit_waits_for_a_running_prediction_which_sees_the_weights_of_before_it()
    {
        var meeting = new Meeting();
        (Model model, Tensor[] x) = Build("cnn", meeting);
        Tensor y = LabeledDataset.OneHot(Enumerable.Range(0, x[0].Shape[0]).Select(i => i % 5).ToArray(), 5);
        float[] before = model.Predict(x[0]).ToArray();
        using var barrier = new Barrier(2);
        meeting.Start(barrier);
        float[]? seen = null;
        var predictor = new Thread(() => seen = model.Predict(x[0]).ToArray());
        predictor.Start();
        Assert.True(SpinWait.SpinUntil(() => barrier.ParticipantsRemaining == 1, TimeSpan.FromSeconds(30)), "the prediction did not start");

        // The prediction waits in its forward pass; Fit must not start training under it.
        using var fitted = new ManualResetEventSlim();
        Exception? fitError = null;
        var fit = new Thread(() =>
        {
            try
            {
                model.Fit(x, y, epochs: 1, batchSize: 4, verbose: 0);
            }
            catch (Exception e)
            {
                fitError = e;
            }

            fitted.Set();
        });
        fit.Start();
        Assert.False(fitted.Wait(TimeSpan.FromMilliseconds(300)), "Fit ran while a prediction was running");
        barrier.SignalAndWait();
        fit.Join();
        predictor.Join();
        meeting.Stop();
        Assert.Null(fitError);

        Assert.Equal(before, seen);
        Assert.NotEqual(before, model.Predict(x[0]).ToArray());
    }

    [Fact]
    public void A_layer_that_calls_back_into_the_model_during_a_prediction_is_refused_rather_than_waiting_for_itself()
    {
        var meeting = new Meeting();
        (Model model, Tensor[] x) = Build("cnn", meeting);
        Tensor y = LabeledDataset.OneHot(Enumerable.Range(0, x[0].Shape[0]).Select(i => i % 5).ToArray(), 5);
        meeting.DuringPrediction = () => model.Evaluate(x, y, verbose: 0);

        var error = Assert.Throws<InvalidOperationException>(() => model.Predict(x[0]));

        Assert.Contains("inside a prediction of the model", error.Message, StringComparison.Ordinal);
        meeting.DuringPrediction = null;
        Assert.Equal(x[0].Shape[0], model.Predict(x[0]).Shape[0]);
        model.Fit(x, y, epochs: 1, batchSize: 4, verbose: 0);
    }

    [Fact]
    public void Predictions_running_beside_Fit_see_the_weights_of_before_or_after_it()
    {
        var meeting = new Meeting();
        (Model model, Tensor[] x) = Build("cnn", meeting);
        Tensor y = LabeledDataset.OneHot(Enumerable.Range(0, x[0].Shape[0]).Select(i => i % 5).ToArray(), 5);
        Tensor before = model.Predict(x[0]);

        using var stop = new CancellationTokenSource();
        var seen = new ConcurrentBag<float[]>();
        var predictors = Enumerable.Range(0, 2).Select(_ => new Thread(() =>
        {
            do
            {
                seen.Add(model.Predict(x[0]).ToArray());
            }
            while (!stop.IsCancellationRequested);
        })).ToList();
        predictors.ForEach(t => t.Start());

        // Fit starts once the predictions are running (a short Fit could otherwise end before a predictor thread starts).
        Assert.True(SpinWait.SpinUntil(() => !seen.IsEmpty, TimeSpan.FromSeconds(10)), "no prediction started");
        model.Fit(x, y, epochs: 3, batchSize: 4, verbose: 0);
        stop.Cancel();
        predictors.ForEach(t => t.Join());
        Tensor after = model.Predict(x[0]);

        // Fit holds the model from start to end: a prediction sees the weights of before it or of after it.
        Assert.NotEmpty(seen);
        Assert.False(before.AsReadOnlySpan().SequenceEqual(after.AsReadOnlySpan()));
        Assert.All(seen, s => Assert.True(s.AsSpan().SequenceEqual(before.AsReadOnlySpan()) || s.AsSpan().SequenceEqual(after.AsReadOnlySpan())));
    }

    [Fact]
    public void A_callback_of_Fit_predicts_in_the_training_thread_turn()
    {
        var meeting = new Meeting();
        (Model model, Tensor[] x) = Build("cnn", meeting);
        Tensor y = LabeledDataset.OneHot(Enumerable.Range(0, x[0].Shape[0]).Select(i => i % 5).ToArray(), 5);
        var predictions = new List<float[]>();

        model.Fit(x, y, epochs: 2, batchSize: 4, verbose: 0, callbacks: [new AfterEveryEpoch(() => predictions.Add(model.Predict(x[0]).ToArray()))]);

        Assert.Equal(2, predictions.Count);
        Assert.Equal(model.Predict(x[0]).ToArray(), predictions[^1]);
    }

    [Fact]
    public void Two_models_that_share_a_layer_predict_side_by_side_with_the_single_threaded_results()
    {
        var meeting = new Meeting();
        (Model encoder, Model autoencoder) = SharingModels(meeting);
        Tensor a = Tensor.RandomNormal(new TensorShape(6, 8), 1), b = Tensor.RandomNormal(new TensorShape(6, 8), 2);
        Tensor expectedA = encoder.Predict(a), expectedB = autoencoder.Predict(b);

        // Each prediction's Rendezvous comes after the shared layer: the second to run it must not overwrite the first's
        // output while the first waits at the meeting.
        Tensor[] results = Overlapping(meeting, 2, t => t == 0 ? encoder.Predict(a) : autoencoder.Predict(b));

        Assert.True(results[0].AsReadOnlySpan().SequenceEqual(expectedA.AsReadOnlySpan()), "the encoder's prediction differs");
        Assert.True(results[1].AsReadOnlySpan().SequenceEqual(expectedB.AsReadOnlySpan()), "the autoencoder's prediction differs");

        // One caller at a time runs on a kept copy too, and a warm call still allocates nothing.
        Tensor row = a.Slice(0, 1), destination = new Tensor(1, 4);
        encoder.Predict(row, destination);
        AllocationCheck.AssertNone(() => encoder.Predict(row, destination));
        Assert.True(destination.AsReadOnlySpan().SequenceEqual(expectedA.AsReadOnlySpan()[..4]));
    }

    [Fact]
    public void A_model_predicts_beside_the_evaluation_of_another_that_shares_its_layer_with_the_single_threaded_results()
    {
        var meeting = new Meeting();
        (Model encoder, Model autoencoder) = SharingModels(meeting);
        Tensor a = Tensor.RandomNormal(new TensorShape(6, 8), 1), b = Tensor.RandomNormal(new TensorShape(6, 8), 2);
        Tensor expectedA = encoder.Predict(a);
        double expectedLoss = autoencoder.Evaluate(b, b, verbose: 0)["loss"];

        object[] results = Overlapping(meeting, 2, t => t == 0 ? encoder.Predict(a) : (object)autoencoder.Evaluate(b, b, verbose: 0));

        Assert.True(((Tensor)results[0]).AsReadOnlySpan().SequenceEqual(expectedA.AsReadOnlySpan()), "the encoder's prediction differs");
        Assert.Equal(expectedLoss, ((IReadOnlyDictionary<string, double>)results[1])["loss"]);
    }

    [Fact]
    public void A_wrapper_s_inner_layer_called_in_another_model_does_not_mix_the_two_models_predictions()
    {
        var meeting = new Meeting();
        var wrapper = new TimeDistributed(new Dense(4, ActivationFunction.Tanh));
        var sequences = new Input(3, 8);
        var perStep = new Functional(sequences, new Rendezvous(meeting).Call(wrapper.Call(sequences)), seed: 7);
        var rows = new Input(8);
        var direct = new Functional(rows, new Rendezvous(meeting).Call(wrapper.InnerLayer.Call(rows)), seed: 8);
        Tensor a = Tensor.RandomNormal(new TensorShape(6, 3, 8), 1), b = Tensor.RandomNormal(new TensorShape(18, 8), 2);
        Tensor expectedA = perStep.Predict(a), expectedB = direct.Predict(b);

        Tensor[] results = Overlapping(meeting, 2, t => t == 0 ? perStep.Predict(a) : direct.Predict(b));

        Assert.True(results[0].AsReadOnlySpan().SequenceEqual(expectedA.AsReadOnlySpan()), "the wrapper model's prediction differs");
        Assert.True(results[1].AsReadOnlySpan().SequenceEqual(expectedB.AsReadOnlySpan()), "the inner layer's model's prediction differs");
    }

    // An encoder (8 -> 4) and an autoencoder (8 -> 4 -> 8) built on the same Dense layer object, each meeting the other's
    // prediction right after it.
    private static (Model Encoder, Model Autoencoder) SharingModels(Meeting meeting)
    {
        var shared = new Dense(4, ActivationFunction.Tanh);
        var encoderInput = new Input(8);
        var encoder = new Functional(encoderInput, new Rendezvous(meeting).Call(shared.Call(encoderInput)), seed: 5);
        var input = new Input(8);
        var autoencoder = new Functional(input, new Dense(8).Call(new Rendezvous(meeting).Call(shared.Call(input))), seed: 6);
        autoencoder.Compile(new Adam(0.01f), new MeanSquaredError());
        return (encoder, autoencoder);
    }

    // Runs work on `threads` threads whose first forward passes all meet in the model's Rendezvous layer, so they overlap.
    private static T[] Overlapping<T>(Meeting meeting, int threads, Func<int, T> work)
    {
        var results = new T[threads];
        var errors = new ConcurrentBag<Exception>();
        using var barrier = new Barrier(threads);
        meeting.Start(barrier);
        var running = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            try
            {
                results[t] = work(t);
            }
            catch (Exception e)
            {
                errors.Add(e);
                meeting.Stop();
            }
        })).ToList();
        running.ForEach(t => t.Start());
        running.ForEach(t => t.Join());
        meeting.Stop();
        Assert.Empty(errors);
        return results;
    }

    private static (Model Model, Tensor[] X) Build(string architecture, Meeting meeting)
    {
        Model model;
        Tensor[] x;
        switch (architecture)
        {
            case "mlp":
            {
                var input = new Input(784);
                SymbolicTensor h = new Dense(512, ActivationFunction.Relu).Call(new Rendezvous(meeting).Call(input));
                model = new Functional(input, new Dense(10, ActivationFunction.Softmax).Call(h), seed: 3);
                x = [Tensor.RandomNormal(new TensorShape(16, 784), 4)];
                break;
            }

            case "cnn":
            {
                var input = new Input(10, 10, 3);
                SymbolicTensor h = new Rendezvous(meeting).Call(input);
                h = new Conv2D(6, 3, padding: Padding.Same, activation: ActivationFunction.Relu).Call(h);
                h = new BatchNormalization().Call(h);
                h = new MaxPooling2D().Call(h);
                h = new DepthwiseConv2D(3).Call(h);
                h = new SeparableConv2D(8, 3, padding: Padding.Same).Call(h);
                h = new UpSampling2D().Call(h);
                h = new GroupNormalization(groups: 2).Call(h);
                h = new GlobalAveragePooling2D().Call(h);
                h = new Dropout(0.3).Call(h);
                model = new Functional(input, new Dense(5, ActivationFunction.Softmax).Call(h), seed: 11);
                x = [Tensor.RandomNormal(new TensorShape(12, 10, 10, 3), 4)];
                break;
            }

            case "sequence":
            {
                var tokens = new Input(7);
                SymbolicTensor embedded = new Embedding(20, 8, maskZero: true).Call(new Rendezvous(meeting).Call(tokens));
                SymbolicTensor sequence = new Bidirectional(new Lstm(6, returnSequences: true)).Call(embedded);
                SymbolicTensor attended = new MultiHeadAttention(2, 4).Call(sequence, sequence);
                SymbolicTensor normed = new LayerNormalization().Call(new Add().Call(sequence, attended));
                SymbolicTensor last = new Gru(5).Call(normed);
                SymbolicTensor convolved = new GlobalAveragePooling1D().Call(new Conv1D(4, 3).Call(embedded));
                model = new Functional(tokens, new Dense(3).Call(new Concatenate().Call(last, convolved)), seed: 12);
                var ids = new float[9 * 7];
                for (int i = 0; i < ids.Length; i++)
                {
                    ids[i] = i % 7 > 4 ? 0 : 1 + ((i * 13) % 19);
                }

                x = [Tensor.FromArray(ids, 9, 7)];
                break;
            }

            default:
            {
                var features = new Input(4);
                var codes = new Input(3);
                var normalization = new Normalization();
                Tensor numbers = Tensor.RandomNormal(new TensorShape(10, 4), 6);
                normalization.Adapt(numbers);
                var shared = new Dense(4, ActivationFunction.Tanh);
                SymbolicTensor h = normalization.Call(new Rendezvous(meeting).Call(features));
                h = shared.Call(shared.Call(h));
                // Adapted after the model is built: copies of the layers, made from it as it was before, read the learned
                // boundaries through the layer itself.
                var discretization = new Discretization(numBins: 3, outputMode: CategoryOutputMode.OneHot);
                SymbolicTensor bins = discretization.Call(new Dense(1).Call(h));
                SymbolicTensor looked = new IntegerLookup(vocabulary: [3, 5, 8, 13], outputMode: CategoryOutputMode.MultiHot).Call(codes);
                SymbolicTensor all = new Concatenate().Call(h, new Flatten().Call(bins), looked);
                model = new Functional([features, codes], [new Dense(2, ActivationFunction.Softmax).Call(all), new Rescaling(2f, 1f).Call(h)], seed: 13);
                discretization.Adapt(Tensor.RandomNormal(new TensorShape(40, 1), 7));
                var ids = new float[10 * 3];
                for (int i = 0; i < ids.Length; i++)
                {
                    ids[i] = new[] { 3, 5, 8, 13, 21 }[(i * 7) % 5];
                }

                x = [numbers, Tensor.FromArray(ids, 10, 3)];
                break;
            }
        }

        model.Compile(new Adam(0.01f), architecture == "cnn" ? new CategoricalCrossEntropy() : new MeanSquaredError());
        return (model, x);
    }

    /// <summary>Where the threads of one test meet; shared by a Rendezvous layer and every copy made of it.</summary>
    private sealed class Meeting
    {
        private Barrier? _barrier;
        private int _arrivals;

        /// <summary>What a prediction's Rendezvous layer does, besides meeting.</summary>
        public Action? DuringPrediction { get; set; }

        public void Start(Barrier barrier)
        {
            _arrivals = 0;
            Volatile.Write(ref _barrier, barrier);
        }

        public void Stop() => Volatile.Write(ref _barrier, null);

        // The first forward pass of each thread waits for the others' (at most one per participant).
        public void Arrive()
        {
            DuringPrediction?.Invoke();
            Barrier? barrier = Volatile.Read(ref _barrier);
            if (barrier is not null && Interlocked.Increment(ref _arrivals) <= barrier.ParticipantCount)
            {
                Assert.True(barrier.SignalAndWait(TimeSpan.FromSeconds(30)), "the predictions did not run side by side");
            }
        }
    }

    private sealed class Rendezvous(Meeting meeting) : Layer(null)
    {
        public override string DefaultNamePrefix => "rendezvous";

        public override bool SupportsMasking => true;

        protected override TensorShape OnBuild(TensorShape inputShape) => inputShape;

        protected override Tensor OnForward(Tensor input, bool training)
        {
            if (!training)
            {
                meeting.Arrive();
            }

            return input;
        }

        protected override Tensor OnBackward(Tensor outputGradient) => outputGradient;
    }

    private sealed class AfterEveryEpoch(Action action) : Callback
    {
        public override void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs) => action();
    }
}
