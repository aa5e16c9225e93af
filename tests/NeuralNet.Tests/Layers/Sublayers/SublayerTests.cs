using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Tests.GradientChecking;
using NeuralNet.Tests.Serialization;
using Xunit;

namespace NeuralNet.Tests.Layers.Sublayers;

// Keras' guide "Making new layers and models via subclassing": a layer that owns layers (MLPBlock holds three Linear) has
// their weights as its own. Keras prints for mlp = MLPBlock(); mlp(ops.ones((3, 64))): "weights: 6", "trainable weights: 6".
public sealed class SublayerTests
{
    private static Tensor Data(long seed, int rows = 16) => TestData.Normal(seed, 1f, rows, 64);

    private static float[] Values(Tensor t) => t.AsReadOnlySpan().ToArray();

    [Fact]
    public void MlpBlock_OwnsItsSublayersWeights_AsKerasCounts()
    {
        var block = new MlpBlock();
        block.Build(new TensorShape(64));

        // 64·32 + 32 + 32·32 + 32 + 32·1 + 1 = 2080 + 1056 + 33.
        Assert.Equal(6, block.Parameters.Count);
        Assert.Equal(6, block.Parameters.Count(p => p.Trainable));
        Assert.Equal(3169, block.ParameterCount);
        Assert.Equal(["dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias", "dense_2/kernel", "dense_2/bias"], block.Parameters.Select(p => p.Name));
        Assert.Equal(new TensorShape(1), block.Forward(Tensor.Ones(3, 64), training: false).Shape.DropFirst());
        Assert.Same(block.Sublayers[1].Parameters[0], block.Parameters[2]);
    }

    [Fact]
    public void MlpBlock_InAModel_TrainsItsSublayers()
    {
        var model = new Sequential([new InputLayer(64), new MlpBlock()], seed: 3);
        model.Compile(new Adam(1e-2), new MeanSquaredError());
        Tensor x = Data(1, 256), y = TestData.Normal(2, 1f, 256, 1);

        double before = model.Evaluate(x, y, verbose: 0)["loss"];
        model.Fit(x, y, epochs: 5, batchSize: 32, verbose: 0);
        double after = model.Evaluate(x, y, verbose: 0)["loss"];

        Assert.Equal(3169, model.ParameterCount);
        Assert.Equal(6, model.Parameters.Count);
        Assert.True(after < 0.8 * before, $"loss {before} -> {after}");
    }

    [Fact]
    public void MlpBlock_Gradients_MatchNumericalOnes()
    {
        var block = new MlpBlock();
        GradientChecker.CheckLayer(block, Data(4, 5), seed: 7, new GradientCheckOptions { AllowKinks = true }).AssertPassed();
    }

    [Fact]
    public void SharedMlpBlock_GradientsOfBothCalls_MatchNumericalOnes()
    {
        var a = new Input(new TensorShape(64));
        var b = new Input(new TensorShape(64));
        var block = new MlpBlock();
        var model = new Functional([a, b], new Add().Call(block.Call(a), block.Call(b)), seed: 5);

        ModelGradientChecker.Check(model, [Data(8, 4), Data(9, 4)], seed: 10, new GradientCheckOptions { AllowKinks = true }).AssertPassed();
    }

    [Fact]
    public void SharedMlpBlock_SecondCallRunsCopiesOfTheSublayers_WithTheSameWeights()
    {
        var a = new Input(new TensorShape(64));
        var b = new Input(new TensorShape(64));
        var block = new MlpBlock();
        var model = new Functional([a, b], new Add().Call(block.Call(a), block.Call(b)), seed: 5);
        Tensor xa = Data(11, 3), xb = Data(12, 3);

        float[] both = Values(model.Predict(new[] { xa, xb }));
        float[] first = Values(block.Forward(xa, training: false).Clone());
        float[] second = Values(block.Forward(xb, training: false));

        Assert.Equal(6, model.Parameters.Count);
        for (int i = 0; i < both.Length; i++)
        {
            Assert.Equal(first[i] + second[i], both[i], 5);
        }
    }

    [Fact]
    public void ConcurrentPredictions_OfABlockWithSublayers_EqualSingleThreadedOnes()
    {
        // Two blocks (constructor-made and OnBuild-made sublayers) side by side; a prediction beside another runs on copies.
        var input = new Input(new TensorShape(64));
        var shared = new Functional(input, new Add().Call(new MlpBlock().Call(input), new Dense(1).Call(new BuiltMlpBlock().Call(input))), seed: 6);
        Tensor[] inputs = [.. Enumerable.Range(0, 8).Select(i => Data(20 + i, 5 + i))];
        float[][] expected = [.. inputs.Select(x => Values(shared.Predict(x)))];
        var results = new float[inputs.Length][];

        Parallel.For(0, inputs.Length * 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            int k = i % inputs.Length;
            float[] values = Values(shared.Predict(inputs[k]));
            lock (results)
            {
                Assert.True(results[k] is null || results[k].SequenceEqual(values));
                results[k] = values;
            }
        });

