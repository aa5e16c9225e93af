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

/// <summary>Keras' Circle loss against keras/src/losses/losses_test.py (CircleTest) and a plain twin of Keras' <c>circle</c>.</summary>
public class CircleTests
{
    // CircleTest.setup: y_true [1, 1, 2, 2, 3] and unit-norm y_pred (5, 4); ref_labels [1, 1, 2, 2, 3, 4] and ref_embeddings (6, 4).
    private static readonly Tensor Labels = Tensor.FromArray([1f, 1f, 2f, 2f, 3f], 5);
    private static readonly Tensor Embeddings = Tensor.FromArray(
    [
        0.70014004f, -0.42008403f, 0.14002801f, 0.56011203f,
        0.17609018f, 0.70436073f, -0.52827054f, 0.44022545f,
        -0.34050261f, 0.25537696f, -0.68100522f, 0.59587957f,
        0.32163376f, -0.75047877f, 0.53605627f, -0.21442251f,
        0.51261459f, -0.34174306f, 0.17087153f, 0.76892189f,
    ], 5, 4);

    private static readonly Tensor RefLabels = Tensor.FromArray([1f, 1f, 2f, 2f, 3f, 4f], 6);
    private static readonly Tensor RefEmbeddings = Tensor.FromArray(
    [
        0.40824829f, -0.54433105f, 0.27216553f, 0.68041382f,
        0.76376261f, 0.10910895f, -0.54554473f, 0.32732684f,
        -0.74420841f, 0.24806947f, 0.49613894f, -0.3721042f,
        0.52981294f, -0.13245324f, 0.79471941f, -0.26490647f,
        0.54554473f, -0.32732684f, 0.10910895f, 0.76376261f,
        -0.27216553f, 0.68041382f, 0.40824829f, -0.54433105f,
    ], 6, 4);

    // A plain twin of Keras' circle (keras/src/losses/losses.py), term for term, in double.
    private static double[] Reference(Tensor embeddings, Tensor labels, double gamma, double margin, bool removeDiagonal)
    {
        int n = embeddings.Shape[0], dim = embeddings.Shape[1];
        float[] e = embeddings.ToArray(), y = labels.ToArray();
        var losses = new double[n];
        for (int i = 0; i < n; i++)
        {
            var positives = new List<double>();
            var negatives = new List<double>();
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int k = 0; k < dim; k++)
                {
                    s += (double)e[(i * dim) + k] * e[(j * dim) + k];
                }

                double d = Math.Max(1 - s, 0);
                if (y[i] == y[j] && !(removeDiagonal && i == j))
                {
                    positives.Add(-gamma * Math.Max(margin + d, 0) * (margin - d));
                }
                else if (y[i] != y[j])
                {
                    negatives.Add(gamma * Math.Max(1 + margin - d, 0) * (1 - margin - d));
                }
            }

