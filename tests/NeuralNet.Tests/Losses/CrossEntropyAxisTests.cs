using NeuralNet.Losses;
using NeuralNet.Serialization;
using NeuralNet.Tests.GradientChecking;
using NeuralNet.Training;
using Xunit;

namespace NeuralNet.Tests.Losses;

/// <summary>
/// Keras' <c>axis</c> on the cross-entropies (keras/src/losses/losses.py: categorical_crossentropy,
/// categorical_focal_crossentropy, binary_crossentropy, binary_focal_crossentropy; the backends' categorical_crossentropy
/// reduces over <c>axis</c>, the binary ones average over it): the same bits as the channels-last batch, Keras' formulas
/// by hand, numerical gradients, errors, allocation and the config.
/// </summary>
public class CrossEntropyAxisTests
{
    public static TheoryData<string> CategoricalCases => ["cce", "cce_logits", "focal", "focal_logits", "focal_alphas"];

    public static TheoryData<string> AllCases => ["cce", "cce_logits", "cce_smoothing", "focal", "focal_logits", "focal_smoothing", "focal_alphas", "bce", "bce_logits", "bfce", "bfce_logits"];

    [Theory]
    [MemberData(nameof(CategoricalCases))]
    public void ComputeAndGradient_ChannelsFirst_SameBitsAsChannelsLast(string name)
    {
        // (2, 3 classes, 4, 5) with axis 1 (and -3) against the same values transposed to (2, 4, 5, 3) with the last axis.
        Tensor first = Predictions(name, 11, 2, 3, 4, 5);
        Tensor targets = OneHotFirst(12, 2, 3, 4, 5);
        Tensor last = ToChannelsLast(first), lastTargets = ToChannelsLast(targets);
        foreach (int axis in new[] { 1, -3 })
        {
            Loss onAxis = Make(name, axis), onLast = Make(name, -1);
            Assert.Equal(BitConverter.SingleToInt32Bits(onLast.Compute(last, lastTargets)), BitConverter.SingleToInt32Bits(onAxis.Compute(first, targets)));

            var perSampleLast = new float[2];
            var perSampleFirst = new float[2];
            onLast.ComputePerSample(last, lastTargets, perSampleLast);
            onAxis.ComputePerSample(first, targets, perSampleFirst);
            Assert.Equal(perSampleLast, perSampleFirst);

            var gradientLast = new Tensor(last.Shape);
            var gradientFirst = new Tensor(first.Shape);
            onLast.Gradient(last, lastTargets, gradientLast);
            onAxis.Gradient(first, targets, gradientFirst);
            Assert.Equal(gradientLast.ToArray(), ToChannelsLast(gradientFirst).ToArray());
        }
    }

    [Theory]
    [MemberData(nameof(AllCases))]
    public void ComputeAndGradient_AxisNamingTheLastAxis_SameBitsAsDefault(string name)
    {
        Tensor predictions = Predictions(name, 3, 2, 4, 3);
        Tensor targets = name.StartsWith('b') ? BinaryTargets(4, 2, 4, 3) : OneHotOn(4, [2, 4, 3], 2);
        Loss positive = Make(name, 2), plain = Make(name, -1);
        Assert.Equal(BitConverter.SingleToInt32Bits(plain.Compute(predictions, targets)), BitConverter.SingleToInt32Bits(positive.Compute(predictions, targets)));
        var expected = new Tensor(predictions.Shape);
        var actual = new Tensor(predictions.Shape);
        plain.Gradient(predictions, targets, expected);
        positive.Gradient(predictions, targets, actual);
        Assert.Equal(expected.ToArray(), actual.ToArray());
    }

