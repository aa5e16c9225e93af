using NeuralNet.Layers;
using NeuralNet.Models;
using Xunit;

namespace NeuralNet.Tests.Layers.Convolutional;

/// <summary>Shared checks of the convolution-family tests: save/load round trips, allocation after warm-up, float64 comparisons.</summary>
internal static class ConvolutionTestKit
{
    /// <summary>Saves a Sequential (input, layer) model, loads it, and asserts the same type, config, weights and predictions bit for bit.</summary>
    public static Layer RoundTrip(Layer layer, TensorShape sampleShape, long seed = 5)
    {
        var model = new Sequential(seed: seed);
        model.Add(new InputLayer(sampleShape));
        model.Add(layer);
        var dims = new int[sampleShape.Rank + 1];
        dims[0] = 3;
        sampleShape.Dimensions.CopyTo(dims.AsSpan(1));
        Tensor x = Tensor.RandomNormal(new TensorShape(dims), seed + 1);
        string path = Path.Combine(Path.GetTempPath(), $"neuralnet-conv-{Environment.ProcessId}-{Guid.NewGuid():N}.safetensors");
        try
        {
            model.Save(path);
            Model loaded = Model.Load(path);
            Layer copy = loaded.Layers[^1];
            Assert.Equal(layer.TypeName, copy.TypeName);
            Assert.Equal(layer.GetConfig().ToString(), copy.GetConfig().ToString());
            Assert.Equal(layer.Parameters.Select(p => p.Name), copy.Parameters.Select(p => p.Name));
            for (int i = 0; i < layer.Parameters.Count; i++)
            {
                Assert.Equal(layer.Parameters[i].Value.ToArray(), copy.Parameters[i].Value.ToArray());
            }

            Assert.Equal(model.Predict(x).ToArray(), loaded.Predict(x).ToArray());
            return copy;
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Runs forward + backward twice, then asserts that three more steps allocate nothing.</summary>
    public static void AssertStepAllocatesNothing(Layer layer, Tensor input)
    {
        Tensor upstream = Tensor.RandomNormal(new TensorShape([input.Shape[0], .. layer.OutputShape.Dimensions]), 77);

        void Step()
        {
            layer.Forward(input, true);
            layer.Backward(upstream);
        }

        Step();
        Step();
        AllocationCheck.AssertNone(() =>
        {
            for (int i = 0; i < 3; i++)
            {
                Step();
            }
        });
    }

    /// <summary>Asserts |expected - actual| within tolerance, element by element, naming the first mismatch.</summary>
    public static void AssertClose(ReadOnlySpan<double> expected, ReadOnlySpan<float> actual, double tolerance = 1e-5)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * (1 + Math.Abs(expected[i])), $"element {i}: {actual[i]} instead of {expected[i]}");
        }
    }
}
