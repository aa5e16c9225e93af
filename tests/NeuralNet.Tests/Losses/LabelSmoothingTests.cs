using System.Text.Json.Nodes;
using NeuralNet.Activations;
using NeuralNet.Losses;
using NeuralNet.Serialization;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Losses;

/// <summary>labelSmoothing on BinaryCrossEntropy and CategoricalCrossEntropy: Keras' values, its formulas, gradients, the fused path and the config.</summary>
public class LabelSmoothingTests
{
    [Fact]
    public void Compute_KerasLossesTestExamples_MatchPublishedValues()
    {
        // losses_test.py test_label_smoothing: binary (10 + 5 s) / 3, categorical 400 s / 3, both from logits with s = 0.1.
        var binary = new BinaryCrossEntropy(fromLogits: true, labelSmoothing: 0.1);
        Assert.Equal((10.0 + (5.0 * 0.1)) / 3.0, binary.Compute(Tensor.FromArray([10, -10, -10], 1, 3), Tensor.FromArray([1, 0, 1], 1, 3)), 3);
        var categorical = new CategoricalCrossEntropy(fromLogits: true, labelSmoothing: 0.1);
        Assert.Equal(400.0 * 0.1 / 3.0, categorical.Compute(Tensor.FromArray([100, -100, -100], 1, 3), Tensor.FromArray([1, 0, 0], 1, 3)), 3);
    }

    [Fact]
    public void Compute_Probabilities_HandComputedValue()
    {
        // t = (0, 1, 0) smoothed by 0.3 over 3 classes is (0.1, 0.8, 0.1); p = (0.05, 0.95, 0), the 0 clipped to 1e-7.
        double expected = -((0.1 * Math.Log(0.05)) + (0.8 * Math.Log(0.95)) + (0.1 * Math.Log(1e-7)));
        Assert.Equal(expected, new CategoricalCrossEntropy(labelSmoothing: 0.3).Compute(Tensor.FromArray([0.05f, 0.95f, 0], 1, 3), Tensor.FromArray([0, 1, 0], 1, 3)), 5);

        // Binary: t = 1 smoothed by 0.2 is 0.9, t = 0 is 0.1.
        double binary = (-((0.9 * Math.Log(0.7)) + (0.1 * Math.Log(0.3))) - ((0.1 * Math.Log(0.2)) + (0.9 * Math.Log(0.8)))) / 2;
        Assert.Equal(binary, new BinaryCrossEntropy(labelSmoothing: 0.2).Compute(Tensor.FromArray([0.7f, 0.2f], 1, 2), Tensor.FromArray([1, 0], 1, 2)), 5);
    }

    public static TheoryData<string> Cases => ["bce", "bce_logits", "cce", "cce_logits"];

    [Theory]
    [MemberData(nameof(Cases))]
    public void ComputeAndGradient_EqualTheUnsmoothedLossOnSmoothedTargets(string name)
    {
        (Loss smoothed, Loss plain, Tensor predictions, Tensor targets, Tensor smoothedTargets) = Case(name, 0.25);
        Assert.Equal(plain.Compute(predictions, smoothedTargets), smoothed.Compute(predictions, targets), 5);
        var expected = new Tensor(predictions.Shape);
        var actual = new Tensor(predictions.Shape);
        plain.Gradient(predictions, smoothedTargets, expected);
        smoothed.Gradient(predictions, targets, actual);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected.AsReadOnlySpan()[i], actual.AsReadOnlySpan()[i], 1e-6f);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Gradient_WithSmoothing_MatchesNumericalGradient(string name)
    {
        (Loss loss, _, Tensor predictions, Tensor targets, _) = Case(name, 0.2);
        GradientChecker.CheckLoss(loss, predictions, targets, seed: 5, GradientCheckOptions.Default with { Step = 2e-4, AbsoluteTolerance = 5e-3 }).AssertPassed(maxKinkFraction: 0);
    }

