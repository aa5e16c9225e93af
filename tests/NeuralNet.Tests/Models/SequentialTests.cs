using NeuralNet.Activations;
using NeuralNet.Datasets;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Regularizers;
using NeuralNet.Training;
using Xunit;

namespace NeuralNet.Tests.Models;

public class SequentialTests
{
    [Fact]
    public void Add_LayersWithoutNames_NamedKerasStylePerModel()
    {
        var model = new Sequential([new InputLayer(4), new Dense(3), new Dropout(0.1), new Dense(3), new Dropout(0.1), new Dense(2)]);
        Assert.Equal(["input_layer", "dense", "dropout", "dense_1", "dropout_1", "dense_2"], model.Layers.Select(l => l.Name));
        var other = new Sequential([new InputLayer(4), new Dense(3)]);
        Assert.Equal("dense", other.Layers[1].Name);
    }

    [Fact]
    public void Add_DuplicateName_Throws()
    {
        var model = new Sequential([new InputLayer(4), new Dense(3, name: "hidden")]);
        var ex = Assert.Throws<ArgumentException>(() => model.Add(new Dense(2, name: "hidden")));
        Assert.Contains("'hidden'", ex.Message, StringComparison.Ordinal);
        Assert.Equal(2, model.Layers.Count);
    }

    [Fact]
    public void Add_UserNameMatchingAutoName_AutoNameSkipsIt()
    {
        var model = new Sequential([new InputLayer(4), new Dense(3, name: "dense"), new Dense(2)]);
        Assert.Equal("dense_1", model.Layers[2].Name);
    }

    [Fact]
    public void Add_InputLayerNotFirst_Throws()
    {
        var model = new Sequential([new Dense(3)]);
        Assert.Throws<ArgumentException>(() => model.Add(new InputLayer(4)));
    }

    [Fact]
    public void Add_SameInstanceTwice_Throws()
    {
        var dense = new Dense(3);
        var model = new Sequential([new InputLayer(3), dense]);
        Assert.Throws<ArgumentException>(() => model.Add(dense));
    }

    [Fact]
    public void Build_WithInputLayer_BuildsAndSkipsInputGradientUpToFirstParametrisedLayer()
    {
        var model = new Sequential([new InputLayer(6), new Flatten(), new Dense(4), new Dense(2)], seed: 7);
        Assert.True(model.IsBuilt);
        Assert.Equal([false, false, false, true], model.Layers.Select(l => l.ComputesInputGradient));
        Assert.Equal(new TensorShape(2), model.OutputShape);
        Assert.Equal(SeededRandom.Derive(7, 2), model.Layers[2].Seed);
        Assert.Equal(4, model.Parameters.Count);
    }

    [Fact]
    public void Fit_Xor_LearnsToFullAccuracy()
    {
        (Tensor x, Tensor y) = ModelTestData.Xor();
        var model = new Sequential([new InputLayer(2), new Dense(16, ActivationFunction.Tanh), new Dense(2, ActivationFunction.Softmax)], seed: 3);
        model.Compile(new Adam(0.05f), new CategoricalCrossEntropy(), new Accuracy());
        History history = model.Fit(x, y, epochs: 300, batchSize: 4, verbose: 0, seed: 1);
        Assert.Equal(1.0, history["accuracy"][^1]);
        Assert.Equal(1.0, model.Evaluate(x, y, verbose: 0)["accuracy"]);
        Assert.True(history["loss"][^1] < 0.05, $"final loss {history["loss"][^1]}");
    }

    [Fact]
    public void Fit_TwoSpirals_LearnsToFullAccuracy()
    {
        (Tensor x, Tensor y) = ModelTestData.TwoSpirals(100);
        var model = new Sequential([
            new InputLayer(2),
            new Dense(64, ActivationFunction.Relu),
            new Dense(64, ActivationFunction.Relu),
            new Dense(2, ActivationFunction.Softmax),
        ], seed: 11);
        model.Compile(new Adam(0.01f), new CategoricalCrossEntropy(), new Accuracy());
        model.Fit(x, y, epochs: 300, batchSize: 20, verbose: 0, seed: 5);
        Assert.Equal(1.0, model.Evaluate(x, y, verbose: 0)["accuracy"]);
    }

