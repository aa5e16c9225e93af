using NeuralNet.Activations;
using NeuralNet.Initializers;
using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Layers.Sequences;

public class Conv1DTests
{
    // (kernel, strides, padding, dilation, steps): every padding, with strides and with dilation, odd and even lengths.
    public static TheoryData<int, int, Padding, int, int> Cases => new()
    {
        { 3, 1, Padding.Valid, 1, 7 },
        { 3, 2, Padding.Valid, 1, 8 },
        { 2, 1, Padding.Valid, 3, 9 },
        { 3, 1, Padding.Same, 1, 7 },
        { 4, 3, Padding.Same, 1, 8 },
        { 3, 1, Padding.Same, 2, 6 },
        { 3, 1, Padding.Causal, 1, 5 },
        { 2, 1, Padding.Causal, 4, 9 },
        { 3, 2, Padding.Causal, 1, 7 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Forward_matches_keras_formula_in_float64(int kernel, int strides, Padding padding, int dilation, int steps)
    {
        Conv1D layer = Built(kernel, strides, padding, dilation, steps, activation: ActivationFunction.Tanh);
        Tensor x = Tensor.RandomNormal(new TensorShape(2, steps, 3), 4);

        Tensor y = layer.Forward(x, training: false);

        int span = (dilation * (kernel - 1)) + 1;
        int expectedSteps = padding switch
        {
            Padding.Valid => ((steps - span) / strides) + 1,
            Padding.Same => (steps + strides - 1) / strides,
            _ => ((steps - 1) / strides) + 1,
        };
        int before = padding switch
        {
            Padding.Valid => 0,
            Padding.Same => Math.Max(((expectedSteps - 1) * strides) + span - steps, 0) / 2,
            _ => span - 1,
        };
        Assert.Equal([2, expectedSteps, 5], y.Shape.Dimensions.ToArray());
        for (int b = 0; b < 2; b++)
        {
            for (int o = 0; o < expectedSteps; o++)
            {
                for (int f = 0; f < 5; f++)
                {
                    double sum = layer.Bias!.Value[f];
                    for (int j = 0; j < kernel; j++)
                    {
                        int t = (o * strides) + (j * dilation) - before;
                        for (int c = 0; t >= 0 && t < steps && c < 3; c++)
                        {
                            sum += (double)x[b, t, c] * layer.Kernel.Value[j, c, f];
                        }
                    }

                    Assert.True(Math.Abs(Math.Tanh(sum) - y[b, o, f]) <= 1e-6, $"step {o}, filter {f}: {y[b, o, f]} instead of {Math.Tanh(sum)}");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Backward_matches_numerical_gradients(int kernel, int strides, Padding padding, int dilation, int steps)
    {
        Conv1D layer = Built(kernel, strides, padding, dilation, steps, activation: ActivationFunction.Sigmoid);
        GradientChecker.CheckLayer(layer, Tensor.RandomNormal(new TensorShape(2, steps, 3), 6), seed: 2).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void Causal_outputs_do_not_see_later_steps()
    {
        Conv1D layer = Built(3, 1, Padding.Causal, 2, 8, activation: null);
        Tensor x = Tensor.RandomNormal(new TensorShape(1, 8, 3), 1);
        float[] before = layer.Forward(x, training: false).ToArray();
        x[0, 6, 1] += 5f;
        float[] after = layer.Forward(x, training: false).ToArray();
        Assert.Equal(before[..(6 * 5)], after[..(6 * 5)]);
        Assert.NotEqual(before[(6 * 5)..], after[(6 * 5)..]);
    }

    [Fact]
    public void Keras_shapes_and_bad_input()
    {
        var model = new Sequential();
        model.Add(new InputLayer(100, 16));
        model.Add(new Conv1D(32, 5, name: "conv"));
        Assert.Equal([96, 32], model.OutputShape.Dimensions.ToArray());
        Assert.Equal([5, 16, 32], ((Conv1D)model.Layers[1]).Kernel.Shape.Dimensions.ToArray());

        var flat = new Sequential();
        flat.Add(new InputLayer(784));
        var error = Assert.Throws<ArgumentException>(() => flat.Add(new Conv1D(4, 3, name: "c")));
        Assert.Contains("Conv1D 'c' expects input (None, steps, channels) but got (None, 784)", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Conv1D(4, 3, strides: 2, dilationRate: 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Conv2D(4, 3, padding: Padding.Causal));
        var tooShort = new Sequential();
        tooShort.Add(new InputLayer(3, 2));
        Assert.Throws<ArgumentException>(() => tooShort.Add(new Conv1D(4, 5)));
    }

    private static Conv1D Built(int kernel, int strides, Padding padding, int dilation, int steps, ActivationFunction? activation)
    {
        var layer = new Conv1D(5, kernel, strides, padding, dilation, activation, biasInitializer: new RandomNormal(0, 0.5, 3)) { Seed = 9 };
        layer.Build(new TensorShape(steps, 3));
        return layer;
    }
}
