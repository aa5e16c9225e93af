using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using Xunit;

namespace NeuralNet.Tests.Layers.Normalization;

/// <summary>Shared steps of the normalization and activation layer tests: save/load, allocation and threading checks.</summary>
internal static class LayerTestKit
{
    /// <summary>A model of <paramref name="layers"/> after an input of <paramref name="sampleShape"/>, then Flatten and Dense(3), trained a few steps.</summary>
    public static Sequential TrainedModel(int[] sampleShape, long seed, params Layer[] layers)
    {
        var model = new Sequential([new InputLayer(sampleShape), .. layers, new Flatten(), new Dense(3)], seed: seed);
        model.Compile(new Adam(0.01f), new MeanSquaredError());
        (Tensor x, Tensor y) = Data(sampleShape, seed);
        model.Fit(x, y, epochs: 2, batchSize: 8, verbose: 0);
        return model;
    }

    /// <summary>Random inputs (24, ...sampleShape) and targets (24, 3).</summary>
    public static (Tensor X, Tensor Y) Data(int[] sampleShape, long seed) =>
        (Tensor.RandomNormal(new TensorShape([24, .. sampleShape]), seed, 0.5f, 2f), Tensor.RandomNormal(new TensorShape(24, 3), seed + 1));

    /// <summary>Saves and loads <paramref name="model"/> and asserts the same layer types, configurations, weights and predictions, bit for bit.</summary>
    public static Model AssertRoundTrip(Model model, Tensor x)
    {
        string path = Path.Combine(Path.GetTempPath(), $"neuralnet-norm-{Guid.NewGuid():N}.safetensors");
        try
        {
            model.Save(path);
            Model loaded = Model.Load(path);
            Assert.Equal(model.Layers.Select(l => l.TypeName), loaded.Layers.Select(l => l.TypeName));
            Assert.Equal(model.Layers.Select(l => l.GetConfig().ToJson()), loaded.Layers.Select(l => l.GetConfig().ToJson()));
            Assert.Equal(
                model.Parameters.Select(p => p.Value.ToArray().Select(BitConverter.SingleToInt32Bits).ToArray()),
                loaded.Parameters.Select(p => p.Value.ToArray().Select(BitConverter.SingleToInt32Bits).ToArray()));
            Assert.Equal(model.Predict(x).ToArray(), loaded.Predict(x).ToArray());
            return loaded;
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Asserts that training steps on <paramref name="layers"/> allocate nothing once warmed up.</summary>
    public static void AssertTrainingAllocatesNothing(int[] sampleShape, params Layer[] layers)
    {
        var model = new Sequential([new InputLayer(sampleShape), .. layers, new Flatten(), new Dense(2)], seed: 3);
        model.Compile(new Adam(), new MeanSquaredError());
        Tensor x = Tensor.RandomNormal(new TensorShape([16, .. sampleShape]), 5);
        Tensor y = Tensor.RandomNormal(new TensorShape(16, 2), 6);
        for (int i = 0; i < 3; i++)
        {
            model.TrainStep(x, y);
        }

        AllocationCheck.AssertNone(() =>
        {
            for (int i = 0; i < 3; i++)
            {
                model.TrainStep(x, y);
            }
        });
    }

    /// <summary>Asserts that training a model gives the same weights, bit for bit, with one and with two threads.</summary>
    public static void AssertSameBitsWithOneAndTwoThreads(int[] sampleShape, Func<Layer[]> layers)
    {
        int saved = Parallelism.MaxDegreeOfParallelism;
        try
        {
            var weights = new List<int[][]>();
            foreach (int threads in new[] { 1, 2 })
            {
                Parallelism.MaxDegreeOfParallelism = threads;
                Sequential model = TrainedModel(sampleShape, 11, layers());
                weights.Add([.. model.Parameters.Select(p => p.Value.ToArray().Select(BitConverter.SingleToInt32Bits).ToArray())]);
            }

            Assert.Equal(weights[0], weights[1]);
        }
        finally
        {
            Parallelism.MaxDegreeOfParallelism = saved;
        }
    }
}