        Assert.Equal(expected, results);
    }

    [Fact]
    public void FrozenBlock_FreezesItsSublayers_AndFitLeavesThemAlone()
    {
        var block = new MlpBlock();
        var model = new Sequential([new InputLayer(64), block, new Dense(1)], seed: 3);
        model.Compile(new Sgd(0.1), new MeanSquaredError());
        block.Trainable = false;
        float[][] before = [.. block.Parameters.Select(p => Values(p.Value))];

        model.Fit(Data(1, 32), TestData.Normal(2, 1f, 32, 1), epochs: 1, batchSize: 8, verbose: 0);

        Assert.All(block.Sublayers, s => Assert.False(s.Trainable));
        Assert.Equal(0, block.TrainableParameterCount);
        Assert.Equal(before, block.Parameters.Select(p => Values(p.Value)));
        Assert.Equal(2, model.TrainableParameterCount);   // the Dense(1) after the block: 1 · 1 + 1
    }

    [Fact]
    public void SublayerRegularizer_CountsInTheModelsLoss()
    {
        Tensor x = Data(1, 32), y = TestData.Normal(2, 1f, 32, 1);
        double Loss(double? l2)
        {
            var model = new Sequential([new InputLayer(64), new MlpBlock(l2)], seed: 3);
            model.Compile(new Sgd(0.1), new MeanSquaredError());
            return model.Evaluate(x, y, verbose: 0)["loss"];
        }

        var built = new Sequential([new InputLayer(64), new MlpBlock(0.5)], seed: 3);
        Parameter kernel = built.Parameters.Single(p => p.Name == "dense_1/kernel");
        double penalty = 0.5 * kernel.Value.AsReadOnlySpan().ToArray().Sum(v => (double)v * v);

        Assert.NotNull(kernel.Regularizer);
        Assert.Equal(Loss(null) + penalty, Loss(0.5), 3);
    }

    [Fact]
    public void SaveAndLoad_Safetensors_KeepsTheSublayersWeights()
    {
        var model = new Sequential([new InputLayer(64), new MlpBlock(name: "mlp_block")], seed: 3);
        model.Compile(new Adam(1e-2), new MeanSquaredError());
        model.Fit(Data(1, 64), TestData.Normal(2, 1f, 64, 1), epochs: 1, batchSize: 16, verbose: 0);
        Tensor x = Data(3, 4);
        using var dir = new TempDirectory();
        string path = Path.Combine(dir.Path, "mlp.safetensors");

        model.Save(path);
        Model loaded = Model.Load(path);

        Assert.Equal(Values(model.Predict(x)), Values(loaded.Predict(x)));
        Assert.Equal(6, loaded.Parameters.Count);
        Assert.Equal(["dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias", "dense_2/kernel", "dense_2/bias"], loaded.Layers[^1].Parameters.Select(p => p.Name));
    }

    [Fact]
    public void DropoutSublayer_DrawsFromTheBlocksSeed_SameSeedSameBits()
    {
        float[] Run(long seed)
        {
            var model = new Sequential([new InputLayer(64), new BuiltMlpBlock()], seed: seed);
            model.Compile(new Sgd(0.1), new MeanSquaredError());
            model.Fit(Data(1, 32), TestData.Normal(2, 1f, 32, 2), epochs: 2, batchSize: 8, shuffle: false, verbose: 0);
            return Values(model.Predict(Data(3, 4)));
        }

        Assert.Equal(Run(4), Run(4));
        Assert.NotEqual(Run(4), Run(5));
    }

    [Fact]
    public void UnregisteredInnerLayer_ThrowsAtTheFirstForwardPass_NamingBothLayers_BeforeAnyWeightChanges()
    {
        foreach (bool buildInOnBuild in new[] { true, false })
        {
            var block = new UnregisteredBlock(buildInOnBuild, name: "block");
            var model = new Sequential([new InputLayer(4), new Dense(4, name: "first"), block], seed: 3);
            model.Compile(new Sgd(0.1), new MeanSquaredError());
            float[][] before = [.. model.Parameters.Select(p => Values(p.Value))];

            var e = Assert.Throws<InvalidOperationException>(() => model.Fit(TestData.Normal(1, 1f, 8, 4), TestData.Normal(2, 1f, 8, 1), epochs: 1, verbose: 0));

            Assert.Contains("Dense 'inner_dense' runs inside the forward pass of UnregisteredBlock 'block'", e.Message, StringComparison.Ordinal);
            Assert.Contains("BuildSublayer", e.Message, StringComparison.Ordinal);
            Assert.Equal(before, model.Parameters.Select(p => Values(p.Value)));
            Assert.Throws<InvalidOperationException>(() => block.Forward(TestData.Normal(1, 1f, 2, 4), training: false));
        }
    }

    [Fact]
    public void BlockThatDropsBuildSublayersResult_ThrowsInItsCopy_NamingTheOtherInstance()
    {
        var a = new Input(new TensorShape(4));
        var b = new Input(new TensorShape(4));
        var block = new ForgetfulBlock(name: "forgetful");
        var model = new Functional([a, b], new Add().Call(block.Call(a), block.Call(b)), seed: 5);

        var e = Assert.Throws<InvalidOperationException>(() => model.Predict(new[] { TestData.Normal(1, 1f, 2, 4), TestData.Normal(2, 1f, 2, 4) }));

        Assert.Contains("another instance", e.Message, StringComparison.Ordinal);
        Assert.Contains("_layer = BuildSublayer(_layer, inputShape)", e.Message, StringComparison.Ordinal);
    }
}
