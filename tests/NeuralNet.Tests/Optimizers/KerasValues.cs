using NeuralNet.Layers;
using NeuralNet.Models;
using Xunit;

namespace NeuralNet.Tests.Optimizers;

/// <summary>The helpers of the tests that check an optimizer against Keras' own test values (Lamb, Adafactor, Muon, ScheduleFreeAdamW; the resume check: Adafactor, Muon, ScheduleFreeAdamW).</summary>
internal static class KerasValues
{
    /// <summary>A trainable parameter named <paramref name="name"/> holding <paramref name="values"/>.</summary>
    public static Parameter Parameter(string name, TensorShape shape, float[] values)
    {
        var p = new Parameter(name, shape, true, null);
        values.CopyTo(p.Value.AsSpan());
        return p;
    }

    /// <summary>Sets the gradient of <paramref name="p"/> to <paramref name="values"/>.</summary>
    public static void Gradient(Parameter p, float[] values) => values.CopyTo(p.Gradient.AsSpan());

    /// <summary>numpy.testing.assert_allclose as Keras' assertAllClose calls it: |actual − expected| ≤ atol + rtol·|expected|, atol = rtol = <paramref name="tolerance"/>.</summary>
    public static void AssertClose(double[] expected, float[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(actual[i] - expected[i]) <= tolerance + (tolerance * Math.Abs(expected[i])), $"element {i}: {actual[i]:R}, expected {expected[i]:R}");
        }
    }

    /// <summary>
    /// A small model compiled with <paramref name="optimizer"/> (an identifier) trains five epochs and its loss falls; it
    /// is saved and loaded (<paramref name="checkLoaded"/> sees the loaded model), and one more epoch on both gives the
    /// same predictions bit for bit.
    /// </summary>
    /// <returns>The trained model and its inputs.</returns>
    public static (Sequential Model, Tensor X) TrainSaveAndResume(string optimizer, Action<Model>? checkLoaded = null)
    {
        var model = new Sequential([new InputLayer(3), new Dense(8, NeuralNet.Activations.ActivationFunction.Tanh), new Dense(1)], seed: 2);
        model.Compile(optimizer, "mse");
        Tensor x = Tensor.RandomNormal(new TensorShape(32, 3), 1), y = Tensor.RandomNormal(new TensorShape(32, 1), 2);
        History history = model.Fit(x, y, epochs: 5, batchSize: 8, verbose: 0);
        Assert.True(history["loss"][^1] < history["loss"][0], $"{optimizer} lowers the loss");
        string path = Path.Combine(Path.GetTempPath(), $"neuralnet-{optimizer}-{Guid.NewGuid():N}.safetensors");
        try
        {
            model.Save(path);
            Model loaded = Model.Load(path);
            checkLoaded?.Invoke(loaded);
            model.Fit(x, y, epochs: 1, batchSize: 8, shuffle: false, verbose: 0);
            loaded.Fit(x, y, epochs: 1, batchSize: 8, shuffle: false, verbose: 0);
            Assert.Equal(model.Predict(x).ToArray(), loaded.Predict(x).ToArray());
        }
        finally
        {
            File.Delete(path);
        }

        return (model, x);
    }
}
