using NeuralNet.Initializers;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Regularizers;
using NeuralNet.Serialization;
using NeuralNet.Tests.GradientChecking;
using NeuralNet.Tests.Layers.Normalization;
using Xunit;
using Tolerance = NeuralNet.Tests.Layers.Tolerance;

namespace NeuralNet.Tests.Activations;

public class ActivationLayerTests
{
    private static float[] Run(Layer layer, params float[] x) => layer.Forward(Tensor.FromArray(x, 1, x.Length), training: false).ToArray();

    [Fact]
    public void ReLU_matches_keras_test_values()
    {
        // keras/src/layers/activations/relu_test.py and the ReLU docstring.
        Assert.Equal([0f, 0f, 0f, 5f, 10f], Run(new ReLU(maxValue: 10), -10, -5, 0, 5, 10));
        Assert.Equal([-5f, -2.5f, 0f, 5f, 10f], Run(new ReLU(maxValue: 10, negativeSlope: 0.5f), -10, -5, 0, 5, 10));
        Assert.Equal([6f, 7f, 0f, 0f, 8f], Run(new ReLU(maxValue: 8, threshold: 5), 6, 7, 0, 5, 10));
        Assert.Equal([0f, 0f, 3f], Run(new ReLU(), -2, 0, 3));
    }

