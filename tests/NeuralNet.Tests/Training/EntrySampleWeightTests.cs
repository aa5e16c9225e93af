using NeuralNet.Activations;
using NeuralNet.Datasets;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Training;
using Xunit;
using static NeuralNet.Tests.Serialization.ModelTestData;

namespace NeuralNet.Tests.Training;

// Sample weights of more than one value per sample (Keras' sample_weight of the loss values' shape, (batch, steps) for a
// (batch, steps, classes) output): Keras' reduce_weighted_values, sum(w · value) / number of values.
public class EntrySampleWeightTests
{
    private const int Steps = 4, Features = 5, Vocabulary = 6;

    // Keras' losses_test.py, test_timestep_weighted: y_true and y_pred (2, 3, 1), sample_weight (2, 3).
    private static readonly float[] KerasTrue = [1, 9, 2, -5, -2, 6], KerasPredicted = [4, 8, 12, 8, 1, 3], KerasWeights = [3, 6, 5, 0, 4, 2];

    public static TheoryData<string, double> KerasTimestepWeighted => new()
    {
        { "mean_squared_error", 97.833336 },
        { "mean_absolute_error", 13.833333 },
        { "mean_absolute_percentage_error", 694.4444 },
        { "mean_squared_logarithmic_error", 2.647374 },
    };

    [Theory]
    [MemberData(nameof(KerasTimestepWeighted))]
    public void Evaluate_TimestepWeights_GiveKerasLossesTestValues(string loss, double expected)
    {
        var model = new Sequential([new InputLayer(3, 1), new Identity()]);
        model.Compile("sgd", loss);
        Tensor predicted = Tensor.FromArray(KerasPredicted, 2, 3, 1), truth = Tensor.FromArray(KerasTrue, 2, 3, 1);

        double weighted = model.Evaluate(predicted, truth, batchSize: 2, verbose: 0, sampleWeight: Tensor.FromArray(KerasWeights, 2, 3))["loss"];
        double withLastAxis = model.Evaluate(predicted, truth, batchSize: 2, verbose: 0, sampleWeight: Tensor.FromArray(KerasWeights, 2, 3, 1))["loss"];

        Assert.Equal(expected, weighted, expected * 1e-6);
        Assert.Equal(weighted, withLastAxis);
    }

    [Fact]
    public void Evaluate_SparseCrossEntropyWithStepWeights_FollowsKerasReductions()
    {
        (Tensor x, Tensor labels) = Sequences(6, seed: 1);
        Tensor w = StepWeights(6, seed: 2);
        Tensor p = Model(new Sgd()).Predict(x);
        double weightedSum = 0, weightSum = 0;
        for (int s = 0; s < 6; s++)
        {
            for (int t = 0; t < Steps; t++)
            {
                double value = -Math.Log(Math.Clamp(p[s, t, (int)labels[s, t]], 1e-7, 1 - 1e-7));
                weightedSum += w[s, t] * value;
                weightSum += w[s, t];
            }
        }

        // Keras: sum_over_batch_size divides by the number of values (6 · 4), weighted or not; sum does not divide;
        // mean_with_sample_weight divides by the sum of the weights.
        Assert.Equal(weightedSum / 24, Loss(new SparseCategoricalCrossEntropy(), x, labels, w), 5);
        Assert.Equal(weightedSum, Loss(new SparseCategoricalCrossEntropy(reduction: LossReduction.Sum), x, labels, w), 4);
        Assert.Equal(weightedSum / weightSum, Loss(new SparseCategoricalCrossEntropy(reduction: LossReduction.MeanWithSampleWeight), x, labels, w), 5);
    }

