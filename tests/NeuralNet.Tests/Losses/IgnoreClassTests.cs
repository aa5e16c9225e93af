using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Serialization;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Losses;

/// <summary>
/// SparseCategoricalCrossEntropy's ignoreClass (Keras 3 keras/src/losses/losses.py sparse_categorical_crossentropy,
/// ignore_class): ignored entries contribute 0 and are masked out of the reduction; with sequence outputs, sample weights
/// and masks, through Fit and Evaluate.
/// </summary>
public class IgnoreClassTests
{
    // losses_test.py SparseCategoricalCrossentropyTest.test_ignore_class: one sample of two steps, the first ignored.
    private static readonly Tensor KerasLogits = Tensor.FromArray([0.854f, 0.698f, 0.598f, 0.088f, 0.86f, 0.018f], 1, 2, 3);

    [Fact]
    public void ComputePerSample_KerasIgnoreClassTest_MatchesKerasUnreducedValues()
    {
        // Keras: reduction=None gives [[0.0, 1.480129]]; a sample's value here is the mean over its steps.
        foreach (Tensor targets in new[] { Tensor.FromArray([-1f, 2f], 1, 2), Tensor.FromArray([-1f, 2f], 1, 2, 1) })
        {
            var loss = new SparseCategoricalCrossEntropy(fromLogits: true, ignoreClass: -1);
            var perSample = new float[1];
            loss.ComputePerSample(KerasLogits, targets, perSample);
            Assert.Equal((0.0 + 1.480129) / 2, perSample[0], 5);

            // The reductions divide by the one entry kept (sum_over_batch_size, mean, mean_with_sample_weight) or sum it.
            Assert.Equal(1.480129, loss.Compute(KerasLogits, targets), 5);
            Assert.Equal(1.480129, new SparseCategoricalCrossEntropy(true, -1, LossReduction.Sum).Compute(KerasLogits, targets), 5);
            Assert.Equal(1.480129, new SparseCategoricalCrossEntropy(true, -1, LossReduction.MeanWithSampleWeight).Compute(KerasLogits, targets), 5);
        }
    }

    [Fact]
    public void Compute_KerasMetricIgnoreClassValues_AreTheMeanOverTheKeptEntries()
    {
        // probabilistic_metrics_test.py test_ignore_class (class 0 ignored): -(log 0.95 + log 0.1) / 2 = 1.17689.
        Tensor probabilities = Tensor.FromArray([0.8f, 0.1f, 0.1f, 0.05f, 0.95f, 0f, 0.1f, 0.8f, 0.1f], 3, 3);
        Tensor labels = Tensor.FromArray([0f, 1f, 2f], 3);
        double expected = -(Math.Log(0.95) + Math.Log(0.1)) / 2;
        Assert.Equal(expected, new SparseCategoricalCrossEntropy(ignoreClass: 0).Compute(probabilities, labels), 5);
        Assert.Equal(-(Math.Log(0.95) + Math.Log(0.1)), new SparseCategoricalCrossEntropy(ignoreClass: 0, reduction: LossReduction.Sum).Compute(probabilities, labels), 5);

        // Everything ignored: 0, not NaN (Keras' divide_no_nan), with a zero gradient.
        var all = new SparseCategoricalCrossEntropy(ignoreClass: 7);
        Assert.Equal(0f, all.Compute(probabilities, Tensor.Filled(7f, 3)));
        var gradient = Tensor.Filled(1f, 3, 3);
        all.Gradient(probabilities, Tensor.Filled(7f, 3), gradient);
        Assert.All(gradient.ToArray(), v => Assert.Equal(0f, v));
    }

