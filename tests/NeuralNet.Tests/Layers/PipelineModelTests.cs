using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Serialization;
using NeuralNet.Tests.GradientChecking;
using NeuralNet.Training;
using Xunit;

namespace NeuralNet.Tests.Layers;

// A Pipeline inside Sequential and Functional models: it runs in the model's mode (Keras resolves the training argument
// from the outer call), its inner weights train, save and load as the pipeline's, its random layers' streams resume.
public class PipelineModelTests
{
    private static int[] Bits(Tensor t) => Array.ConvertAll(t.ToArray(), BitConverter.SingleToInt32Bits);

    private static Sequential AugmentedModel(long seed) => new(
        [
            new InputLayer(6, 6, 3),
            new Pipeline([new RandomFlip(seed: 21), new RandomContrast(0.3, seed: 22), new RandomTranslation(0.2, 0.2)], name: "augment"),
            new Pipeline([new Conv2D(2, 3, activation: ActivationFunction.Relu), new Flatten(), new Dense(4, ActivationFunction.Tanh)]),
            new Dense(2),
        ],
        seed: seed);

    [Fact]
    public void Predict_InASequential_RunsTheAugmentationAsTheIdentityAndTheDenseLayersByTheirFormula()
    {
        var model = new Sequential(
            [new InputLayer(3), new Pipeline([new GaussianNoise(0.5, seed: 1), new Dense(2)]), new Dense(1, useBias: false)], seed: 4);
        Tensor x = TestData.Normal(1, 1f, 4, 3);

        float[] y = model.Predict(x).ToArray();

        // At inference the noise adds nothing: y = (x W1 + b1) W2 (Keras' Dense formula in double).
        var pipeline = (Pipeline)model.Layers[1];
        float[] w1 = pipeline.Parameters[0].Value.ToArray(), b1 = pipeline.Parameters[1].Value.ToArray(), w2 = model.Layers[2].Parameters[0].Value.ToArray();
        float[] xs = x.ToArray();
        for (int n = 0; n < 4; n++)
        {
            double expected = 0;
            for (int j = 0; j < 2; j++)
            {
                double h = b1[j];
                for (int i = 0; i < 3; i++)
                {
                    h += xs[(n * 3) + i] * (double)w1[(i * 2) + j];
                }

                expected += h * w2[j];
            }

            Assert.True(Math.Abs(y[n] - expected) < 1e-5, $"sample {n}: {y[n]} vs {expected}");
        }
    }

    [Fact]
    public void Fit_InASequential_TrainsTheInnerWeightsAndTheAugmentationActs()
    {
        Sequential model = AugmentedModel(3);
        model.Compile(new Adam(0.01f), new MeanSquaredError());
        Tensor x = TestData.Normal(1, 1f, 16, 6, 6, 3), y = TestData.Normal(2, 1f, 16, 2);
        Layer inner = model.GetLayer("pipeline");
        float[] before = inner.Parameters[0].Value.ToArray();

        History history = model.Fit(x, y, epochs: 3, batchSize: 4, verbose: 0);

        Assert.NotEqual(before, inner.Parameters[0].Value.ToArray());
        Assert.True(history["loss"][^1] < history["loss"][0], $"loss {history["loss"][0]} -> {history["loss"][^1]}");

        // In training mode the augmentation pipeline changes the images; in inference it returns them. Applied on data, a
        // pipeline is its own instance (the docs' rule: not the model's, which Fit may run at the same time).
        var augment = (Pipeline)SerializationRegistry.Recreate(model.GetLayer("augment"));
        Assert.NotEqual(Bits(x), Bits(augment.Apply(x)));
        Assert.Equal(Bits(x), Bits(augment.Apply(x, training: false)));
    }

    [Fact]
    public void SaveLoad_InASequential_RoundTripsTheWeightsAndResumesTheRandomStreamsBitForBit()
    {
        string path = Path.Combine(Path.GetTempPath(), $"pipeline-{Guid.NewGuid():N}.safetensors");
        try
        {
            Sequential model = AugmentedModel(5);
            model.Compile(new Sgd(0.01f), new MeanSquaredError());
            Tensor x = TestData.Normal(3, 1f, 8, 6, 6, 3), y = TestData.Normal(4, 1f, 8, 2);
            model.Fit(x, y, epochs: 2, batchSize: 4, verbose: 0);
            model.Save(path);

            var loaded = (Sequential)Model.Load(path);
            Assert.Equal(model.Parameters.Select(p => p.Name), loaded.Parameters.Select(p => p.Name));
            Assert.Contains("conv2d/kernel", loaded.GetLayer("pipeline").Parameters.Select(p => p.Name));
            Assert.Equal(model.Layers.Select(l => l.GetConfig().ToJson()), loaded.Layers.Select(l => l.GetConfig().ToJson()));
            Assert.Equal(Bits(model.Predict(x)), Bits(loaded.Predict(x)));
            History continued = model.Fit(x, y, epochs: 1, batchSize: 4, verbose: 0);
            History resumed = loaded.Fit(x, y, epochs: 1, batchSize: 4, verbose: 0);
            Assert.Equal(continued["loss"], resumed["loss"]);
            Assert.Equal(model.Parameters.Select(p => Bits(p.Value)), loaded.Parameters.Select(p => Bits(p.Value)));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Functional_SharedPipelineWithWeights_MatchesNumericalGradientsAndSumsThemOverItsCalls()
    {
        var a = new Input(new TensorShape(4), "a");
        var b = new Input(new TensorShape(4), "b");
        var pipeline = new Pipeline([new Dense(3, ActivationFunction.Tanh), new Dense(3, ActivationFunction.Sigmoid)]);
        SymbolicTensor joined = new Add().Call(pipeline.Call(a), pipeline.Call(b));
        var model = new Functional([a, b], [new Dense(2).Call(joined)], seed: 6);

        ModelGradientChecker.Check(model, [TestData.Normal(7, 1f, 3, 4), TestData.Normal(8, 1f, 3, 4)], seed: 9).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void Functional_MaskedSequences_CarryTheLastLayersMaskToTheLoss()
    {
        var ids = new Input(new TensorShape(5), "ids");
        SymbolicTensor x = new Embedding(10, 4, maskZero: true).Call(ids);
        x = new Pipeline([new Dense(3, ActivationFunction.Relu), new Dense(2)]).Call(x);
        var model = new Functional(ids, x, seed: 2);
        model.Compile(new Sgd(0.1f), new MeanSquaredError());
        Tensor tokens = Tensor.FromArray([1f, 2f, 0f, 0f, 0f, 3f, 4f, 5f, 6f, 0f], 2, 5);

        Tensor[] inputs = [tokens];
        model.Forward(inputs, training: false);

        var pipeline = (Pipeline)model.Layers.Single(l => l is Pipeline);
        Assert.Equal([1f, 1f, 0f, 0f, 0f, 1f, 1f, 1f, 1f, 0f], pipeline.OutputMask!.ToArray());
        model.Fit(tokens, TestData.Normal(3, 1f, 2, 5, 2), epochs: 1, batchSize: 2, verbose: 0);
    }

    [Fact]
    public void Graph_ALayerOfThePipelineCalledOnItsOwn_IsRefused()
    {
        var x = new Input(new TensorShape(4));
        var pipeline = new Pipeline([new Dense(3)]);
        SymbolicTensor y = pipeline.Call(x);
        Layer inner = pipeline.RunningLayers[0];

        var error = Assert.Throws<ArgumentException>(() => new Functional(x, new Add().Call(y, inner.Call(x))));
        Assert.Contains("inner layer", error.Message, StringComparison.Ordinal);
    }
}
