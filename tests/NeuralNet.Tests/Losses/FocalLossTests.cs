using NeuralNet.Losses;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Losses;

/// <summary>BinaryFocalCrossEntropy and CategoricalFocalCrossEntropy against Keras' docstrings and losses_test.py, their gradients and settings.</summary>
public class FocalLossTests
{
    // Keras' docstring inputs: one row of four logits, and the same four as two rows of two.
    private static readonly float[] DocLogits = [-18.6f, 0.51f, 2.94f, -12.8f];
    private static readonly float[] DocTruth = [0, 1, 0, 0];

    [Fact]
    public void BinaryFocal_KerasDocstringExamples()
    {
        Tensor row = Tensor.FromArray(DocLogits, 1, 4), rowTruth = Tensor.FromArray(DocTruth, 1, 4);
        Assert.Equal(0.691, new BinaryFocalCrossEntropy(gamma: 2, fromLogits: true).Compute(row, rowTruth), 3);
        Assert.Equal(0.51, new BinaryFocalCrossEntropy(applyClassBalancing: true, gamma: 2, fromLogits: true).Compute(row, rowTruth), 2);

        Tensor rows = Tensor.FromArray(DocLogits, 2, 2), rowsTruth = Tensor.FromArray(DocTruth, 2, 2);
        Assert.Equal(0.647, new BinaryFocalCrossEntropy(gamma: 3, fromLogits: true).Compute(rows, rowsTruth), 3);
        Assert.Equal(0.482, new BinaryFocalCrossEntropy(applyClassBalancing: true, gamma: 3, fromLogits: true).Compute(rows, rowsTruth), 3);

        // sample_weight=[0.8, 0.2] is sum(w · per-sample) / 2; reduction "sum" is the sum of the per-sample values.
        Assert.Equal(0.133, Weighted(new BinaryFocalCrossEntropy(gamma: 3, fromLogits: true), rows, rowsTruth, [0.8f, 0.2f]), 3);
        Assert.Equal(0.097, Weighted(new BinaryFocalCrossEntropy(applyClassBalancing: true, gamma: 3, fromLogits: true), rows, rowsTruth, [0.8f, 0.2f]), 3);
        Assert.Equal(1.222, PerSample(new BinaryFocalCrossEntropy(gamma: 4, fromLogits: true), rows, rowsTruth).Sum(v => (double)v), 3);
        Assert.Equal(0.914, PerSample(new BinaryFocalCrossEntropy(applyClassBalancing: true, gamma: 4, fromLogits: true), rows, rowsTruth).Sum(v => (double)v), 3);

        // reduction=None: [0.0017, 1.1561] and, balanced, [0.0004, 0.8670] (printed to 4 decimals).
        AssertClose([0.0017, 1.1561], PerSample(new BinaryFocalCrossEntropy(gamma: 5, fromLogits: true), rows, rowsTruth), 1e-4);
        AssertClose([0.0004, 0.8670], PerSample(new BinaryFocalCrossEntropy(applyClassBalancing: true, gamma: 5, fromLogits: true), rows, rowsTruth), 1e-4);

        // The function's docstring, probabilities: [0.330, 0.206].
        AssertClose([0.330, 0.206], PerSample(new BinaryFocalCrossEntropy(gamma: 2), Tensor.FromArray([0.6f, 0.4f, 0.4f, 0.6f], 2, 2), Tensor.FromArray([0, 1, 0, 0], 2, 2)), 5e-4);
    }

    [Fact]
    public void BinaryFocal_KerasLossesTestValues()
    {
        Tensor truth = Tensor.FromArray([1, 0, 1, 0], 2, 2), predicted = Tensor.FromArray([0.9f, 0.8f, 0.7f, 0.2f], 2, 2);
        var loss = new BinaryFocalCrossEntropy(gamma: 2);
        Assert.Equal(0.268, loss.Compute(predicted, truth), 3);
        AssertClose([0.515547, 0.020513], PerSample(loss, predicted, truth), 1e-5);
        Assert.Equal(0.34415, Weighted(loss, predicted, truth, [1.2f, 3.4f]), 3);

        Tensor logitTruth = Tensor.FromArray([1, 1, 0, 0, 1, 0], 2, 3), logits = Tensor.FromArray([1.5f, -2.7f, 2.9f, -3.8f, 1.2f, -4.5f], 2, 3);
        var fromLogits = new BinaryFocalCrossEntropy(gamma: 3, fromLogits: true);
        Assert.Equal(0.799, fromLogits.Compute(logits, logitTruth), 3);
        Assert.Equal(0.95977, Weighted(fromLogits, logits, logitTruth, [1.2f, 3.4f]), 3);

        // All correct: 0 for probabilities equal to the targets and for logits of ±100.
        Tensor eye = Tensor.FromArray([1, 0, 0, 0, 1, 0, 0, 0, 1], 3, 3);
        Assert.Equal(0.0, new BinaryFocalCrossEntropy(gamma: 1.5).Compute(eye, eye), 3);
        Tensor sure = Tensor.FromArray([.. eye.ToArray().Select(v => v == 1 ? 100f : -100f)], 3, 3);
        Assert.Equal(0.0, new BinaryFocalCrossEntropy(gamma: 2, fromLogits: true).Compute(sure, eye), 3);
    }

