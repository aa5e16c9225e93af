using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Serialization;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Layers;

/// <summary>
/// Rate 1 in the dropout layers that Keras 3 lets drop everything: Dropout and SpatialDropout1D/2D check
/// <c>0 &lt;= rate &lt;= 1</c> (keras/src/layers/regularization/dropout.py; spatial_dropout.py inherits it).
/// </summary>
public class DropoutRateOneTests
{
    public static TheoryData<string> Kinds { get; } = ["dropout", "dropout_noise_shape", "spatial_dropout1d", "spatial_dropout2d", "spatial_dropout3d"];

    private static (Layer Layer, Tensor Input) Setup(string kind) => kind switch
    {
        "dropout" => (new Dropout(1.0, seed: 3), TestData.Normal(1, 2f, 4, 7)),
        "dropout_noise_shape" => (new Dropout(1.0, seed: 3) { NoiseShape = [null, 1, null] }, TestData.Normal(1, 2f, 4, 3, 5)),
        "spatial_dropout1d" => (new SpatialDropout1D(1.0, seed: 3), TestData.Normal(1, 2f, 4, 3, 5)),
        "spatial_dropout2d" => (new SpatialDropout2D(1.0, seed: 3), TestData.Normal(1, 2f, 2, 3, 3, 4)),
        "spatial_dropout3d" => (new SpatialDropout3D(1.0, seed: 3), TestData.Normal(1, 2f, 2, 2, 3, 2, 4)),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown layer."),
    };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void ForwardBackward_RateOneTraining_OutputAndGradientAreZeros(string kind)
    {
        (Layer layer, Tensor x) = Setup(kind);
        float[] output = layer.Forward(x, training: true).ToArray();
        Assert.All(output, v => Assert.Equal(0f, v));

        Tensor g = TestData.Normal(2, 1f, [.. x.Shape.Dimensions]);
        float[] gradient = layer.Backward(g).ToArray();
        Assert.Equal(x.Length, gradient.Length);
        Assert.All(gradient, v => Assert.Equal(0f, v));

        // A second training call, on another batch size, drops everything too.
        Tensor smaller = TestData.Normal(3, 2f, [1, .. x.Shape.Dimensions[1..]]);
        Assert.All(layer.Forward(smaller, training: true).ToArray(), v => Assert.Equal(0f, v));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Forward_RateOneInference_IsTheIdentity(string kind)
    {
        (Layer layer, Tensor x) = Setup(kind);
        Assert.Same(x, layer.Forward(x, training: false));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Recreate_RateOne_KeepsTheRate(string kind)
    {
        (Layer layer, Tensor x) = Setup(kind);
        layer.Build(x.Shape.DropFirst());
        Layer copy = SerializationRegistry.Recreate(layer);
        Assert.IsType(layer.GetType(), copy);
        Assert.Equal(1.0, copy.GetConfig().GetDouble("rate"));
        Assert.Equal(layer.GetConfig().ToJson(), copy.GetConfig().ToJson());
    }

    [Fact]
    public void Training_RateOneAfterFirstBatch_AllocatesNothing()
    {
        var layer = new Dropout(1.0, seed: 5);
        Tensor x = TestData.Normal(1, 1f, 8, 16), g = TestData.Normal(2, 1f, 8, 16);
        layer.Forward(x, training: true);
        layer.Backward(g);
        AllocationCheck.AssertNone(() =>
        {
            layer.Forward(x, training: true);
            layer.Backward(g);
        });
    }

    [Theory]
    [InlineData(1.0000001)]
    [InlineData(2.0)]
    public void Constructor_SpatialRateAboveOne_ThrowsNamingRange(double rate)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new SpatialDropout2D(rate));
        Assert.Contains("SpatialDropout2D expects a rate in [0, 1] but got rate=", e.Message, StringComparison.Ordinal);
        Assert.Equal("rate", e.ParamName);
    }

    [Fact]
    public void TrainStep_DropoutRateOne_FiniteLossAndLayersBeforeItUnchanged()
    {
        // Everything after the Dropout sees zeros, so the loss is finite and the Dense before it gets a zero gradient.
        var model = new Sequential([new InputLayer(6), new Dense(5, ActivationFunction.Tanh, name: "before"), new Dropout(1.0, seed: 1), new Dense(2, name: "after")], seed: 4);
        model.Compile(new Sgd(0.1f), new MeanSquaredError());
        Tensor x = TestData.Normal(5, 1f, 8, 6), y = TestData.Normal(6, 1f, 8, 2);
        float[] before = model.Layers.Single(l => l.Name == "before").Parameters.SelectMany(p => p.Value.ToArray()).ToArray();

        float loss = model.TrainStep(x, y);

        Assert.True(float.IsFinite(loss), $"loss {loss}");
        Assert.Equal(before, model.Layers.Single(l => l.Name == "before").Parameters.SelectMany(p => p.Value.ToArray()).ToArray());
        Assert.All(model.Parameters.SelectMany(p => p.Value.ToArray()), v => Assert.True(float.IsFinite(v)));
    }
}