    [Fact]
    public void Evaluate_StepWeightsWithIgnoreClass_DivideByTheValidEntries()
    {
        (Tensor x, Tensor labels) = Sequences(6, seed: 3);
        Tensor w = StepWeights(6, seed: 4);
        labels[0, 1] = -1;
        labels[2, 3] = -1;
        labels[5, 0] = -1;
        Tensor p = Model(new Sgd()).Predict(x);
        double weightedSum = 0;
        int valid = 0;
        for (int s = 0; s < 6; s++)
        {
            for (int t = 0; t < Steps; t++)
            {
                if (labels[s, t] >= 0)
                {
                    weightedSum += w[s, t] * -Math.Log(Math.Clamp(p[s, t, (int)labels[s, t]], 1e-7, 1 - 1e-7));
                    valid++;
                }
            }
        }

        // Keras' apply_mask: the mask becomes mask · total / valid, times the weights, so the loss is Σ w·value / valid.
        Assert.Equal(weightedSum / valid, Loss(new SparseCategoricalCrossEntropy(ignoreClass: -1), x, labels, w), 5);
    }

    [Fact]
    public void Evaluate_WeightsWithAxesOfOne_EqualTheBroadcastWeights()
    {
        var random = new Random(5);
        Tensor x = Random(random, 7, 2, 3, 4), y = Random(random, 7, 2, 3, 4);
        var model = new Sequential([new InputLayer(2, 3, 4), new Identity()]);
        model.Compile(new Sgd(), new MeanSquaredError());
        Tensor compact = Tensor.FromArray([.. Enumerable.Range(0, 21).Select(_ => (float)random.NextDouble())], 7, 1, 3);
        var full = new Tensor(7, 2, 3);
        for (int s = 0; s < 7; s++)
        {
            for (int h = 0; h < 2; h++)
            {
                for (int c = 0; c < 3; c++)
                {
                    full[s, h, c] = compact[s, 0, c];
                }
            }
        }

        double broadcast = model.Evaluate(x, y, batchSize: 3, verbose: 0, sampleWeight: compact)["loss"];
        double expanded = model.Evaluate(x, y, batchSize: 3, verbose: 0, sampleWeight: full)["loss"];
        Assert.Equal(expanded, broadcast);
        Assert.NotEqual(model.Evaluate(x, y, batchSize: 3, verbose: 0)["loss"], broadcast, 3);
    }

    [Fact]
    public void ComputeGradients_StepWeights_MatchFiniteDifferences()
    {
        (Tensor x, Tensor labels) = Sequences(3, seed: 6);
        Tensor w = StepWeights(3, seed: 7);
        var model = new Sequential([new InputLayer(Steps, Features), new Dense(Vocabulary, ActivationFunction.Tanh), new Dense(Vocabulary, ActivationFunction.Softmax)], seed: 8);
        model.Compile(new Sgd(), new SparseCategoricalCrossEntropy());
        foreach (Parameter parameter in model.Parameters)
        {
            parameter.ZeroGradient();
        }

        model.ComputeGradients(x, labels, w);
        var analytic = model.Parameters.Select(parameter => parameter.Gradient.ToArray()).ToList();
        for (int i = 0; i < analytic.Count; i++)
        {
            Span<float> value = model.Parameters[i].Value.AsSpan();
            for (int j = 0; j < value.Length; j += 3)
            {
                const float h = 1e-2f;
                float kept = value[j];
                value[j] = kept + h;
                double plus = model.ComputeGradients(x, labels, w);
                value[j] = kept - h;
                double minus = model.ComputeGradients(x, labels, w);
                value[j] = kept;
                Assert.Equal((plus - minus) / (2 * h), analytic[i][j], 3e-3);
            }
        }

        // Weights of 1 give the unweighted gradients.
        Assert.NotEqual(0f, analytic.Sum(g => g.Sum(Math.Abs)));
    }