    [Fact]
    public void Compute_CategoricalOnAxisOne_KerasFormulaByHand()
    {
        // One sample (1, 3 classes, 2 positions): Keras' categorical_crossentropy with axis=1 is, per position i,
        // -sum_c t[c, i] log(clip(p[c, i] / sum_c p[c, i])), then the mean over the 2 positions ('sum_over_batch_size'
        // divides by the number of values, batch x positions); 'sum' adds them.
        float[] p = [0.2f, 0.6f, 0.5f, 0.1f, 0.3f, 0.3f];   // p[c, i] at c * 2 + i: position 0 (0.2, 0.5, 0.3), position 1 (0.6, 0.1, 0.3)
        float[] t = [0, 1, 1, 0, 0, 0];                     // position 0 is class 1, position 1 class 0
        double position0 = -Math.Log(0.5 / 1.0), position1 = -Math.Log(0.6 / 1.0);
        var predictions = Tensor.FromArray(p, 1, 3, 2);
        var targets = Tensor.FromArray(t, 1, 3, 2);
        Assert.Equal((position0 + position1) / 2, new CategoricalCrossEntropy(axis: 1).Compute(predictions, targets), 6);
        Assert.Equal(position0 + position1, new CategoricalCrossEntropy(axis: 1, reduction: LossReduction.Sum).Compute(predictions, targets), 6);

        // Keras smooths by the length of the LAST axis (num_classes = shape(y_true)[-1] in losses.py), here 2, not the 3
        // classes: t' = t (1 - s) + s / 2.
        const double s = 0.3;
        double Smoothed(double target) => (target * (1 - s)) + (s / 2);
        double smoothed0 = -((Smoothed(0) * Math.Log(0.2)) + (Smoothed(1) * Math.Log(0.5)) + (Smoothed(0) * Math.Log(0.3)));
        double smoothed1 = -((Smoothed(1) * Math.Log(0.6)) + (Smoothed(0) * Math.Log(0.1)) + (Smoothed(0) * Math.Log(0.3)));
        Assert.Equal((smoothed0 + smoothed1) / 2, new CategoricalCrossEntropy(labelSmoothing: s, axis: 1).Compute(predictions, targets), 6);
    }

    [Fact]
    public void Compute_BinaryOnAxisOne_AveragesOverTheAxis()
    {
        // Keras' binary_crossentropy: mean(bce, axis=axis). (2 samples, 3 values on axis 1, 2 positions): 4 entries, each
        // the mean of 3 values; 'sum' adds the 4 entries (the total / 3), the default averages them (the total / 12).
        Tensor predictions = Tensor.RandomUniform(new TensorShape(2, 3, 2), 5, 0.05f, 0.95f);
        Tensor targets = BinaryTargets(6, 2, 3, 2);
        double total = 0;
        ReadOnlySpan<float> p = predictions.AsReadOnlySpan(), t = targets.AsReadOnlySpan();
        for (int i = 0; i < p.Length; i++)
        {
            total -= (t[i] * Math.Log(p[i])) + ((1 - t[i]) * Math.Log(1 - p[i]));
        }

        Assert.Equal(total / 12, new BinaryCrossEntropy(axis: 1).Compute(predictions, targets), 5);
        Assert.Equal(total / 3, new BinaryCrossEntropy(axis: 1, reduction: LossReduction.Sum).Compute(predictions, targets), 4);
        Assert.Equal(total / 2, new BinaryCrossEntropy(reduction: LossReduction.Sum).Compute(predictions, targets), 4);
    }

    [Theory]
    [MemberData(nameof(AllCases))]
    public void Gradient_OnAnotherAxis_MatchesNumericalGradient(string name)
    {
        foreach ((int axis, int[] shape) in new[] { (1, new[] { 2, 3, 2, 3 }), (-2, new[] { 3, 3, 2 }) })
        {
            int classAxis = axis < 0 ? axis + shape.Length : axis;
            Tensor predictions = Predictions(name, 21, shape);
            Tensor targets = name.StartsWith('b') ? BinaryTargets(22, shape) : OneHotOn(23, shape, classAxis);
            foreach (LossReduction reduction in new[] { LossReduction.SumOverBatchSize, LossReduction.Sum })
            {
                GradientChecker.CheckLoss(Make(name, axis, reduction), predictions, targets, seed: 7, GradientCheckOptions.Default with { Step = 1e-3, AbsoluteTolerance = 5e-3 })
                    .AssertPassed(maxKinkFraction: 0);
            }
        }
    }