    [Fact]
    public void CategoricalFocal_KerasDocstringExamples()
    {
        Tensor truth = Tensor.FromArray([0, 1, 0, 0, 0, 1], 2, 3), predicted = Tensor.FromArray([0.05f, 0.95f, 0, 0.1f, 0.8f, 0.1f], 2, 3);
        var loss = new CategoricalFocalCrossEntropy();
        Assert.Equal(0.23315276, loss.Compute(predicted, truth), 5);
        Assert.Equal(0.1632, Weighted(loss, predicted, truth, [0.3f, 0.7f]), 4);
        Assert.Equal(0.46631, PerSample(loss, predicted, truth).Sum(v => (double)v), 5);
        AssertRelative([3.2058331e-05, 4.6627346e-01], PerSample(loss, predicted, truth), 1e-4);

        // The function's docstring: [2.63401289e-04, 6.75912094e-01].
        AssertRelative([2.63401289e-04, 6.75912094e-01], PerSample(loss, Tensor.FromArray([0.05f, 0.9f, 0.05f, 0.1f, 0.85f, 0.05f], 2, 3), truth), 1e-4);
    }

    [Fact]
    public void CategoricalFocal_KerasLossesTestValues()
    {
        Tensor eye = Tensor.FromArray([1, 0, 0, 0, 1, 0, 0, 0, 1], 3, 3);
        Tensor predicted = Tensor.FromArray([0.9f, 0.05f, 0.05f, 0.5f, 0.89f, 0.6f, 0.05f, 0.01f, 0.94f], 3, 3);
        Tensor logits = Tensor.FromArray([8, 1, 1, 0, 9, 1, 2, 3, 5], 3, 3);
        var loss = new CategoricalFocalCrossEntropy();
        var fromLogits = new CategoricalFocalCrossEntropy(fromLogits: true);
        Assert.Equal(0.02059, loss.Compute(predicted, eye), 3);
        Assert.Equal(0.000345, fromLogits.Compute(logits, eye), 3);
        Assert.Equal(0.06987, Weighted(loss, predicted, eye, [1.2f, 3.4f, 5.6f]), 3);
        Assert.Equal(0.001933, Weighted(fromLogits, logits, eye, [1.2f, 3.4f, 5.6f]), 3);

        // reduction=None from logits: (1.5096224e-09, 2.4136547e-11, 1.0360638e-03), Keras in float32 (1 − p loses digits near 1).
        AssertRelative([1.5096224e-09, 2.4136547e-11, 1.0360638e-03], PerSample(fromLogits, logits, eye), 1e-3);

        // test_label_smoothing: logits (4.9, −0.5, 2.05), target class 0, smoothing 0.1 → 0.06685.
        var smoothed = new CategoricalFocalCrossEntropy(fromLogits: true, labelSmoothing: 0.1);
        Assert.Equal(0.06685, smoothed.Compute(Tensor.FromArray([4.9f, -0.5f, 2.05f], 1, 3), Tensor.FromArray([1, 0, 0], 1, 3)), 3);

        Assert.Equal(0.0, new CategoricalFocalCrossEntropy(alpha: 0.25, gamma: 2).Compute(eye, eye), 3);
        Tensor sure = Tensor.FromArray([.. eye.ToArray().Select(v => v * 10)], 3, 3);
        Assert.Equal(0.0, fromLogits.Compute(sure, eye), 3);
    }

    [Fact]
    public void Focal_WithoutFocusing_IsThePlainCrossEntropy()
    {
        Tensor probabilities = TestData.Probabilities(1, 6, 4), logits = TestData.Normal(2, 2f, 6, 4);
        Tensor oneHot = TestData.OneHot(TestData.Labels(3, 6, 4), 4), soft = Tensor.RandomUniform(new TensorShape(6, 4), 4);
        Assert.Equal(new BinaryCrossEntropy().Compute(probabilities, soft), new BinaryFocalCrossEntropy(gamma: 0).Compute(probabilities, soft), 5);
        Assert.Equal(new BinaryCrossEntropy(true, 0.1).Compute(logits, soft), new BinaryFocalCrossEntropy(gamma: 0, fromLogits: true, labelSmoothing: 0.1).Compute(logits, soft), 5);
        Assert.Equal(new CategoricalCrossEntropy().Compute(probabilities, oneHot), new CategoricalFocalCrossEntropy(alpha: 1, gamma: 0).Compute(probabilities, oneHot), 5);
        Assert.Equal(new CategoricalCrossEntropy(true, 0.2).Compute(logits, oneHot), new CategoricalFocalCrossEntropy(1, 0, true, 0.2).Compute(logits, oneHot), 5);
    }

