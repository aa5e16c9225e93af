using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using Xunit;

namespace NeuralNet.Tests.Optimizers;

public sealed class GradientClippingTests
{
    [Fact]
    public void Clip_by_global_norm_returns_the_norm_before_and_scales_every_gradient_by_max_over_it()
    {
        Parameter a = NewParameter([3f, 0f]), b = NewParameter([4f]);

        double norm = GradientClipping.ClipByGlobalNorm([a, b], 1.0);

        // PyTorch's clip_grad_norm_ on these gradients returns 5 and leaves (0.6, 0) and (0.8).
        Assert.Equal(5.0, norm, 12);
        Assert.Equal([0.6f, 0f], a.Gradient.ToArray());
        Assert.Equal(0.8f, b.Gradient[0], 6);
    }

    [Fact]
    public void A_norm_within_the_limit_leaves_the_gradients_as_they_are()
    {
        Parameter a = NewParameter([0.3f, -0.4f]);

        double norm = GradientClipping.ClipByGlobalNorm([a], 1.0);

        Assert.Equal(0.5, norm, 6);
        Assert.Equal([0.3f, -0.4f], a.Gradient.ToArray());
        Assert.Equal(0.5, GradientClipping.GlobalNorm([a]), 6);
    }

    [Fact]
    public void A_non_finite_norm_makes_every_gradient_NaN_as_the_optimizer_clipping_does()
    {
        Parameter a = NewParameter([float.PositiveInfinity, 1f]), b = NewParameter([2f]);

        double norm = GradientClipping.ClipByGlobalNorm([a, b], 1.0);

        Assert.Equal(double.PositiveInfinity, norm);
        Assert.All(a.Gradient.ToArray().Concat(b.Gradient.ToArray()), v => Assert.True(float.IsNaN(v)));
    }

    [Fact]
    public void Clip_by_value_clamps_every_element()
    {
        Parameter a = NewParameter([3f, -0.2f, -7f]);

        GradientClipping.ClipByValue([a], 0.5);

        Assert.Equal([0.5f, -0.2f, -0.5f], a.Gradient.ToArray());
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(1e39)]
    public void A_bad_limit_is_refused_naming_it_before_any_gradient_changes(double limit)
    {
        Parameter a = NewParameter([3f, 4f]);

        var norm = Assert.Throws<ArgumentOutOfRangeException>(() => GradientClipping.ClipByGlobalNorm([a], limit));
        var value = Assert.Throws<ArgumentOutOfRangeException>(() => GradientClipping.ClipByValue([a], limit));

        Assert.Equal("maxNorm", norm.ParamName);
        Assert.Equal("clipValue", value.ParamName);
        Assert.Contains("positive finite", norm.Message, StringComparison.Ordinal);
        Assert.Equal([3f, 4f], a.Gradient.ToArray());
    }

    [Fact]
    public void Frozen_parameters_neither_count_nor_change()
    {
        var model = new Sequential([new InputLayer(3), new Dense(4, name: "frozen"), new Dense(2, name: "head")], seed: 1);
        model.Compile(new Sgd(0.1), new MeanSquaredError());
        model.GetLayer("frozen").Trainable = false;
        model.ComputeGradients(Tensor.RandomNormal(new TensorShape(8, 3), 2), Tensor.RandomNormal(new TensorShape(8, 2), 3));
        float[][] frozenBefore = [.. model.GetLayer("frozen").Parameters.Select(p => p.Gradient.ToArray())];
        double headNorm = Math.Sqrt(model.GetLayer("head").Parameters.Sum(p => p.Gradient.ToArray().Sum(v => (double)v * v)));

        double norm = GradientClipping.ClipByGlobalNorm(model.Parameters, headNorm / 2);

        Assert.Equal(headNorm, norm, 5);
        Assert.Equal(frozenBefore, model.GetLayer("frozen").Parameters.Select(p => p.Gradient.ToArray()));
        Assert.Equal(headNorm / 2, GradientClipping.GlobalNorm(model.Parameters), 5);
    }

    [Fact]
    public void Clipping_by_hand_then_stepping_equals_the_optimizer_global_clip_norm_bit_for_bit()
    {
        Tensor x = Tensor.RandomNormal(new TensorShape(16, 5), 4), y = Tensor.RandomNormal(new TensorShape(16, 3), 5);
        Sequential byHand = NewModel(new Adam(0.01)), built = NewModel(new Adam(0.01) { GlobalClipNorm = 0.05 });
        for (int step = 0; step < 3; step++)
        {
            byHand.ComputeGradients(x, y);
            double norm = GradientClipping.ClipByGlobalNorm(byHand.Parameters, 0.05);
            Assert.True(norm > 0.05, $"the test needs gradients that get clipped; norm {norm}");
            byHand.Optimizer!.Step(byHand.Parameters);

            built.ComputeGradients(x, y);
            built.Optimizer!.Step(built.Parameters);
        }

        Assert.Equal(built.Parameters.Select(p => p.Value.ToArray()), byHand.Parameters.Select(p => p.Value.ToArray()));

        static Sequential NewModel(Optimizer optimizer)
        {
            var model = new Sequential([new InputLayer(5), new Dense(8, NeuralNet.Activations.ActivationFunction.Relu), new Dense(3)], seed: 7);
            model.Compile(optimizer, new MeanSquaredError());
            return model;
        }
    }

    private static Parameter NewParameter(float[] gradient)
    {
        var p = new Parameter("kernel", new TensorShape(gradient.Length), true, null);
        gradient.CopyTo(p.Gradient.AsSpan());
        return p;
    }
}