    [Fact]
    public void Fit_ZeroWeightsOnHalfTheSteps_EqualsIgnoringThoseTargetsAtHalfTheRate()
    {
        (Tensor x, Tensor labels) = Sequences(40, seed: 9);
        var w = new Tensor(40, Steps);
        Tensor ignored = labels.Clone();
        for (int s = 0; s < 40; s++)
        {
            for (int t = 0; t < Steps; t++)
            {
                // Half of every sample's steps: each batch has exactly half its entries valid, so ignore_class's
                // divisor (the valid entries) is half the weighted loss's (all entries), and its gradient twice as large.
                bool kept = (t + s) % 2 == 0;
                w[s, t] = kept ? 1f : 0f;
                if (!kept)
                {
                    ignored[s, t] = -1;
                }
            }
        }

        Sequential weighted = Model(new Sgd(0.2f));
        History a = weighted.Fit(x, labels, epochs: 3, batchSize: 8, verbose: 0, seed: 10, sampleWeight: w);
        Sequential ignoring = Model(new Sgd(0.1f), new SparseCategoricalCrossEntropy(ignoreClass: -1));
        History b = ignoring.Fit(x, ignored, epochs: 3, batchSize: 8, verbose: 0, seed: 10);

        for (int i = 0; i < weighted.Parameters.Count; i++)
        {
            float[] expected = ignoring.Parameters[i].Value.ToArray(), actual = weighted.Parameters[i].Value.ToArray();
            for (int j = 0; j < expected.Length; j++)
            {
                Assert.Equal(expected[j], actual[j], 1e-6f);
            }
        }

        for (int epoch = 0; epoch < 3; epoch++)
        {
            Assert.Equal(b["loss"][epoch] / 2, a["loss"][epoch], 6);
        }
    }

    [Fact]
    public void Fit_StepWeights_SplitWithTheDataAndWeighValidation()
    {
        (Tensor x, Tensor labels) = Sequences(20, seed: 11);
        Tensor w = StepWeights(20, seed: 12);
        Sequential model = Model(new Sgd(0.1f));
        History history = model.Fit(x, labels, epochs: 1, batchSize: 5, verbose: 0, validationSplit: 0.25, sampleWeight: w);

        // The last 5 samples, with their own rows of weights.
        Tensor heldOut = x.Slice(15, 5), heldOutLabels = labels.Slice(15, 5), heldOutWeights = w.Slice(15, 5);
        Assert.Equal(model.Evaluate(heldOut, heldOutLabels, batchSize: 5, verbose: 0, sampleWeight: heldOutWeights)["loss"], history["val_loss"][0], 6);
        Assert.NotEqual(model.Evaluate(heldOut, heldOutLabels, batchSize: 5, verbose: 0)["loss"], history["val_loss"][0], 4);
    }

    [Fact]
    public void Evaluate_WeightedMetrics_WeighEachEntry()
    {
        (Tensor x, Tensor labels) = Sequences(9, seed: 13);
        Tensor w = StepWeights(9, seed: 14);
        var model = new Sequential([new InputLayer(Steps, Features), new Dense(Vocabulary, ActivationFunction.Softmax)], seed: 5);
        model.Compile(new Sgd(), new SparseCategoricalCrossEntropy(), [new SparseCategoricalAccuracy()], [new SparseCategoricalAccuracy(), new SparseCategoricalCrossEntropyMetric()]);
        Tensor p = model.Predict(x);
        double correct = 0, weightedCorrect = 0, weightedCrossEntropy = 0, weightSum = 0;
        for (int s = 0; s < 9; s++)
        {
            for (int t = 0; t < Steps; t++)
            {
                int label = (int)labels[s, t], best = 0;
                for (int c = 1; c < Vocabulary; c++)
                {
                    best = p[s, t, c] > p[s, t, best] ? c : best;
                }

                correct += best == label ? 1 : 0;
                weightedCorrect += best == label ? w[s, t] : 0;
                weightedCrossEntropy += w[s, t] * -Math.Log(Math.Clamp(p[s, t, label], 1e-7, 1 - 1e-7));
                weightSum += w[s, t];
            }
        }

        IReadOnlyDictionary<string, double> logs = model.Evaluate(x, labels, batchSize: 4, verbose: 0, sampleWeight: w);

        // Keras' Mean: Σ w · value / Σ w over the entries; the plain metric is not weighted.
        Assert.Equal(correct / 36, logs["sparse_categorical_accuracy"], 6);
        Assert.Equal(weightedCorrect / weightSum, logs["weighted_sparse_categorical_accuracy"], 6);
        Assert.Equal(weightedCrossEntropy / weightSum, logs["sparse_categorical_crossentropy"], 5);
        Assert.NotEqual(logs["sparse_categorical_accuracy"], logs["weighted_sparse_categorical_accuracy"], 3);
    }

