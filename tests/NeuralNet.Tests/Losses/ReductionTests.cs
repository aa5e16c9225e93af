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
/// Keras 3's loss reductions (keras/src/losses/loss.py reduce_values, reduce_weighted_values, apply_mask): the values of
/// Keras' loss_test.py and losses_test.py, directly and through Evaluate (sample weights, masks), gradients against
/// numerical gradients, the refusal of None for training, and saving.
/// </summary>
public class ReductionTests
{
    public static TheoryData<string, LossReduction> EveryLossAndReduction()
    {
        var data = new TheoryData<string, LossReduction>();
        string[] names =
        [
            "mse", "mae", "mape", "msle", "huber", "log_cosh", "poisson", "hinge", "hinge_signed", "squared_hinge", "categorical_hinge",
            "kld", "cosine", "bce", "bce_logits", "bce_smoothed", "cce", "cce_logits", "cce_smoothed", "sparse", "sparse_logits",
            "binary_focal", "binary_focal_logits", "categorical_focal", "categorical_focal_logits",
        ];
        foreach (string name in names)
        {
            data.Add(name, LossReduction.Sum);
            data.Add(name, LossReduction.MeanWithSampleWeight);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(EveryLossAndReduction))]
    public void Compute_EveryLoss_IsTheReducedPerSampleValuesAndItsGradientIsNumerical(string name, LossReduction reduction)
    {
        foreach ((int batch, int steps, long seed) in new[] { (5, 1, 31L), (3, 4, 32L) })
        {
            (Loss loss, Tensor predictions, Tensor targets) = PerSampleLossTests.Case(name, batch, steps, seed, reduction);
            var perSample = new float[batch];
            loss.ComputePerSample(predictions, targets, perSample);
            double sum = perSample.Sum(v => (double)v) * steps;

            // Sum: Σ over every entry (a sample's value is the mean over its steps); the means: sum / entries.
            double expected = reduction == LossReduction.Sum ? sum : sum / (batch * steps);
            float actual = loss.Compute(predictions, targets);
            Assert.True(Math.Abs(expected - actual) <= 1e-5 * Math.Max(1, Math.Abs(expected)), $"{name} {reduction} ({batch}, {steps}): expected {expected} but Compute {actual}");

            // The loss is a float: its rounding, about 1e-7·|loss|, over the 2e-3 of a central difference.
            GradientCheckOptions options = GradientCheckOptions.Default with { AbsoluteTolerance = Math.Max(2e-3, 5e-4 * Math.Abs(actual)) };
            GradientCheckReport report = GradientChecker.CheckLoss(loss, predictions, targets, seed, options);
            report.AssertPassed();
        }
    }

    [Fact]
    public void Compute_KerasLossTestReduction_MatchesKeras()
    {
        // loss_test.py test_reduction: ExampleLoss (y_true - y_pred)² on four values; MSE on (4, 1) is the same per entry.
        Tensor truth = Tensor.FromArray([1f, 0f, 1f, 0f], 4, 1), predicted = Tensor.FromArray([0.1f, 0.2f, 0.3f, 0.4f], 4, 1);
        double sum = (0.9 * 0.9) + (0.2 * 0.2) + (0.7 * 0.7) + (0.4 * 0.4);
        Assert.Equal(sum, new MeanSquaredError(LossReduction.Sum).Compute(predicted, truth), 6);
        Assert.Equal(sum / 4, new MeanSquaredError(LossReduction.SumOverBatchSize).Compute(predicted, truth), 6);
        Assert.Equal(sum / 4, new MeanSquaredError(LossReduction.Mean).Compute(predicted, truth), 6);
        Assert.Equal(sum / 4, new MeanSquaredError(LossReduction.MeanWithSampleWeight).Compute(predicted, truth), 6);

        // losses_test.py HingeTest.test_unweighted: 1.3 (sum_over_batch_size), 2.6 (sum), [1.1, 1.5] (None).
        Tensor hingeTruth = Tensor.FromArray([0f, 1f, 0f, 0f], 2, 2), hingePredicted = Tensor.FromArray([0.6f, 0.4f, 0.4f, 0.6f], 2, 2);
        Assert.Equal(1.3, new Hinge().Compute(hingePredicted, hingeTruth), 5);
        Assert.Equal(2.6, new Hinge(LossReduction.Sum).Compute(hingePredicted, hingeTruth), 5);
        var unreduced = new float[2];
        new Hinge(LossReduction.None).ComputePerSample(hingePredicted, hingeTruth, unreduced);
        Assert.Equal(1.1, unreduced[0], 5);
        Assert.Equal(1.5, unreduced[1], 5);

        // MeanSquaredErrorTest: (110 + 187) / 3 summed over the two rows.
        Assert.Equal(99.0, new MeanSquaredError(LossReduction.Sum).Compute(KerasPredictions, KerasTargets), 4);
    }