    public static TheoryData<string> GradientCases =>
    [
        "binary", "binary_logits", "binary_balanced_smoothed", "binary_gamma_half", "binary_gamma_one_logits", "binary_gamma_zero",
        "categorical", "categorical_logits", "categorical_smoothed", "categorical_logits_smoothed", "categorical_gamma_half", "categorical_soft_targets",
    ];

    [Theory]
    [MemberData(nameof(GradientCases))]
    public void Gradient_MatchesNumericalGradient(string name)
    {
        const int rows = 5, classes = 4;
        var shape = new TensorShape(rows, classes);
        Tensor unit = Tensor.RandomUniform(shape, 11, 0.05f, 0.95f), logits = TestData.Normal(12, 2f, rows, classes);
        Tensor labels = Tensor.FromArray([.. Tensor.RandomUniform(shape, 13).ToArray().Select(v => v < 0.5f ? 0f : 1f)], rows, classes);
        Tensor probabilities = TestData.Probabilities(14, rows, classes), oneHot = TestData.OneHot(TestData.Labels(15, rows, classes), classes);
        (Loss loss, Tensor predictions, Tensor targets) = name switch
        {
            "binary" => ((Loss)new BinaryFocalCrossEntropy(), unit, labels),
            "binary_logits" => (new BinaryFocalCrossEntropy(fromLogits: true), logits, labels),
            "binary_balanced_smoothed" => (new BinaryFocalCrossEntropy(true, 0.3, 2.5, false, 0.2), unit, labels),
            "binary_gamma_half" => (new BinaryFocalCrossEntropy(gamma: 0.5), unit, Tensor.RandomUniform(shape, 16)),
            "binary_gamma_one_logits" => (new BinaryFocalCrossEntropy(true, 0.6, 1, true, 0.1), logits, labels),
            "binary_gamma_zero" => (new BinaryFocalCrossEntropy(gamma: 0), unit, labels),
            "categorical" => (new CategoricalFocalCrossEntropy(), probabilities, oneHot),
            "categorical_logits" => (new CategoricalFocalCrossEntropy(fromLogits: true), logits, oneHot),
            "categorical_smoothed" => (new CategoricalFocalCrossEntropy(0.5, 3, false, 0.2), probabilities, oneHot),
            "categorical_logits_smoothed" => (new CategoricalFocalCrossEntropy(1, 2, true, 0.1), logits, oneHot),
            "categorical_gamma_half" => (new CategoricalFocalCrossEntropy(gamma: 0.5), unit, oneHot),
            _ => (new CategoricalFocalCrossEntropy(gamma: 1.5), unit, probabilities),
        };
        GradientChecker.CheckLoss(loss, predictions, targets, seed: 17, GradientCheckOptions.Default with { Step = 2e-4, AbsoluteTolerance = 5e-3 }).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void Gradient_AfterWarmUp_AllocatesNothing()
    {
        Tensor logits = TestData.Normal(1, 2f, 8, 3), oneHot = TestData.OneHot(TestData.Labels(2, 8, 3), 3), gradient = new(8, 3);
        foreach (Loss loss in new Loss[] { new BinaryFocalCrossEntropy(true, fromLogits: true), new CategoricalFocalCrossEntropy(fromLogits: true), new CategoricalFocalCrossEntropy() })
        {
            loss.Gradient(logits, oneHot, gradient);
            AllocationCheck.AssertNone(() =>
            {
                loss.Gradient(logits, oneHot, gradient);
            });
        }
    }

    [Fact]
    public void Constructors_RejectSettingsOutOfRange()
    {
        Assert.Equal("alpha", Assert.Throws<ArgumentOutOfRangeException>(() => new BinaryFocalCrossEntropy(alpha: 1.5)).ParamName);
        Assert.Equal("alpha", Assert.Throws<ArgumentOutOfRangeException>(() => new CategoricalFocalCrossEntropy(alpha: -0.1)).ParamName);
        Assert.Equal("alpha", Assert.Throws<ArgumentOutOfRangeException>(() => new CategoricalFocalCrossEntropy(alpha: double.PositiveInfinity)).ParamName);
        var gamma = Assert.Throws<ArgumentOutOfRangeException>(() => new BinaryFocalCrossEntropy(gamma: -1));
        Assert.Equal("gamma", gamma.ParamName);
        Assert.Contains("BinaryFocalCrossEntropy expects a finite gamma >= 0 but got gamma=-1", gamma.Message, StringComparison.Ordinal);
        Assert.Equal("gamma", Assert.Throws<ArgumentOutOfRangeException>(() => new CategoricalFocalCrossEntropy(gamma: double.NaN)).ParamName);
        Assert.Equal("labelSmoothing", Assert.Throws<ArgumentOutOfRangeException>(() => new BinaryFocalCrossEntropy(labelSmoothing: 1.1)).ParamName);
        Assert.Equal("labelSmoothing", Assert.Throws<ArgumentOutOfRangeException>(() => new CategoricalFocalCrossEntropy(labelSmoothing: -1)).ParamName);
        _ = new CategoricalFocalCrossEntropy(alpha: 4);
    }

    [Fact]
    public void Validation_LikeThePlainCrossEntropies()
    {
        var error = Assert.Throws<ArgumentException>(() => new BinaryFocalCrossEntropy().ValidateTargets(Tensor.FromArray([0, 1, 2, 0], 2, 2)));
        Assert.Contains("binary_focal_crossentropy: targets must be in [0, 1], but sample 1 (element 0) is 2", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new BinaryFocalCrossEntropy().ValidateShapes(new TensorShape(1), new TensorShape(2)));
        var shapes = Assert.Throws<ArgumentException>(() => new CategoricalFocalCrossEntropy().ValidateShapes(new TensorShape(5), new TensorShape(10)));
        Assert.Contains("categorical_focal_crossentropy: output (None, 5) does not match targets (None, 10)", shapes.Message, StringComparison.Ordinal);
        Assert.Contains("SparseCategoricalCrossEntropy", Assert.Throws<ArgumentException>(() => new CategoricalFocalCrossEntropy().ValidateShapes(new TensorShape(10), new TensorShape(1))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Config_RoundTripsAndResolvesKerasIdentifiers()
    {
        var binary = Assert.IsType<BinaryFocalCrossEntropy>(LabelSmoothingTests.RoundTrip(new BinaryFocalCrossEntropy(true, 0.4, 3, true, 0.1)));
        Assert.Equal((true, 0.4, 3.0, true, 0.1), (binary.ApplyClassBalancing, binary.Alpha, binary.Gamma, binary.FromLogits, binary.LabelSmoothing));
        var categorical = Assert.IsType<CategoricalFocalCrossEntropy>(LabelSmoothingTests.RoundTrip(new CategoricalFocalCrossEntropy(0.5, 1, true, 0.2)));
        Assert.Equal((0.5, 1.0, true, 0.2), (categorical.Alpha, categorical.Gamma, categorical.FromLogits, categorical.LabelSmoothing));

        // Keras' get_config, and the identifiers with their defaults.
        var keras = Assert.IsType<BinaryFocalCrossEntropy>(LabelSmoothingTests.Read(
            """{"class_name": "BinaryFocalCrossentropy", "config": {"name": "bfce", "reduction": "sum_over_batch_size", "from_logits": false, "label_smoothing": 0.0, "axis": -1, "apply_class_balancing": false, "alpha": 0.25, "gamma": 2.0}}"""));
        Assert.Equal((0.25, 2.0), (keras.Alpha, keras.Gamma));
        var model = new NeuralNet.Models.Sequential([new NeuralNet.Layers.InputLayer(3), new NeuralNet.Layers.Dense(2)]);
        model.Compile("adam", "binary_focal_crossentropy");
        Assert.Equal("binary_focal_crossentropy", Assert.IsType<BinaryFocalCrossEntropy>(model.Loss).Name);
        model.Compile("adam", "categorical_focal_crossentropy");
        Assert.Equal((0.25, 2.0, false), (((CategoricalFocalCrossEntropy)model.Loss!).Alpha, ((CategoricalFocalCrossEntropy)model.Loss!).Gamma, ((CategoricalFocalCrossEntropy)model.Loss!).FromLogits));
    }

    private static float[] PerSample(Loss loss, Tensor predictions, Tensor targets)
    {
        var values = new float[predictions.Shape[0]];
        loss.ComputePerSample(predictions, targets, values);
        return values;
    }

    private static double Weighted(Loss loss, Tensor predictions, Tensor targets, float[] weights) =>
        PerSample(loss, predictions, targets).Zip(weights, (v, w) => (double)v * w).Sum() / weights.Length;

    private static void AssertClose(double[] expected, float[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"value {i}: expected {expected[i]} but got {actual[i]}");
        }
    }

    private static void AssertRelative(double[] expected, float[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * Math.Abs(expected[i]), $"value {i}: expected {expected[i]} but got {actual[i]}");
        }
    }
}
