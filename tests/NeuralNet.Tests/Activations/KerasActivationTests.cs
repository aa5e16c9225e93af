using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Tests.GradientChecking;
using NeuralNet.Tests.Layers.Normalization;
using Xunit;

namespace NeuralNet.Tests.Activations;

public class KerasActivationTests
{
    private const double SeluAlpha = 1.6732632423543772, SeluScale = 1.0507009873554805;

    // Keras' formulas (keras/src/activations/activations.py, Keras 3), in float64, with each function's identifier.
    public static TheoryData<string> Names => ["selu", "softplus", "softsign", "silu", "hard_sigmoid", "hard_silu", "mish", "relu6", "exponential", "log_softmax"];

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    private static double Softplus(double x) => Math.Log(1 + Math.Exp(x));

    private static double HardSigmoid(double x) => Math.Min(Math.Max(x + 3, 0), 6) / 6;

    private static double Elementwise(string name, double x) => name switch
    {
        "selu" => x > 0 ? SeluScale * x : SeluScale * SeluAlpha * (Math.Exp(x) - 1),
        "softplus" => Softplus(x),
        "softsign" => x / (Math.Abs(x) + 1),
        "silu" => x * Sigmoid(x),
        "hard_sigmoid" => HardSigmoid(x),
        "hard_silu" => x * HardSigmoid(x),
        "mish" => x * Math.Tanh(Softplus(x)),
        "relu6" => Math.Min(Math.Max(x, 0), 6),
        "exponential" => Math.Exp(x),
        _ => throw new ArgumentException(name),
    };

