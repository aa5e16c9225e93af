using FsCheck.Xunit;
using NeuralNet.Layers;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Layers;

public class DropoutTests
{
    [Theory]
    [InlineData(1.0000001)]
    [InlineData(-0.1)]
    [InlineData(double.NaN)]
    [InlineData(1.5)]
    public void Constructor_RateOutsideZeroToOne_ThrowsNamingRate(double rate)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new Dropout(rate));
        Assert.Contains("Dropout expects a rate in [0, 1] but got rate=", e.Message, StringComparison.Ordinal);
        Assert.Equal("rate", e.ParamName);
    }

    [Fact]
    public void Forward_Inference_ReturnsInputUnchanged()
    {
        var layer = new Dropout(0.5, seed: 1);
        Tensor input = TestData.Normal(1, 1f, 4, 5);
        float[] before = input.ToArray();
        Assert.Same(input, layer.Forward(input, training: false));
        Assert.Equal(before, input.ToArray());
        Tensor g = TestData.Normal(2, 1f, 4, 5);
        Assert.Same(g, layer.Backward(g));
    }

    [Fact]
    public void Forward_Training_DropsAboutRateAndScalesSurvivors()
    {
        const double Rate = 0.3;
        var layer = new Dropout(Rate, seed: 7);
        Tensor input = Tensor.Ones(100, 1000);
        float[] output = layer.Forward(input, training: true).ToArray();
        float scale = (float)(1 / (1 - Rate));
        Assert.All(output, v => Assert.True(v == 0f || v == scale, $"{v} is neither 0 nor {scale}"));
        double dropped = output.Count(v => v == 0f) / (double)output.Length;
        Assert.InRange(dropped, Rate - 0.01, Rate + 0.01);
        // Inverted dropout keeps the mean: E[output] = input.
        Assert.InRange(output.Average(), 0.98, 1.02);
    }

    [Fact]
    public void Forward_SameSeed_SameMasksCallAfterCall()
    {
        var a = new Dropout(0.4, seed: 123);
        var b = new Dropout(0.4, seed: 123);
        var c = new Dropout(0.4, seed: 124);
        Tensor input = TestData.Normal(1, 1f, 8, 33);
        float[] a1 = a.Forward(input, training: true).ToArray();
        float[] a2 = a.Forward(input, training: true).ToArray();
        Assert.Equal(a1, b.Forward(input, training: true).ToArray());
        Assert.Equal(a2, b.Forward(input, training: true).ToArray());
        Assert.NotEqual(a1, a2);
        Assert.NotEqual(a1, c.Forward(input, training: true).ToArray());
    }

    [Fact]
    public void Forward_NoOwnSeed_MasksFollowTheLayerSeed()
    {
        Tensor input = Tensor.Ones(4, 50);
        float[] first = new Dropout(0.5) { Seed = 10 }.Forward(input, training: true).ToArray();
        Assert.Equal(first, new Dropout(0.5) { Seed = 10 }.Forward(input, training: true).ToArray());
        Assert.NotEqual(first, new Dropout(0.5) { Seed = 11 }.Forward(input, training: true).ToArray());
    }

    [Fact]
    public void Backward_Training_MultipliesByTheForwardMask()
    {
        var layer = new Dropout(0.5, seed: 3);
        Tensor input = TestData.AwayFromZero(1, 0.1f, 6, 7);
        float[] x = input.ToArray();
        float[] y = layer.Forward(input, training: true).ToArray();
        Tensor g = TestData.Normal(2, 1f, 6, 7);
        float[] dx = layer.Backward(g).ToArray();
        for (int i = 0; i < x.Length; i++)
        {
            Assert.Equal(y[i] == 0f ? 0f : g.AsReadOnlySpan()[i] * 2f, dx[i]);
        }
    }

    [Property(Arbitrary = [typeof(LayerCases)], MaxTest = 30, Replay = "(55,57)")]
    public void Backward_TrainingRandomShapes_MatchesNumericalGradient(ShapeCase c)
    {
        // A fresh layer with the same seed for every evaluation replays the same mask, so training mode can be checked.
        double rate = (c.Seed % 9) / 10.0;
        int[] dims = [c.Batch, .. c.SampleShape];
        Tensor input = TestData.Normal(c.Seed, 1f, dims);
        Tensor upstream = TestData.Normal(c.Seed + 1, 1f, dims);
        var analyticLayer = new Dropout(rate, seed: c.Seed);
        analyticLayer.Forward(input, training: true);
        float[] analytic = analyticLayer.Backward(upstream).ToArray();

        double Objective()
        {
            ReadOnlySpan<float> y = new Dropout(rate, seed: c.Seed).Forward(input, training: true).AsReadOnlySpan();
            double sum = 0;
            for (int i = 0; i < y.Length; i++)
            {
                sum += (double)upstream.AsReadOnlySpan()[i] * y[i];
            }

            return sum;
        }

        var report = new GradientCheckReport();
        GradientChecker.CheckTensor(report, "input", input, analytic, Objective, GradientCheckOptions.Default, c.Seed);
        report.AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void Forward_RateZero_IsIdentityEvenWhenTraining()
    {
        Tensor input = TestData.Normal(1, 1f, 3, 3);
        Assert.Same(input, new Dropout(0).Forward(input, training: true));
    }

    [Fact]
    public void ForwardBackward_AfterWarmUp_AllocatesNothing()
    {
        var layer = new Dropout(0.3, seed: 1);
        Tensor input = TestData.Normal(1, 1f, 16, 20);
        Tensor g = TestData.Normal(2, 1f, 16, 20);
        for (int i = 0; i < 3; i++)
        {
            layer.Forward(input, training: true);
            layer.Backward(g);
        }

        AllocationCheck.AssertNone(() =>
        {
            layer.Forward(input, training: true);
            layer.Backward(g);
        });
    }

    [Fact]
    public void Properties_KerasNameNoParameters()
    {
        var layer = new Dropout(0.2, seed: 9);
        layer.Build(new TensorShape(28, 28, 1));
        Assert.Equal("dropout", layer.DefaultNamePrefix);
        Assert.Equal(new TensorShape(28, 28, 1), layer.OutputShape);
        Assert.Equal(0, layer.ParameterCount);
        Assert.Equal(0.2, layer.Rate);
        Assert.Equal(9, layer.MaskSeed);
    }
}