    [Fact]
    public void TrainOnBatchAndTestOnBatch_StepWeights_EqualTheEvaluatedLoss()
    {
        (Tensor x, Tensor labels) = Sequences(6, seed: 15);
        Tensor w = StepWeights(6, seed: 16);
        Sequential model = Model(new Sgd(0.1f));
        double evaluated = model.Evaluate(x, labels, batchSize: 6, verbose: 0, sampleWeight: w)["loss"];
        double tested = model.TestOnBatch(x, labels, w)["loss"];
        model.ResetMetrics();
        double trained = model.TrainOnBatch(x, labels, w)["loss"];

        Assert.Equal(evaluated, tested, 6);
        Assert.Equal(evaluated, trained, 6);
        Assert.NotEqual(evaluated, model.Evaluate(x, labels, batchSize: 6, verbose: 0)["loss"], 3);
    }

    [Fact]
    public void Fit_WeightsThatDoNotBroadcast_ThrowNamingBothShapesBeforeAnyStep()
    {
        (Tensor x, Tensor labels) = Sequences(10, seed: 17);
        Sequential model = Model(new Sgd(0.1f));
        IReadOnlyList<Tensor> before = model.GetWeights();

        var wrongSteps = Assert.Throws<ArgumentException>(() => model.Fit(x, labels, verbose: 0, sampleWeight: new Tensor(10, Steps + 1)));
        Assert.Contains("(10, 5)", wrongSteps.Message);
        Assert.Contains("(10, 4, 6)", wrongSteps.Message);
        Assert.Contains("'dense'", wrongSteps.Message);
        Assert.Contains("expected (10)", wrongSteps.Message);
        Assert.Contains("(10, 4)", wrongSteps.Message);
        Assert.Equal("sampleWeight", wrongSteps.ParamName);
        Assert.Throws<ArgumentException>(() => model.Fit(x, labels, verbose: 0, sampleWeight: new Tensor(10, Steps, Vocabulary)));
        Assert.Throws<ArgumentException>(() => model.TrainOnBatch(x, labels, new Tensor(10, 2)));
        Assert.Contains("(11, 4)", Assert.Throws<ArgumentException>(() => model.Fit(x, labels, verbose: 0, sampleWeight: new Tensor(11, Steps))).Message);
        Tensor negative = new Tensor(10, Steps);
        negative[3, 2] = -1;
        Assert.Contains("sampleWeight[3, 2] is -1", Assert.Throws<ArgumentException>(() => model.Fit(x, labels, verbose: 0, sampleWeight: negative)).Message);

        // A loss whose values are not one per entry.
        var dice = new Sequential([new InputLayer(Steps, Features), new Dense(Vocabulary, ActivationFunction.Sigmoid)]);
        dice.Compile(new Sgd(), new Dice());
        var refused = Assert.Throws<ArgumentException>(() => dice.Fit(x, new Tensor(10, Steps, Vocabulary), verbose: 0, sampleWeight: new Tensor(10, Steps)));
        Assert.Contains("dice", refused.Message);
        Assert.Contains("one weight per sample", refused.Message);

        // A rank-2 output has one value per sample.
        var flat = new Sequential([new InputLayer(Features), new Dense(3, ActivationFunction.Softmax)]);
        flat.Compile(new Sgd(), new CategoricalCrossEntropy());
        Assert.Contains("(10, 3)", Assert.Throws<ArgumentException>(() => flat.Fit(new Tensor(10, Features), new Tensor(10, 3), verbose: 0, sampleWeight: new Tensor(10, 3))).Message);

        IReadOnlyList<Tensor> after = model.GetWeights();
        for (int i = 0; i < before.Count; i++)
        {
            Assert.Equal(Bits(before[i]), Bits(after[i]));
        }

        Assert.Equal(0, model.Optimizer!.Iterations);
    }