    [Theory]
    [InlineData(null, 0f, 0f)]
    [InlineData(6f, 0f, 0f)]
    [InlineData(null, 0.2f, 0f)]
    [InlineData(2f, 0.5f, 0f)]
    [InlineData(2.5f, 0.3f, 1f)]
    [InlineData(null, 1f, 0.5f)]
    public void ReLU_matches_the_keras_formula_and_numerical_gradients(float? maxValue, float slope, float threshold)
    {
        var layer = new ReLU(maxValue, slope, threshold);
        Tensor x = AwayFromKinks(Tensor.RandomUniform(new TensorShape(3, 4, 5), 2, -4f, 4f), [0f, threshold, maxValue ?? 0f]);
        float[] y = layer.Forward(x, training: false).ToArray();
        for (int i = 0; i < y.Length; i++)
        {
            double v = x.AsReadOnlySpan()[i];
            // Keras' relu: f(x) = max_value if x >= max_value; x if threshold <= x < max_value; negative_slope * (x - threshold) otherwise.
            double expected = maxValue is float m && v >= m ? m : v > threshold ? v : slope * (v - threshold);
            Assert.Equal(expected, y[i], 1e-6);
        }

        GradientChecker.CheckLayer(layer, x, seed: 5).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void LeakyReLU_layer_default_is_kerass_0_3()
    {
        var layer = new LeakyReLU();
        Assert.Equal(0.3f, layer.NegativeSlope);
        Assert.Equal([-3f, 0f, 2f], Run(layer, -10, 0, 2), new Tolerance(1e-6f));
        Assert.Equal([-5f, -2.5f, 0f, 5f, 10f], Run(new LeakyReLU(0.5f), -10, -5, 0, 5, 10));
        Assert.Equal("leaky_re_lu", layer.DefaultNamePrefix);
        GradientChecker.CheckLayer(new LeakyReLU(0.1f), TestData.AwayFromZero(1, 0.01f, 2, 3, 4), seed: 1).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void ELU_layer_matches_the_formula_and_gradients()
    {
        Assert.Equal([-0.6321206f, 2f], Run(new ELU(), -1, 2), new Tolerance(1e-6f));
        Assert.Equal([-1.2642411f, 2f], Run(new ELU(2f), -1, 2), new Tolerance(1e-6f));
        GradientChecker.CheckLayer(new ELU(0.7f), TestData.AwayFromZero(2, 0.01f, 2, 5), seed: 2).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void PReLU_matches_keras_correctness_with_shared_axes()
    {
        // keras/src/layers/activations/prelu_test.py, test_prelu_correctness: (2, 10, 5, 3), shared_axes (1, 2), alpha (1, 1, 3).
        var layer = new PReLU(sharedAxes: [1, 2]);
        layer.Build(new TensorShape(10, 5, 3));
        Assert.Equal([1, 1, 3], layer.Alpha.Shape.Dimensions.ToArray());
        float[] alpha = [0.2f, 0.7f, 0.4f];
        alpha.CopyTo(layer.Alpha.Value.AsSpan());
        Tensor x = Tensor.RandomNormal(new TensorShape(2, 10, 5, 3), 3);
        float[] y = layer.Forward(x, training: false).ToArray();
        for (int i = 0; i < y.Length; i++)
        {
            float v = x.AsReadOnlySpan()[i];
            Assert.Equal(v > 0 ? v : alpha[i % 3] * v, y[i], 1e-7f);
        }
    }

    [Theory]
    [InlineData(new int[0])]
    [InlineData(new[] { 1 })]
    [InlineData(new[] { 1, 2 })]
    [InlineData(new[] { 2 })]
    public void PReLU_gradients_match_numerical_ones(int[] shared)
    {
        var layer = new PReLU(new RandomUniform(0.0, 0.5, 4), new L2(0.1), shared.Length == 0 ? null : shared);
        layer.Build(new TensorShape(3, 4, 2));
        int[] expected = [3, 4, 2];
        foreach (int axis in shared)
        {
            expected[axis - 1] = 1;
        }

        Assert.Equal(expected, layer.Alpha.Shape.Dimensions.ToArray());
        GradientChecker.CheckLayer(layer, TestData.AwayFromZero(6, 0.01f, 2, 3, 4, 2), seed: 7).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void PReLU_starts_as_relu_and_learns_its_slope()
    {
        var layer = new PReLU();
        Assert.Equal([0f, 2f], Run(layer, -3, 2));
        Assert.Equal("p_re_lu", layer.DefaultNamePrefix);
        var bad = Assert.Throws<ArgumentException>(() => new PReLU(sharedAxes: [0]));
        Assert.Contains("PReLU", bad.Message, StringComparison.Ordinal);
        var model = new Sequential();
        model.Add(new InputLayer(4));
        var error = Assert.Throws<ArgumentException>(() => model.Add(new PReLU(sharedAxes: [2], name: "p")));
        Assert.Contains("PReLU 'p' shares alpha along axis 2, which input (None, 4) of rank 2 does not have", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Softmax_layer_over_an_axis_and_over_several_axes()
    {
        Assert.Equal([0.21194157f, 0.5761169f, 0.21194157f], Run(new NeuralNet.Layers.Softmax(), 1, 2, 1), new Tolerance(1e-6f));

        Tensor x = Tensor.RandomNormal(new TensorShape(2, 3, 4), 8, 0f, 2f);
        Tensor overTime = new NeuralNet.Layers.Softmax(axis: 1).Forward(x, training: false);
        for (int n = 0; n < 2; n++)
        {
            for (int c = 0; c < 4; c++)
            {
                double sum = Enumerable.Range(0, 3).Sum(t => Math.Exp(x[n, t, c]));
                for (int t = 0; t < 3; t++)
                {
                    Assert.Equal(Math.Exp(x[n, t, c]) / sum, overTime[n, t, c], 1e-6);
                }
            }
        }

        float[] both = new NeuralNet.Layers.Softmax([1, 2]).Forward(x, training: false).ToArray();
        Assert.Equal(1.0, both[..12].Sum(v => (double)v), 5);
        double total = Enumerable.Range(0, 12).Sum(i => Math.Exp(x.AsReadOnlySpan()[i]));
        Assert.Equal(Math.Exp(x.AsReadOnlySpan()[5]) / total, both[5], 1e-6);
    }

    [Theory]
    [InlineData(new[] { -1 })]
    [InlineData(new[] { 1 })]
    [InlineData(new[] { 1, 2 })]
    public void Softmax_layer_gradients_match_numerical_ones(int[] axes)
    {
        var layer = axes.Length == 1 ? new NeuralNet.Layers.Softmax(axes[0]) : new NeuralNet.Layers.Softmax(axes);
        GradientChecker.CheckLayer(layer, TestData.Normal(9, 1.5f, 2, 3, 4), seed: 9).AssertPassed(maxKinkFraction: 0);
        Assert.Equal(axes is [-1], layer.EndsWithSoftmax);
    }

    [Fact]
    public void Softmax_layer_last_takes_the_fused_cross_entropy_gradient()
    {
        var layers = new List<Layer> { new InputLayer(6), new Dense(4), new NeuralNet.Layers.Softmax() };
        var model = new Sequential(layers, seed: 1);
        model.Compile(new Sgd(0.1f), new CategoricalCrossEntropy());
        Tensor x = TestData.Normal(1, 1f, 8, 6);
        Tensor y = TestData.OneHot(TestData.Labels(2, 8, 4), 4);
        var reference = new Sequential([new InputLayer(6), new Dense(4, NeuralNet.Activations.ActivationFunction.Softmax)], seed: 1);
        reference.Compile(new Sgd(0.1f), new CategoricalCrossEntropy());
        model.Fit(x, y, epochs: 3, batchSize: 4, verbose: 0);
        reference.Fit(x, y, epochs: 3, batchSize: 4, verbose: 0);
        Assert.Equal(reference.Predict(x).ToArray(), model.Predict(x).ToArray(), new Tolerance(1e-6f));
    }

    [Fact]
    public void Bad_settings_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReLU(maxValue: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReLU(negativeSlope: -10));
        Assert.Contains("threshold", Assert.Throws<ArgumentOutOfRangeException>(() => new ReLU(threshold: -10)).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new LeakyReLU(-0.1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ELU(float.NaN));
        Assert.Throws<ArgumentException>(() => new NeuralNet.Layers.Softmax(0));
    }

    [Fact]
    public void Configs_are_keras_and_a_model_saves_and_loads_bit_for_bit()
    {
        Assert.Equal("{\"name\":\"re_lu\",\"trainable\":true,\"dtype\":\"float32\",\"max_value\":null,\"negative_slope\":0,\"threshold\":0}", new ReLU().GetConfig().ToJson());
        Assert.Contains("\"shared_axes\":[1,2]", new PReLU(sharedAxes: [1, 2]).GetConfig().ToJson(), StringComparison.Ordinal);
        foreach (Layer layer in new Layer[] { new ReLU(6f, 0.1f, 0.5f), new LeakyReLU(0.2f), new ELU(0.5f), new PReLU(sharedAxes: [1]), new NeuralNet.Layers.Softmax([1, 2]) })
        {
            Assert.Equal(layer.GetConfig().ToJson(), SerializationRegistry.Recreate(layer).GetConfig().ToJson());
        }

        Sequential model = LayerTestKit.TrainedModel([3, 4], 4,
            new ReLU(maxValue: 6f, negativeSlope: 0.1f), new LeakyReLU(), new PReLU(new RandomUniform(0.0, 0.3), sharedAxes: [1]), new ELU(0.5f),
            new NeuralNet.Layers.Softmax(axis: 1));
        Model loaded = LayerTestKit.AssertRoundTrip(model, LayerTestKit.Data([3, 4], 4).X);
        Assert.Equal(["InputLayer", "ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax", "Flatten", "Dense"], loaded.Layers.Select(l => l.TypeName));
        Assert.Equal(0.1f, ((ReLU)loaded.Layers[1]).NegativeSlope);
    }

    [Fact]
    public void Training_allocates_nothing_after_warm_up() =>
        LayerTestKit.AssertTrainingAllocatesNothing([3, 4], new ReLU(maxValue: 6f), new LeakyReLU(), new PReLU(sharedAxes: [1]), new ELU(), new NeuralNet.Layers.Softmax(axis: 1));

    private static Tensor AwayFromKinks(Tensor x, float[] kinks)
    {
        Span<float> s = x.AsSpan();
        for (int i = 0; i < s.Length; i++)
        {
            foreach (float kink in kinks)
            {
                if (Math.Abs(s[i] - kink) < 0.02f)
                {
                    s[i] = kink + (s[i] >= kink ? 0.02f : -0.02f);
                }
            }
        }

        return x;
    }
}