    [Fact]
    public void Fit_SameSeedTwice_BitIdenticalWeights()
    {
        (Tensor x, Tensor y) = ModelTestData.RandomClassification(200, 8, 3, seed: 21);
        IReadOnlyList<Tensor> Train(long seed)
        {
            Sequential model = ModelTestData.SmallClassifier(8, 3, seed: seed, dropout: true);
            model.Fit(x, y, epochs: 3, batchSize: 16, validationSplit: 0.2, verbose: 0, seed: seed);
            return model.GetWeights();
        }

        IReadOnlyList<Tensor> first = Train(42);
        IReadOnlyList<Tensor> second = Train(42);
        IReadOnlyList<Tensor> other = Train(43);
        Assert.True(ModelTestData.BitIdentical(first, second));
        Assert.False(ModelTestData.BitIdentical(first, other));
    }

    [Fact]
    public void Fit_OneVersusTwoThreads_BitIdenticalWeights()
    {
        // Batch 128 through 784 -> 512 is above the GEMM's parallel threshold and the 784 x 512 kernel above the
        // optimizer's, so two threads split the products (by columns forward, by rows for the weight gradient) and the
        // Adam update; the 10-unit layer takes the narrow paths.
        (Tensor x, Tensor y) = ModelTestData.RandomClassification(256, 784, 10, seed: 5);
        IReadOnlyList<Tensor> Train(int threads)
        {
            int previous = Parallelism.MaxDegreeOfParallelism;
            Parallelism.MaxDegreeOfParallelism = threads;
            try
            {
                var model = new Sequential([new InputLayer(784), new Dense(512, ActivationFunction.Relu), new Dropout(0.2), new Dense(10, ActivationFunction.Softmax)], seed: 9);
                model.Compile(new Adam(), new CategoricalCrossEntropy(), new Accuracy());
                model.Fit(x, y, epochs: 2, batchSize: 128, verbose: 0, seed: 9);
                return model.GetWeights();
            }
            finally
            {
                Parallelism.MaxDegreeOfParallelism = previous;
            }
        }

        Assert.True(ModelTestData.BitIdentical(Train(1), Train(2)));
    }

    // The optimizer step defers clearing gradients; reading them between steps (which clears them then) must read
    // zeros and must not change what training computes.
    [Fact]
    public void Fit_GradientsReadBetweenSteps_ReadZeroAndTrainingIsUnchanged()
    {
        (Tensor x, Tensor y) = ModelTestData.RandomClassification(200, 8, 3, seed: 21);
        IReadOnlyList<Tensor> Train(bool readGradients)
        {
            Sequential model = ModelTestData.SmallClassifier(8, 3, seed: 4, dropout: true);
            var nonZero = new List<string>();
            var reader = new LambdaCallback(onBatchEnd: (batch, _) =>
            {
                foreach (Parameter parameter in model.Parameters)
                {
                    if (parameter.Gradient.ToArray().Any(g => g != 0f))
                    {
                        nonZero.Add($"{parameter} after batch {batch}");
                    }
                }
            });
            model.Fit(x, y, epochs: 2, batchSize: 16, verbose: 0, seed: 4, callbacks: readGradients ? [reader] : []);
            Assert.Empty(nonZero);
            return model.GetWeights();
        }

        Assert.True(ModelTestData.BitIdentical(Train(readGradients: false), Train(readGradients: true)));
    }

    [Fact]
    public void Fit_ValidationSplit_HoldsOutTheLastFractionBeforeShuffling()
    {
        (Tensor x, Tensor y) = ModelTestData.RandomClassification(100, 5, 3, seed: 8);
        Sequential model = ModelTestData.SmallClassifier(5, 3, seed: 1);
        int batches = 0;
        var counter = new LambdaCallback(onBatchEnd: (_, _) => batches++);
        History history = model.Fit(x, y, epochs: 1, batchSize: 10, validationSplit: 0.3, callbacks: [counter], verbose: 0, seed: 2);

        // 70 training samples at batch 10 -> 7 steps; validation is exactly samples 70..99 with the final weights.
        Assert.Equal(7, batches);
        IReadOnlyDictionary<string, double> heldOut = model.Evaluate(x.Slice(70, 30), y.Slice(70, 30), batchSize: 10, verbose: 0);
        Assert.Equal(heldOut["loss"], history["val_loss"][0]);
        Assert.Equal(heldOut["accuracy"], history["val_accuracy"][0]);
        IReadOnlyDictionary<string, double> firstPart = model.Evaluate(x.Slice(0, 30), y.Slice(0, 30), batchSize: 10, verbose: 0);
        Assert.NotEqual(firstPart["loss"], history["val_loss"][0]);
    }

