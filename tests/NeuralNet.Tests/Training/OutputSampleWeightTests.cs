using NeuralNet.Activations;
using NeuralNet.Datasets;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Tests.GradientChecking;
using NeuralNet.Training;
using Xunit;

namespace NeuralNet.Tests.Training;

// Sample weights by output (Keras 3's sample_weight as a dict keyed by output name or a list in output order): each
// output's loss weighted by its own tensor (compile_utils.CompileLoss resolves the weights along each loss's path), an
// output without an entry unweighted, the total Σ loss_weight · loss.
public class OutputSampleWeightTests
{
    private const int Samples = 12, Features = 5, Classes = 3;

    [Fact]
    public void Evaluate_WeightsByOutputName_GiveKerasFormulaPerOutput()
    {
        (Tensor x, Tensor ya, Tensor yb) = Data(Samples, seed: 1);
        (Tensor wa, Tensor wb) = (Weights(Samples, seed: 2), Weights(Samples, seed: 3));
        Functional model = Model();
        IReadOnlyList<Tensor> p = model.PredictOutputs(x);

        // Keras: a_loss = Σ wa · mse / n (sum_over_batch_size), b_loss = Σ wb · cce / n, loss = 0.5 · a_loss + 2 · b_loss.
        double aLoss = 0, bLoss = 0;
        for (int s = 0; s < Samples; s++)
        {
            double se = 0, ce = 0, total = 0;
            for (int j = 0; j < 2; j++)
            {
                se += Math.Pow(p[0][s, j] - ya[s, j], 2);
            }

            for (int c = 0; c < Classes; c++)
            {
                total += p[1][s, c];
            }

            for (int c = 0; c < Classes; c++)
            {
                ce -= yb[s, c] * Math.Log(Math.Clamp(p[1][s, c] / total, 1e-7, 1 - 1e-7));
            }

            aLoss += wa[s] * se / 2;
            bLoss += wb[s] * ce;
        }

        aLoss /= Samples;
        bLoss /= Samples;
        IReadOnlyDictionary<string, double> logs = model.Evaluate(x, new[] { ya, yb }, batchSize: Samples, verbose: 0,
            sampleWeight: new Dictionary<string, Tensor> { ["a"] = wa, ["b"] = wb });

        Assert.Equal(aLoss, logs["a_loss"], 5);
        Assert.Equal(bLoss, logs["b_loss"], 5);
        Assert.Equal((0.5 * aLoss) + (2 * bLoss), logs["loss"], 5);

        // A list in output order is the same weights.
        IReadOnlyDictionary<string, double> byList = model.Evaluate(x, new[] { ya, yb }, batchSize: Samples, verbose: 0, sampleWeight: new[] { wa, wb });
        Assert.Equal(logs["loss"], byList["loss"]);
        Assert.Equal(logs["a_loss"], byList["a_loss"]);
    }

    [Fact]
    public void Evaluate_OutputWithoutEntry_IsUnweighted()
    {
        (Tensor x, Tensor ya, Tensor yb) = Data(Samples, seed: 4);
        Tensor wb = Weights(Samples, seed: 5);
        Functional model = Model();

        IReadOnlyDictionary<string, double> plain = model.Evaluate(x, new[] { ya, yb }, batchSize: 5, verbose: 0);
        IReadOnlyDictionary<string, double> onlyB = model.Evaluate(x, new[] { ya, yb }, batchSize: 5, verbose: 0, sampleWeight: new Dictionary<string, Tensor> { ["b"] = wb });
        IReadOnlyDictionary<string, double> both = model.Evaluate(x, new[] { ya, yb }, batchSize: 5, verbose: 0, sampleWeight: wb);

        // The output 'a' the dictionary leaves out gets exactly the unweighted loss; 'b' the weighted one, as when one
        // tensor weighs every output.
        Assert.Equal(plain["a_loss"], onlyB["a_loss"]);
        Assert.Equal(both["b_loss"], onlyB["b_loss"]);
        Assert.NotEqual(plain["b_loss"], onlyB["b_loss"], 4);
        Assert.NotEqual(both["a_loss"], onlyB["a_loss"], 4);
    }

