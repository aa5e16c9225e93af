using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Serialization;
using NeuralNet.Tests.GradientChecking;
using NeuralNet.Tests.Serialization;
using Xunit;
using static NeuralNet.Tests.Serialization.ModelTestData;

namespace NeuralNet.Tests.Layers.Attention;

public class NoiseLayerTests
{
    public static TheoryData<string> Kinds => ["spatial_dropout1d", "spatial_dropout2d", "spatial_dropout3d", "gaussian_noise", "gaussian_dropout", "alpha_dropout"];

    private static Layer Create(string kind, double amount = 0.3, long? seed = 17, string? name = null) => kind switch
    {
        "spatial_dropout1d" => new SpatialDropout1D(amount, seed, name),
        "spatial_dropout2d" => new SpatialDropout2D(amount, seed, name),
        "spatial_dropout3d" => new SpatialDropout3D(amount, seed, name),
        "gaussian_noise" => new GaussianNoise(amount, seed, name),
        "gaussian_dropout" => new GaussianDropout(amount, seed, name),
        "alpha_dropout" => new AlphaDropout(amount, seed, name),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown layer."),
    };

    private static int[] SampleShape(string kind) => kind switch
    {
        "spatial_dropout2d" => [3, 4, 5],
        "spatial_dropout3d" => [2, 3, 2, 5],
        _ => [6, 5],
    };

