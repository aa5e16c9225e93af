using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using NeuralNet.Activations;
using NeuralNet.Losses;
using NeuralNet.Tests.GradientChecking;
using Xunit;
using TestData = NeuralNet.Tests.GradientChecking.TestData;

namespace NeuralNet.Tests.Losses;

/// <summary>A random loss input: which loss, rows x classes, a seed.</summary>
public sealed record LossCase(int LossIndex, int Rows, int Classes, long Seed)
{
    /// <summary>Every loss, with and without logits.</summary>
    public static Loss[] Losses { get; } =
    [
        new CategoricalCrossEntropy(), new CategoricalCrossEntropy(fromLogits: true),
        new SparseCategoricalCrossEntropy(), new SparseCategoricalCrossEntropy(fromLogits: true),
        new MeanSquaredError(), new BinaryCrossEntropy(), new BinaryCrossEntropy(fromLogits: true),
    ];

    /// <summary>The loss of this case.</summary>
    public Loss Loss => Losses[LossIndex];

    /// <inheritdoc/>
    public override string ToString() => $"{Loss.Name}#{LossIndex} on ({Rows}, {Classes}), seed {Seed}";
}

/// <summary>FsCheck generators for loss properties.</summary>
public static class LossCases
{
    /// <summary>Every loss on 1-8 rows of 1-12 classes (2-12 for the categorical ones).</summary>
    public static Arbitrary<LossCase> LossCase() =>
        (from loss in Gen.Choose(0, Losses.LossCase.Losses.Length - 1)
         from rows in Gen.Choose(1, 8)
         from classes in Gen.Choose(loss < 4 ? 2 : 1, 12)
         from seed in Gen.Choose(0, 1_000_000)
         select new LossCase(loss, rows, classes, seed)).ToArbitrary();
}

/// <summary>Only the losses that fuse with softmax (categorical and sparse, on probabilities).</summary>
public static class SoftmaxCrossEntropyCases
{
    /// <summary>Categorical or sparse cross-entropy on 1-8 rows of 2-12 classes.</summary>
    public static Arbitrary<LossCase> LossCase() =>
        (from loss in Gen.Elements(0, 2)
         from rows in Gen.Choose(1, 8)
         from classes in Gen.Choose(2, 12)
         from seed in Gen.Choose(0, 1_000_000)
         select new LossCase(loss, rows, classes, seed)).ToArbitrary();
}

public class LossTests
{
    private static (Tensor Predictions, Tensor Targets) Data(LossCase c)
    {
        Tensor labels = TestData.Labels(c.Seed, c.Rows, c.Classes);
        switch (c.Loss)
        {
            case CategoricalCrossEntropy cce:
                return (cce.FromLogits ? TestData.Normal(c.Seed + 1, 2f, c.Rows, c.Classes) : TestData.Probabilities(c.Seed + 1, c.Rows, c.Classes), TestData.OneHot(labels, c.Classes));
            case SparseCategoricalCrossEntropy sparse:
                return (sparse.FromLogits ? TestData.Normal(c.Seed + 1, 2f, c.Rows, c.Classes) : TestData.Probabilities(c.Seed + 1, c.Rows, c.Classes), labels);
            case BinaryCrossEntropy bce:
                Tensor targets = Tensor.RandomUniform(new TensorShape(c.Rows, c.Classes), c.Seed + 2);
                return (bce.FromLogits ? TestData.Normal(c.Seed + 1, 2f, c.Rows, c.Classes) : Tensor.RandomUniform(new TensorShape(c.Rows, c.Classes), c.Seed + 1, 0.05f, 0.95f), targets);
            default:
                return (TestData.Normal(c.Seed + 1, 1f, c.Rows, c.Classes), TestData.Normal(c.Seed + 2, 1f, c.Rows, c.Classes));
        }
    }

    [Property(Arbitrary = [typeof(LossCases)], MaxTest = 100, Replay = "(31337,4243)")]
    public void Gradient_RandomBatch_MatchesNumericalGradient(LossCase c)
    {
        (Tensor predictions, Tensor targets) = Data(c);
        // Probabilities can be as small as ~1e-4 here, where -t/p is steep: a smaller step keeps the difference accurate.
        GradientCheckReport report = GradientChecker.CheckLoss(c.Loss, predictions, targets, c.Seed, GradientCheckOptions.Default with { Step = 2e-4, AbsoluteTolerance = 5e-3 });
        report.AssertPassed(maxKinkFraction: 0);
    }

