using NeuralNet.Initializers;
using NeuralNet.Layers;
using NeuralNet.Serialization;
using Xunit;

namespace NeuralNet.Tests.Initializers;

public class LeCunUniformTests
{
    [Fact]
    public void Values_are_uniform_within_sqrt_three_over_fan_in_with_variance_one_over_fan_in()
    {
        var initializer = new LeCunUniform();
        Assert.Equal("lecun_uniform", initializer.Name);
        var values = new float[300 * 200];
        initializer.Initialize(values, new TensorShape(300, 200), 5);
        double limit = Math.Sqrt(3.0 / 300);
        Assert.All(values, v => Assert.InRange(v, -limit, limit));
        Assert.True(values.Max() > 0.99 * limit && values.Min() < -0.99 * limit);
        double mean = values.Average(v => (double)v), variance = values.Average(v => Math.Pow(v - mean, 2));
        Assert.InRange(variance, 0.98 / 300, 1.02 / 300);
    }

    [Fact]
    public void Seed_reproduces_and_the_initializer_is_saved_by_its_keras_name()
    {
        float[] a = new float[64], b = new float[64];
        new LeCunUniform(seed: 3).Initialize(a, new TensorShape(8, 8), 1);
        new LeCunUniform(seed: 3).Initialize(b, new TensorShape(8, 8), 2);
        Assert.Equal(a, b);

        var dense = new Dense(4, NeuralNet.Activations.ActivationFunction.Selu, kernelInitializer: new LeCunUniform(seed: 7));
        string json = dense.GetConfig().ToJson();
        Assert.Contains("\"kernel_initializer\":{\"class_name\":\"LecunUniform\",\"config\":{\"seed\":7}}", json, StringComparison.Ordinal);
        Assert.Contains("\"activation\":\"selu\"", json, StringComparison.Ordinal);
        var copy = Assert.IsType<Dense>(SerializationRegistry.Recreate(dense));
        Assert.Equal(7, Assert.IsType<LeCunUniform>(copy.KernelInitializer).Seed);
    }
}
