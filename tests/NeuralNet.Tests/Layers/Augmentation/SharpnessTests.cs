using System.Text.Json;
using NeuralNet.Layers;
using NeuralNet.Serialization;
using Xunit;

namespace NeuralNet.Tests.Layers.Augmentation;

/// <summary>RandomSharpness against a float64 loop of Keras' formula and Keras' test cases.</summary>
public class SharpnessTests
{
    private static Config Parse(string json) => Config.FromJson(JsonDocument.Parse(json).RootElement, "test", "config");

    // Keras' depthwise_conv with [[1, 1, 1], [1, 5, 1], [1, 1, 1]] / 13, padding "same" (zeros), in float64.
    private static double[] Reference(float[] x, int batch, int height, int width, int channels, double f, double low, double high)
    {
        var y = new double[x.Length];
        for (int n = 0; n < batch; n++)
        {
            for (int r = 0; r < height; r++)
            {
                for (int c = 0; c < width; c++)
                {
                    for (int k = 0; k < channels; k++)
                    {
                        double smooth = 0;
                        for (int i = -1; i <= 1; i++)
                        {
                            for (int j = -1; j <= 1; j++)
                            {
                                if (r + i >= 0 && r + i < height && c + j >= 0 && c + j < width)
                                {
                                    smooth += (i == 0 && j == 0 ? 5.0 : 1.0) / 13 * x[((((n * height) + r + i) * width) + c + j) * channels + k];
                                }
                            }
                        }

                        int at = ((((n * height) + r) * width) + c) * channels + k;
                        y[at] = Math.Clamp(x[at] + ((1 - (2 * f)) * (smooth - x[at])), low, high);
                    }
                }
            }
        }

        return y;
    }

    [Theory]
    [InlineData(0.0, 0.0, 1.0)]
    [InlineData(0.9, 0.0, 1.0)]
    [InlineData(0.3, 0.0, 255.0)]
    [InlineData(1.0, 0.2, 0.8)]
    public void RandomSharpness_FollowsKerasFormula(double factor, double low, double high)
    {
        var layer = new RandomSharpness((factor, factor), (low, high), seed: 4);
        Tensor x = Tensor.RandomUniform(new TensorShape(2, 5, 6, 2), 3, 0f, (float)high);
        float[] y = layer.Forward(x, training: true).ToArray();
        Assert.All(layer.LastFactors.ToArray(), f => Assert.Equal(factor, f, 6));
        AugmentationTestKit.AssertClose(Reference(x.ToArray(), 2, 5, 6, 2, factor, low, high), y, 2e-6, $"factor {factor}");
    }

    // random_sharpness_test.py: (0.5, 0.5) keeps the image; 0.2 on [0, 1] images, value range (0, 255), stays in [0, 1]
    // (a blur of values in [0, 1] with a kernel of sum 1 or less).
    [Fact]
    public void RandomSharpness_KerasTestCases()
    {
        Tensor x = Tensor.RandomUniform(new TensorShape(2, 8, 8, 3), 1, 0f, 1f);
        AugmentationTestKit.AssertClose(Array.ConvertAll(x.ToArray(), v => (double)v), new RandomSharpness((0.5, 0.5)).Forward(x, training: true).AsReadOnlySpan(), 1e-7, "no-op");
        Tensor image = Tensor.RandomUniform(new TensorShape(1, 3, 3, 3), 2, 0f, 1f);
        Assert.All(new RandomSharpness(0.2, seed: 3).Forward(image, training: true).ToArray(), v => Assert.InRange(v, 0f, 1f));

        var layer = new RandomSharpness(0.75, seed: 5);
        Assert.Equal((0.0, 0.75), layer.Factor);
        layer.Forward(new Tensor(300, 2, 2, 1), training: true);
        double[] f = layer.LastFactors.ToArray();
        Assert.All(f, v => Assert.InRange(v, 0, 0.75));
        Assert.True(f.Min() < 0.03 && f.Max() > 0.72);
    }

    [Fact]
    public void Config_AndBadArguments()
    {
        Assert.Equal("""{"name":"s","trainable":true,"dtype":"float32","factor":[0,0.75],"value_range":[0,255],"seed":1}""", new RandomSharpness(0.75, seed: 1, name: "s").GetConfig().ToJson());
        string json = new RandomSharpness((0.2, 0.9), (1, 0), name: "s").GetConfig().ToJson();
        Assert.Equal(json, RandomSharpness.FromConfig(Parse(json)).GetConfig().ToJson());
        Assert.Equal((0.0, 0.75), RandomSharpness.FromConfig(Parse("""{"name": "s", "factor": 0.75, "seed": 1}""")).Factor);

        static string Message(Action action) => Assert.ThrowsAny<ArgumentException>(action).Message;
        Assert.Contains("RandomSharpness expects factor to be a number in [0, 1] or a pair", Message(() => new RandomSharpness(1.5)), StringComparison.Ordinal);
        Assert.Contains("Received: factor=(1.2, 1.4).", Message(() => new RandomSharpness((1.2, 1.4))), StringComparison.Ordinal);
        Assert.Contains("valueRange=(0, Infinity)", Message(() => new RandomSharpness(0.5, (0, double.PositiveInfinity))), StringComparison.Ordinal);
        Assert.Contains("'s' expects input of rank 3 per sample", Message(() => new RandomSharpness(0.5, name: "s").Build(new TensorShape(3, 3))), StringComparison.Ordinal);
    }
}