            double LogSumExp(List<double> values) => values.Count == 0 ? double.NegativeInfinity : values.Max() + Math.Log(values.Sum(v => Math.Exp(v - values.Max())));
            double z = LogSumExp(positives) + LogSumExp(negatives);
            losses[i] = double.IsNegativeInfinity(z) ? 0 : Math.Log(1 + Math.Exp(z));
        }

        return losses;
    }

    private static float[] PerSample(Loss loss, Tensor predictions, Tensor targets)
    {
        var values = new float[predictions.Shape[0]];
        loss.ComputePerSample(predictions, targets, values);
        return values;
    }

    private static double Evaluate(Loss loss, Tensor predictions, Tensor targets, params float[] sampleWeight)
    {
        var model = new Sequential([new InputLayer([.. predictions.Shape.Dimensions[1..]]), new Activation(ActivationFunction.Linear)]);
        model.Compile(new Sgd(), loss);
        Tensor? weights = sampleWeight.Length == 0 ? null : Tensor.FromArray(sampleWeight, sampleWeight.Length);
        return model.Evaluate(predictions, targets, batchSize: 64, verbose: 0, sampleWeight: weights)["loss"];
    }

    private static Tensor Normalized(Tensor x, float norm = 1f)
    {
        float[] v = x.ToArray();
        int dim = x.Shape[1];
        for (int i = 0; i < x.Shape[0]; i++)
        {
            double sum = 0;
            for (int k = 0; k < dim; k++)
            {
                sum += v[(i * dim) + k] * v[(i * dim) + k];
            }

            for (int k = 0; k < dim; k++)
            {
                v[(i * dim) + k] = (float)(v[(i * dim) + k] * norm / Math.Sqrt(sum));
            }
        }

        return Tensor.FromArray(v, x.Shape[0], dim);
    }

    [Fact]
    public void Values_MatchKerasCircleTest()
    {
        // test_correctness: the mean over the four anchors kept (label 3 is alone in the batch: no positive, masked out).
        Assert.Equal(188.3883, new Circle().Compute(Embeddings, Labels), 2e-3);
        Assert.Equal(652.7617, new Circle(gamma: 256, margin: 0.25).Compute(Embeddings, Labels), 2e-3);

        // test_no_reduction and test_sum_reduction on the reference batch: labels 3 and 4 are alone.
        float[] none = PerSample(new Circle(reduction: LossReduction.None), RefEmbeddings, RefLabels);
        double[] expected = [82.9116, 36.7942, 92.4590, 52.6798, 0.0, 0.0];
        for (int i = 0; i < 6; i++)
        {
            Assert.Equal(expected[i], none[i], 1e-3);
        }

        Assert.Equal(264.845, new Circle(reduction: LossReduction.Sum).Compute(RefEmbeddings, RefLabels), 2e-3);
        Assert.Equal(264.845, Evaluate(new Circle(reduction: LossReduction.Sum), RefEmbeddings, RefLabels), 2e-3);
        Assert.Equal(188.3883, Evaluate(new Circle(), Embeddings, Labels), 2e-3);
    }

    [Fact]
    public void SampleWeights_MatchKerasCircleTest()
    {
        // test_correctness_weighted: Σ w·loss over the anchors kept / 4 kept; test_mean_with_sample_weight_reduction: / Σ w kept (6).
        Assert.Equal(244.91918, Evaluate(new Circle(), Embeddings, Labels, 2f, 2f, 1f, 1f, 0.5f), 2e-3);
        Assert.Equal(163.27948, Evaluate(new Circle(reduction: LossReduction.MeanWithSampleWeight), Embeddings, Labels, 2f, 2f, 1f, 1f, 0.5f), 2e-3);
    }

    [Theory]
    [InlineData(80.0, 0.4, true)]
    [InlineData(80.0, 0.4, false)]
    [InlineData(256.0, 0.25, true)]
    [InlineData(3.0, -0.2, false)]
    public void PerSample_MatchesThePlainTwin_OnRandomBatches(double gamma, double margin, bool removeDiagonal)
    {
        for (int seed = 0; seed < 5; seed++)
        {
            int n = 3 + (seed * 3);
            Tensor e = Normalized(Tensor.RandomNormal(new TensorShape(n, 6), seed + 100));
            Tensor y = Tensor.FromArray([.. Enumerable.Range(0, n).Select(i => (float)((i * 7 + seed) % 4))], n);
            double[] expected = Reference(e, y, gamma, margin, removeDiagonal);
            float[] actual = PerSample(new Circle(gamma, margin, removeDiagonal), e, y);
            for (int i = 0; i < n; i++)
            {
                Assert.Equal(expected[i], actual[i], Math.Max(1e-9, 1e-6 * expected[i]));
            }
        }
    }

    public static TheoryData<string> GradientCases => ["default", "small_gamma", "keep_diagonal", "negative_margin", "sum", "unnormalized"];

    [Theory]
    [MemberData(nameof(GradientCases))]
    public void Gradient_MatchesNumericalGradient(string name)
    {
        Tensor unit = Normalized(Tensor.RandomNormal(new TensorShape(8, 5), 41));
        Tensor labels = Tensor.FromArray([0f, 1f, 0f, 2f, 1f, 0f, 2f, 3f], 8); // label 3 alone: a masked anchor that still serves as a negative
        (Loss loss, Tensor predictions, GradientCheckOptions options) = name switch
        {
            "default" => ((Loss)new Circle(), unit, GradientCheckOptions.Default with { Step = 1e-3, AbsoluteTolerance = 2e-2, RelativeTolerance = 2e-2 }),
            "small_gamma" => (new Circle(gamma: 4), unit, GradientCheckOptions.Default),
            "keep_diagonal" => (new Circle(gamma: 8, removeDiagonal: false), Normalized(Tensor.RandomNormal(new TensorShape(8, 5), 42), 0.8f), GradientCheckOptions.Default),
            "negative_margin" => (new Circle(gamma: 6, margin: -0.3), unit, GradientCheckOptions.Default),
            "sum" => (new Circle(gamma: 5, reduction: LossReduction.Sum), unit, GradientCheckOptions.Default),
            _ => (new Circle(gamma: 3, margin: 0.3), Tensor.RandomNormal(new TensorShape(8, 5), 43, 0f, 0.4f), GradientCheckOptions.Default),
        };
        GradientChecker.CheckLoss(loss, predictions, labels, seed: 17, options).AssertPassed(maxKinkFraction: 0);
    }

    public static TheoryData<LossReduction, bool> TrainingCases => new()
    {
        { LossReduction.SumOverBatchSize, false },
        { LossReduction.SumOverBatchSize, true },
        { LossReduction.Sum, true },
        { LossReduction.MeanWithSampleWeight, true },
    };

    [Theory]
    [MemberData(nameof(TrainingCases))]
    public void TrainOnBatch_StepIsTheNumericalGradientOfTheReportedLoss(LossReduction reduction, bool weighted)
    {
        // A linear embedding of 6 samples, one of them alone in its class; uneven weights would go wrong if each row of the
        // gradient were scaled by its own sample's weight, since an anchor's loss reaches every embedding it is paired with.
        Tensor x = TestData.Normal(70, 0.5f, 6, 4);
        Tensor y = Tensor.FromArray([0f, 1f, 0f, 1f, 2f, 0f], 6);
        Tensor? w = weighted ? Tensor.FromArray([0.5f, 2f, 1f, 0f, 3f, 0.25f], 6) : null;
        Sequential Model()
        {
            var model = new Sequential([new InputLayer(4), new Dense(3, ActivationFunction.Tanh)], seed: 5);
            model.Compile(new Sgd(1f), new Circle(gamma: 2, margin: 0.25, reduction: reduction));
            return model;
        }

        ReductionTests.AssertStepIsNumericalGradient(Model, x, y, w);
    }

    [Fact]
    public void Fit_WithUnitNormalization_SeparatesTheClasses()
    {
        // Keras' recipe: a linear Dense, then UnitNormalization; three well-separated clusters in 6-D.
        var random = new Random(3);
        int n = 60;
        float[] xs = new float[n * 6], ys = new float[n];
        for (int i = 0; i < n; i++)
        {
            ys[i] = i % 3;
            for (int k = 0; k < 6; k++)
            {
                xs[(i * 6) + k] = (float)((k % 3 == i % 3 ? 1.0 : 0.0) + (0.8 * ((random.NextDouble() * 2) - 1)));
            }
        }

        Tensor x = Tensor.FromArray(xs, n, 6), y = Tensor.FromArray(ys, n);
        var model = new Sequential([new InputLayer(6), new Dense(4), new UnitNormalization()], seed: 9);
        model.Compile(new Adam(0.01f), new Circle());
        double before = model.Evaluate(x, y, batchSize: 20, verbose: 0)["loss"];
        model.Fit(x, y, epochs: 30, batchSize: 20, verbose: 0);
        double after = model.Evaluate(x, y, batchSize: 20, verbose: 0)["loss"];
        Assert.True(before > 10 && after < 0.5 * before, $"loss {before} -> {after}");
    }

    [Fact]
    public void GradientAndPerSample_AfterWarmUp_AllocateNothing()
    {
        Tensor e = Normalized(Tensor.RandomNormal(new TensorShape(32, 8), 5));
        Tensor y = Tensor.FromArray([.. Enumerable.Range(0, 32).Select(i => (float)(i % 5))], 32);
        var loss = new Circle();
        var gradient = new Tensor(e.Shape);
        var values = new float[32];
        loss.Gradient(e, y, gradient);
        loss.ComputePerSample(e, y, values);
        AllocationCheck.AssertNone(() =>
        {
            loss.Gradient(e, y, gradient);
            loss.ComputePerSample(e, y, values);
            _ = loss.Compute(e, y);
        });
    }

    [Fact]
    public void TrainStep_WithSampleWeights_AfterWarmUp_AllocatesNothing()
    {
        Tensor x = TestData.Normal(80, 1f, 32, 6);
        Tensor y = Tensor.FromArray([.. Enumerable.Range(0, 32).Select(i => (float)(i % 4))], 32);
        var model = new Sequential([new InputLayer(6), new Dense(4), new UnitNormalization()], seed: 2);
        model.Compile(new Adam(), new Circle());
        Tensor weights = Tensor.FromArray([.. Enumerable.Range(0, 32).Select(i => 0.5f + (i % 3))], 32);
        model.Fit(x, y, epochs: 1, batchSize: 32, verbose: 0, sampleWeight: weights);
        Tensor[] batch = [x, y, weights];
        model.TrainStep(batch);
        AllocationCheck.AssertNone(() =>
        {
            for (int step = 0; step < 3; step++)
            {
                model.TrainStep(batch);
            }
        });
    }

    [Fact]
    public void Config_RoundTripsAndReadsKerasConfigs()
    {
        var circle = Assert.IsType<Circle>(LabelSmoothingTests.RoundTrip(new Circle(256, 0.25, false, LossReduction.Sum)));
        Assert.Equal((256.0, 0.25, false, LossReduction.Sum), (circle.Gamma, circle.Margin, circle.RemoveDiagonal, circle.Reduction));
        JsonObject saved = SerializationRegistry.Serialize(new Circle()).AsObject();
        Assert.Equal("Circle", saved["class_name"]!.GetValue<string>());
        Assert.Equal("{\"reduction\":\"sum_over_batch_size\",\"gamma\":80,\"margin\":0.4,\"remove_diagonal\":true}", saved["config"]!.ToJsonString());

        var keras = Assert.IsType<Circle>(LabelSmoothingTests.Read("""{"module": "keras.losses", "class_name": "Circle", "config": {"name": "mycircle", "reduction": "sum_over_batch_size", "dtype": null, "gamma": 80.0, "margin": 0.4, "remove_diagonal": true}, "registered_name": null}"""));
        Assert.Equal((80.0, 0.4, true), (keras.Gamma, keras.Margin, keras.RemoveDiagonal));
        var defaults = Assert.IsType<Circle>(LabelSmoothingTests.Read("""{"class_name": "Circle", "config": {}}"""));
        Assert.Equal((80.0, 0.4, true, LossReduction.SumOverBatchSize), (defaults.Gamma, defaults.Margin, defaults.RemoveDiagonal, defaults.Reduction));
        Assert.IsType<Circle>(LabelSmoothingTests.Read("\"circle\""));
        var model = new Sequential([new InputLayer(3), new Dense(2)]);
        model.Compile("adam", "circle");
        Assert.IsType<Circle>(model.Loss);
        Assert.Contains("gamma", Assert.Throws<InvalidDataException>(() => LabelSmoothingTests.Read("""{"class_name": "Circle", "config": {"gamma": 0}}""")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BadInput_IsRefusedNamingWhatWasWrong()
    {
        Assert.Equal("gamma", Assert.Throws<ArgumentOutOfRangeException>(() => new Circle(gamma: 0)).ParamName);
        Assert.Equal("gamma", Assert.Throws<ArgumentOutOfRangeException>(() => new Circle(gamma: double.PositiveInfinity)).ParamName);
        Assert.Equal("margin", Assert.Throws<ArgumentOutOfRangeException>(() => new Circle(margin: double.NaN)).ParamName);

        var label = Assert.Throws<ArgumentException>(() => new Circle().Compute(Embeddings, Tensor.FromArray([1f, 1f, 2.5f, 2f, 3f], 5)));
        Assert.Contains("target 2.5 of sample 2 is not an integer label", label.Message, StringComparison.Ordinal);
        var shapes = Assert.Throws<ArgumentException>(() => new Circle().Compute(Embeddings, Tensor.FromArray([1f, 1f, 2f, 2f], 4)));
        Assert.Contains("circle: output (5, 4) and targets (4,) do not fit", shapes.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new Circle().ValidateShapes(new TensorShape(4), new TensorShape(4)));
        Assert.Throws<ArgumentException>(() => new Circle().ValidateShapes(new TensorShape(2, 4), new TensorShape()));
        new Circle().ValidateShapes(new TensorShape(4), new TensorShape(1));
        Assert.Contains("one-dimensional embeddings", Assert.Throws<ArgumentException>(() => new Circle().ValidateShapes(new TensorShape(1), new TensorShape())).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new Circle().Gradient(Embeddings, Labels, new Tensor(5, 3)));
        Assert.Throws<ArgumentException>(() => new Circle().ComputePerSample(Embeddings, Labels, new float[4]));

        // Before any step: a model whose targets hold a fraction is refused naming the sample, and its weights are unchanged.
        var model = new Sequential([new InputLayer(4), new Dense(3)], seed: 1);
        model.Compile(new Sgd(), new Circle());
        float[] before = model.Parameters[0].Value.ToArray();
        Assert.Contains("sample 2", Assert.Throws<ArgumentException>(() => model.Fit(Embeddings, Tensor.FromArray([1f, 1f, 0.5f, 2f, 3f], 5), epochs: 1, verbose: 0)).Message, StringComparison.Ordinal);
        Assert.Equal(before, model.Parameters[0].Value.ToArray());
    }
}
