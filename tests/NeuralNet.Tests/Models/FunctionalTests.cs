using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Regularizers;
using NeuralNet.Tests.GradientChecking;
using NeuralNet.Training;
using Xunit;

namespace NeuralNet.Tests.Models;

public class FunctionalTests
{
    /// <summary>x (6) -> h1 = tanh dense(8) -> h2 = tanh dense(8) -> add(h1, h2) -> softmax dense(3): h1 fans out.</summary>
    internal static Functional ResidualMlp(long seed = 3, Regularizer? regularizer = null)
    {
        var x = new Input(new TensorShape(6), "x");
        SymbolicTensor h1 = new Dense(8, ActivationFunction.Tanh, kernelRegularizer: regularizer, name: "h1").Call(x);
        SymbolicTensor h2 = new Dense(8, ActivationFunction.Tanh, name: "h2").Call(h1);
        SymbolicTensor sum = new Add(name: "sum").Call(h1, h2);
        SymbolicTensor y = new Dense(3, ActivationFunction.Softmax, name: "out").Call(sum);
        return new Functional(x, y, name: "residual", seed: seed);
    }

    /// <summary>
    /// a, b (5) -> one tanh dense(4) called on both -> concatenate -> softmax dense(2) "pair"; and dense(1) "first" on the
    /// first call's output alone: a shared layer, two inputs, two outputs.
    /// </summary>
    internal static Functional Siamese(long seed = 4, Regularizer? sharedRegularizer = null)
    {
        var a = new Input(new TensorShape(5), "a");
        var b = new Input(new TensorShape(5), "b");
        var shared = new Dense(4, ActivationFunction.Tanh, kernelRegularizer: sharedRegularizer, name: "shared");
        SymbolicTensor ea = shared.Call(a);
        SymbolicTensor eb = shared.Call(b);
        SymbolicTensor pair = new Dense(2, ActivationFunction.Softmax, name: "pair").Call(new Concatenate(name: "joined").Call(ea, eb));
        SymbolicTensor first = new Dense(1, name: "first").Call(ea);
        return new Functional([a, b], [pair, first], name: "siamese", seed: seed);
    }

    internal static (Tensor A, Tensor B, Tensor Pair, Tensor First) SiameseData(int samples, long seed)
    {
        Tensor a = Tensor.RandomNormal(new TensorShape(samples, 5), seed);
        Tensor b = Tensor.RandomNormal(new TensorShape(samples, 5), seed + 1);
        var pair = new Tensor(samples, 2);
        var first = new Tensor(samples, 1);
        for (int i = 0; i < samples; i++)
        {
            pair[i, a[i, 0] > b[i, 0] ? 0 : 1] = 1f;
            first[i, 0] = a[i, 1] - a[i, 2];
        }

        return (a, b, pair, first);
    }

    private static int[] Bits(Tensor t) => Array.ConvertAll(t.ToArray(), BitConverter.SingleToInt32Bits);

    [Fact]
    public void Create_Graph_NamesLayersInKerasOrderAndKeepsGivenNames()
    {
        var x = new Input(new TensorShape(3));
        SymbolicTensor h = new Dense(4).Call(x);
        SymbolicTensor y = new Dense(2, name: "head").Call(new Dense(4).Call(h));
        var model = new Functional(x, y);

        Assert.Equal(["input_layer", "dense", "dense_1", "head"], model.Layers.Select(l => l.Name));
        Assert.Equal(["input_layer"], model.InputNames);
        Assert.Equal(["head"], model.OutputNames);
        Assert.Equal(new TensorShape(2), model.OutputShape);
        Assert.Equal(new TensorShape(4), h.Shape);
    }

    [Fact]
    public void Create_OneInputSeveralOutputs_OrTheReverse_AsKerasModel()
    {
        // Keras' Model(x, [y1, y2]) and Model([a, b], y).
        var x = new Input(new TensorShape(3), "x");
        var hidden = new Dense(4, name: "hidden").Call(x);
        var heads = new Functional(x, [new Dense(2, name: "a").Call(hidden), new Dense(1, name: "b").Call(hidden)]);
        Assert.Equal(["a", "b"], heads.OutputNames);
        Assert.Single(heads.Inputs);

        var left = new Input(new TensorShape(2), "left");
        var right = new Input(new TensorShape(2), "right");
        var joined = new Functional([left, right], new Add().Call(left, right));
        Assert.Equal(2, joined.Inputs.Count);
        Assert.Single(joined.OutputNames);
    }