    [Fact]
    public void WeightedMetrics_TakeTheirOutputsWeights()
    {
        (Tensor x, Tensor ya, Tensor yb) = Data(Samples, seed: 6);
        (Tensor wa, Tensor wb) = (Weights(Samples, seed: 7), Weights(Samples, seed: 8));
        Functional model = Model(weightedMetrics: [[new MeanSquaredErrorMetric()], [new Accuracy()]]);
        IReadOnlyList<Tensor> p = model.PredictOutputs(x);
        double correct = 0, mse = 0;
        for (int s = 0; s < Samples; s++)
        {
            int best = 0;
            for (int c = 1; c < Classes; c++)
            {
                best = p[1][s, c] > p[1][s, best] ? c : best;
            }

            correct += yb[s, best] == 1 ? wb[s] : 0;
            mse += wa[s] * (Math.Pow(p[0][s, 0] - ya[s, 0], 2) + Math.Pow(p[0][s, 1] - ya[s, 1], 2)) / 2;
        }

        IReadOnlyDictionary<string, double> logs = model.Evaluate(x, new[] { ya, yb }, batchSize: 4, verbose: 0, sampleWeight: new[] { wa, wb });

        // Keras' CompileMetrics gives each output's weighted metrics that output's weights: Σ w · value / Σ w.
        Assert.Equal(correct / wb.AsReadOnlySpan().ToArray().Sum(), logs["b_accuracy"], 5);
        Assert.Equal(mse / wa.AsReadOnlySpan().ToArray().Sum(), logs["a_mean_squared_error"], 5);
    }

    [Fact]
    public void TrainOnBatchAndTestOnBatch_WeightsByOutput_EqualFitAndEvaluate()
    {
        (Tensor x, Tensor ya, Tensor yb) = Data(Samples, seed: 9);
        (Tensor wa, Tensor wb) = (Weights(Samples, seed: 10), Weights(Samples, seed: 11));
        var weights = new Dictionary<string, Tensor> { ["a"] = wa, ["b"] = wb };
        Functional stepped = Model(), fitted = Model();

        double tested = stepped.TestOnBatch(x, new[] { ya, yb }, weights)["loss"];
        Assert.Equal(stepped.Evaluate(x, new[] { ya, yb }, batchSize: Samples, verbose: 0, sampleWeight: weights)["loss"], tested, 6);

        stepped.TrainOnBatch(x, new[] { ya, yb }, weights);
        fitted.Fit(x, new[] { ya, yb }, epochs: 1, batchSize: Samples, shuffle: false, verbose: 0, sampleWeight: weights);
        for (int i = 0; i < fitted.Parameters.Count; i++)
        {
            Assert.Equal(fitted.Parameters[i].Value.ToArray(), stepped.Parameters[i].Value.ToArray());
        }
    }

    [Fact]
    public void ComputeGradients_WeightsByOutput_MatchFiniteDifferences()
    {
        (Tensor x, Tensor ya, Tensor yb) = Data(6, seed: 12);
        var weights = new Dictionary<string, Tensor> { ["a"] = Weights(6, seed: 13), ["b"] = Weights(6, seed: 14) };
        Functional model = Model();
        foreach (Parameter parameter in model.Parameters)
        {
            parameter.ZeroGradient();
        }

        model.ComputeGradients(x, new[] { ya, yb }, weights);
        var analytic = model.Parameters.Select(parameter => parameter.Gradient.ToArray()).ToList();
        for (int i = 0; i < analytic.Count; i++)
        {
            Span<float> value = model.Parameters[i].Value.AsSpan();
            for (int j = 0; j < value.Length; j += 2)
            {
                const float h = 1e-2f;
                float kept = value[j];
                value[j] = kept + h;
                double plus = model.ComputeGradients(x, new[] { ya, yb }, weights);
                value[j] = kept - h;
                double minus = model.ComputeGradients(x, new[] { ya, yb }, weights);
                value[j] = kept;
                Assert.Equal((plus - minus) / (2 * h), analytic[i][j], 3e-3);
            }
        }

        Assert.NotEqual(0f, analytic.Sum(g => g.Sum(Math.Abs)));
    }

