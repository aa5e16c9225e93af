using NeuralNet.Losses;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Losses;

/// <summary>Loss.ComputePerSample: one value per sample, whose mean is Compute, and Keras' per-sample and sample-weighted values.</summary>
public class PerSampleLossTests
{
    public static TheoryData<string> Names =>
    [
        "mse", "mae", "mape", "msle", "huber", "log_cosh", "poisson", "hinge", "hinge_signed", "squared_hinge", "categorical_hinge",
        "kld", "cosine", "bce", "bce_logits", "bce_smoothed", "cce", "cce_logits", "cce_smoothed", "sparse", "sparse_logits",
        "binary_focal", "binary_focal_logits", "categorical_focal", "categorical_focal_logits",
    ];

    /// <summary>Every built-in loss on seeded data, (batch, features) or with steps (batch, steps, features), with <paramref name="reduction"/>.</summary>
    public static (Loss Loss, Tensor Predictions, Tensor Targets) Case(string name, int batch, int steps, long seed, LossReduction reduction = LossReduction.SumOverBatchSize)
    {
        LossReduction r = reduction;
        int classes = 4;
        int[] dims = steps == 1 ? [batch, classes] : [batch, steps, classes];
        var shape = new TensorShape(dims);
        Tensor any = Tensor.RandomNormal(shape, seed), other = Tensor.RandomNormal(shape, seed + 1);
        Tensor positive = Tensor.RandomUniform(shape, seed + 2, 0.2f, 3f), unit = Tensor.RandomUniform(shape, seed + 3, 0.05f, 0.95f);
        Tensor labels = Tensor.FromArray([.. Tensor.RandomUniform(shape, seed + 4).ToArray().Select(v => v < 0.5f ? 0f : 1f)], dims);
        int rows = shape.ElementCount / classes;
        Tensor indices = TestData.Labels(seed + 5, rows, classes);
        Tensor sparseTargets = steps == 1 ? indices : Tensor.FromArray(indices.ToArray(), batch, steps);
        Tensor oneHot = Tensor.FromArray(TestData.OneHot(indices, classes).ToArray(), dims);
        Tensor probabilities = Tensor.FromArray(TestData.Probabilities(seed + 6, rows, classes).ToArray(), dims);
        return name switch
        {
            "mse" => (new MeanSquaredError(reduction: r), any, other),
            "mae" => (new MeanAbsoluteError(reduction: r), any, other),
            "mape" => (new MeanAbsolutePercentageError(reduction: r), any, other),
            "msle" => (new MeanSquaredLogarithmicError(reduction: r), positive, Tensor.RandomUniform(shape, seed + 7, 0f, 3f)),
            "huber" => (new Huber(0.5, reduction: r), any, other),
            "log_cosh" => (new LogCosh(reduction: r), any, other),
            "poisson" => (new Poisson(reduction: r), positive, Tensor.RandomUniform(shape, seed + 7, 0f, 4f)),
            "hinge" => (new Hinge(reduction: r), any, labels),
            "hinge_signed" => (new Hinge(reduction: r), any, Tensor.FromArray([.. labels.ToArray().Select(v => (2 * v) - 1)], dims)),
            "squared_hinge" => (new SquaredHinge(reduction: r), any, labels),
            "categorical_hinge" => (new CategoricalHinge(reduction: r), any, oneHot),
            "kld" => (new KLDivergence(reduction: r), unit, probabilities),
            "cosine" => (new CosineSimilarity(reduction: r), any, other),
            "bce" => (new BinaryCrossEntropy(reduction: r), unit, Tensor.RandomUniform(shape, seed + 7)),
            "bce_logits" => (new BinaryCrossEntropy(fromLogits: true, reduction: r), any, labels),
            "bce_smoothed" => (new BinaryCrossEntropy(labelSmoothing: 0.2, reduction: r), unit, labels),
            "cce" => (new CategoricalCrossEntropy(reduction: r), probabilities, oneHot),
            "cce_smoothed" => (new CategoricalCrossEntropy(fromLogits: true, labelSmoothing: 0.1, reduction: r), any, oneHot),
            "cce_logits" => (new CategoricalCrossEntropy(fromLogits: true, reduction: r), any, oneHot),
            "sparse" => (new SparseCategoricalCrossEntropy(reduction: r), probabilities, sparseTargets),
            "sparse_logits" => (new SparseCategoricalCrossEntropy(fromLogits: true, reduction: r), any, sparseTargets),
            "binary_focal" => (new BinaryFocalCrossEntropy(applyClassBalancing: true, reduction: r), unit, labels),
            "binary_focal_logits" => (new BinaryFocalCrossEntropy(gamma: 3, fromLogits: true, labelSmoothing: 0.1, reduction: r), any, labels),
            "categorical_focal" => (new CategoricalFocalCrossEntropy(reduction: r), probabilities, oneHot),
            "categorical_focal_logits" => (new CategoricalFocalCrossEntropy(fromLogits: true, labelSmoothing: 0.1, reduction: r), any, oneHot),
            _ => throw new ArgumentException($"unknown case {name}", nameof(name)),
        };
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void ComputePerSample_RandomBatches_MeanEqualsCompute(string name)
    {
        foreach ((int batch, int steps, long seed) in new[] { (1, 1, 10L), (7, 1, 11L), (5, 3, 12L) })
        {
            (Loss loss, Tensor predictions, Tensor targets) = Case(name, batch, steps, seed);
            var perSample = new float[batch];
            loss.ComputePerSample(predictions, targets, perSample);
            double mean = perSample.Average(v => (double)v);
            float whole = loss.Compute(predictions, targets);
            Assert.True(Math.Abs(mean - whole) <= 1e-6 * Math.Max(1, Math.Abs(whole)), $"{name} ({batch}, {steps}): mean of per-sample {mean} but Compute {whole}");
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Gradient_SaturatedOutputs_IsFinite(string name)
    {
        // A softmax or sigmoid inside a layer (Conv2D(activation: softmax) is not fused with the loss) can give exact 0s
        // and 1s. The probability losses clip them (Keras' epsilon), so loss and gradient stay finite; a trial found
        // sparse categorical cross-entropy giving NaN for p[label] = 0 (0 · (1 − 1/0)), which made every weight NaN.
        foreach ((int batch, int steps, long seed) in new[] { (6, 1, 40L), (3, 4, 41L) })
        {
            (Loss loss, Tensor predictions, Tensor targets) = Case(name, batch, steps, seed);
            int classes = predictions.Shape[-1];
            Tensor oneHot = TestData.OneHot(TestData.Labels(seed + 100, predictions.Length / classes, classes), classes);
            Tensor saturated = Tensor.FromArray(oneHot.ToArray(), predictions.Shape.Dimensions.ToArray());
            var gradient = new Tensor(saturated.Shape);

            float value = loss.Compute(saturated, targets);
            loss.Gradient(saturated, targets, gradient);

            Assert.True(float.IsFinite(value), $"{name} ({batch}, {steps}): loss {value} on saturated outputs");
            float[] g = gradient.ToArray();
            int bad = Array.FindIndex(g, v => !float.IsFinite(v));
            Assert.True(bad < 0, $"{name} ({batch}, {steps}): gradient element {bad} is {(bad < 0 ? 0 : g[bad])} on saturated outputs");
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void ComputePerSample_AfterWarmUp_AllocatesNothing(string name)
    {
        (Loss loss, Tensor predictions, Tensor targets) = Case(name, 6, 2, 20);
        Span<float> destination = stackalloc float[6];
        loss.ComputePerSample(predictions, targets, destination);
        long before = GC.GetAllocatedBytesForCurrentThread();
        loss.ComputePerSample(predictions, targets, destination);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void ComputePerSample_RegressionAndHingeLosses_MatchHandComputedRows()
    {
        // Rows of Keras' losses_test.py inputs: MAE (|4 − 1| + |8 − 9| + |12 − 2|) / 3 and (13 + 3 + 3) / 3.
        Tensor truth = Tensor.FromArray([1, 9, 2, -5, -2, 6], 2, 3), predicted = Tensor.FromArray([4, 8, 12, 8, 1, 3], 2, 3);
        AssertPerSample(new MeanAbsoluteError(), predicted, truth, 14.0 / 3, 19.0 / 3);
        AssertPerSample(new MeanSquaredError(), predicted, truth, (9 + 1 + 100) / 3.0, (169 + 9 + 9) / 3.0);

        // Hinge on 0/1 targets read as −1/1: rows (1.6 + 0.6) / 2 and (1.4 + 1.6) / 2 (Keras' mean 1.3);
        // categorical hinge max((1 − t)·p) − Σ t·p + 1 per row: 0.6 − 0.4 + 1 and 0.6 − 0 + 1 (Keras' mean 1.4).
        Tensor hingeTruth = Tensor.FromArray([0, 1, 0, 0], 2, 2), hingePredicted = Tensor.FromArray([0.6f, 0.4f, 0.4f, 0.6f], 2, 2);
        AssertPerSample(new Hinge(), hingePredicted, hingeTruth, 1.1, 1.5);
        AssertPerSample(new CategoricalHinge(), hingePredicted, hingeTruth, 1.2, 1.6);
    }

    [Fact]
    public void ComputePerSample_CrossEntropies_MatchKerasUnreducedValues()
    {
        // Keras' docstrings (reduction=None): binary_crossentropy [0.916, 0.714]; categorical and sparse [0.0513, 2.303].
        AssertPerSample(new BinaryCrossEntropy(), Tensor.FromArray([0.6f, 0.4f, 0.4f, 0.6f], 2, 2), Tensor.FromArray([0, 1, 0, 0], 2, 2), 0.916, 0.714, digits: 3);
        Tensor probabilities = Tensor.FromArray([0.05f, 0.95f, 0, 0.1f, 0.8f, 0.1f], 2, 3);
        AssertPerSample(new CategoricalCrossEntropy(), probabilities, Tensor.FromArray([0, 1, 0, 0, 0, 1], 2, 3), 0.0513, 2.303, digits: 3);
        AssertPerSample(new SparseCategoricalCrossEntropy(), probabilities, Tensor.FromArray([1, 2], 2), 0.0513, 2.303, digits: 3);

        // losses_test.py test_no_reduction: BCE from logits [0.0, 6.666] within 1e-3 (the second row is (10 + 10) / 3 up to
        // e^-10 terms); CCE from logits (0.001822, 0.000459, 0.169846).
        AssertPerSample(new BinaryCrossEntropy(fromLogits: true), Tensor.FromArray([10, -10, 10, 10, 10, -10], 2, 3), Tensor.FromArray([1, 0, 1, 0, 1, 1], 2, 3), 0.0, 20.0 / 3, digits: 3);
        Tensor logits = Tensor.FromArray([8, 1, 1, 0, 9, 1, 2, 3, 5], 3, 3);
        AssertPerSample(new CategoricalCrossEntropy(fromLogits: true), logits, Tensor.FromArray([1, 0, 0, 0, 1, 0, 0, 0, 1], 3, 3), 0.001822, 0.000459, 0.169846, digits: 5);
    }

    [Fact]
    public void ComputePerSample_WeightedBySample_GivesKerasSampleWeightedLoss()
    {
        // losses_test.py test_sample_weighted: sum(w · per-sample) / batch.
        Tensor bceTruth = Tensor.FromArray([1, 0, 1, 0], 2, 2), bcePredicted = Tensor.FromArray([1, 1, 1, 0], 2, 2);
        Assert.Equal(4.7827, Weighted(new BinaryCrossEntropy(), bcePredicted, bceTruth, [1.2f, 3.4f]), 3);
        Tensor truth = Tensor.FromArray([1, 0, 0, 0, 1, 0, 0, 0, 1], 3, 3), predicted = Tensor.FromArray([0.9f, 0.05f, 0.05f, 0.5f, 0.89f, 0.6f, 0.05f, 0.01f, 0.94f], 3, 3);
        Assert.Equal(1.0696, Weighted(new CategoricalCrossEntropy(), predicted, truth, [1.2f, 3.4f, 5.6f]), 3);
        Assert.Equal(1.0696, Weighted(new SparseCategoricalCrossEntropy(), predicted, Tensor.FromArray([0, 1, 2], 3, 1), [1.2f, 3.4f, 5.6f]), 3);
        Tensor logits = Tensor.FromArray([8, 1, 1, 0, 9, 1, 2, 3, 5], 3, 3);
        Assert.Equal(0.31829, Weighted(new CategoricalCrossEntropy(fromLogits: true), logits, truth, [1.2f, 3.4f, 5.6f]), 4);
    }

    [Fact]
    public void ComputePerSample_WithSteps_AveragesTheStepsOfEachSample()
    {
        // Keras' KLDivergence test_timestep_weighted inputs, (2, 3, 1): each step's value t·log(t / p); a sample's value is their mean.
        float[] p = [0.4f, 0.9f, 0.12f, 0.36f, 0.3f, 0.4f], t = [0.5f, 0.8f, 0.12f, 0.7f, 0.43f, 0.8f];
        double[] steps = [.. p.Zip(t, (pi, ti) => ti * Math.Log((double)ti / pi))];
        AssertPerSample(new KLDivergence(), Tensor.FromArray(p, 2, 3, 1), Tensor.FromArray(t, 2, 3, 1), steps[..3].Average(), steps[3..].Average());
    }

    [Fact]
    public void ComputePerSample_DestinationNotOnePerSample_Throws()
    {
        var error = Assert.Throws<ArgumentException>(() => new MeanSquaredError().ComputePerSample(Tensor.Zeros(4, 2), Tensor.Zeros(4, 2), new float[3]));
        Assert.Equal("destination", error.ParamName);
        Assert.Contains("destination holds 3 values but the batch (4, 2) has 4 samples", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new SparseCategoricalCrossEntropy().ComputePerSample(Tensor.Zeros(4, 2), Tensor.Zeros(4), new float[8]));
    }

    [Fact]
    public void ComputePerSample_LossOfYourOwnWithoutOverride_ThrowsNamingIt()
    {
        var error = Assert.Throws<NotSupportedException>(() => new HalfSquare().ComputePerSample(Tensor.Zeros(2, 1), Tensor.Zeros(2, 1), new float[2]));
        Assert.Contains("HalfSquare ('half_square')", error.Message, StringComparison.Ordinal);
        Assert.Contains("override Loss.ComputePerSample", error.Message, StringComparison.Ordinal);
    }

    private static void AssertPerSample(Loss loss, Tensor predictions, Tensor targets, double first, double second, int digits = 5) =>
        AssertPerSample(loss, predictions, targets, [first, second], digits);

    private static void AssertPerSample(Loss loss, Tensor predictions, Tensor targets, double first, double second, double third, int digits = 5) =>
        AssertPerSample(loss, predictions, targets, [first, second, third], digits);

    private static void AssertPerSample(Loss loss, Tensor predictions, Tensor targets, double[] expected, int digits)
    {
        var actual = new float[expected.Length];
        loss.ComputePerSample(predictions, targets, actual);
        for (int s = 0; s < expected.Length; s++)
        {
            Assert.Equal(expected[s], actual[s], digits);
        }
    }

    private static double Weighted(Loss loss, Tensor predictions, Tensor targets, float[] weights)
    {
        var values = new float[weights.Length];
        loss.ComputePerSample(predictions, targets, values);
        return values.Zip(weights, (v, w) => (double)v * w).Sum() / weights.Length;
    }

    private sealed class HalfSquare : Loss
    {
        public override string Name => "half_square";

        public override void ValidateShapes(TensorShape outputShape, TensorShape targetShape)
        {
        }

        public override float Compute(Tensor predictions, Tensor targets) => 0;

        public override void Gradient(Tensor predictions, Tensor targets, Tensor gradient)
        {
        }
    }
}
