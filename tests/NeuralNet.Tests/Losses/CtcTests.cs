using FsCheck.Xunit;
using NeuralNet.Activations;
using NeuralNet.Kernels;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Serialization;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Losses;

/// <summary>The CTC loss against Keras' and TensorFlow's test values, a sum over every path, numerical gradients and training.</summary>
public class CtcTests
{
    private const string Seed = "(20261205,7)";

    // TensorFlow's ctc_loss_op_test (Keras 2's test_ctc): probabilities of 5 steps × 6 classes, blank last.
    private static readonly float[] TensorFlowProbabilities =
    [
        0.633766f, 0.221185f, 0.0917319f, 0.0129757f, 0.0142857f, 0.0260553f,
        0.111121f, 0.588392f, 0.278779f, 0.0055756f, 0.00569609f, 0.010436f,
        0.0357786f, 0.633813f, 0.321418f, 0.00249248f, 0.00272882f, 0.0037688f,
        0.0663296f, 0.643849f, 0.280111f, 0.00283995f, 0.0035545f, 0.00331533f,
        0.458235f, 0.396634f, 0.123377f, 0.00648837f, 0.00903441f, 0.00623107f,
        0.30176f, 0.28562f, 0.0831517f, 0.0862751f, 0.0816851f, 0.161508f,
        0.24082f, 0.397533f, 0.0557226f, 0.0546814f, 0.0557528f, 0.19549f,
        0.230246f, 0.450868f, 0.0389607f, 0.038309f, 0.0391602f, 0.202456f,
        0.280884f, 0.429522f, 0.0326593f, 0.0339046f, 0.0326856f, 0.190345f,
        0.423286f, 0.315517f, 0.0338439f, 0.0393744f, 0.0339315f, 0.154046f,
    ];

    [Fact]
    public void Compute_KerasCtcTestValue()
    {
        // losses_test.py CTCTest.test_correctness: logits (arange(24).reshape(2, 4, 3) - 12) / 100; the second label holds a
        // 0 inside it, which Keras reads as a label position (the label is the first 3 entries, [1, 2, 0]).
        Tensor logits = Tensor.FromArray([.. Enumerable.Range(0, 24).Select(i => (i - 12) / 100f)], 2, 4, 3);
        Tensor labels = Tensor.FromArray([1f, 2, 1, 0, 1, 2, 0, 2], 2, 4);
        Assert.Equal(2.448645, new Ctc().Compute(logits, labels), 1e-5);
    }

    [Fact]
    public void Kernel_TensorFlowTestValues_WithBlankLast()
    {
        // Keras 2's ctc_batch_cost took log(p + 1e-7) as logits with the blank last: 3.34211 and 5.42262.
        int[][] labels = [[0, 1, 2, 1, 0], [0, 1, 1, 0]];
        double[] expected = [3.34211, 5.42262];
        for (int s = 0; s < 2; s++)
        {
            float[] logits = [.. TensorFlowProbabilities.AsSpan(s * 30, 30).ToArray().Select(p => MathF.Log(p + 1e-7f))];
            double loss = CtcLattice.Loss(logits, 6, labels[s], blank: 5, new double[30], new double[5 * CtcLattice.States(labels[s].Length)]);
            Assert.Equal(expected[s], loss, 1e-4);
            Assert.Equal(CtcLattice.ReferenceLoss(logits, 6, labels[s], blank: 5), loss, 1e-9);
        }
    }