    [Fact]
    public void Evaluate_DataSourceWeightsByOutput_EqualTheTensors()
    {
        (Tensor x, Tensor ya, Tensor yb) = Data(Samples, seed: 15);
        (Tensor wa, Tensor wb) = (Weights(Samples, seed: 16), Weights(Samples, seed: 17));
        Functional model = Model();
        DataBatch[] batches = [.. Enumerable.Range(0, 3).Select(b => new DataBatch(x.Slice(b * 4, 4), new[] { ya.Slice(b * 4, 4), yb.Slice(b * 4, 4) },
            new Dictionary<string, Tensor> { ["b"] = wb.Slice(b * 4, 4), ["a"] = wa.Slice(b * 4, 4) }))];

        IReadOnlyDictionary<string, double> fromTensors = model.Evaluate(x, new[] { ya, yb }, batchSize: 4, verbose: 0, sampleWeight: new[] { wa, wb });
        IReadOnlyDictionary<string, double> fromSource = model.Evaluate(batches, verbose: 0);
        Assert.Equal(fromTensors["loss"], fromSource["loss"]);
        Assert.Equal(fromTensors["b_loss"], fromSource["b_loss"]);
    }

    [Fact]
    public void Fit_UnknownOutputName_IsRefusedBeforeAnythingChanges()
    {
        (Tensor x, Tensor ya, Tensor yb) = Data(Samples, seed: 18);
        Functional model = Model();
        float[][] before = [.. model.Parameters.Select(p => p.Value.ToArray())];

        var error = Assert.Throws<ArgumentException>(() => model.Fit(x, new[] { ya, yb }, verbose: 0,
            sampleWeight: new Dictionary<string, Tensor> { ["a"] = Weights(Samples, 19), ["c"] = Weights(Samples, 20) }));

        Assert.Equal("sampleWeight", error.ParamName);
        Assert.Contains("'c'", error.Message, StringComparison.Ordinal);
        Assert.Contains("'a', 'b'", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, model.Optimizer!.Iterations);
        Assert.Equal(before, model.Parameters.Select(p => p.Value.ToArray()));
    }

    [Fact]
    public void Fit_WeightsOfTheWrongShapeForTheirOutput_AreRefusedNamingTheOutputAndBothShapes()
    {
        (Tensor x, Tensor ya, Tensor yb) = Data(Samples, seed: 21);
        Functional model = Model();

        // Output 'b' (12, 3) has one loss value per sample: (12, 4) weights fit nothing of it.
        var error = Assert.Throws<ArgumentException>(() => model.Fit(x, new[] { ya, yb }, verbose: 0,
            sampleWeight: new Dictionary<string, Tensor> { ["a"] = Weights(Samples, 22), ["b"] = new Tensor(Samples, 4) }));
        Assert.Contains("sampleWeight['b'] has shape (12, 4)", error.Message, StringComparison.Ordinal);
        Assert.Contains("output 'b'", error.Message, StringComparison.Ordinal);
        Assert.Contains("(12, 3)", error.Message, StringComparison.Ordinal);

        // A list of another length than the outputs.
        var count = Assert.Throws<ArgumentException>(() => model.TrainOnBatch(x, new[] { ya, yb }, new[] { Weights(Samples, 23), Weights(Samples, 24), Weights(Samples, 25) }));
        Assert.Contains("3 tensors", count.Message, StringComparison.Ordinal);
        Assert.Equal(0, model.Optimizer!.Iterations);
    }

    // x -> Dense(4, tanh) -> a: Dense(2) (mse) and b: Dense(3, softmax) (categorical cross-entropy), loss weights 0.5 and 2.
    internal static Functional Model(IReadOnlyList<IReadOnlyList<Metric>>? weightedMetrics = null)
    {
        var input = new Input(Features, "x");
        SymbolicTensor hidden = new Dense(4, ActivationFunction.Tanh, name: "hidden").Call(input);
        SymbolicTensor a = new Dense(2, name: "a").Call(hidden);
        SymbolicTensor b = new Dense(Classes, ActivationFunction.Softmax, name: "b").Call(hidden);
        var model = new Functional([input], [a, b], seed: 7);
        model.Compile(new Sgd(0.1f), [new MeanSquaredError(), new CategoricalCrossEntropy()], lossWeights: [0.5f, 2f], weightedMetrics: weightedMetrics);
        return model;
    }

    internal static (Tensor X, Tensor Ya, Tensor Yb) Data(int samples, int seed)
    {
        Tensor x = TestData.Normal(seed, 1f, samples, Features);
        Tensor ya = TestData.Normal(seed + 100, 1f, samples, 2);
        Tensor yb = TestData.OneHot(TestData.Labels(seed + 200, samples, Classes), Classes);
        return (x, ya, yb);
    }

    internal static Tensor Weights(int samples, int seed)
    {
        var random = new Random(seed);
        return Tensor.FromArray([.. Enumerable.Range(0, samples).Select(_ => (float)(random.NextDouble() * 2))], samples);
    }
}