    [Fact]
    public void ComputeAndGradient_ReductionNone_ThrowPointingAtComputePerSample()
    {
        var loss = new MeanSquaredError(LossReduction.None);
        Tensor p = Tensor.Zeros(2, 3), t = Tensor.Ones(2, 3), g = Tensor.Filled(7f, 2, 3);
        Assert.Contains("ComputePerSample", Assert.Throws<InvalidOperationException>(() => loss.Compute(p, t)).Message, StringComparison.Ordinal);
        Assert.Contains("reduction None", Assert.Throws<InvalidOperationException>(() => loss.Gradient(p, t, g)).Message, StringComparison.Ordinal);
        Assert.All(g.ToArray(), v => Assert.Equal(7f, v));
        ISoftmaxCrossEntropy fused = new CategoricalCrossEntropy(reduction: LossReduction.None);
        Assert.Throws<InvalidOperationException>(() => fused.LogitsGradient(Tensor.Filled(0.5f, 2, 2), Tensor.FromArray([1f, 0f, 0f, 1f], 2, 2), Tensor.Zeros(2, 2)));
    }

    [Fact]
    public void Constructor_UndefinedReduction_ThrowsNamingIt()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new Huber(1.0, (LossReduction)42));
        Assert.Equal("reduction", error.ParamName);
        Assert.Contains("reduction=42", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(2, 1)]
    [InlineData(0, 3)]
    public void LogitsGradient_Sum_IsTheSumOfTheUnfusedGradientThroughSoftmax(int lossIndex, int steps)
    {
        // The fused gradient (p·Σt − t) scaled to the reduction equals the numerical gradient of the reduced loss with
        // respect to the logits, the loss taken on softmax(logits).
        int batch = 3, classes = 4, rows = batch * steps;
        Tensor logits = TestData.Normal(40 + lossIndex, 1.5f, rows, classes);
        Tensor labels = TestData.Labels(41, rows, classes);
        (Loss loss, Tensor targets) = lossIndex == 0
            ? ((Loss)new CategoricalCrossEntropy(reduction: LossReduction.Sum), TestData.OneHot(labels, classes))
            : (new SparseCategoricalCrossEntropy(reduction: LossReduction.Sum), labels);
        Tensor Softmax(Tensor x)
        {
            var y = new Tensor(x.Shape);
            for (int r = 0; r < rows; r++)
            {
                ReadOnlySpan<float> row = x.AsReadOnlySpan().Slice(r * classes, classes);
                double max = row.ToArray().Max(), total = row.ToArray().Sum(v => Math.Exp(v - max));
                for (int j = 0; j < classes; j++)
                {
                    y.AsSpan()[(r * classes) + j] = (float)(Math.Exp(row[j] - max) / total);
                }
            }

            return y;
        }

        var fused = new Tensor(rows, classes);
        ((ISoftmaxCrossEntropy)loss).LogitsGradient(Softmax(logits), targets, fused);
        var report = new GradientCheckReport();
        GradientChecker.CheckTensor(report, "logits", logits, fused.ToArray(), () => loss.Compute(Softmax(logits), targets), GradientCheckOptions.Default, 42);
        report.AssertPassed();
    }

    // losses_test.py MeanSquaredErrorTest / MeanAbsoluteErrorTest inputs.
    private static Tensor KerasTargets => Tensor.FromArray([1f, 9f, 2f, -5f, -2f, 6f], 2, 3);

    private static Tensor KerasPredictions => Tensor.FromArray([4f, 8f, 12f, 8f, 1f, 3f], 2, 3);

    // A model whose output is its input, so that Evaluate reports the loss of the given predictions.
    private static Sequential Identity(Loss loss, params int[] inputShape)
    {
        var model = new Sequential([new InputLayer(inputShape), new Activation(ActivationFunction.Linear)]);
        model.Compile(new Sgd(), loss);
        return model;
    }

    private static double Evaluate(Loss loss, Tensor predictions, Tensor targets, params float[] sampleWeight)
    {
        Sequential model = Identity(loss, [.. predictions.Shape.Dimensions[1..]]);
        Tensor? weights = sampleWeight.Length == 0 ? null : Tensor.FromArray(sampleWeight, sampleWeight.Length);
        return model.Evaluate(predictions, targets, batchSize: 64, verbose: 0, sampleWeight: weights)["loss"];
    }

    [Fact]
    public void Evaluate_SampleWeights_MatchesKerasLossesTestReductions()
    {
        // losses_test.py: MSE test_sum_reduction (sample_weight=2.3) 227.69998 and test_mean_with_sample_weight_reduction;
        // MAE 25.29999 and (14/3·1.2 + 19/3·3.4) / 4.6; MAPE 183.865; MSLE 1.646 (mean_with_sample_weight).
        Assert.Equal(227.69998, Evaluate(new MeanSquaredError(LossReduction.Sum), KerasPredictions, KerasTargets, 2.3f, 2.3f), 3);
        Assert.Equal(((110.0 / 3 * 1.2) + (187.0 / 3 * 3.4)) / 4.6, Evaluate(new MeanSquaredError(LossReduction.MeanWithSampleWeight), KerasPredictions, KerasTargets, 1.2f, 3.4f), 4);
        Assert.Equal(767.8 / 6, Evaluate(new MeanSquaredError(), KerasPredictions, KerasTargets, 1.2f, 3.4f), 3);
        Assert.Equal(25.29999, Evaluate(new MeanAbsoluteError(LossReduction.Sum), KerasPredictions, KerasTargets, 2.3f, 2.3f), 4);
        Assert.Equal(((14.0 / 3 * 1.2) + (19.0 / 3 * 3.4)) / 4.6, Evaluate(new MeanAbsoluteError(LossReduction.MeanWithSampleWeight), KerasPredictions, KerasTargets, 1.2f, 3.4f), 5);
        Assert.Equal(183.865, Evaluate(new MeanAbsolutePercentageError(LossReduction.MeanWithSampleWeight), KerasPredictions, KerasTargets, 1.2f, 3.4f), 2);
        Assert.Equal(1.646, Evaluate(new MeanSquaredLogarithmicError(LossReduction.MeanWithSampleWeight), KerasPredictions, KerasTargets, 1.2f, 3.4f), 3);

        // HingeTest.test_weighted, sample_weight [1, 0]: 0.55 (sum_over_batch_size), 1.1 (sum).
        Tensor hingeTruth = Tensor.FromArray([0f, 1f, 0f, 0f], 2, 2), hingePredicted = Tensor.FromArray([0.6f, 0.4f, 0.4f, 0.6f], 2, 2);
        Assert.Equal(0.55, Evaluate(new Hinge(), hingePredicted, hingeTruth, 1f, 0f), 5);
        Assert.Equal(1.1, Evaluate(new Hinge(LossReduction.Sum), hingePredicted, hingeTruth, 1f, 0f), 5);

        // loss_test.py test_sample_weight: Σ w (y - p)² / 4, and 0 (no NaN) when every weight is 0, for every reduction.
        Tensor truth = Tensor.FromArray([1f, 0f, 1f, 0f], 4, 1), predicted = Tensor.FromArray([0.1f, 0.2f, 0.3f, 0.4f], 4, 1);
        double weighted = (0.4 * 0.81) + (0.3 * 0.04) + (0.2 * 0.49) + (0.1 * 0.16);
        Assert.Equal(weighted / 4, Evaluate(new MeanSquaredError(), predicted, truth, 0.4f, 0.3f, 0.2f, 0.1f), 6);
        Assert.Equal(weighted, Evaluate(new MeanSquaredError(LossReduction.Sum), predicted, truth, 0.4f, 0.3f, 0.2f, 0.1f), 6);
        Assert.Equal(weighted, Evaluate(new MeanSquaredError(LossReduction.MeanWithSampleWeight), predicted, truth, 0.4f, 0.3f, 0.2f, 0.1f), 6);
        foreach (LossReduction reduction in new[] { LossReduction.SumOverBatchSize, LossReduction.Sum, LossReduction.Mean, LossReduction.MeanWithSampleWeight })
        {
            Assert.Equal(0.0, Evaluate(new MeanSquaredError(reduction), predicted, truth, 0f, 0f, 0f, 0f));
        }
    }

    [Fact]
    public void Evaluate_MaskedOutput_MatchesKerasLossTestMask()
    {
        // loss_test.py test_mask and test_mask_and_sample_weight: mask [T, F, T, T] drops the second entry; the means divide
        // by the 3 entries left. Here a Masking layer (mask value 0.2) masks the second of four samples of one step each.
        Tensor truth = Tensor.FromArray([1f, 0f, 1f, 0f], 4, 1, 1), predicted = Tensor.FromArray([0.1f, 0.2f, 0.3f, 0.4f], 4, 1, 1);
        double Masked(LossReduction reduction, params float[] weights)
        {
            var model = new Sequential([new InputLayer(1, 1), new Masking(0.2f)]);
            model.Compile(new Sgd(), new MeanSquaredError(reduction));
            return model.Evaluate(predicted, truth, batchSize: 4, verbose: 0, sampleWeight: weights.Length == 0 ? null : Tensor.FromArray(weights, 4))["loss"];
        }

        double plain = 0.81 + 0.49 + 0.16, weighted = (0.4 * 0.81) + (0.2 * 0.49) + (0.1 * 0.16);
        Assert.Equal(plain / 3, Masked(LossReduction.SumOverBatchSize), 6);
        Assert.Equal(plain / 3, Masked(LossReduction.Mean), 6);
        Assert.Equal(plain / 3, Masked(LossReduction.MeanWithSampleWeight), 6);
        Assert.Equal(plain, Masked(LossReduction.Sum), 6);
        Assert.Equal(weighted / 3, Masked(LossReduction.SumOverBatchSize, 0.4f, 0.3f, 0.2f, 0.1f), 6);
        Assert.Equal(weighted, Masked(LossReduction.Sum, 0.4f, 0.3f, 0.2f, 0.1f), 6);
        Assert.Equal(weighted / 0.7, Masked(LossReduction.MeanWithSampleWeight, 0.4f, 0.3f, 0.2f, 0.1f), 6);
    }

    [Fact]
    public void Compile_ReductionNone_IsRefusedBeforeAnythingChanges()
    {
        var model = new Sequential([new InputLayer(3), new Dense(2)]);
        var error = Assert.Throws<ArgumentException>(() => model.Compile(new Sgd(), new MeanSquaredError(LossReduction.None)));
        Assert.Contains("reduction None", error.Message, StringComparison.Ordinal);
        Assert.Contains("mean_squared_error", error.Message, StringComparison.Ordinal);
        Assert.False(model.IsCompiled);
    }

    [Theory]
    [InlineData(LossReduction.Sum, false)]
    [InlineData(LossReduction.MeanWithSampleWeight, true)]
    [InlineData(LossReduction.Sum, true)]
    [InlineData(LossReduction.SumOverBatchSize, true)]
    public void TrainOnBatch_Reductions_StepIsTheNumericalGradientOfTheReportedLoss(LossReduction reduction, bool weighted)
    {
        // SGD with learning rate 1 moves each weight by minus its gradient; the gradient must be that of Evaluate's loss.
        Tensor x = TestData.Normal(50, 1f, 6, 3, 4);
        Tensor y = TestData.Normal(51, 1f, 6, 3, 2);
        Tensor? w = weighted ? Tensor.FromArray([0.5f, 2f, 0f, 1f, 3f, 0.25f], 6) : null;
        Sequential Model()
        {
            var model = new Sequential([new InputLayer(3, 4), new Dense(2, ActivationFunction.Tanh)], seed: 5);
            model.Compile(new Sgd(1f), new MeanSquaredError(reduction));
            return model;
        }

        AssertStepIsNumericalGradient(Model, x, y, w);
    }

    /// <summary>Checks that one TrainOnBatch step (SGD, rate 1) equals minus the central difference of Evaluate's loss.</summary>
    internal static void AssertStepIsNumericalGradient(Func<Sequential> create, Tensor x, Tensor y, Tensor? sampleWeight)
    {
        Sequential trained = create();
        float[][] before = [.. trained.Parameters.Select(p => p.Value.ToArray())];
        trained.TrainOnBatch(x, y, sampleWeight);
        Sequential probe = create();
        double Loss() => probe.Evaluate(x, y, batchSize: 64, verbose: 0, sampleWeight: sampleWeight)["loss"];
        for (int i = 0; i < probe.Parameters.Count; i++)
        {
            Span<float> value = probe.Parameters[i].Value.AsSpan();
            ReadOnlySpan<float> after = trained.Parameters[i].Value.AsReadOnlySpan();
            for (int j = 0; j < value.Length; j++)
            {
                float original = value[j];
                const float h = 1e-2f;
                value[j] = original + h;
                double up = Loss();
                value[j] = original - h;
                double down = Loss();
                value[j] = original;
                double numerical = (up - down) / (2 * h);
                double analytic = before[i][j] - after[j];
                Assert.True(Math.Abs(numerical - analytic) <= 2e-3 * Math.Max(1, Math.Abs(numerical)), $"parameter {i}[{j}]: numerical {numerical}, step {analytic}");
            }
        }
    }

    [Fact]
    public void TrainStep_SumReductionAfterWarmUp_AllocatesNothing()
    {
        (Tensor x, Tensor y) = NeuralNet.Tests.Models.ModelTestData.RandomClassification(128, 10, 4, seed: 8);
        var model = new Sequential([new InputLayer(10), new Dense(8, ActivationFunction.Relu), new Dense(4, ActivationFunction.Softmax)]);
        model.Compile(new Adam(), new CategoricalCrossEntropy(reduction: LossReduction.Sum));
        Tensor weights = Tensor.Filled(0.5f, 32);
        Tensor xb = x.Slice(0, 32), yb = y.Slice(0, 32);
        model.TrainOnBatch(xb, yb, weights);
        model.TrainStep(xb, yb);
        AllocationCheck.AssertNone(() =>
        {
            for (int step = 0; step < 4; step++)
            {
                model.TrainStep(xb, yb);
            }
        });
    }

    [Theory]
    [InlineData(LossReduction.Sum, "\"sum\"")]
    [InlineData(LossReduction.Mean, "\"mean\"")]
    [InlineData(LossReduction.MeanWithSampleWeight, "\"mean_with_sample_weight\"")]
    [InlineData(LossReduction.SumOverBatchSize, "\"sum_over_batch_size\"")]
    [InlineData(LossReduction.None, "null")]
    public void Serialization_Reduction_RoundTripsUnderKerasKey(LossReduction reduction, string json)
    {
        Loss[] losses = [new MeanSquaredError(reduction), new Huber(2.0, reduction), new CategoricalCrossEntropy(true, 0.1, reduction: reduction), new SparseCategoricalCrossEntropy(ignoreClass: -1, reduction: reduction)];
        foreach (Loss loss in losses)
        {
            System.Text.Json.Nodes.JsonObject saved = SerializationRegistry.Serialize(loss);
            Assert.Equal(json, saved["config"]!["reduction"]?.ToJsonString() ?? "null");
            Assert.True(((System.Text.Json.Nodes.JsonObject)saved["config"]!).ContainsKey("reduction"));
            Loss loaded = SerializationRegistry.Deserialize<Loss>(saved, new Config(), "loss");
            Assert.Equal(loss.GetType(), loaded.GetType());
            Assert.Equal(reduction, loaded.Reduction);
            Assert.Equal(loss.GetConfig().ToJson(), loaded.GetConfig().ToJson());
        }
    }

    [Fact]
    public void Serialization_KerasReductionStrings_Load()
    {
        Assert.Equal(LossReduction.None, Read("MeanSquaredError", "\"reduction\": \"none\"").Reduction);
        Assert.Equal(LossReduction.None, Read("Huber", "\"reduction\": null").Reduction);
        Assert.Equal(LossReduction.Sum, Read("CategoricalCrossentropy", "\"reduction\": \"sum\"").Reduction);
        Assert.Equal(LossReduction.SumOverBatchSize, Read("CosineSimilarity", "\"name\": \"cs\"").Reduction);
        var error = Assert.Throws<InvalidDataException>(() => Read("MeanSquaredError", "\"reduction\": \"abc\""));
        Assert.Contains("MeanSquaredError \"reduction\" is \"abc\"", error.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidDataException>(() => Read("Hinge", "\"reduction\": 3"));
    }

    private static Loss Read(string className, string config) =>
        SerializationRegistry.Deserialize<Loss>(System.Text.Json.Nodes.JsonNode.Parse("{\"class_name\": \"" + className + "\", \"config\": {" + config + "}}")!, new Config(), "loss");
}
