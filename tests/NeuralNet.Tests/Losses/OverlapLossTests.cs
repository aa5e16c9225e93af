using System.Text.Json.Nodes;
using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Serialization;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Losses;

/// <summary>Dice and Tversky against Keras' losses_test.py and docstrings, their gradients, reductions, sample weights and settings.</summary>
public class OverlapLossTests
{
    // losses_test.py test_correctness: y_true [[1, 2], [1, 2]], y_pred [[4, 1], [6, 1]].
    private static Tensor SmallTruth => Tensor.FromArray([1f, 2f, 1f, 2f], 2, 2);

    private static Tensor SmallPredicted => Tensor.FromArray([4f, 1f, 6f, 1f], 2, 2);

    // test_binary_segmentation: 4 × 4 masks.
    private static Tensor MaskTruth => Tensor.FromArray([1f, 0, 1, 0, 0, 1, 0, 1, 1, 0, 1, 0, 0, 1, 0, 1], 4, 4);

    private static Tensor MaskPredicted => Tensor.FromArray([0f, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0, 1, 1, 0, 1, 1], 4, 4);

    // test_binary_segmentation_with_axis and the Dice docstring: (2, 2, 2, 1).
    private static Tensor ImageTruth => Tensor.FromArray([1f, 1, 0, 0, 1, 1, 0, 0], 2, 2, 2, 1);

    private static Tensor ImagePredicted => Tensor.FromArray([0f, 1, 0, 1, 0.4f, 0, 0, 0.9f], 2, 2, 2, 1);

    [Fact]
    public void Dice_KerasLossesTestAndDocstringValues()
    {
        Assert.Equal(-0.55555546, new Dice().Compute(SmallPredicted, SmallTruth), 1e-6);
        Assert.Equal(0.77777773, new Dice().Compute(MaskPredicted, MaskTruth), 1e-6);

        // axis=(1, 2, 3), reduction=None: one value per sample; the docstring's axis=None: one value for the whole batch.
        AssertClose([0.5, 0.75757575], PerSample(new Dice([1, 2, 3], LossReduction.None), ImagePredicted, ImageTruth), 1e-6);
        Assert.Equal(0.6164384, new Dice().Compute(ImagePredicted, ImageTruth), 1e-6);
        Assert.Equal((0.5 + 0.75757575) / 2, new Dice([1, 2, 3]).Compute(ImagePredicted, ImageTruth), 1e-6);
    }

    [Fact]
    public void Tversky_KerasLossesTestValues()
    {
        Assert.Equal(-0.55555546, new Tversky().Compute(SmallPredicted, SmallTruth), 1e-6);
        Assert.Equal(-0.29629636, new Tversky(alpha: 0.2, beta: 0.8).Compute(SmallPredicted, SmallTruth), 1e-6);
        Assert.Equal(0.77777773, new Tversky().Compute(MaskPredicted, MaskTruth), 1e-6);

        // This case tells alpha from beta: alpha weighs Σ t(1 − p) (6 here), beta Σ p(1 − t) (8): 1 − 2 / (2 + 1.2 + 6.4).
        Assert.Equal(0.7916667, new Tversky(alpha: 0.2, beta: 0.8).Compute(MaskPredicted, MaskTruth), 1e-6);
        AssertClose([0.5, 0.75757575], PerSample(new Tversky(axis: [1, 2, 3], reduction: LossReduction.None), ImagePredicted, ImageTruth), 1e-6);
        AssertClose([0.5, 0.7222222], PerSample(new Tversky(0.2, 0.8, [1, 2, 3], LossReduction.None), ImagePredicted, ImageTruth), 1e-6);
    }

    [Fact]
    public void Tversky_HalfAndHalf_IsDiceButForTheEpsilon()
    {
        Tensor p = Tensor.RandomUniform(new TensorShape(3, 5), 1, 0.05f, 0.95f), t = Tensor.RandomUniform(new TensorShape(3, 5), 2);
        Assert.Equal(new Dice().Compute(p, t), new Tversky().Compute(p, t), 1e-5);
        AssertClose([.. PerSample(new Dice([-1]), p, t).Select(v => (double)v)], PerSample(new Tversky(axis: [-1]), p, t), 1e-6);
    }