    [Fact]
    public void Predict_ResidualModel_EqualsTheFormulaComputedByHand()
    {
        Functional model = ResidualMlp();
        Tensor x = Tensor.RandomNormal(new TensorShape(5, 6), 9);
        Tensor y = model.Predict(x);

        Dense h1 = (Dense)model.Layers.Single(l => l.Name == "h1"), h2 = (Dense)model.Layers.Single(l => l.Name == "h2"), output = (Dense)model.Layers.Single(l => l.Name == "out");
        for (int n = 0; n < 5; n++)
        {
            double[] a = Affine(Row(x, n), h1).Select(Math.Tanh).ToArray();
            double[] b = Affine(a, h2).Select(Math.Tanh).ToArray();
            double[] z = Affine([.. a.Zip(b, (p, q) => p + q)], output);
            double max = z.Max(), sum = z.Sum(v => Math.Exp(v - max));
            for (int c = 0; c < 3; c++)
            {
                Assert.Equal(Math.Exp(z[c] - max) / sum, y[n, c], 5);
            }
        }
    }

    [Fact]
    public void Backward_ResidualFanOut_MatchesNumericalGradients()
    {
        Functional model = ResidualMlp(regularizer: new L2(0.01));
        ModelGradientChecker.Check(model, [Tensor.RandomNormal(new TensorShape(4, 6), 5)], seed: 6).AssertPassed();
    }

    [Fact]
    public void Backward_SharedLayerTwoInputsTwoOutputs_MatchesNumericalGradients()
    {
        Functional model = Siamese(sharedRegularizer: new L1L2(0.01, 0.02));
        var (a, b, _, _) = SiameseData(4, 7);
        ModelGradientChecker.Check(model, [a, b], seed: 8).AssertPassed();
    }

