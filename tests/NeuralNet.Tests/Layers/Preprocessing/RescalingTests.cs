using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Serialization;
using NeuralNet.Tests.GradientChecking;
using NeuralNet.Tests.Layers.Normalization;
using Xunit;

namespace NeuralNet.Tests.Layers.Preprocessing;

public class RescalingTests
{
    [Fact]
    public void Forward_KerasRescalingTest_ScalesThenOffsets()
    {
        // rescaling_test.py, test_rescaling_correctness: scale 1/255, offset 0.5 on ones.
        float[] y = new Rescaling(1f / 255, 0.5f).Forward(Tensor.Ones(2, 3), training: false).ToArray();
        Assert.All(y, v => Assert.Equal((1f / 255) + 0.5f, v));
    }

    [Fact]
    public void Forward_RandomData_IsTheFloat32ProductThenSum()
    {
        Tensor x = Tensor.RandomUniform(new TensorShape(7, 3, 5), 1, 0f, 255f);
        float scale = 1f / 127.5f, offset = -1f;
        float[] y = new Rescaling(scale, offset).Forward(x, training: false).ToArray(), xs = x.ToArray();
        for (int i = 0; i < y.Length; i++)
        {
            float product = xs[i] * scale;
            Assert.Equal(product + offset, y[i]);
            Assert.Equal((xs[i] * (double)scale) + offset, y[i], 1e-6);
        }
    }

    [Fact]
    public void Backward_MatchesNumericalGradients() =>
        GradientChecker.CheckLayer(new Rescaling(0.25f, 3f), Tensor.RandomNormal(new TensorShape(2, 6), 2), seed: 1).AssertPassed(maxKinkFraction: 0);

    [Fact]
    public void SaveLoad_InAModel_RoundTripsBitForBit()
    {
        Sequential model = LayerTestKit.TrainedModel([2, 3], 4, new Rescaling(0.5f, -0.25f));
        LayerTestKit.AssertRoundTrip(model, LayerTestKit.Data([2, 3], 4).X);
        Assert.Contains("\"scale\":0.5,\"offset\":-0.25", new Rescaling(0.5f, -0.25f).GetConfig().ToJson(), StringComparison.Ordinal);
        Assert.Equal(2f, Assert.IsType<Rescaling>(SerializationRegistry.Recreate(new Rescaling(2f))).Scale);
    }