    public static TheoryData<string> GradientCases =>
    [
        "dice_batch", "dice_sample", "dice_image_sample", "dice_image_batch_sum", "dice_soft_targets",
        "tversky_batch", "tversky_sample", "tversky_skewed_image", "tversky_skewed_sum", "tversky_negative_beta",
    ];

    [Theory]
    [MemberData(nameof(GradientCases))]
    public void Gradient_MatchesNumericalGradient(string name)
    {
        Tensor p = Tensor.RandomUniform(new TensorShape(4, 6), 11, 0.05f, 0.95f);
        Tensor t = Tensor.FromArray([.. Tensor.RandomUniform(new TensorShape(4, 6), 12).ToArray().Select(v => v < 0.5f ? 0f : 1f)], 4, 6);
        Tensor image = Tensor.RandomUniform(new TensorShape(3, 2, 3, 2), 13, 0.05f, 0.95f);
        Tensor imageTruth = Tensor.FromArray([.. Tensor.RandomUniform(image.Shape, 14).ToArray().Select(v => v < 0.4f ? 1f : 0f)], 3, 2, 3, 2);
        (Loss loss, Tensor predictions, Tensor targets) = name switch
        {
            "dice_batch" => ((Loss)new Dice(), p, t),
            "dice_sample" => (new Dice([1]), p, t),
            "dice_image_sample" => (new Dice([-3, -2, -1]), image, imageTruth),
            "dice_image_batch_sum" => (new Dice([0, 1, 2, 3], LossReduction.Sum), image, imageTruth),
            "dice_soft_targets" => (new Dice([1], LossReduction.Sum), p, Tensor.RandomUniform(p.Shape, 15)),
            "tversky_batch" => (new Tversky(), p, t),
            "tversky_sample" => (new Tversky(0.3, 0.7, [1]), p, t),
            "tversky_skewed_image" => (new Tversky(0.9, 0.1, [1, 2, 3]), image, imageTruth),
            "tversky_skewed_sum" => (new Tversky(0.2, 0.8, [1, 2, 3], LossReduction.Sum), image, imageTruth),
            _ => (new Tversky(1.5, -0.2), p, Tensor.RandomUniform(p.Shape, 16)),
        };
        GradientChecker.CheckLoss(loss, predictions, targets, seed: 17, GradientCheckOptions.Default with { Step = 2e-4, AbsoluteTolerance = 5e-3 }).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void GradientAndPerSample_AfterWarmUp_AllocateNothing()
    {
        Tensor p = ImagePredicted, t = ImageTruth, gradient = new(p.Shape);
        var values = new float[2];
        foreach (Loss loss in new Loss[] { new Dice([1, 2, 3], LossReduction.Sum), new Dice(), new Tversky(0.3, 0.7, [-3, -2, -1]) })
        {
            loss.Gradient(p, t, gradient);
            loss.ComputePerSample(p, t, values);
            AllocationCheck.AssertNone(() =>
            {
                loss.Gradient(p, t, gradient);
                loss.ComputePerSample(p, t, values);
            });
        }
    }

    [Fact]
    public void Reductions_WholeBatchIsOneValueThatNoReductionChanges()
    {
        // Keras returns the scalar of axis=None unchanged by reduce_values; its per-sample values are that scalar.
        double whole = new Dice().Compute(ImagePredicted, ImageTruth);
        foreach (LossReduction reduction in new[] { LossReduction.Sum, LossReduction.Mean, LossReduction.MeanWithSampleWeight })
        {
            Assert.Equal(whole, new Dice(reduction: reduction).Compute(ImagePredicted, ImageTruth), 1e-6);
            Assert.Equal(whole, Evaluate(new Dice(reduction: reduction), ImagePredicted, ImageTruth), 1e-6);
        }

        AssertClose([whole, whole], PerSample(new Dice(reduction: LossReduction.None), ImagePredicted, ImageTruth), 1e-7);

        // With one value per sample, "sum" adds the samples' values (not the image's rows).
        Assert.Equal(0.5 + 0.75757575, new Dice([1, 2, 3], LossReduction.Sum).Compute(ImagePredicted, ImageTruth), 1e-6);
        Assert.Equal(0.5 + 0.75757575, Evaluate(new Dice([1, 2, 3], LossReduction.Sum), ImagePredicted, ImageTruth), 1e-6);
    }

    [Fact]
    public void Evaluate_SampleWeights_AsKerasBroadcastsThem()
    {
        // axis=None: Keras multiplies the scalar L by the weights (one value per sample) and reduces those.
        double whole = 0.6164384;
        Assert.Equal(whole * 2.5 / 2, Evaluate(new Dice(), ImagePredicted, ImageTruth, 0.5f, 2f), 1e-5);
        Assert.Equal(whole * 2.5, Evaluate(new Dice(reduction: LossReduction.Sum), ImagePredicted, ImageTruth, 0.5f, 2f), 1e-5);
        Assert.Equal(whole, Evaluate(new Dice(reduction: LossReduction.MeanWithSampleWeight), ImagePredicted, ImageTruth, 0.5f, 2f), 1e-5);
        Assert.Equal(0.0, Evaluate(new Dice(reduction: LossReduction.MeanWithSampleWeight), ImagePredicted, ImageTruth, 0f, 0f));

        // One value per sample: weighted like any loss.
        Assert.Equal(((0.5 * 0.5) + (2 * 0.75757575)) / 2, Evaluate(new Dice([1, 2, 3]), ImagePredicted, ImageTruth, 0.5f, 2f), 1e-5);
        Assert.Equal((0.5 * 0.5) + (2 * 0.7222222), Evaluate(new Tversky(0.2, 0.8, [1, 2, 3], LossReduction.Sum), ImagePredicted, ImageTruth, 0.5f, 2f), 1e-5);
        Assert.Equal(((0.5 * 0.5) + (2 * 0.7222222)) / 2.5, Evaluate(new Tversky(0.2, 0.8, [1, 2, 3], LossReduction.MeanWithSampleWeight), ImagePredicted, ImageTruth, 0.5f, 2f), 1e-5);
    }

    public static TheoryData<string, LossReduction, bool> TrainingCases => new()
    {
        { "dice", LossReduction.SumOverBatchSize, false },
        { "dice", LossReduction.SumOverBatchSize, true },
        { "dice", LossReduction.Sum, true },
        { "dice", LossReduction.MeanWithSampleWeight, true },
        { "dice_sample", LossReduction.Sum, false },
        { "dice_sample", LossReduction.Sum, true },
        { "tversky", LossReduction.SumOverBatchSize, true },
        { "tversky_sample", LossReduction.MeanWithSampleWeight, true },
    };

    [Theory]
    [MemberData(nameof(TrainingCases))]
    public void TrainOnBatch_StepIsTheNumericalGradientOfTheReportedLoss(string name, LossReduction reduction, bool weighted)
    {
        // A (6, 3, 2) sigmoid output; a whole-batch loss with uneven weights would go wrong if each sample's rows were
        // scaled by its own weight.
        Tensor x = TestData.Normal(60, 1f, 6, 3, 4);
        Tensor y = Tensor.FromArray([.. Tensor.RandomUniform(new TensorShape(6, 3, 2), 61).ToArray().Select(v => v < 0.5f ? 0f : 1f)], 6, 3, 2);
        Tensor? w = weighted ? Tensor.FromArray([0.5f, 2f, 0f, 1f, 3f, 0.25f], 6) : null;
        Sequential Model()
        {
            var model = new Sequential([new InputLayer(3, 4), new Dense(2, ActivationFunction.Sigmoid)], seed: 5);
            Loss loss = name switch
            {
                "dice" => new Dice(reduction: reduction),
                "dice_sample" => new Dice([1, 2], reduction),
                "tversky" => new Tversky(0.7, 0.3, reduction: reduction),
                _ => new Tversky(0.3, 0.7, [-2, -1], reduction),
            };
            model.Compile(new Sgd(1f), loss);
            return model;
        }

        ReductionTests.AssertStepIsNumericalGradient(Model, x, y, w);
    }

    [Fact]
    public void Config_RoundTripsAndReadsKerasConfigs()
    {
        var dice = Assert.IsType<Dice>(LabelSmoothingTests.RoundTrip(new Dice([1, 2, 3], LossReduction.Sum)));
        Assert.Equal([1, 2, 3], dice.Axis!);
        Assert.Equal(LossReduction.Sum, dice.Reduction);
        Assert.Null(Assert.IsType<Dice>(LabelSmoothingTests.RoundTrip(new Dice())).Axis);
        var tversky = Assert.IsType<Tversky>(LabelSmoothingTests.RoundTrip(new Tversky(0.2, 0.8, [-1], LossReduction.MeanWithSampleWeight)));
        Assert.Equal((0.2, 0.8, LossReduction.MeanWithSampleWeight), (tversky.Alpha, tversky.Beta, tversky.Reduction));
        Assert.Equal([-1], tversky.Axis!);

        // Keras' get_config writes "axis": null for its default.
        JsonObject saved = SerializationRegistry.Serialize(new Tversky()).AsObject();
        Assert.Equal("Tversky", saved["class_name"]!.GetValue<string>());
        JsonObject config = saved["config"]!.AsObject();
        Assert.True(config.ContainsKey("axis"));
        Assert.Null(config["axis"]);
        Assert.Equal(0.5, config["alpha"]!.GetValue<double>());

        // Keras' own configs: the tuple as a list, one integer, null.
        var keras = Assert.IsType<Dice>(LabelSmoothingTests.Read("""{"class_name": "Dice", "config": {"name": "mydice", "reduction": "sum_over_batch_size", "axis": [1, 2, 3]}}"""));
        Assert.Equal([1, 2, 3], keras.Axis!);
        Assert.Equal([-1], Assert.IsType<Dice>(LabelSmoothingTests.Read("""{"class_name": "Dice", "config": {"axis": -1}}""")).Axis!);
        var kerasTversky = Assert.IsType<Tversky>(LabelSmoothingTests.Read("""{"class_name": "Tversky", "config": {"name": "mytversky", "reduction": "sum", "alpha": 0.2, "beta": 0.8, "axis": null}}"""));
        Assert.Equal((0.2, 0.8, LossReduction.Sum), (kerasTversky.Alpha, kerasTversky.Beta, kerasTversky.Reduction));
        Assert.Null(kerasTversky.Axis);
        var defaults = Assert.IsType<Tversky>(LabelSmoothingTests.Read("""{"class_name": "Tversky", "config": {}}"""));
        Assert.Equal((0.5, 0.5), (defaults.Alpha, defaults.Beta));

        var model = new Sequential([new InputLayer(3), new Dense(2, ActivationFunction.Sigmoid)]);
        model.Compile("adam", "dice");
        Assert.Null(Assert.IsType<Dice>(model.Loss).Axis);
        model.Compile("adam", "tversky");
        Assert.Equal("tversky", Assert.IsType<Tversky>(model.Loss).Name);
    }

    [Fact]
    public void BadInput_IsRefusedNamingWhatWasWrong()
    {
        var shapes = Assert.Throws<ArgumentException>(() => new Dice().Compute(Tensor.FromArray([0.5f, 0.5f], 1, 2), Tensor.FromArray([1f, 0f, 1f], 1, 3)));
        Assert.Contains("dice: output (1, 2) does not match targets (1, 3)", shapes.Message, StringComparison.Ordinal);
        var sampleShapes = Assert.Throws<ArgumentException>(() => new Tversky().ValidateShapes(new TensorShape(4, 4, 1), new TensorShape(4, 4, 2)));
        Assert.Contains("tversky: output (None, 4, 4, 1) does not match targets (None, 4, 4, 2)", sampleShapes.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new Dice().Gradient(SmallPredicted, SmallTruth, new Tensor(2, 3)));

        // Keras' per-class tuples leave several values per sample: refused, saying what is supported.
        var perClass = Assert.Throws<ArgumentException>(() => new Dice([1, 2]).Compute(ImagePredicted, ImageTruth));
        Assert.Contains("dice: axis [1, 2] on output (2, 2, 2, 1) is not supported", perClass.Message, StringComparison.Ordinal);
        Assert.Contains("[1, 2, 3] here", perClass.Message, StringComparison.Ordinal);
        Assert.Equal("axis", perClass.ParamName);
        Assert.Throws<ArgumentException>(() => new Tversky(axis: [0]).ValidateShapes(new TensorShape(4), new TensorShape(4)));
        var range = Assert.Throws<ArgumentException>(() => new Dice([1, 4]).ValidateShapes(new TensorShape(2, 2, 1), new TensorShape(2, 2, 1)));
        Assert.Contains("each axis must be in [-4, 3] and named once", range.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new Dice([1, 1]).Compute(SmallPredicted, SmallTruth));
        Assert.Equal("axis", Assert.Throws<ArgumentException>(() => new Dice([])).ParamName);
        Assert.Equal("alpha", Assert.Throws<ArgumentOutOfRangeException>(() => new Tversky(alpha: double.NaN)).ParamName);
        Assert.Equal("beta", Assert.Throws<ArgumentOutOfRangeException>(() => new Tversky(beta: double.PositiveInfinity)).ParamName);
        Assert.Throws<ArgumentException>(() => new Dice().ComputePerSample(SmallPredicted, SmallTruth, new float[3]));
        Assert.Contains("reduction None", Assert.Throws<InvalidOperationException>(() => new Tversky(reduction: LossReduction.None).Compute(SmallPredicted, SmallTruth)).Message, StringComparison.Ordinal);

        // A per-class axis (Keras' value, so it loads) is refused once the data's shapes are known, before a step.
        var model = new Sequential([new InputLayer(2, 2, 1), new Activation(ActivationFunction.Sigmoid)]);
        model.Compile(new Sgd(), new Dice([1, 2]));
        var fit = Assert.Throws<ArgumentException>(() => model.Fit(ImagePredicted, ImageTruth, epochs: 1, verbose: 0));
        Assert.Contains("axis [1, 2] on output (None, 2, 2, 1) is not supported", fit.Message, StringComparison.Ordinal);

        // An output mask has no meaning for a whole-sample sum.
        var masked = new Sequential([new InputLayer(2, 2), new Masking(0.2f)]);
        masked.Compile(new Sgd(), new Dice());
        var mask = Assert.Throws<NotSupportedException>(() => masked.Evaluate(Tensor.FromArray([0.2f, 0.2f, 0.5f, 0.7f], 1, 2, 2), Tensor.FromArray([0f, 1f, 1f, 0f], 1, 2, 2), verbose: 0));
        Assert.Contains("dice: the output carries a mask", mask.Message, StringComparison.Ordinal);
    }

    private static double Evaluate(Loss loss, Tensor predictions, Tensor targets, params float[] sampleWeight)
    {
        var model = new Sequential([new InputLayer([.. predictions.Shape.Dimensions[1..]]), new Activation(ActivationFunction.Linear)]);
        model.Compile(new Sgd(), loss);
        Tensor? weights = sampleWeight.Length == 0 ? null : Tensor.FromArray(sampleWeight, sampleWeight.Length);
        return model.Evaluate(predictions, targets, batchSize: 64, verbose: 0, sampleWeight: weights)["loss"];
    }

    private static float[] PerSample(Loss loss, Tensor predictions, Tensor targets)
    {
        var values = new float[predictions.Shape[0]];
        loss.ComputePerSample(predictions, targets, values);
        return values;
    }

    private static void AssertClose(double[] expected, float[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"value {i}: expected {expected[i]} but got {actual[i]}");
        }
    }
}