    // x (6, 7) uniform in [-8, 8) as in the conventions' activations2 case, kept 0.03 away from every kink (0, +-3, 6).
    private static float[] Inputs(long seed)
    {
        float[] x = Tensor.RandomUniform(new TensorShape(6, 7), seed, -8f, 8f).ToArray();
        for (int i = 0; i < x.Length; i++)
        {
            foreach (float kink in new[] { 0f, 3f, -3f, 6f })
            {
                if (Math.Abs(x[i] - kink) < 0.03f)
                {
                    x[i] = kink + (x[i] >= kink ? 0.03f : -0.03f);
                }
            }
        }

        return x;
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Forward_matches_the_keras_formula_in_float64(string name)
    {
        ActivationFunction f = ActivationFunction.Get(name);
        Assert.Equal(name, f.Name);
        float[] x = Inputs(1);
        var y = new float[x.Length];
        f.Forward(x, y, 7);
        for (int row = 0; row < 6; row++)
        {
            double logSumExp = Math.Log(Enumerable.Range(0, 7).Sum(j => Math.Exp(x[(row * 7) + j])));
            for (int j = 0; j < 7; j++)
            {
                double xi = x[(row * 7) + j];
                double expected = name == "log_softmax" ? xi - logSumExp : Elementwise(name, xi);
                double actual = y[(row * 7) + j];
                Assert.True(Math.Abs(expected - actual) <= 1e-6 * Math.Max(1, Math.Abs(expected)), $"{name}({xi}) = {actual}, expected {expected}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Backward_matches_numerical_gradients(string name)
    {
        ActivationFunction f = ActivationFunction.Get(name);
        float[] x = Inputs(2);
        if (name == "exponential")
        {
            // Keep exp(x) of a size where float's central differences are still precise.
            x = [.. x.Select(v => v / 4)];
        }

        GradientChecker.CheckActivation(f, Tensor.FromArray(x, 6, 7), 7, seed: 3).AssertPassed(maxKinkFraction: 0);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void ForwardBackward_in_place_equal_separate_buffers(string name)
    {
        ActivationFunction f = ActivationFunction.Get(name);
        float[] x = Inputs(4), g = Tensor.RandomNormal(new TensorShape(42), 5).ToArray();
        float[] y = new float[42], dx = new float[42];
        f.Forward(x, y, 7);
        f.Backward(x, y, g, dx, 7);
        float[] inPlace = (float[])x.Clone();
        f.Forward(inPlace, inPlace, 7);
        Assert.Equal(y, inPlace);
        float[] gInPlace = (float[])g.Clone();
        f.Backward(x, y, gInPlace, gInPlace, 7);
        Assert.Equal(dx, gInPlace);
    }

    [Theory]
    [InlineData("selu", -1f, -1.1113307f)]
    [InlineData("selu", 2f, 2.101402f)]
    [InlineData("softplus", 0f, 0.6931472f)]
    [InlineData("softplus", 100f, 100f)]
    [InlineData("softplus", -20f, 2.0611537e-9f)]
    [InlineData("softsign", 1f, 0.5f)]
    [InlineData("softsign", -3f, -0.75f)]
    [InlineData("silu", 1f, 0.7310586f)]
    [InlineData("swish", -1f, -0.26894143f)]
    [InlineData("hard_sigmoid", 1f, 0.6666667f)]
    [InlineData("hard_sigmoid", -4f, 0f)]
    [InlineData("hard_sigmoid", 4f, 1f)]
    [InlineData("hard_silu", 1f, 0.6666667f)]
    [InlineData("hard_swish", -1f, -0.33333334f)]
    [InlineData("hard_silu", 5f, 5f)]
    [InlineData("mish", 1f, 0.86509836f)]
    [InlineData("mish", -1f, -0.30340144f)]
    [InlineData("relu6", 7f, 6f)]
    [InlineData("relu6", 2.5f, 2.5f)]
    [InlineData("relu6", -1f, 0f)]
    [InlineData("exponential", 1f, 2.7182817f)]
    public void Forward_known_points(string identifier, float x, float expected)
    {
        var y = new float[1];
        ActivationFunction.Get(identifier).Forward([x], y, 1);
        Assert.Equal(expected, y[0], Math.Max(1e-6f, Math.Abs(expected) * 1e-6f));
    }

    [Fact]
    public void LogSoftmax_is_stable_and_matches_known_values()
    {
        float[] y = new float[6];
        ActivationFunction.LogSoftmax.Forward([1f, 2f, 3f, 1000f, 1001f, 1002f], y, 3);
        float[] expected = [-2.4076059f, -1.4076059f, -0.4076059f];
        Assert.Equal([.. expected, .. expected], y, new Layers.Tolerance(1e-5f));
    }

    [Fact]
    public void Identifiers_and_aliases_name_the_shared_instances()
    {
        Assert.Same(ActivationFunction.Silu, ActivationFunction.Get("swish"));
        Assert.Same(ActivationFunction.Silu, ActivationFunction.Get("silu"));
        Assert.Same(ActivationFunction.HardSilu, ActivationFunction.Get("hard_swish"));
        Assert.Same(ActivationFunction.Selu, ActivationFunction.Get("selu"));
        Assert.Same(ActivationFunction.Relu, ActivationFunction.Get("relu"));
        Assert.Equal("hard_silu", ActivationFunction.HardSilu.Name);
        var error = Assert.Throws<ArgumentException>(() => ActivationFunction.Get("swishy"));
        Assert.Contains("\"swish\"", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Dense_and_Activation_layers_save_each_function_by_its_keras_name()
    {
        string[] names = ["selu", "softplus", "softsign", "silu", "hard_sigmoid", "hard_silu", "mish", "relu6", "exponential", "log_softmax"];
        var layers = new List<Layer> { new InputLayer(5) };
        foreach (string name in names)
        {
            layers.Add(new Dense(5, ActivationFunction.Get(name), kernelInitializer: new NeuralNet.Initializers.RandomNormal(0, 0.2)));
            layers.Add(new Activation(ActivationFunction.Get(name == "exponential" ? "softsign" : name)));
        }

        var model = new Sequential(layers, seed: 2);
        Assert.Contains("\"activation\":\"hard_silu\"", model.Layers.OfType<Dense>().ElementAt(5).GetConfig().ToJson(), StringComparison.Ordinal);
        Tensor x = Tensor.RandomNormal(new TensorShape(4, 5), 3);
        Model loaded = LayerTestKit.AssertRoundTrip(model, x);
        Assert.Equal(names, loaded.Layers.OfType<Dense>().Select(d => d.Activation.Name));
    }
}