    private static (Layer Layer, Tensor X) Setup(string kind, int batch = 3, double amount = 0.3)
    {
        Layer layer = Create(kind, amount);
        int[] shape = SampleShape(kind);
        layer.Build(new TensorShape(shape));
        return (layer, TestData.Normal(2, 1f, [batch, .. shape]));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Inference_IsTheIdentity(string kind)
    {
        (Layer layer, Tensor x) = Setup(kind);
        Assert.Same(x, layer.Forward(x, training: false));
        Assert.Same(x, Create(kind, 0.0).Forward(x, training: true));
        Tensor g = TestData.Normal(3, 1f, x.Shape.Dimensions.ToArray());
        layer.Forward(x, training: false);
        Assert.Same(g, layer.Backward(g));
    }

    // Every output element against the layer's formula in float64, given what the training pass drew (read back from
    // the output itself for the dropout layers, whose outputs take only the values the formula allows).
    [Fact]
    public void SpatialDropout_DropsWholeChannelsAndScalesTheRest()
    {
        foreach (string kind in new[] { "spatial_dropout1d", "spatial_dropout2d", "spatial_dropout3d" })
        {
            (Layer layer, Tensor x) = Setup(kind, batch: 40, amount: 0.4);
            Tensor y = layer.Forward(x, training: true);
            int channels = 5, positions = x.Length / x.Shape[0] / channels, dropped = 0;
            for (int b = 0; b < x.Shape[0]; b++)
            {
                for (int c = 0; c < channels; c++)
                {
                    bool kept = y.AsReadOnlySpan()[(b * positions * channels) + c] != 0f;
                    dropped += kept ? 0 : 1;
                    for (int p = 0; p < positions; p++)
                    {
                        int i = (((b * positions) + p) * channels) + c;
                        double expected = kept ? x.AsReadOnlySpan()[i] / (1 - 0.4) : 0;
                        Assert.True(Math.Abs(y.AsReadOnlySpan()[i] - expected) <= 1e-6, $"{kind}: sample {b}, position {p}, channel {c}: {y.AsReadOnlySpan()[i]} instead of {expected}");
                    }
                }
            }

            Assert.InRange(dropped / 200.0, 0.25, 0.55);
        }
    }

    [Fact]
    public void GaussianLayers_HaveKerasStatistics()
    {
        // Keras' tests: GaussianNoise adds noise of standard deviation stddev; GaussianDropout multiplies by noise of
        // standard deviation sqrt(rate / (1 - rate)) around 1.
        var noise = new GaussianNoise(0.5, seed: 1);
        Tensor zeros = new(20, 500);
        double[] added = [.. noise.Forward(zeros, training: true).ToArray().Select(v => (double)v)];
        Assert.Equal(0.0, added.Average(), 0.02);
        Assert.Equal(0.5, StandardDeviation(added), 0.02);

        var dropout = new GaussianDropout(0.3, seed: 1);
        Tensor ones = Tensor.Ones(20, 500);
        double[] scaled = [.. dropout.Forward(ones, training: true).ToArray().Select(v => (double)v)];
        Assert.Equal(1.0, scaled.Average(), 0.03);
        Assert.Equal(Math.Sqrt(0.3 / 0.7), StandardDeviation(scaled), 0.03);

        // Exactly x + noise and x · noise: the same seed on another input reproduces the draws.
        Tensor x = TestData.Normal(4, 1f, 20, 500);
        float[] y = new GaussianNoise(0.5, seed: 1).Forward(x, training: true).ToArray();
        float[] z = new GaussianDropout(0.3, seed: 1).Forward(x, training: true).ToArray();
        for (int i = 0; i < y.Length; i++)
        {
            Assert.Equal(x.AsReadOnlySpan()[i] + added[i], y[i], 1e-5);
            Assert.Equal(x.AsReadOnlySpan()[i] * scaled[i], z[i], 1e-5);
        }
    }

    [Fact]
    public void AlphaDropout_FollowsKerasFormula()
    {
        // Keras' test_alpha_dropout_correctness: on ones, rate 0.3, the output's standard deviation is 1 within 0.1.
        var layer = new AlphaDropout(0.3, seed: 1337);
        double[] y = [.. layer.Forward(Tensor.Ones(20, 500), training: true).ToArray().Select(v => (double)v)];
        Assert.Equal(1.0, StandardDeviation(y), 0.1);

        // Keras 3's constants: a = ((1 - p)(1 + p·α'²))^-1/2, b = -a·α'·p, α' = -λα; kept -> a·x + b, dropped -> a·α' + b.
        const double alpha = 1.6732632423543772848170429916717, lambda = 1.0507009873554804934193349852946, p = 0.3;
        double alphaPrime = -alpha * lambda, a = Math.Pow((1 - p) * (1 + (p * alphaPrime * alphaPrime)), -0.5), b = -a * alphaPrime * p;
        Assert.Equal(alphaPrime, AlphaDropout.AlphaPrime, 1e-12);
        Assert.Equal(a, layer.A, 1e-12);
        Assert.Equal(b, layer.B, 1e-12);
        Tensor x = TestData.Normal(5, 1f, 100, 100);
        float[] z = new AlphaDropout(p, seed: 3).Forward(x, training: true).ToArray();
        int dropped = 0;
        for (int i = 0; i < z.Length; i++)
        {
            double kept = (a * x.AsReadOnlySpan()[i]) + b, gone = (a * alphaPrime) + b;
            bool isKept = Math.Abs(z[i] - kept) <= 1e-5;
            dropped += isKept ? 0 : 1;
            Assert.True(isKept || Math.Abs(z[i] - gone) <= 1e-5, $"element {i}: {z[i]} is neither {kept} nor {gone}");
        }

        Assert.InRange(dropped / 10_000.0, 0.28, 0.32);

        // Self-normalizing: a standard normal input keeps mean 0 and variance 1.
        double[] normalized = [.. z.Select(v => (double)v)];
        Assert.Equal(0.0, normalized.Average(), 0.05);
        Assert.Equal(1.0, StandardDeviation(normalized), 0.05);
    }

    private static double StandardDeviation(double[] values)
    {
        double mean = values.Average();
        return Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / values.Length);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Backward_MatchesNumericalGradientsForTheSameDraws(string kind)
    {
        (Layer layer, Tensor x) = Setup(kind);
        StochasticGradientCheck.Check(layer, [x], [0], seed: 5, training: true).AssertPassed(maxKinkFraction: 0);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Training_IsSeeded_AndEachCallDrawsAgain(string kind)
    {
        (Layer layer, Tensor x) = Setup(kind);
        float[] first = layer.Forward(x, training: true).ToArray();
        float[] second = layer.Forward(x, training: true).ToArray();
        Assert.NotEqual(first, second);
        (Layer again, _) = Setup(kind);
        Assert.Equal(first, again.Forward(x, training: true).ToArray());
        Layer fromModelSeed = Create(kind, seed: null);
        fromModelSeed.Build(x.Shape.DropFirst());
        Assert.NotEqual(first, fromModelSeed.Forward(x, training: true).ToArray());
    }

    [Fact]
    public void BadInput_Throws()
    {
        Assert.Contains("SpatialDropout1D expects a rate in [0, 1] but got rate=1.5", Assert.Throws<ArgumentOutOfRangeException>(() => new SpatialDropout1D(1.5)).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new SpatialDropout2D(-0.1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GaussianDropout(double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AlphaDropout(1.5));
        Assert.Contains("stddev=1.5", Assert.Throws<ArgumentOutOfRangeException>(() => new GaussianNoise(1.5)).Message, StringComparison.Ordinal);
        string rank1 = Assert.Throws<ArgumentException>(() => new SpatialDropout1D(0.2, name: "sd").Build(new TensorShape(4, 4, 3))).Message;
        Assert.Contains("SpatialDropout1D 'sd' expects input (None, steps, channels) but got (None, 4, 4, 3)", rank1, StringComparison.Ordinal);
        string rank2 = Assert.Throws<ArgumentException>(() => new SpatialDropout2D(0.2, name: "sd").Build(new TensorShape(4, 3))).Message;
        Assert.Contains("SpatialDropout2D 'sd' expects input (None, height, width, channels) but got (None, 4, 3)", rank2, StringComparison.Ordinal);
        Config channelsFirst = Config.FromJson(System.Text.Json.JsonDocument.Parse("""{"name": "s", "rate": 0.1, "data_format": "channels_first"}""").RootElement, "test", "config");
        Assert.Throws<InvalidDataException>(() => SpatialDropout2D.FromConfig(channelsFirst));
        Assert.Contains("SpatialDropout3D expects a rate in [0, 1] but got rate=-0.5", Assert.Throws<ArgumentOutOfRangeException>(() => new SpatialDropout3D(-0.5)).Message, StringComparison.Ordinal);
        string rank3 = Assert.Throws<ArgumentException>(() => new SpatialDropout3D(0.2, name: "sd").Build(new TensorShape(4, 4, 3))).Message;
        Assert.Contains("SpatialDropout3D 'sd' expects input (None, dim1, dim2, dim3, channels) but got (None, 4, 4, 3)", rank3, StringComparison.Ordinal);
        Assert.Throws<InvalidDataException>(() => SpatialDropout3D.FromConfig(channelsFirst));
    }

    [Fact]
    public void SaveLoad_InASequential_RoundTripsBitForBitAndResumesTheRandomStreams()
    {
        using var dir = new TempDirectory();
        string path = dir.File("noise.safetensors");
        var model = new Sequential(seed: 4);
        model.Add(new InputLayer(6, 5));
        model.Add(new GaussianNoise(0.1));
        model.Add(new SpatialDropout1D(0.2));
        model.Add(new Conv1D(4, 3, name: "conv"));
        model.Add(new GaussianDropout(0.2));
        model.Add(new AlphaDropout(0.1));
        model.Add(new Flatten());
        model.Add(new Dense(2));
        model.Compile(new Sgd(0.05f), new MeanSquaredError());
        Tensor x = TestData.Normal(1, 1f, 16, 6, 5), y = TestData.Normal(2, 1f, 16, 2);
        model.Fit(x, y, epochs: 2, batchSize: 4, verbose: 0);
        model.Save(path);

        var loaded = (Sequential)Model.Load(path);
        Assert.Equal(model.Layers.Select(l => l.GetType()), loaded.Layers.Select(l => l.GetType()));
        Assert.Equal(Bits(model.Predict(x)), Bits(loaded.Predict(x)));
        History continued = model.Fit(x, y, epochs: 1, batchSize: 4, verbose: 0);
        History resumed = loaded.Fit(x, y, epochs: 1, batchSize: 4, verbose: 0);
        Assert.Equal(continued["loss"], resumed["loss"]);

        var image = new Sequential(seed: 4);
        image.Add(new InputLayer(4, 4, 3));
        image.Add(new SpatialDropout2D(0.3, name: "sd2"));
        string imagePath = dir.File("image.safetensors");
        image.Save(imagePath);
        Model reloaded = Model.Load(imagePath);
        Assert.Equal(image.Layers[^1].GetConfig().ToJson(), reloaded.Layers[^1].GetConfig().ToJson());
        Assert.Equal(image.Summary(), reloaded.Summary());

        var volume = new Sequential(seed: 4);
        volume.Add(new InputLayer(3, 4, 2, 3));
        volume.Add(new SpatialDropout3D(0.25, seed: 9, name: "sd3"));
        string volumePath = dir.File("volume.safetensors");
        volume.Save(volumePath);
        Model volumeReloaded = Model.Load(volumePath);
        Assert.IsType<SpatialDropout3D>(volumeReloaded.Layers[^1]);
        Assert.Equal("""{"name":"sd3","trainable":true,"dtype":"float32","rate":0.25,"seed":9,"data_format":"channels_last"}""", volumeReloaded.Layers[^1].GetConfig().ToJson());
    }

    [Fact]
    public void TrainingStep_AfterWarmUp_AllocatesNothing()
    {
        var setups = new[] { "spatial_dropout1d", "spatial_dropout2d", "spatial_dropout3d", "gaussian_noise", "gaussian_dropout", "alpha_dropout" }.Select(k => Setup(k)).ToArray();
        var upstreams = setups.Select(s => TestData.Normal(6, 1f, s.X.Shape.Dimensions.ToArray())).ToArray();

        void Step()
        {
            for (int i = 0; i < setups.Length; i++)
            {
                setups[i].Layer.Forward(setups[i].X, training: true);
                setups[i].Layer.Backward(upstreams[i]);
            }
        }

        Step();
        AllocationCheck.AssertNone(Step);
    }
}