    [Fact]
    public void Errors_AxisOutOfRangeOrBatchAxis_NameTheAxisAndShape()
    {
        var constructor = Assert.Throws<ArgumentOutOfRangeException>(() => new CategoricalCrossEntropy(axis: 0));
        Assert.Equal("axis", constructor.ParamName);
        Assert.Contains("the batch axis", constructor.Message, StringComparison.Ordinal);
        Assert.Equal("axis", Assert.Throws<ArgumentOutOfRangeException>(() => new BinaryCrossEntropy(axis: 0)).ParamName);
        Assert.Equal("axis", Assert.Throws<ArgumentOutOfRangeException>(() => new BinaryFocalCrossEntropy(axis: 0)).ParamName);
        Assert.Equal("axis", Assert.Throws<ArgumentOutOfRangeException>(() => new CategoricalFocalCrossEntropy(axis: 0)).ParamName);

        var predictions = new Tensor(2, 3, 4);
        foreach (Loss loss in new Loss[] { new CategoricalCrossEntropy(axis: 3), new CategoricalFocalCrossEntropy(axis: -3), new BinaryCrossEntropy(axis: 5), new BinaryFocalCrossEntropy(axis: -4) })
        {
            var compute = Assert.Throws<ArgumentException>(() => loss.Compute(predictions, predictions));
            Assert.Contains($"{loss.Name}: axis=", compute.Message, StringComparison.Ordinal);
            Assert.Contains("is not an axis of the output (2, 3, 4) after the batch axis; expected an axis in [1, 2] or [-2, -1]", compute.Message, StringComparison.Ordinal);
            Assert.Throws<ArgumentException>(() => loss.Gradient(predictions, predictions, new Tensor(predictions.Shape)));
            Assert.Throws<ArgumentException>(() => loss.ComputePerSample(predictions, predictions, new float[2]));
            var shapes = Assert.Throws<ArgumentException>(() => loss.ValidateShapes(new TensorShape(3, 4), new TensorShape(3, 4)));
            Assert.Contains("output (None, 3, 4)", shapes.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Errors_AxisOnOneValuePerSample_NameTheLossTheAxisAndTheShape()
    {
        // A rank-1 output has no axis after the batch axis: the message used to offer the empty range "[1, 0] or [-0, -1]".
        var predictions = Tensor.FromArray([0.2f, 0.7f, 0.4f], 3);
        foreach (Loss loss in new Loss[] { new CategoricalCrossEntropy(axis: 1), new CategoricalFocalCrossEntropy(axis: -2), new BinaryCrossEntropy(axis: 1), new BinaryFocalCrossEntropy(axis: 2) })
        {
            var compute = Assert.Throws<ArgumentException>(() => loss.Compute(predictions, predictions));
            Assert.Equal("axis", compute.ParamName);
            Assert.Contains($"{loss.Name}: axis=", compute.Message, StringComparison.Ordinal);
            Assert.Contains("the output (3,) has one value per sample", compute.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("[-0", compute.Message, StringComparison.Ordinal);

            // Before training, for the per-sample shape of such an output.
            var shapes = Assert.Throws<ArgumentException>(() => loss.ValidateShapes(new TensorShape(), new TensorShape()));
            Assert.Contains("has one value per sample", shapes.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Errors_MetricSettings_NameTheMetric()
    {
        // The metrics build their losses; a refused setting names the metric the caller created, not the loss.
        var axis = Assert.Throws<ArgumentOutOfRangeException>(() => new CategoricalCrossEntropyMetric(axis: 0));
        Assert.Equal("axis", axis.ParamName);
        Assert.StartsWith("CategoricalCrossEntropyMetric expects axis", axis.Message, StringComparison.Ordinal);
        var smoothing = Assert.Throws<ArgumentOutOfRangeException>(() => new CategoricalCrossEntropyMetric(labelSmoothing: 2));
        Assert.StartsWith("CategoricalCrossEntropyMetric expects labelSmoothing", smoothing.Message, StringComparison.Ordinal);
        Assert.StartsWith("BinaryCrossEntropyMetric expects labelSmoothing",
            Assert.Throws<ArgumentOutOfRangeException>(() => new BinaryCrossEntropyMetric(labelSmoothing: -1)).Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(AllCases))]
    public void ComputeAndGradient_OnAnotherAxis_AllocateNothingAfterTheFirstBatch(string name)
    {
        Tensor predictions = Predictions(name, 31, 4, 3, 5, 6);
        Tensor targets = name.StartsWith('b') ? BinaryTargets(32, 4, 3, 5, 6) : OneHotFirst(33, 4, 3, 5, 6);
        Loss loss = Make(name, 1);
        var gradient = new Tensor(predictions.Shape);
        var perSample = new float[4];
        void Step()
        {
            loss.Compute(predictions, targets);
            loss.Gradient(predictions, targets, gradient);
            loss.ComputePerSample(predictions, targets, perSample);
        }

        Step();
        AllocationCheck.AssertNone(Step);
    }

    [Fact]
    public void Config_WritesKerasAxisKey_AndKerasFilesWithAnAxisLoad()
    {
        Assert.Equal(1, LabelSmoothingTests.RoundTrip(new CategoricalCrossEntropy(axis: 1)).GetConfig().GetInt32("axis"));
        Assert.Equal(-3, Assert.IsType<BinaryCrossEntropy>(LabelSmoothingTests.RoundTrip(new BinaryCrossEntropy(axis: -3))).Axis);
        Assert.Equal(2, Assert.IsType<BinaryFocalCrossEntropy>(LabelSmoothingTests.RoundTrip(new BinaryFocalCrossEntropy(axis: 2))).Axis);
        Assert.Equal(1, Assert.IsType<CategoricalFocalCrossEntropy>(LabelSmoothingTests.RoundTrip(new CategoricalFocalCrossEntropy(axis: 1))).Axis);
        Assert.Equal(-1, new CategoricalCrossEntropy().GetConfig().GetInt32("axis"));

        // Keras' get_config of each class (losses.py), with axis=1.
        Assert.Equal(1, Assert.IsType<CategoricalCrossEntropy>(LabelSmoothingTests.Read(
            """{"class_name": "CategoricalCrossentropy", "config": {"name": "cce", "reduction": "sum_over_batch_size", "from_logits": true, "label_smoothing": 0.0, "axis": 1}}""")).Axis);
        Assert.Equal(1, Assert.IsType<BinaryCrossEntropy>(LabelSmoothingTests.Read(
            """{"class_name": "BinaryCrossentropy", "config": {"name": "bce", "reduction": "sum_over_batch_size", "from_logits": false, "label_smoothing": 0.0, "axis": 1}}""")).Axis);
        Assert.Equal(1, Assert.IsType<BinaryFocalCrossEntropy>(LabelSmoothingTests.Read(
            """{"class_name": "BinaryFocalCrossentropy", "config": {"name": "bfce", "reduction": "sum_over_batch_size", "from_logits": false, "label_smoothing": 0.0, "axis": 1, "apply_class_balancing": false, "alpha": 0.25, "gamma": 2.0}}""")).Axis);
        Assert.Equal(1, Assert.IsType<CategoricalFocalCrossEntropy>(LabelSmoothingTests.Read(
            """{"class_name": "CategoricalFocalCrossentropy", "config": {"name": "cfce", "reduction": "sum_over_batch_size", "from_logits": false, "label_smoothing": 0.0, "axis": 1, "alpha": 0.25, "gamma": 2.0}}""")).Axis);
        var error = Assert.Throws<InvalidDataException>(() => LabelSmoothingTests.Read("""{"class_name": "BinaryCrossentropy", "config": {"axis": 0}}"""));
        Assert.Contains("\"axis\" is 0, the batch axis", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Metric_CategoricalCrossEntropyOnAxisOne_AveragesKerasValuesAndSavesTheAxis()
    {
        // Keras' metric CategoricalCrossentropy(axis=1): the running mean of the loss's per-sample values on axis 1.
        Tensor first = Predictions("cce", 41, 3, 4, 2, 2);
        Tensor targets = OneHotFirst(42, 3, 4, 2, 2);
        var metric = new CategoricalCrossEntropyMetric(axis: 1);
        metric.Update(first, targets);
        Assert.Equal(new CategoricalCrossEntropy(axis: 1).Compute(first, targets), metric.Result(), 6);
        var lastMetric = new CategoricalCrossEntropyMetric();
        lastMetric.Update(ToChannelsLast(first), ToChannelsLast(targets));
        Assert.Equal(lastMetric.Result(), metric.Result(), 6);
        Assert.Equal(1, metric.GetConfig().GetInt32("axis"));
        var read = Assert.IsType<CategoricalCrossEntropyMetric>(SerializationRegistry.Deserialize<Metric>(
            System.Text.Json.Nodes.JsonNode.Parse("""{"class_name": "CategoricalCrossentropy", "config": {"name": "categorical_crossentropy", "dtype": "float32", "from_logits": false, "label_smoothing": 0, "axis": 1}}""")!, new Config(), "metric"));
        Assert.Equal(1, read.Axis);
    }

    [Fact]
    public void ComputeGradients_SoftmaxOverLastAxisWithClassesOnAxisOne_NotFusedAndMatchesNumericalGradient()
    {
        // Dense(4, softmax) on (batch, 3, 5) gives (batch, 3, 4) rows summing to 1 over the last axis; the loss takes its
        // 3 classes on axis 1, so the fused softmax gradient (which assumes the softmax's axis) must not be used.
        var model = new NeuralNet.Models.Sequential([new NeuralNet.Layers.InputLayer(3, 5), new NeuralNet.Layers.Dense(4, NeuralNet.Activations.ActivationFunction.Softmax)]);
        var loss = new CategoricalCrossEntropy(axis: 1);
        model.Compile(new NeuralNet.Optimizers.Sgd(), loss);
        Tensor x = TestData.Normal(51, 1f, 2, 3, 5);
        Tensor y = OneHotOn(52, [2, 3, 4], 1);
        foreach (Parameter p in model.Parameters)
        {
            p.ZeroGradient();
        }

        model.ComputeGradients(x, y);
        var report = new GradientCheckReport();
        for (int i = 0; i < model.Parameters.Count; i++)
        {
            Parameter p = model.Parameters[i];
            GradientChecker.CheckTensor(report, model.ParameterName(p), p.Value, p.Gradient.ToArray(), () => loss.Compute(model.Forward([x], training: false)[0], y), GradientCheckOptions.Default with { Step = 1e-3 }, 53 + i);
        }

        report.AssertPassed(maxKinkFraction: 0);
    }

    internal static Loss Make(string name, int axis, LossReduction reduction = LossReduction.SumOverBatchSize) => name switch
    {
        "cce" => new CategoricalCrossEntropy(axis: axis, reduction: reduction),
        "cce_logits" => new CategoricalCrossEntropy(fromLogits: true, axis: axis, reduction: reduction),
        "cce_smoothing" => new CategoricalCrossEntropy(fromLogits: true, labelSmoothing: 0.2, axis: axis, reduction: reduction),
        "focal" => new CategoricalFocalCrossEntropy(alpha: 0.4, gamma: 1.5, axis: axis, reduction: reduction),
        "focal_logits" => new CategoricalFocalCrossEntropy(alpha: 0.4, gamma: 2, fromLogits: true, axis: axis, reduction: reduction),
        "focal_smoothing" => new CategoricalFocalCrossEntropy(alpha: 0.4, gamma: 2, labelSmoothing: 0.1, axis: axis, reduction: reduction),
        "focal_alphas" => new CategoricalFocalCrossEntropy([0.2, 0.5, 0.9], gamma: 2, fromLogits: true, axis: axis, reduction: reduction),
        "bce" => new BinaryCrossEntropy(labelSmoothing: 0.1, axis: axis, reduction: reduction),
        "bce_logits" => new BinaryCrossEntropy(fromLogits: true, axis: axis, reduction: reduction),
        "bfce" => new BinaryFocalCrossEntropy(applyClassBalancing: true, gamma: 2, axis: axis, reduction: reduction),
        _ => new BinaryFocalCrossEntropy(gamma: 3, fromLogits: true, labelSmoothing: 0.1, axis: axis, reduction: reduction),
    };

    // Logits for the logit cases; probabilities in (0.05, 0.95), not normalised (the categorical losses divide by the sum).
    internal static Tensor Predictions(string name, long seed, params int[] shape) =>
        name.EndsWith("logits", StringComparison.Ordinal) || name is "focal_alphas" or "cce_smoothing"
            ? TestData.Normal(seed, 2f, shape)
            : Tensor.RandomUniform(new TensorShape(shape), seed, 0.05f, 0.95f);

    internal static Tensor BinaryTargets(long seed, params int[] shape) =>
        Tensor.FromArray([.. Tensor.RandomUniform(new TensorShape(shape), seed).ToArray().Select(v => v < 0.5f ? 0f : 1f)], shape);

    // One-hot targets with the classes on axis 1.
    internal static Tensor OneHotFirst(long seed, params int[] shape) => OneHotOn(seed, shape, 1);

    internal static Tensor OneHotOn(long seed, int[] shape, int classAxis)
    {
        int classes = shape[classAxis], inner = 1;
        for (int d = classAxis + 1; d < shape.Length; d++)
        {
            inner *= shape[d];
        }

        var targets = new Tensor(new TensorShape(shape));
        int entries = targets.Length / classes;
        Tensor labels = TestData.Labels(seed, entries, classes);
        Span<float> t = targets.AsSpan();
        for (int e = 0; e < entries; e++)
        {
            int start = (e / inner * classes * inner) + (e % inner);
            t[start + ((int)labels.AsReadOnlySpan()[e] * inner)] = 1f;
        }

        return targets;
    }

    // (n, c, h, w) to (n, h, w, c).
    // Two samples of 4 ids, the last of the first sample 0 (masked); uniform targets of 3 classes per step.
    private static (Tensor X, Tensor Y) MaskedBatch()
    {
        var x = new Tensor(new TensorShape(2, 4));
        x.AsSpan().Fill(1f);
        x.AsSpan()[3] = 0f;
        var y = new Tensor(new TensorShape(2, 4, 3));
        y.AsSpan().Fill(1f / 3);
        return (x, y);
    }

    internal static Tensor ToChannelsLast(Tensor first)
    {
        int n = first.Shape[0], c = first.Shape[1], h = first.Shape[2], w = first.Shape[3];
        var last = new Tensor(n, h, w, c);
        for (int a = 0; a < n; a++)
        {
            for (int k = 0; k < c; k++)
            {
                for (int i = 0; i < h; i++)
                {
                    for (int j = 0; j < w; j++)
                    {
                        last[a, i, j, k] = first[a, k, i, j];
                    }
                }
            }
        }

        return last;
    }

    [Fact]
    public void Fit_LossOnAnotherAxisOfAMaskedOutput_IsRefusedBeforeTheFirstForwardPass()
    {
        // Embedding(maskZero) surely masks the output (through BatchNormalization and Dense, which pass masks on): the
        // loss over axis 1 cannot take the mask's rows. Refused when Fit starts, so the training forward pass never runs
        // and BatchNormalization's moving mean keeps its initial zeros.
        foreach (Loss loss in new Loss[] { new CategoricalCrossEntropy(axis: 1), new BinaryCrossEntropy(axis: -2), new CategoricalFocalCrossEntropy(axis: 1), new BinaryFocalCrossEntropy(axis: 1) })
        {
            var ids = new NeuralNet.Models.Input(new TensorShape(4), "ids");
            var norm = new NeuralNet.Layers.BatchNormalization();
            var hidden = norm.Call(new NeuralNet.Layers.Embedding(5, 3, maskZero: true).Call(ids));
            var model = new NeuralNet.Models.Functional(ids, new NeuralNet.Layers.Dense(3, NeuralNet.Activations.ActivationFunction.Softmax).Call(hidden), seed: 2);
            model.Compile(new NeuralNet.Optimizers.Sgd(), loss);
            (Tensor x, Tensor y) = MaskedBatch();

            var error = Assert.Throws<NotSupportedException>(() => model.Fit(x, y, epochs: 1, batchSize: 2, verbose: 0));

            Assert.Contains($"{loss.Name} with axis=", error.Message, StringComparison.Ordinal);
            Assert.All(norm.MovingMean.Value.ToArray(), v => Assert.Equal(0f, v));
        }
    }

    [Fact]
    public void Fit_LossOnAnotherAxis_AfterALayerThatConsumesTheMask_Trains()
    {
        // GlobalAveragePooling1D consumes the Embedding's mask, so no output mask reaches the loss: nothing to refuse.
        // (axis 1 names the last axis of the (batch, 3) output.)
        var ids = new NeuralNet.Models.Input(new TensorShape(4), "ids");
        var pooled = new NeuralNet.Layers.GlobalAveragePooling1D().Call(new NeuralNet.Layers.Embedding(5, 3, maskZero: true).Call(ids));
        var model = new NeuralNet.Models.Functional(ids, new NeuralNet.Layers.Dense(3, NeuralNet.Activations.ActivationFunction.Softmax).Call(pooled), seed: 2);
        model.Compile(new NeuralNet.Optimizers.Sgd(), new CategoricalCrossEntropy(axis: 1));
        (Tensor x, _) = MaskedBatch();
        var y = Tensor.FromArray([1f, 0, 0, 0, 1, 0], 2, 3);

        double loss = model.Fit(x, y, epochs: 1, batchSize: 2, verbose: 0)["loss"][0];

        Assert.True(double.IsFinite(loss));
    }

    [Fact]
    public void Fit_MetricOnAnotherAxisOfAMaskedOutput_IsRefusedNamingTheMetric()
    {
        // The masked view has one row per masked position: a metric over axis 1 would average over the wrong axis. Refused
        // when Fit starts: BatchNormalization's moving mean keeps its initial zeros.
        var ids = new NeuralNet.Models.Input(new TensorShape(4), "ids");
        var norm = new NeuralNet.Layers.BatchNormalization();
        var hidden = norm.Call(new NeuralNet.Layers.Embedding(5, 3, maskZero: true).Call(ids));
        var model = new NeuralNet.Models.Functional(ids, new NeuralNet.Layers.Dense(3, NeuralNet.Activations.ActivationFunction.Softmax).Call(hidden), seed: 2);
        model.Compile(new NeuralNet.Optimizers.Sgd(), new CategoricalCrossEntropy(), [new CategoricalCrossEntropyMetric(axis: 1)]);
        var x = new Tensor(new TensorShape(2, 4));
        x.AsSpan().Fill(1f);
        x.AsSpan()[3] = 0f;
        var y = new Tensor(new TensorShape(2, 4, 3));
        y.AsSpan().Fill(1f / 3);

        var error = Assert.Throws<NotSupportedException>(() => model.Fit(x, y, epochs: 1, batchSize: 2, verbose: 0));

        Assert.Contains("categorical_crossentropy with axis=1", error.Message, StringComparison.Ordinal);
        Assert.All(norm.MovingMean.Value.ToArray(), v => Assert.Equal(0f, v));
    }
}