    [Theory]
    [InlineData(0.1)]
    [InlineData(1.0)]
    public void LogitsGradient_WithSmoothing_MatchesUnfusedAndNumericalGradient(double labelSmoothing)
    {
        var loss = new CategoricalCrossEntropy(labelSmoothing: labelSmoothing);
        Tensor logits = TestData.Normal(7, 2f, 5, 4);
        Tensor targets = TestData.OneHot(TestData.Labels(8, 5, 4), 4);
        var probabilities = new Tensor(logits.Shape);
        ActivationFunction.Softmax.Forward(logits.AsReadOnlySpan(), probabilities.AsSpan(), 4);

        var fused = new Tensor(logits.Shape);
        ((ISoftmaxCrossEntropy)loss).LogitsGradient(probabilities, targets, fused);
        var lossGradient = new Tensor(logits.Shape);
        loss.Gradient(probabilities, targets, lossGradient);
        var unfused = new float[logits.Length];
        ActivationFunction.Softmax.Backward(logits.AsReadOnlySpan(), probabilities.AsReadOnlySpan(), lossGradient.AsReadOnlySpan(), unfused, 4);
        for (int i = 0; i < unfused.Length; i++)
        {
            Assert.Equal(unfused[i], fused.AsReadOnlySpan()[i], 1e-5f);
        }

        double Objective()
        {
            ActivationFunction.Softmax.Forward(logits.AsReadOnlySpan(), probabilities.AsSpan(), 4);
            return loss.Compute(probabilities, targets);
        }

        var report = new GradientCheckReport();
        GradientChecker.CheckTensor(report, "logits", logits, fused.ToArray(), Objective, GradientCheckOptions.Default, 9);
        report.AssertPassed(maxKinkFraction: 0);
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void Constructor_SmoothingOutsideZeroToOne_ThrowsNamingIt(double labelSmoothing)
    {
        var binary = Assert.Throws<ArgumentOutOfRangeException>(() => new BinaryCrossEntropy(labelSmoothing: labelSmoothing));
        Assert.Equal("labelSmoothing", binary.ParamName);
        Assert.Contains("BinaryCrossEntropy expects labelSmoothing in [0, 1]", binary.Message, StringComparison.Ordinal);
        Assert.Equal("labelSmoothing", Assert.Throws<ArgumentOutOfRangeException>(() => new CategoricalCrossEntropy(labelSmoothing: labelSmoothing)).ParamName);
    }

    [Fact]
    public void Config_SavesLabelSmoothing_AndOldConfigsWithoutItLoad()
    {
        var binary = Assert.IsType<BinaryCrossEntropy>(RoundTrip(new BinaryCrossEntropy(fromLogits: true, labelSmoothing: 0.2)));
        Assert.Equal((true, 0.2), (binary.FromLogits, binary.LabelSmoothing));
        Assert.Equal(0.1, Assert.IsType<CategoricalCrossEntropy>(RoundTrip(new CategoricalCrossEntropy(labelSmoothing: 0.1))).LabelSmoothing);

        // Written before label smoothing existed, and as Keras writes it (with "axis": -1).
        Assert.Equal(0.0, Assert.IsType<BinaryCrossEntropy>(Read("""{"class_name": "BinaryCrossentropy", "config": {"from_logits": false}}""")).LabelSmoothing);
        Assert.Equal(0.1, Assert.IsType<CategoricalCrossEntropy>(Read("""{"class_name": "CategoricalCrossentropy", "config": {"from_logits": false, "label_smoothing": 0.1, "axis": -1}}""")).LabelSmoothing);
        Assert.Equal(1, Assert.IsType<CategoricalCrossEntropy>(Read("""{"class_name": "CategoricalCrossentropy", "config": {"axis": 1}}""")).Axis);
        var error = Assert.Throws<InvalidDataException>(() => Read("""{"class_name": "CategoricalCrossentropy", "config": {"axis": 0}}"""));
        Assert.Contains("\"axis\" is 0, the batch axis", error.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidDataException>(() => Read("""{"class_name": "BinaryCrossentropy", "config": {"label_smoothing": 2}}"""));
    }

    internal static Loss RoundTrip(Loss loss) => SerializationRegistry.Deserialize<Loss>(SerializationRegistry.Serialize(loss), new Config(), "loss");

    internal static Loss Read(string json) => SerializationRegistry.Deserialize<Loss>(JsonNode.Parse(json)!, new Config(), "loss");

    private static (Loss Smoothed, Loss Plain, Tensor Predictions, Tensor Targets, Tensor SmoothedTargets) Case(string name, double s)
    {
        const int rows = 4, classes = 5;
        Tensor labels = TestData.Labels(3, rows, classes);
        Tensor oneHot = TestData.OneHot(labels, classes);
        Tensor binaryTargets = Tensor.FromArray([.. Tensor.RandomUniform(new TensorShape(rows, classes), 4).ToArray().Select(v => v < 0.5f ? 0f : 1f)], rows, classes);
        Tensor logits = TestData.Normal(5, 2f, rows, classes);
        Tensor Smoothed(Tensor t, double offset) => Tensor.FromArray([.. t.ToArray().Select(v => (float)((v * (1 - s)) + offset))], rows, classes);
        return name switch
        {
            "bce" => (new BinaryCrossEntropy(labelSmoothing: s), new BinaryCrossEntropy(), Tensor.RandomUniform(new TensorShape(rows, classes), 6, 0.05f, 0.95f), binaryTargets, Smoothed(binaryTargets, 0.5 * s)),
            "bce_logits" => (new BinaryCrossEntropy(true, s), new BinaryCrossEntropy(true), logits, binaryTargets, Smoothed(binaryTargets, 0.5 * s)),
            "cce" => (new CategoricalCrossEntropy(labelSmoothing: s), new CategoricalCrossEntropy(), TestData.Probabilities(6, rows, classes), oneHot, Smoothed(oneHot, s / classes)),
            _ => (new CategoricalCrossEntropy(true, s), new CategoricalCrossEntropy(true), logits, oneHot, Smoothed(oneHot, s / classes)),
        };
    }
}