    [Fact]
    public void Fit_StepWeights_AllocateNothingPerStep()
    {
        (Tensor x, Tensor labels) = Sequences(320, seed: 18);
        Tensor w = StepWeights(320, seed: 19);
        var random = new Random(20);
        Tensor compact = Tensor.FromArray([.. Enumerable.Range(0, 320 * 3).Select(_ => (float)random.NextDouble())], 320, 1, 3);
        var image = new Sequential([new InputLayer(2, 3, Features), new Dense(Vocabulary, ActivationFunction.Softmax)], seed: 21);
        image.Compile(new Adam(0.01f), new SparseCategoricalCrossEntropy(), [], [new SparseCategoricalAccuracy()]);
        Tensor imageX = Random(random, 320, 2, 3, Features), imageLabels = new Tensor(320, 2, 3);
        foreach ((Sequential model, Tensor inputs, Tensor targets, Tensor weights) in new[] { (Model(new Adam(0.01f)), x, labels, w), (image, imageX, imageLabels, compact) })
        {
            var probe = new AllocationProbe(firstBatch: 3, lastBatch: 18);
            model.Fit(inputs, targets, epochs: 3, batchSize: 16, verbose: 0, sampleWeight: weights, callbacks: [probe]);

            // As the batch-loop test of DataSourceFitTests: at least one of three measured epochs allocates nothing.
            Assert.Equal(3, probe.Measured.Count);
            Assert.Contains(0L, probe.Measured);
        }
    }

    [Fact]
    public void Evaluate_LossOfYourOwnWithPerEntryValues_IsWeightedAsTheBuiltInOne()
    {
        var random = new Random(22);
        Tensor x = Random(random, 6, 3, 2), y = Random(random, 6, 3, 2);
        Tensor w = Tensor.FromArray([.. Enumerable.Range(0, 18).Select(_ => (float)random.NextDouble())], 6, 3);
        var own = new Sequential([new InputLayer(3, 2), new Identity()]);
        own.Compile(new Sgd(), new StepSquaredError());
        var builtIn = new Sequential([new InputLayer(3, 2), new Identity()]);
        builtIn.Compile(new Sgd(), new MeanSquaredError());

        Assert.Equal(builtIn.Evaluate(x, y, batchSize: 4, verbose: 0, sampleWeight: w)["loss"], own.Evaluate(x, y, batchSize: 4, verbose: 0, sampleWeight: w)["loss"], 6);

        // Without per-entry values the weights cannot weigh its entries: refused naming the method to write.
        var plain = new Sequential([new InputLayer(3, 2), new Identity()]);
        plain.Compile(new Sgd(), new PlainStepSquaredError());
        Assert.Contains("ComputePerEntry", Assert.Throws<ArgumentException>(() => plain.Evaluate(x, y, verbose: 0, sampleWeight: w)).Message);
    }

    [Fact]
    public void Evaluate_DataSourceBatchesWithStepWeights_EqualTheTensors()
    {
        (Tensor x, Tensor labels) = Sequences(12, seed: 23);
        Tensor w = StepWeights(12, seed: 24);
        Sequential model = Model(new Sgd());
        DataBatch[] batches = [.. Enumerable.Range(0, 3).Select(b => new DataBatch(x.Slice(b * 4, 4), labels.Slice(b * 4, 4), w.Slice(b * 4, 4)))];

        Assert.Equal(model.Evaluate(x, labels, batchSize: 4, verbose: 0, sampleWeight: w)["loss"], model.Evaluate(batches, verbose: 0)["loss"], 6);
    }