    [Fact]
    public void Backward_SharedLayer_SumsTheGradientsOfItsTwoCalls()
    {
        // The shared kernel's gradient equals the sum of the gradients of two separate layers holding the same weights.
        Functional model = Siamese();
        var (a, b, _, _) = SiameseData(3, 11);
        Dense shared = (Dense)model.Layers.Single(l => l.Name == "shared");
        Assert.Equal(6, model.Parameters.Count);
        Assert.Equal(24 + 18 + 5, (int)model.ParameterCount);

        IReadOnlyList<Tensor> outputs = model.Forward([a, b], training: false);
        Tensor gPair = Tensor.RandomNormal(outputs[0].Shape, 12), gFirst = Tensor.RandomNormal(outputs[1].Shape, 13);
        foreach (Parameter p in model.Parameters)
        {
            p.ZeroGradient();
        }

        model.Backward([gPair, gFirst]);
        float[] combined = shared.Kernel.Gradient.ToArray();

        // By hand: d pair / d ea and d pair / d eb through the concatenation, d first / d ea, then each through tanh.
        Dense pair = (Dense)model.Layers.Single(l => l.Name == "pair"), first = (Dense)model.Layers.Single(l => l.Name == "first");
        var expected = new double[5 * 4];
        for (int n = 0; n < 3; n++)
        {
            double[] ea = Affine(Row(a, n), shared).Select(Math.Tanh).ToArray();
            double[] eb = Affine(Row(b, n), shared).Select(Math.Tanh).ToArray();
            double[] p = Softmax(Affine([.. ea, .. eb], pair));
            double[] gz = new double[2];
            double dot = gPair[n, 0] * p[0] + gPair[n, 1] * p[1];
            for (int c = 0; c < 2; c++)
            {
                gz[c] = p[c] * (gPair[n, c] - dot);
            }

            for (int u = 0; u < 4; u++)
            {
                double dea = (gz[0] * pair.Kernel.Value[u, 0]) + (gz[1] * pair.Kernel.Value[u, 1]) + (gFirst[n, 0] * first.Kernel.Value[u, 0]);
                double deb = (gz[0] * pair.Kernel.Value[4 + u, 0]) + (gz[1] * pair.Kernel.Value[4 + u, 1]);
                double dza = dea * (1 - (ea[u] * ea[u])), dzb = deb * (1 - (eb[u] * eb[u]));
                for (int i = 0; i < 5; i++)
                {
                    expected[(i * 4) + u] += (a[n, i] * dza) + (b[n, i] * dzb);
                }
            }
        }

        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], combined[i], 4);
        }
    }

    [Fact]
    public void Fit_TwoOutputs_LogsUnderKerasNames()
    {
        Functional model = Siamese();
        model.Compile(new Adam(0.01f), [new CategoricalCrossEntropy(), new MeanSquaredError()], metrics: [[new Accuracy()], []]);
        var (a, b, pair, first) = SiameseData(40, 1);

        History history = model.Fit([a, b], [pair, first], epochs: 2, batchSize: 8, validationSplit: 0.25, verbose: 0);

        Assert.Equal(["first_loss", "loss", "pair_accuracy", "pair_loss", "val_first_loss", "val_loss", "val_pair_accuracy", "val_pair_loss"], history.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(2, history.EpochCount);
    }

    [Fact]
    public void Fit_OneBatchWithLossWeights_LogsTheWeightedSumOfTheOutputLosses()
    {
        Functional model = Siamese();
        model.Compile(new Sgd(0.01f), [new CategoricalCrossEntropy(), new MeanSquaredError()], lossWeights: [0.25f, 2f]);
        var (a, b, pair, first) = SiameseData(16, 2);

        IReadOnlyDictionary<string, double> logs = model.Evaluate([a, b], [pair, first], batchSize: 16, verbose: 0);

        Assert.Equal((0.25 * logs["pair_loss"]) + (2 * logs["first_loss"]), logs["loss"], 5);
    }

    [Fact]
    public void Fit_DictionariesAndLists_TrainTheSameWeightsBitForBit()
    {
        var (a, b, pair, first) = SiameseData(24, 3);
        Functional byList = Siamese(seed: 9), byName = Siamese(seed: 9);
        byList.Compile(new Adam(0.01f), [new CategoricalCrossEntropy(), new MeanSquaredError()]);
        byName.Compile(new Adam(0.01f), new Dictionary<string, Loss> { ["pair"] = new CategoricalCrossEntropy(), ["first"] = new MeanSquaredError() });

        byList.Fit([a, b], [pair, first], epochs: 2, batchSize: 8, verbose: 0, seed: 5);
        byName.Fit(new Dictionary<string, Tensor> { ["b"] = b, ["a"] = a }, new Dictionary<string, Tensor> { ["first"] = first, ["pair"] = pair }, epochs: 2, batchSize: 8, verbose: 0, seed: 5);

        for (int i = 0; i < byList.Parameters.Count; i++)
        {
            Assert.Equal(Bits(byList.Parameters[i].Value), Bits(byName.Parameters[i].Value));
        }
    }

    [Fact]
    public void Fit_ValidationSplit_HoldsOutTheSameSamplesOfEveryInputAndTarget()
    {
        var (a, b, pair, first) = SiameseData(20, 4);
        Functional split = Siamese(seed: 2), explicitData = Siamese(seed: 2);
        split.Compile(new Sgd(0.05f), [new CategoricalCrossEntropy(), new MeanSquaredError()]);
        explicitData.Compile(new Sgd(0.05f), [new CategoricalCrossEntropy(), new MeanSquaredError()]);

        History h1 = split.Fit([a, b], [pair, first], epochs: 2, batchSize: 5, validationSplit: 0.25, verbose: 0, seed: 1);
        History h2 = explicitData.Fit([a.Slice(0, 15), b.Slice(0, 15)], [pair.Slice(0, 15), first.Slice(0, 15)], epochs: 2, batchSize: 5, verbose: 0, seed: 1,
            validationData: ([a.Slice(15, 5), b.Slice(15, 5)], [pair.Slice(15, 5), first.Slice(15, 5)]));

        Assert.Equal(h2["val_loss"], h1["val_loss"]);
        Assert.Equal(h2["loss"], h1["loss"]);
    }

    [Fact]
    public void ComputeGradientsThenOptimizerStep_EqualsOneFitStepBitForBit()
    {
        var (a, b, pair, first) = SiameseData(8, 5);
        Functional custom = Siamese(seed: 6, sharedRegularizer: new L2(0.01)), fitted = Siamese(seed: 6, sharedRegularizer: new L2(0.01));
        custom.Compile(new Adam(0.01f), [new CategoricalCrossEntropy(), new MeanSquaredError()]);
        fitted.Compile(new Adam(0.01f), [new CategoricalCrossEntropy(), new MeanSquaredError()]);

        float loss = custom.ComputeGradients([a, b], [pair, first]);
        custom.Optimizer!.Step(custom.Parameters);
        History history = fitted.Fit([a, b], [pair, first], epochs: 1, batchSize: 8, shuffle: false, verbose: 0);

        Assert.Equal(history["loss"][0], loss, 6);
        for (int i = 0; i < custom.Parameters.Count; i++)
        {
            Assert.Equal(Bits(fitted.Parameters[i].Value), Bits(custom.Parameters[i].Value));
        }
    }

    [Fact]
    public void Fit_SameSeed_SameBitsWhateverTheThreadCount()
    {
        var (a, b, pair, first) = SiameseData(64, 6);
        int saved = Parallelism.MaxDegreeOfParallelism;
        try
        {
            var weights = new List<int[][]>();
            foreach (int threads in new[] { 1, 2 })
            {
                Parallelism.MaxDegreeOfParallelism = threads;
                Functional model = Siamese(seed: 10);
                model.Compile(new Adam(0.01f), [new CategoricalCrossEntropy(), new MeanSquaredError()]);
                model.Fit([a, b], [pair, first], epochs: 2, batchSize: 16, verbose: 0);
                weights.Add([.. model.Parameters.Select(p => Bits(p.Value))]);
            }

            Assert.Equal(weights[0], weights[1]);
        }
        finally
        {
            Parallelism.MaxDegreeOfParallelism = saved;
        }
    }

    [Fact]
    public void ComputeGradients_CustomLayerWithRegularizedWeight_GetsThePenaltyWithoutCodeOfItsOwn()
    {
        Functional Make(double? l2)
        {
            var x = new Input(new TensorShape(3), "x");
            SymbolicTensor y = new Dense(2, name: "out").Call(new Scale(l2, name: "scale").Call(x));
            var model = new Functional(x, y, seed: 1);
            model.Compile(new Sgd(), new MeanSquaredError());
            return model;
        }

        Tensor input = Tensor.RandomNormal(new TensorShape(4, 3), 1), target = Tensor.RandomNormal(new TensorShape(4, 2), 2);
        Functional plain = Make(null), penalized = Make(0.5);
        float plainLoss = plain.ComputeGradients(input, target);
        float penalizedLoss = penalized.ComputeGradients(input, target);

        Scale plainScale = (Scale)plain.Layers.Single(l => l.Name == "scale"), penalizedScale = (Scale)penalized.Layers.Single(l => l.Name == "scale");
        float[] w = penalizedScale.Factor.Value.ToArray();
        Assert.Equal(plainLoss + (0.5 * w.Sum(v => (double)v * v)), penalizedLoss, 5);
        float[] expected = [.. plainScale.Factor.Gradient.ToArray().Select((g, i) => g + (2 * 0.5f * w[i]))];
        Assert.Equal(expected, penalizedScale.Factor.Gradient.ToArray(), new Layers.Tolerance(1e-5f));
    }

    [Fact]
    public void ComputeGradients_SharedRegularizedLayer_CountsItsPenaltyOnce()
    {
        var (a, b, pair, first) = SiameseData(4, 8);
        Functional plain = Siamese(seed: 12), penalized = Siamese(seed: 12, sharedRegularizer: new L2(0.1));
        plain.Compile(new Sgd(), [new CategoricalCrossEntropy(), new MeanSquaredError()]);
        penalized.Compile(new Sgd(), [new CategoricalCrossEntropy(), new MeanSquaredError()]);
        float plainLoss = plain.ComputeGradients([a, b], [pair, first]);
        float penalizedLoss = penalized.ComputeGradients([a, b], [pair, first]);

        Dense shared = (Dense)penalized.Layers.Single(l => l.Name == "shared");
        double penalty = 0.1 * shared.Kernel.Value.ToArray().Sum(v => (double)v * v);
        Assert.Equal(plainLoss + penalty, penalizedLoss, 4);
        Dense plainShared = (Dense)plain.Layers.Single(l => l.Name == "shared");
        float[] w = shared.Kernel.Value.ToArray();
        float[] expected = [.. plainShared.Kernel.Gradient.ToArray().Select((g, i) => g + (2 * 0.1f * w[i]))];
        Assert.Equal(expected, shared.Kernel.Gradient.ToArray(), new Layers.Tolerance(1e-5f));
    }

    [Fact]
    public void Summary_Graph_PrintsConnectedToAsKeras()
    {
        string summary = Siamese().Summary();
        string expected = string.Join('\n',
            "Model: \"siamese\"",
            "┏━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┓",
            "┃ Layer (type)        ┃ Output Shape      ┃    Param # ┃ Connected to      ┃",
            "┡━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━┩",
            "│ a (InputLayer)      │ (None, 5)         │          0 │ -                 │",
            "├─────────────────────┼───────────────────┼────────────┼───────────────────┤",
            "│ b (InputLayer)      │ (None, 5)         │          0 │ -                 │",
            "├─────────────────────┼───────────────────┼────────────┼───────────────────┤",
            "│ shared (Dense)      │ (None, 4)         │         24 │ a[0][0], b[0][0]  │",
            "├─────────────────────┼───────────────────┼────────────┼───────────────────┤",
            "│ joined              │ (None, 8)         │          0 │ shared[0][0],     │",
            "│ (Concatenate)       │                   │            │ shared[1][0]      │",
            "├─────────────────────┼───────────────────┼────────────┼───────────────────┤",
            "│ pair (Dense)        │ (None, 2)         │         18 │ joined[0][0]      │",
            "├─────────────────────┼───────────────────┼────────────┼───────────────────┤",
            "│ first (Dense)       │ (None, 1)         │          5 │ shared[0][0]      │",
            "└─────────────────────┴───────────────────┴────────────┴───────────────────┘",
            " Total params: 47 (188.00 B)",
            " Trainable params: 47 (188.00 B)",
            " Non-trainable params: 0 (0.00 B)",
            string.Empty);
        Assert.Equal(expected, summary);
    }

    [Fact]
    public void Summary_ChainWrittenAsFunctional_PrintsLikeKerasSequentialLikeModels()
    {
        var x = new Input(new TensorShape(3), "x");
        var model = new Functional(x, new Dense(2, name: "d").Call(x), name: "chain");
        string summary = model.Summary();
        Assert.DoesNotContain("Connected to", summary, StringComparison.Ordinal);
        Assert.Contains("│ x (InputLayer)                  │ (None, 3)              │             0 │", summary, StringComparison.Ordinal);
    }

    [Fact]
    public void Sequential_IsAChainModel_WithInputsOutputsAndTheSameExecutor()
    {
        var model = new Sequential([new InputLayer(4), new Dense(3, name: "d1"), new Dense(2, name: "d2")]);
        Assert.Single(model.Inputs);
        Assert.Equal(["d2"], model.OutputNames);
        Assert.Same(model.Layers[0], model.Inputs[0].Layer);
        Assert.IsAssignableFrom<Model>(model);
    }

    [Fact]
    public void Forward_SharedDropoutTraining_DropsDifferentElementsInEachCall()
    {
        var x = new Input(new TensorShape(64), "x");
        var dropout = new Dropout(0.5, name: "drop");
        var model = new Functional(x, new Subtract().Call(dropout.Call(x), dropout.Call(x)), seed: 3);
        Tensor ones = Tensor.Ones(2, 64);
        Tensor difference = model.Forward([ones], training: true)[0];
        Assert.Contains(difference.ToArray(), v => v != 0f);
        Assert.All(model.Forward([ones], training: false)[0].ToArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Forward_SharedWrapperAroundDropoutTraining_DropsDifferentElementsInEachCall()
    {
        // The wrapper's calls run inner copies of their own; each must draw its call's stream, as a plain shared Dropout does.
        var x = new Input(new TensorShape(4, 16), "x");
        var wrapped = new TimeDistributed(new Dropout(0.5, name: "drop"), name: "each");
        var model = new Functional(x, new Subtract().Call(wrapped.Call(x), wrapped.Call(x)), seed: 3);
        Tensor ones = Tensor.Ones(2, 4, 16);
        Assert.Contains(model.Forward([ones], training: true)[0].ToArray(), v => v != 0f);
        Assert.All(model.Forward([ones], training: false)[0].ToArray(), v => Assert.Equal(0f, v));
    }

    private static double[] Row(Tensor t, int n) => [.. Enumerable.Range(0, t.Shape[1]).Select(i => (double)t[n, i])];

    private static double[] Affine(double[] x, Dense layer)
    {
        int units = layer.Units;
        var z = new double[units];
        for (int u = 0; u < units; u++)
        {
            z[u] = layer.Bias?.Value[u] ?? 0;
            for (int i = 0; i < x.Length; i++)
            {
                z[u] += x[i] * layer.Kernel.Value[i, u];
            }
        }

        return z;
    }

    private static double[] Softmax(double[] z)
    {
        double max = z.Max(), sum = z.Sum(v => Math.Exp(v - max));
        return [.. z.Select(v => Math.Exp(v - max) / sum)];
    }
}
