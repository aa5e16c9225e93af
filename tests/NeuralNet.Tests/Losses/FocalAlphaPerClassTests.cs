using NeuralNet.Losses;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Losses;

/// <summary>
/// CategoricalFocalCrossEntropy's per-class alpha (Keras' <c>alpha</c> as a list, keras/src/losses/losses.py
/// categorical_focal_crossentropy: <c>weighting_factor = modulating_factor * alpha</c>, broadcast over the classes):
/// Keras' formula by hand, the scalar form's bits, numerical gradients, length and value errors, the config.
/// </summary>
public class FocalAlphaPerClassTests
{
    [Fact]
    public void Compute_KerasDocstringInputs_HandComputedWithOneAlphaPerClass()
    {
        // The docstring's y_true [[0, 1, 0], [0, 0, 1]], y_pred [[0.05, 0.95, 0], [0.1, 0.8, 0.1]] (rows sum to 1), gamma 2:
        // per sample sum_j alpha_j (1 - q_j)^2 (-t_j log q_j), so only the target class's alpha counts.
        double[] alpha = [0.1, 0.3, 0.6];
        double sample0 = alpha[1] * Math.Pow(1 - 0.95, 2) * -Math.Log(0.95);
        double sample1 = alpha[2] * Math.Pow(1 - 0.1, 2) * -Math.Log(0.1);
        var predictions = Tensor.FromArray([0.05f, 0.95f, 0f, 0.1f, 0.8f, 0.1f], 2, 3);
        var targets = Tensor.FromArray([0, 1, 0, 0, 0, 1], 2, 3);
        var loss = new CategoricalFocalCrossEntropy(alpha);
        Assert.Equal((sample0 + sample1) / 2, loss.Compute(predictions, targets), 6);
        var perSample = new float[2];
        loss.ComputePerSample(predictions, targets, perSample);
        Assert.Equal(sample0, perSample[0], 6);
        Assert.Equal(sample1, perSample[1], 6);

        // Soft targets weigh every class by its own alpha: t = (0.2, 0.3, 0.5) on the second row.
        var soft = Tensor.FromArray([0.2f, 0.3f, 0.5f], 1, 3);
        var row = Tensor.FromArray([0.1f, 0.8f, 0.1f], 1, 3);
        double expected = (alpha[0] * 0.81 * -0.2 * Math.Log(0.1)) + (alpha[1] * 0.04 * -0.3 * Math.Log(0.8)) + (alpha[2] * 0.81 * -0.5 * Math.Log(0.1));
        Assert.Equal(expected, loss.Compute(row, soft), 5);
    }

