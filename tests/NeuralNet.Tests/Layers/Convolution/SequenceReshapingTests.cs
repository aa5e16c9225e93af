using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Layers.Convolutional;

// Keras' 1D reshaping layers (ZeroPadding1D, Cropping1D, UpSampling1D) and ActivityRegularization.
public class SequenceReshapingTests
{
    private static Tensor Arange(params int[] shape) =>
        Tensor.FromArray([.. Enumerable.Range(0, shape.Aggregate(1, (a, b) => a * b)).Select(i => (float)i)], shape);

    [Fact]
    public void ZeroPadding1D_KerasDocstringExample()
    {
        // keras.layers.ZeroPadding1D(padding=2) on np.arange(6).reshape(2, 2, 3).
        var layer = new ZeroPadding1D(2);
        layer.Build(new TensorShape(2, 3));
        Tensor y = layer.Forward(Arange(1, 2, 3), false);
        Assert.Equal([1, 6, 3], y.Shape.Dimensions.ToArray());
        Assert.Equal([0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 0, 0, 0, 0, 0, 0], y.ToArray());
    }

    [Fact]
    public void ZeroPadding1D_UnevenPadding_KerasTest()
    {
        // keras/src/layers/reshaping/zero_padding1d_test.py: padding (1, 2) on (1, 2, 3) zeroes steps 0, -1, -2.
        var layer = new ZeroPadding1D((1, 2));
        layer.Build(new TensorShape(2, 3));
        Tensor x = Tensor.RandomNormal(new TensorShape(2, 2, 3), 1);
        Tensor y = layer.Forward(x, false);
        Assert.Equal([2, 5, 3], y.Shape.Dimensions.ToArray());
        for (int n = 0; n < 2; n++)
        {
            for (int c = 0; c < 3; c++)
            {
                Assert.Equal(0f, y[n, 0, c]);
                Assert.Equal(0f, y[n, 3, c]);
                Assert.Equal(0f, y[n, 4, c]);
                Assert.Equal(x[n, 0, c], y[n, 1, c]);
                Assert.Equal(x[n, 1, c], y[n, 2, c]);
            }
        }

        GradientChecker.CheckLayer(layer, Tensor.RandomNormal(new TensorShape(2, 2, 3), 2), seed: 3).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void Cropping1D_KerasTest()
    {
        // keras/src/layers/reshaping/cropping1d_test.py: Cropping1D((1, 2)) of (3, 5, 7) is inputs[:, 1:-2, :].
        var layer = new Cropping1D((1, 2));
        layer.Build(new TensorShape(5, 7));
        Tensor x = Tensor.RandomNormal(new TensorShape(3, 5, 7), 4);
        Tensor y = layer.Forward(x, false);
        Assert.Equal([3, 2, 7], y.Shape.Dimensions.ToArray());
        for (int n = 0; n < 3; n++)
        {
            for (int t = 0; t < 2; t++)
            {
                for (int c = 0; c < 7; c++)
                {
                    Assert.Equal(x[n, t + 1, c], y[n, t, c]);
                }
            }
        }

        Assert.Equal((1, 1), new Cropping1D().Cropping);
        Assert.Equal((3, 3), new Cropping1D(3).Cropping);
        GradientChecker.CheckLayer(layer, Tensor.RandomNormal(new TensorShape(2, 5, 7), 5), seed: 6).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void UpSampling1D_RepeatsEachStep_KerasTest()
    {
        // keras/src/layers/reshaping/up_sampling1d_test.py: ops.repeat(x, size, axis=1).
        var layer = new UpSampling1D(3);
        layer.Build(new TensorShape(2, 2));
        Tensor y = layer.Forward(Arange(1, 2, 2), false);
        Assert.Equal([1, 6, 2], y.Shape.Dimensions.ToArray());
        Assert.Equal([0, 1, 0, 1, 0, 1, 2, 3, 2, 3, 2, 3], y.ToArray());
        Assert.Equal(2, new UpSampling1D().Size);

        // The gradient of a repeat sums the copies.
        var up = new UpSampling1D(2);
        up.Build(new TensorShape(2, 1));
        up.Forward(Arange(1, 2, 1), true);
        Assert.Equal([3f, 7f], up.Backward(Tensor.FromArray([1f, 2f, 3f, 4f], 1, 4, 1)).ToArray());
        GradientChecker.CheckLayer(layer, Tensor.RandomNormal(new TensorShape(2, 2, 2), 7), seed: 8).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void ActivityRegularization_AddsL1L2PenaltyOverBatch_KerasTest()
    {
        // keras/src/layers/regularization/activity_regularization_test.py: l1 = 0.2, l2 = 0.3 on [2] gives 4 * 0.3 + 2 * 0.2.
        var x = new Input(new TensorShape(1), "x");
        var model = new Functional(x, new ActivityRegularization(l1: 0.2, l2: 0.3, name: "reg").Call(x));
        model.Compile(new Sgd(0f), new MeanSquaredError());
        Tensor twos = Tensor.Filled(2f, 1, 1);

        double loss = model.Evaluate(twos, twos, verbose: 0)["loss"];

        Assert.Equal(1.6, loss, 5);
        Assert.Equal(twos.ToArray(), model.Predict(twos).ToArray());

        // Per sample over the batch: two rows [2] and [-1] give (0.2 * 3 + 0.3 * 5) / 2.
        Tensor two = Tensor.FromArray([2f, -1f], 2, 1);
        Assert.Equal(1.05, model.Evaluate(two, two, verbose: 0)["loss"], 5);
    }

    [Fact]
    public void ActivityRegularization_Gradient_MatchesNumericalGradients()
    {
        var layer = new ActivityRegularization(l1: 0.1, l2: 0.4);
        var x = new Input(new TensorShape(4), "x");
        var model = new Functional(x, new Dense(3, name: "out").Call(layer.Call(new Dense(4, name: "in").Call(x))), seed: 9);
        ModelGradientChecker.Check(model, [Tensor.RandomNormal(new TensorShape(3, 4), 10)], seed: 11).AssertPassed();
    }

    [Fact]
    public void SaveLoad_RoundTripsWithKerasKeys()
    {
        var pad = (ZeroPadding1D)ConvolutionTestKit.RoundTrip(new ZeroPadding1D((1, 2)), new TensorShape(3, 2));
        Assert.Equal((1, 2), pad.Padding);
        Assert.Contains("\"padding\":[1,2]", pad.GetConfig().ToString(), StringComparison.Ordinal);
        var crop = (Cropping1D)ConvolutionTestKit.RoundTrip(new Cropping1D((2, 0)), new TensorShape(4, 2));
        Assert.Contains("\"cropping\":[2,0]", crop.GetConfig().ToString(), StringComparison.Ordinal);
        var up = (UpSampling1D)ConvolutionTestKit.RoundTrip(new UpSampling1D(3), new TensorShape(3, 2));
        Assert.Equal(3, up.Size);
        var reg = (ActivityRegularization)ConvolutionTestKit.RoundTrip(new ActivityRegularization(0.25, 0.5), new TensorShape(3, 2));
        Assert.Equal((0.25, 0.5), (reg.L1, reg.L2));
        string config = reg.GetConfig().ToString();
        Assert.Contains("\"l1\":0.25", config, StringComparison.Ordinal);
        Assert.DoesNotContain("activity_regularizer", config, StringComparison.Ordinal);
        Assert.NotNull(reg.ActivityRegularizer);
    }

    [Fact]
    public void BadArguments_ThrowNamingTheLayer()
    {
        var pad = Assert.Throws<ArgumentOutOfRangeException>(() => new ZeroPadding1D((1, -1), name: "p"));
        Assert.Contains("ZeroPadding1D 'p' expects non-negative amounts. Received: padding=(1, -1)", pad.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Cropping1D(-1));
        var size = Assert.Throws<ArgumentOutOfRangeException>(() => new UpSampling1D(0, name: "up"));
        Assert.Contains("UpSampling1D 'up' expects a positive size. Received: size=0", size.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ActivityRegularization(l1: -1));
        var replaced = new ActivityRegularization(0.01, name: "reg") { ActivityRegularizer = new NeuralNet.Regularizers.L2(0.5) };
        var other = Assert.Throws<InvalidOperationException>(() => replaced.Build(new TensorShape(3)));
        Assert.Contains("ActivityRegularization 'reg' takes its penalty from l1 and l2", other.Message, StringComparison.Ordinal);
        Assert.False(replaced.IsBuilt);

        var crop = new Cropping1D((2, 1), name: "c");
        var all = Assert.Throws<ArgumentException>(() => crop.Build(new TensorShape(3, 4)));
        Assert.Contains("Cropping1D 'c': cropping (2, 1) leaves nothing of input (None, 3, 4)", all.Message, StringComparison.Ordinal);
        Assert.False(crop.IsBuilt);
        var rank = Assert.Throws<ArgumentException>(() => new UpSampling1D(name: "up").Build(new TensorShape(4, 3, 2)));
        Assert.Contains("UpSampling1D 'up' expects input of rank 2 per sample, (steps, channels), but got (None, 4, 3, 2)", rank.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ForwardBackward_AfterWarmUp_AllocatesNothing()
    {
        Tensor x = Tensor.RandomNormal(new TensorShape(2, 4, 5), 12);
        foreach (Layer layer in new Layer[] { new ZeroPadding1D(2), new Cropping1D(1), new UpSampling1D(3), new ActivityRegularization(0.1, 0.1) })
        {
            layer.Build(new TensorShape(4, 5));
            ConvolutionTestKit.AssertStepAllocatesNothing(layer, x);
        }
    }
}