    [Fact]
    public void Fit_ValidationSplitThatDoesNotDivideTheSamples_TrainsOnTheFloorAsKeras3()
    {
        (Tensor x, Tensor y) = ModelTestData.RandomClassification(10, 5, 3, seed: 4);
        Sequential model = ModelTestData.SmallClassifier(5, 3, seed: 1);
        int batches = 0;
        History history = model.Fit(x, y, epochs: 1, batchSize: 1, validationSplit: 0.25, callbacks: [new LambdaCallback(onBatchEnd: (_, _) => batches++)], verbose: 0, seed: 2);

        // floor(10 * 0.75) = 7 training samples; samples 7..9 are the validation data.
        Assert.Equal(7, batches);
        Assert.Equal(model.Evaluate(x.Slice(7, 3), y.Slice(7, 3), batchSize: 1, verbose: 0)["loss"], history["val_loss"][0]);
    }

    [Fact]
    public void Fit_ValidationSplitQuarterOf60000_Runs1407StepsPerEpoch()
    {
        var x = new Tensor(60_000, 1);
        var y = new Tensor(60_000, 2);
        for (int i = 0; i < 60_000; i++)
        {
            x[i, 0] = i % 2;
            y[i, i % 2] = 1f;
        }

        var model = new Sequential([new InputLayer(1), new Dense(2, ActivationFunction.Softmax)]);
        model.Compile(new Sgd(), new CategoricalCrossEntropy());
        int batches = 0;
        using var output = new StringWriter();
        model.Fit(x, y, epochs: 1, batchSize: 32, validationSplit: 0.25, callbacks: [new LambdaCallback(onBatchEnd: (_, _) => batches++)], verbose: 1, output: output);
        Assert.Equal(1407, batches);
        Assert.StartsWith("Epoch 1/1\n1407/1407 ━━━━━━━━━━━━━━━━━━━━ ", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Fit_History_HasKerasKeysPerEpoch()
    {
        (Tensor x, Tensor y) = ModelTestData.RandomClassification(60, 4, 2, seed: 3);
        Sequential model = ModelTestData.SmallClassifier(4, 2);
        History history = model.Fit(x, y, epochs: 3, batchSize: 8, validationData: (x, y), verbose: 0);
        Assert.Equal(["accuracy", "loss", "val_accuracy", "val_loss"], history.Keys);
        Assert.Equal([0, 1, 2], history.Epochs);
        Assert.All(history.Keys, k => Assert.Equal(3, history[k].Count));
        Assert.Throws<KeyNotFoundException>(() => history["mae"]);
    }

    [Fact]
    public void Fit_ZeroEpochs_ReturnsEmptyHistoryAndKeepsWeights()
    {
        (Tensor x, Tensor y) = ModelTestData.RandomClassification(20, 4, 2, seed: 3);
        Sequential model = ModelTestData.SmallClassifier(4, 2);
        IReadOnlyList<Tensor> before = model.GetWeights();
        History history = model.Fit(x, y, epochs: 0, verbose: 0);
        Assert.Equal(0, history.EpochCount);
        Assert.True(ModelTestData.BitIdentical(before, model.GetWeights()));
    }

    [Fact]
    public void Fit_ReportedLoss_IsSampleWeightedMeanOverTheEpochPlusPenalty()
    {
        // A learning rate far below float resolution leaves the weights unchanged, so the epoch's mean training loss
        // must equal the evaluated loss; 50 samples at batch 16 end with a partial batch of 2.
        (Tensor x, Tensor y) = ModelTestData.RandomClassification(50, 6, 3, seed: 4);
        var model = new Sequential([
            new InputLayer(6),
            new Dense(8, ActivationFunction.Relu, kernelRegularizer: new L2(0.01)),
            new Dense(3, ActivationFunction.Softmax),
        ], seed: 2);
        model.Compile(new Sgd(1e-30f), new CategoricalCrossEntropy(), new Accuracy());
        History history = model.Fit(x, y, epochs: 1, batchSize: 16, verbose: 0);
        IReadOnlyDictionary<string, double> evaluated = model.Evaluate(x, y, batchSize: 50, verbose: 0);
        Assert.Equal(evaluated["loss"], history["loss"][0], 1e-5);
        Assert.Equal(evaluated["accuracy"], history["accuracy"][0]);

        Tensor kernel = model.Parameters[0].Value;
        double penalty = 0.01 * kernel.ToArray().Sum(w => (double)w * w);
        var unregularized = new Sequential([new InputLayer(6), new Dense(8, ActivationFunction.Relu), new Dense(3, ActivationFunction.Softmax)], seed: 2);
        unregularized.Compile(new Sgd(1e-30f), new CategoricalCrossEntropy());
        Assert.Equal(penalty, evaluated["loss"] - unregularized.Evaluate(x, y, verbose: 0)["loss"], 1e-5);
        Assert.True(penalty > 1e-3);
    }

    [Fact]
    public void Fit_Cancelled_ThrowsAndKeepsWeightsOfLastCompletedStep()
    {
        (Tensor x, Tensor y) = ModelTestData.RandomClassification(100, 4, 2, seed: 6);
        Sequential model = ModelTestData.SmallClassifier(4, 2);
        using var cts = new CancellationTokenSource();
        IReadOnlyList<Tensor>? atCancel = null;
        var cancel = new LambdaCallback(onBatchEnd: (batch, _) =>
        {
            if (batch == 2)
            {
                atCancel = model.GetWeights();
                cts.Cancel();
            }
        });
        Assert.Throws<OperationCanceledException>(() => model.Fit(x, y, epochs: 2, batchSize: 10, callbacks: [cancel], verbose: 0, cancellationToken: cts.Token));
        Assert.NotNull(atCancel);
        Assert.True(ModelTestData.BitIdentical(atCancel, model.GetWeights()));
    }

    // Counts its updates and cancels a token at a chosen one: a way into the middle of a validation pass.
    private sealed class CancellingMetric(CancellationTokenSource cts, int cancelAtUpdate) : Metric
    {
        private int _updates;

        public override string Name => "cancelling";

        public override void Reset()
        {
        }

        public override void Update(Tensor predictions, Tensor targets)
        {
            if (++_updates == cancelAtUpdate)
            {
                cts.Cancel();
            }
        }

        public override double Result() => 0;
    }

    [Fact]
    public void Fit_CancelledDuringValidation_StopsBeforeTheNextValidationBatch()
    {
        (Tensor x, Tensor y) = ModelTestData.RandomClassification(100, 4, 2, seed: 6);
        (Tensor vx, Tensor vy) = ModelTestData.RandomClassification(100, 4, 2, seed: 7);
        Sequential model = ModelTestData.SmallClassifier(4, 2);
        using var cts = new CancellationTokenSource();

        // 10 training batches, then the first validation batch is update 11.
        var metric = new CancellingMetric(cts, cancelAtUpdate: 11);
        model.Compile(new Sgd(0.1f), new CategoricalCrossEntropy(), [metric]);
        int epochsEnded = 0;
        var count = new LambdaCallback(onEpochEnd: (_, _) => epochsEnded++);

        Assert.Throws<OperationCanceledException>(() => model.Fit(x, y, epochs: 2, batchSize: 10, validationData: (vx, vy), callbacks: [count], verbose: 0, cancellationToken: cts.Token));
        Assert.Equal(0, epochsEnded);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.Throws<OperationCanceledException>(() => model.Evaluate(vx, vy, verbose: 0, cancellationToken: cancelled.Token));
    }

    [Fact]
    public void Fit_SoftmaxWithCrossEntropy_FusedPathMatchesLogitsLoss()
    {
        // Softmax + categorical cross-entropy takes the fused (p - t) / batch path; a linear last layer with
        // fromLogits: true goes through the loss gradient instead. Same seed, same data: same training.
        (Tensor x, Tensor y) = ModelTestData.RandomClassification(64, 5, 4, seed: 13);
        IReadOnlyList<Tensor> Train(bool fused)
        {
            var model = new Sequential([
                new InputLayer(5),
                new Dense(8, ActivationFunction.Tanh),
                new Dense(4, fused ? ActivationFunction.Softmax : null),
            ], seed: 4);
            model.Compile(new Sgd(0.5f), new CategoricalCrossEntropy(fromLogits: !fused));
            model.Fit(x, y, epochs: 3, batchSize: 16, verbose: 0, seed: 4);
            return model.GetWeights();
        }

        IReadOnlyList<Tensor> fusedWeights = Train(fused: true);
        IReadOnlyList<Tensor> logitWeights = Train(fused: false);
        for (int t = 0; t < fusedWeights.Count; t++)
        {
            for (int i = 0; i < fusedWeights[t].Length; i++)
            {
                Assert.Equal(logitWeights[t].AsReadOnlySpan()[i], fusedWeights[t].AsReadOnlySpan()[i], 1e-4f);
            }
        }
    }

    [Fact]
    public void TrainStep_AfterWarmUp_AllocatesNothing()
    {
        // 320 samples at batch 64: full batches only. (A partial last batch currently costs a few small view objects
        // per epoch in Layer.BatchView, which slices its buffer for the smaller batch.)
        (Tensor x, Tensor y) = ModelTestData.RandomClassification(320, 20, 5, seed: 7);
        var model = new Sequential([
            new InputLayer(20),
            new Dense(32, ActivationFunction.Relu, kernelRegularizer: new L2(1e-4)),
            new Dropout(0.2),
            new Dense(5, ActivationFunction.Softmax),
        ]);
        model.Compile(new Adam(), new CategoricalCrossEntropy(), new Accuracy());
        model.Fit(x, y, epochs: 1, batchSize: 64, verbose: 0);
        var loader = new BatchLoader(x, y, 64, shuffle: true, seed: 1);
        for (int b = 0; b < loader.BatchCount; b++)
        {
            (Tensor inputs, Tensor targets) = loader.GetBatch(b);
            model.TrainStep(inputs, targets);
        }

        AllocationCheck.AssertNone(() =>
        {
            for (int epoch = 0; epoch < 2; epoch++)
            {
                loader.Reshuffle();
                for (int b = 0; b < loader.BatchCount; b++)
                {
                    (Tensor inputs, Tensor targets) = loader.GetBatch(b);
                    model.TrainStep(inputs, targets);
                }
            }

        });
    }

    [Fact]
    public void Predict_BatchSizes_SameOutputsAsOneBatch()
    {
        (Tensor x, _) = ModelTestData.RandomClassification(50, 6, 3, seed: 9);
        Sequential model = ModelTestData.SmallClassifier(6, 3, dropout: true);
        Tensor all = model.Predict(x, batchSize: 50);
        Tensor batched = model.Predict(x, batchSize: 7);
        Assert.Equal(new TensorShape(50, 3), all.Shape);
        for (int i = 0; i < all.Length; i++)
        {
            Assert.Equal(all.AsReadOnlySpan()[i], batched.AsReadOnlySpan()[i], 1e-6f);
        }

        Assert.False(all.SharesStorageWith(batched));
    }

    [Fact]
    public void Predict_ConcurrentCallers_GetTheSameOutputs()
    {
        (Tensor x, _) = ModelTestData.RandomClassification(64, 6, 3, seed: 10);
        Sequential model = ModelTestData.SmallClassifier(6, 3);
        float[] expected = model.Predict(x).ToArray();
        float[][] results = new float[8][];
        Parallel.For(0, results.Length, i => results[i] = model.Predict(x, batchSize: 5 + i).ToArray());
        foreach (float[] result in results)
        {
            for (int i = 0; i < expected.Length; i++)
            {
                Assert.Equal(expected[i], result[i], 1e-6f);
            }
        }
    }

    [Fact]
    public void Predict_UnbuiltModel_BuildsFromInput()
    {
        var model = new Sequential([new Dense(3), new Dense(2, ActivationFunction.Softmax)]);
        Tensor output = model.Predict(Tensor.Ones(4, 5));
        Assert.Equal(new TensorShape(4, 2), output.Shape);
        Assert.Equal(new TensorShape(5), model.InputShape);
        Assert.Equal(5 * 3 + 3 + 3 * 2 + 2, model.ParameterCount);
    }

    [Fact]
    public void SetWeights_WrongShape_ThrowsNamingTheParameter()
    {
        var model = new Sequential([new InputLayer(3), new Dense(2)]);
        var ex = Assert.Throws<ArgumentException>(() => model.SetWeights([new Tensor(2, 3), new Tensor(2)]));
        Assert.Contains("dense/kernel", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Fit_SparseLabels_AccuracyUsesLabels()
    {
        (Tensor x, Tensor oneHot) = ModelTestData.RandomClassification(40, 3, 4, seed: 12);
        var labels = new Tensor(40);
        for (int i = 0; i < 40; i++)
        {
            labels[i] = Array.IndexOf(oneHot.Slice(i, 1).ToArray(), 1f);
        }

        var model = new Sequential([new InputLayer(3), new Dense(4, ActivationFunction.Softmax)], seed: 1);
        model.Compile(new Adam(), new SparseCategoricalCrossEntropy(), new Accuracy());
        History history = model.Fit(x, labels, epochs: 2, batchSize: 8, verbose: 0);
        Assert.Equal(2, history["accuracy"].Count);
        Tensor predictions = model.Predict(x);
        double expected = ConfusionMatrix.FromPredictions(predictions, labels).Accuracy;
        Assert.Equal(expected, model.Evaluate(x, labels, verbose: 0)["accuracy"]);
    }
}