    public static TheoryData<bool, LossReduction, int> Cases()
    {
        var data = new TheoryData<bool, LossReduction, int>();
        foreach (bool fromLogits in new[] { false, true })
        {
            foreach (LossReduction reduction in new[] { LossReduction.SumOverBatchSize, LossReduction.Sum, LossReduction.MeanWithSampleWeight })
            {
                data.Add(fromLogits, reduction, 1);
                data.Add(fromLogits, reduction, 4);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Gradient_IgnoredEntries_MatchesNumericalGradientAndTheKeptEntriesAlone(bool fromLogits, LossReduction reduction, int steps)
    {
        int batch = 3, classes = 4, rows = batch * steps;
        Tensor predictions = fromLogits ? TestData.Normal(60, 1.5f, batch, steps, classes) : TestData.Probabilities(60, rows, classes).Reshape(batch, steps, classes);
        float[] labels = TestData.Labels(61, rows, classes).ToArray();
        for (int r = 0; r < rows; r += 3)
        {
            labels[r] = 255f;
        }

        Tensor targets = Tensor.FromArray(labels, batch, steps);
        var loss = new SparseCategoricalCrossEntropy(fromLogits, 255, reduction);
        GradientChecker.CheckLoss(loss, predictions, targets, seed: 62).AssertPassed();

        // The kept rows alone, with the same reduction and no ignored class, give the same loss.
        int[] kept = [.. Enumerable.Range(0, rows).Where(r => labels[r] != 255f)];
        var keptPredictions = new Tensor(kept.Length, classes);
        for (int i = 0; i < kept.Length; i++)
        {
            predictions.AsReadOnlySpan().Slice(kept[i] * classes, classes).CopyTo(keptPredictions.AsSpan().Slice(i * classes, classes));
        }

        // Per-sample values: a sample's mean over its steps with ignored steps at 0, so Σ values · steps / kept is the mean.
        var perSample = new float[batch];
        loss.ComputePerSample(predictions, targets, perSample);
        double mean = perSample.Sum(v => (double)v) * steps / kept.Length;
        Assert.Equal(reduction == LossReduction.Sum ? mean * kept.Length : mean, loss.Compute(predictions, targets), 4);

        Tensor keptTargets = Tensor.FromArray([.. kept.Select(r => labels[r])], kept.Length);
        Assert.Equal(new SparseCategoricalCrossEntropy(fromLogits, reduction: reduction).Compute(keptPredictions, keptTargets), loss.Compute(predictions, targets), 5);
    }

    [Fact]
    public void LogitsGradient_IgnoredRows_AreZeroAndOthersDivideByTheKeptCount()
    {
        Tensor probabilities = TestData.Probabilities(70, 4, 3);
        Tensor targets = Tensor.FromArray([2f, -1f, 0f, -1f], 4);
        var gradient = new Tensor(4, 3);
        ((ISoftmaxCrossEntropy)new SparseCategoricalCrossEntropy(ignoreClass: -1)).LogitsGradient(probabilities, targets, gradient);
        for (int j = 0; j < 3; j++)
        {
            Assert.Equal(0f, gradient[1, j]);
            Assert.Equal(0f, gradient[3, j]);
            Assert.Equal((probabilities[0, j] - (j == 2 ? 1 : 0)) / 2, gradient[0, j], 6);
            Assert.Equal((probabilities[2, j] - (j == 0 ? 1 : 0)) / 2, gradient[2, j], 6);
        }
    }

    [Fact]
    public void ValidateTargets_IgnoredValue_IsAcceptedOthersStillChecked()
    {
        var loss = new SparseCategoricalCrossEntropy(ignoreClass: 255);
        loss.ValidateTargets(Tensor.FromArray([0f, 255f, 2f, 255f], 2, 2), new TensorShape(2, 3));
        var error = Assert.Throws<ArgumentException>(() => loss.ValidateTargets(Tensor.FromArray([0f, 255f, 3f, 255f], 2, 2), new TensorShape(2, 3)));
        Assert.Contains("target 3 of sample 1 is not a class index in [0, 3)", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new SparseCategoricalCrossEntropy().ValidateTargets(Tensor.FromArray([0f, 255f], 2), new TensorShape(3)));
    }

    // A token tagger: (batch, steps, features) -> Dense softmax over 3 classes at every step.
    private static Sequential Tagger(Loss loss, bool masking = false, long seed = 3)
    {
        Layer[] layers = masking
            ? [new InputLayer(5, 4), new Masking(0f), new Dense(3, ActivationFunction.Softmax)]
            : [new InputLayer(5, 4), new Dense(3, ActivationFunction.Softmax)];
        var model = new Sequential(layers, seed: seed);
        model.Compile(new Sgd(1f), loss);
        return model;
    }

    private static (Tensor X, Tensor Y) Tokens(int samples, long seed, bool padded = false)
    {
        Tensor x = TestData.Normal(seed, 1f, samples, 5, 4);
        float[] y = TestData.Labels(seed + 1, samples * 5, 3).ToArray();
        for (int s = 0; s < samples; s++)
        {
            // The last steps are padding: label -1, and (for the Masking model) all-zero inputs.
            for (int step = 5 - (s % 3); step < 5; step++)
            {
                y[(s * 5) + step] = -1f;
                if (padded)
                {
                    x.AsSpan().Slice(((s * 5) + step) * 4, 4).Clear();
                }
            }
        }

        return (x, Tensor.FromArray(y, samples, 5));
    }

    [Fact]
    public void ClassWeight_IgnoredLabel_WeighsOne_AsKerasUnlistedLabels()
    {
        var model = new Sequential([new InputLayer(3), new Dense(3, ActivationFunction.Softmax)], seed: 1);
        model.Compile(new Sgd(0.1f), new SparseCategoricalCrossEntropy(ignoreClass: -1));
        Tensor x = Tensor.FromArray([0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f, 0.9f], 3, 3);
        Tensor y = Tensor.FromArray([0f, -1f, 2f], 3);

        History history = model.Fit(x, y, epochs: 1, batchSize: 3, verbose: 0, classWeight: new float[] { 2f, 1f, 1f });

        Assert.True(double.IsFinite(history["loss"][0]));
        var e = Assert.Throws<ArgumentException>(() => model.Fit(x, Tensor.FromArray([0f, -2f, 2f], 3), verbose: 0, classWeight: new float[] { 2f, 1f, 1f }));
        Assert.Contains("-2", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_SequenceOutput_IsTheLossOverTheKeptTokens()
    {
        (Tensor x, Tensor y) = Tokens(6, 80);
        Sequential model = Tagger(new SparseCategoricalCrossEntropy(ignoreClass: -1));
        Tensor p = model.Predict(x);
        double sum = 0;
        int kept = 0;
        for (int r = 0; r < 30; r++)
        {
            if (y.AsReadOnlySpan()[r] != -1f)
            {
                sum -= Math.Log(p.AsReadOnlySpan()[(r * 3) + (int)y.AsReadOnlySpan()[r]]);
                kept++;
            }
        }

        Assert.Equal(sum / kept, model.Evaluate(x, y, batchSize: 6, verbose: 0)["loss"], 5);
        Assert.Equal(sum / kept, model.TestOnBatch(x, y)["loss"], 5);

        // Sample weights: Σ w·loss over kept tokens / kept (sum_over_batch_size with a mask).
        float[] w = [1f, 2f, 0f, 0.5f, 1f, 3f];
        double weighted = 0;
        double weightOfKept = 0;
        for (int r = 0; r < 30; r++)
        {
            if (y.AsReadOnlySpan()[r] != -1f)
            {
                weighted -= w[r / 5] * Math.Log(p.AsReadOnlySpan()[(r * 3) + (int)y.AsReadOnlySpan()[r]]);
                weightOfKept += w[r / 5];
            }
        }

        Tensor sw = Tensor.FromArray(w, 6);
        Assert.Equal(weighted / kept, model.Evaluate(x, y, batchSize: 6, verbose: 0, sampleWeight: sw)["loss"], 5);
        Assert.Equal(weighted, Tagger(new SparseCategoricalCrossEntropy(ignoreClass: -1, reduction: LossReduction.Sum)).Evaluate(x, y, batchSize: 6, verbose: 0, sampleWeight: sw)["loss"], 4);
        Assert.Equal(weighted / weightOfKept, Tagger(new SparseCategoricalCrossEntropy(ignoreClass: -1, reduction: LossReduction.MeanWithSampleWeight)).Evaluate(x, y, batchSize: 6, verbose: 0, sampleWeight: sw)["loss"], 5);
    }

    [Fact]
    public void Evaluate_OutputMaskAndIgnoreClass_CountOnlyTheTokensBothKeep()
    {
        // Keras' in_mask & out_mask: Masking drops the all-zero steps, ignore_class the -1 labels.
        (Tensor x, Tensor y) = Tokens(6, 130);
        for (int s = 0; s < 6; s++)
        {
            x.AsSpan().Slice(s * 5 * 4, 4).Clear(); // step 0 of every sample: masked, label kept
        }

        Sequential model = Tagger(new SparseCategoricalCrossEntropy(ignoreClass: -1), masking: true);
        Tensor p = model.Predict(x);
        double sum = 0;
        int kept = 0;
        for (int r = 0; r < 30; r++)
        {
            if (y.AsReadOnlySpan()[r] != -1f && r % 5 != 0)
            {
                sum -= Math.Log(p.AsReadOnlySpan()[(r * 3) + (int)y.AsReadOnlySpan()[r]]);
                kept++;
            }
        }

        Assert.Equal(sum / kept, model.Evaluate(x, y, batchSize: 6, verbose: 0)["loss"], 5);
    }

    [Theory]
    [InlineData(false, false, LossReduction.SumOverBatchSize)]
    [InlineData(true, false, LossReduction.SumOverBatchSize)]
    [InlineData(true, true, LossReduction.MeanWithSampleWeight)]
    [InlineData(false, true, LossReduction.Sum)]
    public void TrainOnBatch_SequenceOutput_StepIsTheNumericalGradient(bool masking, bool weighted, LossReduction reduction)
    {
        // The fused softmax gradient with ignored rows (and an output mask from Masking, whose padded steps are also
        // labelled -1 here, plus a kept step that Masking drops) against the central difference of Evaluate's loss.
        (Tensor x, Tensor y) = Tokens(6, 90, padded: masking);
        if (masking)
        {
            x.AsSpan().Slice(0, 4).Clear(); // step 0 of sample 0: masked by the model although its label is kept
        }

        Tensor? w = weighted ? Tensor.FromArray([1f, 2f, 0f, 0.5f, 1f, 3f], 6) : null;
        ReductionTests.AssertStepIsNumericalGradient(() => Tagger(new SparseCategoricalCrossEntropy(ignoreClass: -1, reduction: reduction), masking), x, y, w);
    }

    [Fact]
    public void Fit_IgnoredTokens_DoNotChangeTraining()
    {
        // Changing the inputs of ignored tokens changes nothing (a Dense tagger sees each token alone): same weights, bit for bit.
        (Tensor x, Tensor y) = Tokens(12, 100);
        Tensor changed = x.Clone();
        for (int r = 0; r < 60; r++)
        {
            if (y.AsReadOnlySpan()[r] == -1f)
            {
                changed.AsSpan().Slice(r * 4, 4).Fill(9f);
            }
        }

        Sequential a = Tagger(new SparseCategoricalCrossEntropy(ignoreClass: -1)), b = Tagger(new SparseCategoricalCrossEntropy(ignoreClass: -1));
        a.Fit(x, y, epochs: 2, batchSize: 4, verbose: 0, shuffle: false);
        b.Fit(changed, y, epochs: 2, batchSize: 4, verbose: 0, shuffle: false);
        for (int i = 0; i < a.Parameters.Count; i++)
        {
            Assert.Equal(a.Parameters[i].Value.ToArray(), b.Parameters[i].Value.ToArray());
        }
    }

    [Fact]
    public void TrainStep_IgnoreClassAfterWarmUp_AllocatesNothing()
    {
        (Tensor x, Tensor y) = Tokens(32, 120);
        Sequential model = Tagger(new SparseCategoricalCrossEntropy(ignoreClass: -1, reduction: LossReduction.Sum));
        var loader = new NeuralNet.Datasets.BatchLoader(x, y, 8, shuffle: true, seed: 1);
        void Epoch()
        {
            loader.Reshuffle();
            for (int b = 0; b < loader.BatchCount; b++)
            {
                (Tensor inputs, Tensor targets) = loader.GetBatch(b);
                model.TrainStep(inputs, targets);
            }
        }

        Epoch();
        AllocationCheck.AssertNone(Epoch);
    }

    [Fact]
    public void Fit_IgnoreClassWithoutIt_RefusesTheLabel()
    {
        (Tensor x, Tensor y) = Tokens(4, 110);
        var error = Assert.Throws<ArgumentException>(() => Tagger(new SparseCategoricalCrossEntropy()).Fit(x, y, verbose: 0));
        Assert.Contains("target -1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Serialization_IgnoreClass_RoundTripsUnderKerasKey()
    {
        var loss = new SparseCategoricalCrossEntropy(fromLogits: true, ignoreClass: 255, reduction: LossReduction.Sum);
        System.Text.Json.Nodes.JsonObject saved = SerializationRegistry.Serialize(loss);
        Assert.Equal("255", saved["config"]!["ignore_class"]!.ToJsonString());
        var loaded = Assert.IsType<SparseCategoricalCrossEntropy>(SerializationRegistry.Deserialize<Loss>(saved, new Config(), "loss"));
        Assert.Equal(255, loaded.IgnoreClass);
        Assert.True(loaded.FromLogits);
        Assert.Equal(LossReduction.Sum, loaded.Reduction);
        Assert.Null(new SparseCategoricalCrossEntropy().GetConfig().GetNode("ignore_class"));
        var keras = SerializationRegistry.Deserialize<Loss>(
            System.Text.Json.Nodes.JsonNode.Parse("""{"class_name": "SparseCategoricalCrossentropy", "config": {"name": "sparse_categorical_crossentropy", "reduction": "sum_over_batch_size", "from_logits": false, "ignore_class": -1}}""")!,
            new Config(), "loss");
        Assert.Equal(-1, Assert.IsType<SparseCategoricalCrossEntropy>(keras).IgnoreClass);
    }
}
