using NeuralNet.Layers;
using NeuralNet.Serialization;
using NeuralNet.Tests.GradientChecking;
using NeuralNet.Tests.Layers.Normalization;
using Xunit;

namespace NeuralNet.Tests.Layers;

// Keras' StochasticDepth (keras/src/applications/convnext.py): in training, keep_prob = 1 - drop_path_rate,
// r = floor(keep_prob + uniform(shape=(batch, 1, ..., 1))), y = (x / keep_prob) * r; otherwise y = x.
public class StochasticDepthTests
{
    [Fact]
    public void Inference_IsTheIdentity()
    {
        var layer = new StochasticDepth(0.5);
        Tensor x = Tensor.RandomNormal(new TensorShape(4, 3, 2), 1);

        Assert.Equal(x.ToArray(), layer.Forward(x, training: false).ToArray());
        GradientChecker.CheckLayer(new StochasticDepth(0.5), x, 2).AssertPassed();
    }

    [Fact]
    public void Training_KeepsOrDropsWholeSamples_ScaledByOneOverKeepProbability()
    {
        var layer = new StochasticDepth(0.25, seed: 3);
        Tensor x = Tensor.RandomUniform(new TensorShape(400, 2, 3), 4, 1f, 2f);

        float[] y = layer.Forward(x, training: true).ToArray(), input = x.ToArray();

        int kept = 0;
        for (int n = 0; n < 400; n++)
        {
            bool keep = y[n * 6] != 0f;
            kept += keep ? 1 : 0;
            for (int i = n * 6; i < (n + 1) * 6; i++)
            {
                Assert.Equal(keep ? input[i] / 0.75f : 0f, y[i]);   // (x / keep_prob) * r, r in {0, 1} per sample
            }
        }

        // 400 draws of probability 0.75: 300 expected, standard deviation sqrt(400 * 0.75 * 0.25) = 8.7; 4.6 sigma either way.
        Assert.InRange(kept, 260, 340);
    }

    [Fact]
    public void TrainingBackward_IsUpstreamTimesTheSameFactor()
    {
        var layer = new StochasticDepth(0.5, seed: 9);
        Tensor x = Tensor.RandomUniform(new TensorShape(16, 3), 5, 1f, 2f);
        float[] y = layer.Forward(x, training: true).ToArray();
        Tensor g = Tensor.RandomNormal(new TensorShape(16, 3), 6);

        float[] dx = layer.Backward(g).ToArray(), dy = g.ToArray();

        // d((x / keep) * r)/dx = r / keep: the gradient of a kept sample is dy / 0.5, of a dropped one 0.
        for (int i = 0; i < dx.Length; i++)
        {
            Assert.Equal(y[i] != 0f ? dy[i] / 0.5f : 0f, dx[i]);
        }

        Assert.Contains(y, v => v == 0f);
        Assert.Contains(y, v => v != 0f);
    }

    [Fact]
    public void SameSeed_SameDraws()
    {
        Tensor x = Tensor.RandomNormal(new TensorShape(32, 4), 7);
        float[] a = new StochasticDepth(0.4, seed: 1).Forward(x, training: true).ToArray();
        float[] b = new StochasticDepth(0.4, seed: 1).Forward(x, training: true).ToArray();

        Assert.Equal(a, b);
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.0)]
    [InlineData(double.NaN)]
    public void Constructor_RateOutsideRange_Throws(double rate)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new StochasticDepth(rate));

        Assert.Contains($"StochasticDepth expects a drop_path_rate in [0, 1) but got drop_path_rate={rate.ToString(System.Globalization.CultureInfo.InvariantCulture)}", e.Message, StringComparison.Ordinal);
        Assert.Equal("dropPathRate", e.ParamName);
    }

    [Fact]
    public void Config_HasKerasKeys_AndSaveLoadRoundTrips()
    {
        Config config = new StochasticDepth(0.1).GetConfig();
        Assert.Equal(0.1, config.GetDouble("drop_path_rate"));
        Assert.False(config.Contains("seed"));

        var model = LayerTestKit.TrainedModel([4, 3], 7, new StochasticDepth(0.2, seed: 4));
        LayerTestKit.AssertRoundTrip(model, LayerTestKit.Data([4, 3], 8).X);
    }

    [Fact]
    public void TrainStep_AfterWarmUp_AllocatesNothing() =>
        LayerTestKit.AssertTrainingAllocatesNothing([3, 4], new StochasticDepth(0.3));
}