    private static Sequential Model(Optimizer optimizer, Loss? loss = null)
    {
        var model = new Sequential([new InputLayer(Steps, Features), new Dense(Vocabulary, ActivationFunction.Softmax)], seed: 3);
        model.Compile(optimizer, loss ?? new SparseCategoricalCrossEntropy());
        return model;
    }

    private static double Loss(Loss loss, Tensor x, Tensor labels, Tensor weights)
    {
        Sequential model = Model(new Sgd(), loss);
        return model.Evaluate(x, labels, batchSize: x.Shape[0], verbose: 0, sampleWeight: weights)["loss"];
    }

    // Inputs (samples, 4, 5) and one label per step, (samples, 4).
    private static (Tensor X, Tensor Labels) Sequences(int samples, long seed)
    {
        var random = new Random((int)seed);
        Tensor x = Random(random, samples, Steps, Features);
        var labels = new Tensor(samples, Steps);
        for (int s = 0; s < samples; s++)
        {
            for (int t = 0; t < Steps; t++)
            {
                labels[s, t] = random.Next(Vocabulary);
            }
        }

        return (x, labels);
    }

    private static Tensor StepWeights(int samples, long seed)
    {
        var random = new Random((int)seed);
        return Tensor.FromArray([.. Enumerable.Range(0, samples * Steps).Select(_ => (float)(random.NextDouble() * 2))], samples, Steps);
    }

    private static Tensor Random(Random random, params int[] shape)
    {
        var t = new Tensor(shape);
        Span<float> values = t.AsSpan();
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)((random.NextDouble() * 2) - 1);
        }

        return t;
    }

    // Mean squared error over the last axis, written as a loss of your own with per-entry values.
    private sealed class StepSquaredError : PlainStepSquaredError
    {
        protected internal override void ComputePerEntry(Tensor predictions, Tensor targets, Span<float> destination) => Values(predictions, targets, destination);
    }

    // The same without per-entry values.
    private class PlainStepSquaredError : Loss
    {
        public override string Name => "step_squared_error";

        public override void ValidateShapes(TensorShape outputShape, TensorShape targetShape)
        {
            if (outputShape != targetShape)
            {
                throw new ArgumentException($"{Name}: output {outputShape} but targets {targetShape}.");
            }
        }

        public override float Compute(Tensor predictions, Tensor targets)
        {
            var values = new float[predictions.Length / predictions.Shape[^1]];
            Values(predictions, targets, values);
            return values.Average();
        }

        public override void Gradient(Tensor predictions, Tensor targets, Tensor gradient)
        {
            int width = predictions.Shape[^1], entries = predictions.Length / width;
            ReadOnlySpan<float> p = predictions.AsReadOnlySpan(), t = targets.AsReadOnlySpan();
            Span<float> g = gradient.AsSpan();
            for (int i = 0; i < p.Length; i++)
            {
                g[i] = 2 * (p[i] - t[i]) / (width * entries);
            }
        }

        protected static void Values(Tensor predictions, Tensor targets, Span<float> destination)
        {
            int width = predictions.Shape[^1];
            ReadOnlySpan<float> p = predictions.AsReadOnlySpan(), t = targets.AsReadOnlySpan();
            for (int e = 0; e < destination.Length; e++)
            {
                double sum = 0;
                for (int j = 0; j < width; j++)
                {
                    double d = p[(e * width) + j] - t[(e * width) + j];
                    sum += d * d;
                }

                destination[e] = (float)(sum / width);
            }
        }
    }

    // Measures the bytes allocated on the training thread from the start of one batch to the start of a later one.
    private sealed class AllocationProbe(int firstBatch, int lastBatch) : Callback
    {
        private long _start;

        public List<long> Measured { get; } = new(4);

        public override void OnBatchBegin(int batch, IReadOnlyDictionary<string, double> logs)
        {
            if (batch == firstBatch)
            {
                _start = GC.GetAllocatedBytesForCurrentThread();
            }
            else if (batch == lastBatch)
            {
                Measured.Add(GC.GetAllocatedBytesForCurrentThread() - _start);
            }
        }
    }
}