    [Property(Replay = Seed, MaxTest = 150)]
    public void Kernel_RandomShapes_EqualsTheSumOverEveryPath(long seed)
    {
        var random = new SeededRandom(seed);
        int classes = 2 + random.NextInt(3), steps = 1 + random.NextInt(5), blank = random.NextInt(classes);
        int[] labels = new int[random.NextInt(4)];
        for (int j = 0; j < labels.Length; j++)
        {
            labels[j] = (blank + 1 + random.NextInt(classes - 1)) % classes; // any class but the blank
        }

        float[] logits = [.. Enumerable.Range(0, steps * classes).Select(_ => 3 * (random.NextSingle() - 0.5f))];
        int states = CtcLattice.States(labels.Length);
        double expected = CtcLattice.ReferenceLoss(logits, classes, labels, blank);
        double loss = CtcLattice.Loss(logits, classes, labels, blank, new double[logits.Length], new double[steps * states]);
        float[] gradient = new float[logits.Length];
        double withGradient = CtcLattice.LossAndGradient(logits, classes, labels, blank, 1, new double[logits.Length], new double[steps * states], new double[steps * states], gradient);

        if (double.IsPositiveInfinity(expected))
        {
            Assert.True(double.IsPositiveInfinity(loss) && double.IsPositiveInfinity(withGradient), $"an impossible label gave {loss}");
            Assert.All(gradient, g => Assert.Equal(0f, g));
            Assert.True(CtcLattice.MinimumSteps(labels) > steps);
            return;
        }

        Assert.True(CtcLattice.MinimumSteps(labels) <= steps);
        Assert.Equal(expected, loss, 1e-9 * Math.Max(1, expected));
        Assert.Equal(loss, withGradient);

        // Each step's gradient is softmax minus the posterior of each class, so it sums to 0 over the classes.
        for (int t = 0; t < steps; t++)
        {
            Assert.Equal(0, gradient.AsSpan(t * classes, classes).ToArray().Sum(), 1e-5);
        }
    }

    public static TheoryData<string> GradientCases => ["mean", "sum", "repeats", "empty_label", "blank_in_label", "long"];