    [Property(Arbitrary = [typeof(SoftmaxCrossEntropyCases)], MaxTest = 60, Replay = "(2718,2819)")]
    public void LogitsGradient_SoftmaxOutputs_MatchesUnfusedAndNumericalGradient(LossCase c)
    {
        var fused = (ISoftmaxCrossEntropy)c.Loss;
        Assert.False(fused.FromLogits);

        (_, Tensor targets) = Data(c);
        Tensor logits = TestData.Normal(c.Seed + 3, 2f, c.Rows, c.Classes);
        var probabilities = new Tensor(logits.Shape);
        ActivationFunction.Softmax.Forward(logits.AsReadOnlySpan(), probabilities.AsSpan(), c.Classes);
        var fusedGradient = new Tensor(logits.Shape);
        fused.LogitsGradient(probabilities, targets, fusedGradient);

        var lossGradient = new Tensor(logits.Shape);
        c.Loss.Gradient(probabilities, targets, lossGradient);
        var unfused = new float[logits.Length];
        ActivationFunction.Softmax.Backward(logits.AsReadOnlySpan(), probabilities.AsReadOnlySpan(), lossGradient.AsReadOnlySpan(), unfused, c.Classes);
        for (int i = 0; i < unfused.Length; i++)
        {
            Assert.Equal(unfused[i], fusedGradient.AsReadOnlySpan()[i], 1e-5f);
        }

        double Objective()
        {
            ActivationFunction.Softmax.Forward(logits.AsReadOnlySpan(), probabilities.AsSpan(), c.Classes);
            return c.Loss.Compute(probabilities, targets);
        }

        var report = new GradientCheckReport();
        GradientChecker.CheckTensor(report, "logits", logits, fusedGradient.ToArray(), Objective, GradientCheckOptions.Default, c.Seed);
        report.AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void CategoricalCrossEntropy_KerasDocumentationExample_Is1Point1769()
    {
        Tensor targets = Tensor.FromArray([0f, 1f, 0f, 0f, 0f, 1f], 2, 3);
        Tensor predictions = Tensor.FromArray([0.05f, 0.95f, 0f, 0.1f, 0.8f, 0.1f], 2, 3);
        // (-log 0.95 - log 0.1) / 2
        Assert.Equal(1.1769392f, new CategoricalCrossEntropy().Compute(predictions, targets), 1e-6f);
        Assert.Equal(1.1769392f, new SparseCategoricalCrossEntropy().Compute(predictions, Tensor.FromArray([1f, 2f], 2)), 1e-6f);
        Assert.Equal(1.1769392f, new SparseCategoricalCrossEntropy().Compute(predictions, Tensor.FromArray([1f, 2f], 2, 1)), 1e-6f);
    }

    [Fact]
    public void CategoricalCrossEntropy_FromLogits_IsNegativeLogSoftmax()
    {
        // -log softmax(1, 2, 3)[2] = log(e^1 + e^2 + e^3) - 3 = 0.4076060
        Tensor logits = Tensor.FromArray([1f, 2f, 3f], 1, 3);
        Assert.Equal(0.407606f, new CategoricalCrossEntropy(fromLogits: true).Compute(logits, Tensor.FromArray([0f, 0f, 1f], 1, 3)), 1e-6f);
        Assert.Equal(0.407606f, new SparseCategoricalCrossEntropy(fromLogits: true).Compute(logits, Tensor.FromArray([2f], 1)), 1e-6f);
        // Huge logits stay finite: log-sum-exp subtracts the max.
        Assert.Equal(1000f, new CategoricalCrossEntropy(fromLogits: true).Compute(Tensor.FromArray([0f, 1000f], 1, 2), Tensor.FromArray([1f, 0f], 1, 2)), 1e-3f);
    }

    [Fact]
    public void CategoricalCrossEntropy_ZeroProbabilityOnTarget_ClippedToEpsilon()
    {
        // -log(1e-7) = 16.118096: clipped as Keras does, finite gradient.
        Tensor predictions = Tensor.FromArray([0f, 1f], 1, 2);
        Tensor targets = Tensor.FromArray([1f, 0f], 1, 2);
        var loss = new CategoricalCrossEntropy();
        Assert.Equal(16.118096f, loss.Compute(predictions, targets), 1e-5f);
        var gradient = new Tensor(1, 2);
        loss.Gradient(predictions, targets, gradient);
        Assert.All(gradient.ToArray(), g => Assert.True(float.IsFinite(g)));
    }

    [Fact]
    public void CategoricalCrossEntropy_UnnormalizedRows_NormalizedFirstAsKeras()
    {
        // Keras divides each row by its sum before clipping: (0.2, 0.6) -> (0.25, 0.75).
        Tensor predictions = Tensor.FromArray([0.2f, 0.6f], 1, 2);
        Assert.Equal(-MathF.Log(0.75f), new CategoricalCrossEntropy().Compute(predictions, Tensor.FromArray([0f, 1f], 1, 2)), 1e-6f);
    }

    [Fact]
    public void MeanSquaredError_KerasDocumentationExample_IsHalf()
    {
        Tensor targets = Tensor.FromArray([0f, 1f, 0f, 0f], 2, 2);
        Tensor predictions = Tensor.FromArray([1f, 1f, 1f, 0f], 2, 2);
        Assert.Equal(0.5f, new MeanSquaredError().Compute(predictions, targets), 1e-7f);
        var gradient = new Tensor(2, 2);
        new MeanSquaredError().Gradient(predictions, targets, gradient);
        Assert.Equal([0.5f, 0f, 0.5f, 0f], gradient.ToArray());
    }

    [Fact]
    public void BinaryCrossEntropy_KerasDocumentationExamples()
    {
        Tensor targets = Tensor.FromArray([0f, 1f, 0f, 0f], 2, 2);
        Tensor predictions = Tensor.FromArray([0.6f, 0.4f, 0.4f, 0.6f], 2, 2);
        // (-(log 0.4 + log 0.4) / 2 - (log 0.6 + log 0.4) / 2) / 2 = 0.8149245
        Assert.Equal(0.8149245f, new BinaryCrossEntropy().Compute(predictions, targets), 1e-5f);
        Tensor logits = Tensor.FromArray([-18.6f, 0.51f, 2.94f, -12.8f], 1, 4);
        Tensor logitTargets = Tensor.FromArray([0f, 1f, 0f, 0f], 1, 4);
        Assert.Equal(0.865458f, new BinaryCrossEntropy(fromLogits: true).Compute(logits, logitTargets), 1e-5f);
    }

    [Fact]
    public void ValidateShapes_FiveUnitsForTenClasses_ThrowsNamingBothShapes()
    {
        // E3.3: an output layer of 5 units with 10-class one-hot targets.
        var e = Assert.Throws<ArgumentException>(() => new CategoricalCrossEntropy().ValidateShapes(new TensorShape(5), new TensorShape(10)));
        Assert.Contains("output (None, 5) does not match targets (None, 10)", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new MeanSquaredError().ValidateShapes(new TensorShape(5), new TensorShape(10)));
        Assert.Throws<ArgumentException>(() => new BinaryCrossEntropy().ValidateShapes(new TensorShape(1), new TensorShape(2)));
        new CategoricalCrossEntropy().ValidateShapes(new TensorShape(10), new TensorShape(10));
    }

    [Fact]
    public void ValidateShapes_SparseTargets_AcceptsIndexShapesAndRejectsOneHot()
    {
        var loss = new SparseCategoricalCrossEntropy();
        loss.ValidateShapes(new TensorShape(10), new TensorShape());
        loss.ValidateShapes(new TensorShape(10), new TensorShape(1));
        var e = Assert.Throws<ArgumentException>(() => loss.ValidateShapes(new TensorShape(10), new TensorShape(10)));
        Assert.Contains("CategoricalCrossEntropy", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(10f)]
    [InlineData(-1f)]
    [InlineData(1.5f)]
    [InlineData(float.NaN)]
    public void SparseCategoricalCrossEntropy_BadLabel_ThrowsNamingSampleAndRange(float label)
    {
        Tensor predictions = TestData.Probabilities(1, 2, 10);
        Tensor targets = Tensor.FromArray([3f, label], 2);
        var e = Assert.Throws<ArgumentException>(() => new SparseCategoricalCrossEntropy().Compute(predictions, targets));
        Assert.Contains("sample 1", e.Message, StringComparison.Ordinal);
        Assert.Contains("[0, 10)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Compute_MismatchedTensors_Throws()
    {
        Assert.Throws<ArgumentException>(() => new CategoricalCrossEntropy().Compute(new Tensor(2, 5), new Tensor(2, 10)));
        Assert.Throws<ArgumentException>(() => new SparseCategoricalCrossEntropy().Compute(new Tensor(2, 5), new Tensor(3)));
        Assert.Throws<ArgumentException>(() => new MeanSquaredError().Gradient(new Tensor(2, 5), new Tensor(2, 5), new Tensor(2, 4)));
    }

    [Fact]
    public void LogitsGradient_FromLogitsLoss_Throws()
    {
        ISoftmaxCrossEntropy loss = new CategoricalCrossEntropy(fromLogits: true);
        Assert.Throws<InvalidOperationException>(() => loss.LogitsGradient(new Tensor(1, 2), new Tensor(1, 2), new Tensor(1, 2)));
    }

    [Fact]
    public void Names_MatchKeras()
    {
        Assert.Equal("categorical_crossentropy", new CategoricalCrossEntropy().Name);
        Assert.Equal("sparse_categorical_crossentropy", new SparseCategoricalCrossEntropy().Name);
        Assert.Equal("mean_squared_error", new MeanSquaredError().Name);
        Assert.Equal("binary_crossentropy", new BinaryCrossEntropy().Name);
    }
}