    [Fact]
    public void ComputeAndGradient_EqualAlphas_SameBitsAsTheScalar()
    {
        Tensor logits = TestData.Normal(3, 2f, 6, 4);
        Tensor targets = TestData.OneHot(TestData.Labels(4, 6, 4), 4);
        var scalar = new CategoricalFocalCrossEntropy(0.25, fromLogits: true, labelSmoothing: 0.1);
        var list = new CategoricalFocalCrossEntropy([0.25, 0.25, 0.25, 0.25], fromLogits: true, labelSmoothing: 0.1);
        Assert.Equal(BitConverter.SingleToInt32Bits(scalar.Compute(logits, targets)), BitConverter.SingleToInt32Bits(list.Compute(logits, targets)));
        var expected = new Tensor(logits.Shape);
        var actual = new Tensor(logits.Shape);
        scalar.Gradient(logits, targets, expected);
        list.Gradient(logits, targets, actual);
        Assert.Equal(expected.ToArray(), actual.ToArray());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Gradient_PerClassAlpha_MatchesNumericalGradient(bool fromLogits)
    {
        Tensor predictions = fromLogits ? TestData.Normal(5, 2f, 5, 3) : Tensor.RandomUniform(new TensorShape(5, 3), 5, 0.05f, 0.95f);
        Tensor soft = Tensor.RandomUniform(new TensorShape(5, 3), 6, 0f, 1f);
        var loss = new CategoricalFocalCrossEntropy([0.9, 0.1, 0.5], gamma: 1.5, fromLogits: fromLogits, labelSmoothing: 0.2);
        GradientChecker.CheckLoss(loss, predictions, soft, seed: 7, GradientCheckOptions.Default with { Step = 2e-4, AbsoluteTolerance = 5e-3 }).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void Errors_AlphaCountOrValue_NamedBeforeAnythingIsComputed()
    {
        var loss = new CategoricalFocalCrossEntropy([0.2, 0.8]);
        var predictions = new Tensor(4, 3);
        var compute = Assert.Throws<ArgumentException>(() => loss.Compute(predictions, predictions));
        Assert.Equal("alpha", compute.ParamName);
        Assert.Contains("categorical_focal_crossentropy: alpha holds 2 weights but the output (4, 3) has 3 classes on axis -1; expected one alpha per class.", compute.Message, StringComparison.Ordinal);
        var gradient = new Tensor(4, 3);
        gradient.Fill(7f);
        Assert.Throws<ArgumentException>(() => loss.Gradient(predictions, predictions, gradient));
        Assert.All(gradient.ToArray(), v => Assert.Equal(7f, v));
        Assert.Throws<ArgumentException>(() => loss.ComputePerSample(predictions, predictions, new float[4]));
        var shapes = Assert.Throws<ArgumentException>(() => loss.ValidateShapes(new TensorShape(3), new TensorShape(3)));
        Assert.Contains("output (None, 3) has 3 classes", shapes.Message, StringComparison.Ordinal);

        // On axis 1 of (None, 2, 5, 5) the classes are the 2 channels.
        new CategoricalFocalCrossEntropy([0.2, 0.8], axis: 1).ValidateShapes(new TensorShape(2, 5, 5), new TensorShape(2, 5, 5));
        Assert.Throws<ArgumentException>(() => new CategoricalFocalCrossEntropy([0.2, 0.8], axis: 1).ValidateShapes(new TensorShape(5, 2, 5), new TensorShape(5, 2, 5)));

        var negative = Assert.Throws<ArgumentOutOfRangeException>(() => new CategoricalFocalCrossEntropy([0.2, -0.1]));
        Assert.Equal("alpha[1]", negative.ParamName);
        Assert.Contains("expects a finite alpha[1] >= 0 but got alpha[1]=-0.1", negative.Message, StringComparison.Ordinal);
        Assert.Equal("alpha[0]", Assert.Throws<ArgumentOutOfRangeException>(() => new CategoricalFocalCrossEntropy([double.NaN])).ParamName);
        Assert.Equal("alpha", Assert.Throws<ArgumentException>(() => new CategoricalFocalCrossEntropy(Array.Empty<double>())).ParamName);
        Assert.Throws<ArgumentNullException>(() => new CategoricalFocalCrossEntropy((IReadOnlyList<double>)null!));
    }

    [Fact]
    public void Config_WritesTheListUnderAlpha_AndKerasListsLoad()
    {
        var loss = new CategoricalFocalCrossEntropy([0.25, 0.5, 0.25], gamma: 3, axis: 1);
        Assert.Equal([0.25, 0.5, 0.25], loss.GetConfig().GetDoubleArray("alpha"));
        var read = Assert.IsType<CategoricalFocalCrossEntropy>(LabelSmoothingTests.RoundTrip(loss));
        Assert.Equal([0.25, 0.5, 0.25], read.AlphaPerClass!);
        Assert.Equal((3.0, 1, 1.0), (read.Gamma, read.Axis, read.Alpha));
        Assert.Null(new CategoricalFocalCrossEntropy().AlphaPerClass);

        // Keras' get_config with alpha a list (a scalar still loads as the scalar form).
        var keras = Assert.IsType<CategoricalFocalCrossEntropy>(LabelSmoothingTests.Read(
            """{"class_name": "CategoricalFocalCrossentropy", "config": {"name": "cfce", "reduction": "sum_over_batch_size", "from_logits": true, "label_smoothing": 0.0, "axis": -1, "alpha": [0.1, 0.2, 0.7], "gamma": 2.0}}"""));
        Assert.Equal([0.1, 0.2, 0.7], keras.AlphaPerClass!);
        Assert.Equal(0.3, Assert.IsType<CategoricalFocalCrossEntropy>(LabelSmoothingTests.Read("""{"class_name": "CategoricalFocalCrossentropy", "config": {"alpha": 0.3}}""")).Alpha);
        Assert.Throws<InvalidDataException>(() => LabelSmoothingTests.Read("""{"class_name": "CategoricalFocalCrossentropy", "config": {"alpha": [0.1, "x"]}}"""));
    }
}