    [Theory]
    [MemberData(nameof(GradientCases))]
    public void Gradient_MatchesNumericalGradient(string name)
    {
        (Loss loss, Tensor logits, Tensor labels) = name switch
        {
            "mean" => ((Loss)new Ctc(), TestData.Normal(1, 1f, 3, 6, 4), Tensor.FromArray([1f, 2, 3, 3, 1, 0, 2, 0, 0], 3, 3)),
            "sum" => (new Ctc(LossReduction.Sum), TestData.Normal(2, 1f, 2, 5, 3), Tensor.FromArray([1f, 2, 2, 1, 0, 0], 2, 3)),
            "repeats" => (new Ctc(), TestData.Normal(3, 2f, 2, 6, 3), Tensor.FromArray([1f, 1, 1, 2, 2, 0], 2, 3)),
            "empty_label" => (new Ctc(), TestData.Normal(4, 1f, 2, 4, 3), Tensor.FromArray([0f, 0, 2, 1], 2, 2)),
            "blank_in_label" => (new Ctc(), TestData.Normal(5, 1f, 2, 4, 3), Tensor.FromArray([1f, 2, 1, 0, 1, 2, 0, 2], 2, 4)),
            _ => (new Ctc(), TestData.Normal(6, 1f, 1, 40, 5), Tensor.FromArray([1f, 4, 2, 2, 3, 1, 4, 4, 2, 3, 1, 1], 1, 12)),
        };
        GradientChecker.CheckLoss(loss, logits, labels, seed: 9, GradientCheckOptions.Default with { Step = 1e-3, AbsoluteTolerance = 2e-3 }).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void LongSequence_StaysFiniteWhereProbabilitiesUnderflow()
    {
        // 400 steps of 30 classes: the label's probability is far below float64's range, its log is not.
        Tensor logits = TestData.Normal(7, 3f, 1, 400, 30);
        Tensor labels = Tensor.FromArray([.. Enumerable.Range(0, 150).Select(i => (float)(1 + (i * 7 % 29)))], 1, 150);
        float loss = new Ctc().Compute(logits, labels);
        Assert.True(float.IsFinite(loss) && loss > 745, $"loss {loss}"); // exp(-745) is below double's smallest value
        var gradient = new Tensor(logits.Shape);
        new Ctc().Gradient(logits, labels, gradient);
        Assert.All(gradient.ToArray(), g => Assert.True(float.IsFinite(g)));
    }

    [Fact]
    public void Reductions_AreOverSamplesNotSteps()
    {
        Tensor logits = TestData.Normal(8, 1f, 3, 5, 4), labels = Tensor.FromArray([1f, 2, 3, 1, 0, 0, 2, 2, 0], 3, 3);
        float[] values = new float[3];
        new Ctc(LossReduction.None).ComputePerSample(logits, labels, values);
        for (int s = 0; s < 3; s++)
        {
            float[] row = logits.Slice(s, 1).ToArray();
            int[] label = [.. labels.Slice(s, 1).ToArray().Where(v => v != 0).Select(v => (int)v)];
            Assert.Equal(CtcLattice.ReferenceLoss(row, 4, label, 0), values[s], 1e-4);
        }

        Assert.Equal(values.Average(), new Ctc().Compute(logits, labels), 1e-5);
        Assert.Equal(values.Sum(), new Ctc(LossReduction.Sum).Compute(logits, labels), 1e-4);
        Assert.Throws<InvalidOperationException>(() => new Ctc(LossReduction.None).Compute(logits, labels));
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
        Tensor x = TestData.Normal(20, 1f, 4, 5, 3);
        Tensor y = Tensor.FromArray([1f, 2, 0, 3, 3, 1, 2, 0, 0, 1, 2, 3], 4, 3);
        Tensor? w = weighted ? Tensor.FromArray([0.5f, 2f, 0f, 1.5f], 4) : null;
        Sequential Model()
        {
            var model = new Sequential([new InputLayer(5, 3), new Dense(4)], seed: 3);
            model.Compile(new Sgd(1f), new Ctc(reduction));
            return model;
        }

        ReductionTests.AssertStepIsNumericalGradient(Model, x, y, w);
    }

    [Fact]
    public void Fit_LearnsToTranscribeAndGreedyDecodingReadsTheLabels()
    {
        // Each sample is 10 steps of 5 noisy features; a label class k (1..3) shows as a burst of 2-3 steps of feature k,
        // separated by steps of feature 0 (silence). The model must learn where the labels are without being told.
        const int samples = 96, steps = 10, features = 5, classes = 4;
        var random = new SeededRandom(31);
        float[] x = new float[samples * steps * features], y = new float[samples * 3];
        var truth = new List<int[]>();
        for (int s = 0; s < samples; s++)
        {
            int length = 1 + random.NextInt(3);
            int[] label = [.. Enumerable.Range(0, length).Select(_ => 1 + random.NextInt(classes - 1))];
            truth.Add(label);
            int t = random.NextInt(2);
            for (int j = 0; j < steps; j++)
            {
                for (int f = 0; f < features; f++)
                {
                    x[(((s * steps) + j) * features) + f] = 0.3f * random.NextNormal();
                }
            }

            foreach ((int symbol, int j) in label.Select((v, j) => (v, j)))
            {
                y[(s * 3) + j] = symbol;
                int burst = 2 + random.NextInt(2);
                for (int k = 0; k < burst && t < steps; k++, t++)
                {
                    x[(((s * steps) + t) * features) + symbol] += 1.5f;
                }

                t++; // a silent step between labels, so repeats stay apart
            }
        }

        Tensor inputs = Tensor.FromArray(x, samples, steps, features), targets = Tensor.FromArray(y, samples, 3);
        var model = new Sequential([new InputLayer(steps, features), new Dense(16, ActivationFunction.Tanh), new Dense(classes)], seed: 4);
        model.Compile(new Adam(0.02f), new Ctc());
        History history = model.Fit(inputs, targets, batchSize: 16, epochs: 40, verbose: 0);
        IReadOnlyList<double> losses = history["loss"];
        Assert.True(losses[^1] < 0.25 * losses[0], $"loss {losses[0]} -> {losses[^1]}");

        CtcDecodeResult decoded = CtcDecoding.Greedy(model.Predict(inputs));
        int correct = Enumerable.Range(0, samples).Count(s => decoded.Sequence(s).SequenceEqual(truth[s]));
        Assert.True(correct >= 0.9 * samples, $"{correct} of {samples} transcribed");
    }

    [Fact]
    public void Fit_SameSeed_SameBits()
    {
        Tensor x = TestData.Normal(40, 1f, 32, 6, 3), y = Tensor.FromArray([.. Enumerable.Range(0, 32).SelectMany(s => new[] { 1f + (s % 2), s % 3 == 0 ? 0f : 2f })], 32, 2);
        float[] Train()
        {
            var model = new Sequential([new InputLayer(6, 3), new Dense(3)], seed: 2);
            model.Compile(new Adam(), new Ctc());
            model.Fit(x, y, batchSize: 8, epochs: 2, verbose: 0);
            return model.Predict(x).ToArray();
        }

        Assert.Equal(Train(), Train());
    }

    [Fact]
    public void GradientAndPerSample_AfterWarmUp_AllocateNothing()
    {
        Tensor logits = TestData.Normal(9, 1f, 4, 12, 6), labels = Tensor.FromArray([.. Enumerable.Range(0, 20).Select(i => (float)(i % 5 == 4 ? 0 : 1 + (i % 5)))], 4, 5);
        var gradient = new Tensor(logits.Shape);
        float[] values = new float[4];
        var loss = new Ctc();
        loss.Gradient(logits, labels, gradient);
        loss.ComputePerSample(logits, labels, values);
        AllocationCheck.AssertNone(() =>
        {
            loss.Gradient(logits, labels, gradient);
            loss.ComputePerSample(logits, labels, values);
            loss.Compute(logits, labels);
        });
    }

    [Fact]
    public void Fit_RefusesTargetsKerasWouldMisread_NamingTheSample()
    {
        var model = new Sequential([new InputLayer(4, 3), new Dense(3)]);
        model.Compile(new Sgd(), new Ctc());
        Tensor x = TestData.Normal(10, 1f, 2, 4, 3);

        string Refusal(float[] labels) =>
            Assert.Throws<ArgumentException>(() => model.Fit(x, Tensor.FromArray(labels, 2, 3), epochs: 1, verbose: 0)).Message;

        Assert.Contains("sample 1 has label 2 at position 2 after a padding 0", Refusal([1, 2, 0, 1, 0, 2]));
        Assert.Contains("sample 0 holds 3 at position 1", Refusal([1, 3, 0, 1, 0, 0]));
        Assert.Contains("sample 1 holds 1.5", Refusal([1, 2, 0, 1.5f, 0, 0]));
        Assert.Contains("sample 0's label of 3 classes needs at least 5 steps", Refusal([1, 1, 1, 2, 0, 0]));

        // The output must be (None, steps, classes) of at least two classes, the targets (None, max_label_length).
        var flat = new Sequential([new InputLayer(3), new Dense(3)]);
        flat.Compile(new Sgd(), new Ctc());
        Assert.Contains("expected output (None, steps, classes)",
            Assert.Throws<ArgumentException>(() => flat.Fit(Tensor.Zeros(2, 3), Tensor.Zeros(2, 3), epochs: 1, verbose: 0)).Message);
        Assert.Contains("targets (3, 3) do not fit",
            Assert.Throws<ArgumentException>(() => new Ctc().Compute(Tensor.Zeros(2, 4, 3), Tensor.Zeros(3, 3))).Message);
    }

    [Fact]
    public void MaskedOutput_IsRefusedByName()
    {
        var model = new Sequential([new InputLayer(4, 3), new Masking(), new Dense(3)]);
        model.Compile(new Sgd(), new Ctc());
        var refusal = Assert.Throws<NotSupportedException>(() =>
            model.Fit(TestData.Normal(11, 1f, 2, 4, 3), Tensor.FromArray([1f, 2, 1, 0], 2, 2), epochs: 1, verbose: 0));
        Assert.Contains("ctc", refusal.Message);
        Assert.Contains("takes no mask", refusal.Message);
    }

    [Fact]
    public void Config_RoundTripsUnderKerasNames()
    {
        var loss = Assert.IsType<Ctc>(LabelSmoothingTests.RoundTrip(new Ctc(LossReduction.Sum)));
        Assert.Equal(LossReduction.Sum, loss.Reduction);
        Assert.Equal("CTC", SerializationRegistry.Serialize(new Ctc())["class_name"]!.GetValue<string>());
        var model = new Sequential([new InputLayer(4, 3), new Dense(3)]);
        model.Compile("sgd", "ctc");
        Assert.IsType<Ctc>(model.Loss);
    }
}