    [Fact]
    public void BadInput_NonFiniteFactors_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Rescaling(float.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Rescaling(1f, float.PositiveInfinity));
    }

    [Fact]
    public void Training_AllocatesNothingAfterWarmUp() => LayerTestKit.AssertTrainingAllocatesNothing([3, 4], new Rescaling(2f, 1f), new Dense(2));

    // Keras' Rescaling with a list scale multiplies by it with NumPy broadcasting over the last (channels) axis; Keras'
    // EfficientNet uses [1 / sqrt(0.229), 1 / sqrt(0.224), 1 / sqrt(0.225)].
    [Fact]
    public void Forward_PerChannelScale_MultipliesEachChannel()
    {
        float[] scale = [0.5f, 2f, -3f];
        Tensor x = Tensor.RandomUniform(new TensorShape(2, 4, 5, 3), 7, -10f, 10f);

        float[] y = new Rescaling([.. scale], 0.25f).Forward(x, training: false).ToArray(), xs = x.ToArray();

        for (int i = 0; i < y.Length; i++)
        {
            float product = xs[i] * scale[i % 3];
            Assert.Equal(product + 0.25f, y[i]);
        }
    }

    [Fact]
    public void Backward_PerChannelScale_MatchesNumericalGradients() =>
        GradientChecker.CheckLayer(new Rescaling([0.25f, -1.5f, 3f, 0.5f], 1f), Tensor.RandomNormal(new TensorShape(2, 3, 4), 2), seed: 1).AssertPassed(maxKinkFraction: 0);

    [Fact]
    public void SaveLoad_PerChannelScale_RoundTripsAsKerasList()
    {
        Sequential model = LayerTestKit.TrainedModel([2, 3], 4, new Rescaling([0.5f, 2f, 4f], -0.25f));
        LayerTestKit.AssertRoundTrip(model, LayerTestKit.Data([2, 3], 4).X);
        Assert.Contains("\"scale\":[0.5,2,4],\"offset\":-0.25", new Rescaling([0.5f, 2f, 4f], -0.25f).GetConfig().ToJson(), StringComparison.Ordinal);
        var copy = Assert.IsType<Rescaling>(SerializationRegistry.Recreate(new Rescaling([0.5f, 2f])));
        Assert.Equal([0.5f, 2f], copy.ChannelScales!);
        Assert.Equal(1f, copy.Scale);
    }

    [Fact]
    public void BadInput_PerChannelScale_ChecksFactorsAndChannels()
    {
        Assert.Throws<ArgumentException>(() => new Rescaling(Array.Empty<double>()));
        var nan = Assert.Throws<ArgumentOutOfRangeException>(() => new Rescaling([1f, float.NaN]));
        Assert.Contains("scale[1]=NaN", nan.Message);

        var e = Assert.Throws<ArgumentException>(() => new Sequential([new InputLayer(4, 4, 2), new Rescaling([1f, 2f, 3f], name: "fix")]));
        Assert.Contains("Rescaling 'fix' has 3 per-channel factors, so its input's last axis must have 3 channels, but got input (None, 4, 4, 2).", e.Message);
    }

    [Fact]
    public void Training_PerChannelScale_AllocatesNothingAfterWarmUp() => LayerTestKit.AssertTrainingAllocatesNothing([3, 4], new Rescaling([1f, 2f, 3f, 4f]), new Dense(2));

    // Keras multiplies by a list scale with NumPy broadcasting: one factor applies to every channel.
    [Fact]
    public void Forward_OneFactorList_BroadcastsOverEveryChannel()
    {
        var model = new Sequential([new InputLayer(2, 5), new Rescaling([-0.5f], 1f)]);
        Tensor x = Tensor.RandomUniform(new TensorShape(3, 2, 5), 4, -10f, 10f);

        float[] y = model.Predict(x).ToArray(), xs = x.ToArray();

        Assert.Equal(xs.Select(v => (v * -0.5f) + 1f), y);
        Assert.Equal([-0.5f], ((Rescaling)model.Layers[^1]).ChannelScales!);
    }

    // The factors are tiled to about 1024 values once: inputs longer than that (and of a channel count not dividing it)
    // must still take the factor of each value's channel.
    [Theory]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(1500)]
    public void Forward_PerChannelScale_LongInputs_TakeEachValuesChannelFactor(int channels)
    {
        float[] scale = [.. Enumerable.Range(0, channels).Select(c => 0.5f + (c % 11))];
        Tensor x = Tensor.RandomUniform(new TensorShape(3, 9, 17, channels), 6, -10f, 10f);

        float[] y = new Rescaling([.. scale]).Forward(x, training: false).ToArray(), xs = x.ToArray();

        for (int i = 0; i < y.Length; i++)
        {
            Assert.Equal(xs[i] * scale[i % channels], y[i]);
        }
    }

    // Keras writes a NumPy array argument as {"class_name": "__numpy__", "config": {"value": ..., "dtype": ...}}.
    [Fact]
    public void FromConfig_NumpyScale_ReadsItsValue()
    {
        static Rescaling Read(string json) => Rescaling.FromConfig(Config.Wrap((System.Text.Json.Nodes.JsonObject)System.Text.Json.Nodes.JsonNode.Parse(json)!, "test", "layer"));

        Rescaling list = Read("""{"name": "r", "scale": {"class_name": "__numpy__", "config": {"value": [0.5, 2.0, 4.0], "dtype": "float32"}}, "offset": 0.0}""");
        Assert.Equal([0.5f, 2f, 4f], list.ChannelScales!);
        Rescaling scalar = Read("""{"name": "r", "scale": {"class_name": "__numpy__", "config": {"value": 0.25, "dtype": "float32"}}, "offset": 1.0}""");
        Assert.Null(scalar.ChannelScales);
        Assert.Equal((0.25f, 1f), (scalar.Scale, scalar.Offset));

        var e = Assert.Throws<InvalidDataException>(() => Read("""{"name": "r", "scale": {"class_name": "Other", "config": {}}}"""));
        Assert.Contains("expected a number, a list of numbers, or a Keras __numpy__ or __tensor__ array of them", e.Message, StringComparison.Ordinal);
    }
}
