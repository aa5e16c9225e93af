using System.Text.Json;
using FsCheck.Xunit;
using NeuralNet.Kernels;
using NeuralNet.Layers;
using NeuralNet.Serialization;
using Xunit;

namespace NeuralNet.Tests.Layers.Augmentation;

/// <summary>The Gaussian blur kernel against its float64 twin, and RandomGaussianBlur against Keras' values and formula.</summary>
public class GaussianBlurTests
{
    private const string Seed = "(20261205,27)";

    private static Config Parse(string json) => Config.FromJson(JsonDocument.Parse(json).RootElement, "test", "config");

    private static float[] Kernel(int size, float sigma)
    {
        var kernel = new float[size];
        GaussianBlur.Kernel(sigma, kernel);
        return kernel;
    }

    [Property(Replay = Seed, MaxTest = 60)]
    public void Blur_RandomShapes_EqualsFloat64Reference(long seed)
    {
        var random = new SeededRandom(seed);
        int height = random.NextInt(9) + 1, width = random.NextInt(9) + 1, channels = random.NextInt(4) + 1;
        int heightSize = (2 * random.NextInt(4)) + 1, widthSize = (2 * random.NextInt(4)) + 1;
        float sigmaHeight = (random.NextSingle() * 2f) + 0.05f, sigmaWidth = (random.NextSingle() * 2f) + 0.05f;
        float[] heightKernel = Kernel(heightSize, sigmaHeight), widthKernel = Kernel(widthSize, sigmaWidth);
        double[] expectedHeight = GaussianBlur.KernelReference(heightSize, sigmaHeight), expectedWidth = GaussianBlur.KernelReference(widthSize, sigmaWidth);
        AugmentationTestKit.AssertClose(expectedHeight, heightKernel, 1e-6, "height kernel");
        AugmentationTestKit.AssertClose(expectedWidth, widthKernel, 1e-6, "width kernel");

        int size = height * width * channels;
        float[] image = Tensor.RandomUniform(new TensorShape(size), seed, -2f, 2f).ToArray();
        var scratch = new float[size];
        var blurred = new float[size];
        GaussianBlur.Blur(image, height, width, channels, heightKernel, widthKernel, scratch, blurred);
        double[] expected = GaussianBlur.BlurReference(Array.ConvertAll(image, v => (double)v), height, width, channels, expectedHeight, expectedWidth);
        AugmentationTestKit.AssertClose(expected, blurred, 1e-5, $"({height}, {width}, {channels}) kernels {heightSize}x{widthSize}");
    }

    // The backward pass blurs the gradient with the same kernels: <blur(x), g> = <x, blur(g)> (zero padding, symmetric taps).
    [Property(Replay = Seed, MaxTest = 30)]
    public void Blur_IsItsOwnTranspose(long seed)
    {
        var random = new SeededRandom(seed);
        int height = random.NextInt(8) + 1, width = random.NextInt(8) + 1, channels = random.NextInt(3) + 1, kernelSize = (2 * random.NextInt(3)) + 1;
        float[] heightKernel = Kernel(kernelSize, 0.3f + random.NextSingle()), widthKernel = Kernel(kernelSize, 0.3f + random.NextSingle());
        int size = height * width * channels;
        float[] x = Tensor.RandomUniform(new TensorShape(size), seed, -1f, 1f).ToArray(), g = Tensor.RandomUniform(new TensorShape(size), seed + 1, -1f, 1f).ToArray();
        float[] bx = new float[size], bg = new float[size], scratch = new float[size];
        GaussianBlur.Blur(x, height, width, channels, heightKernel, widthKernel, scratch, bx);
        GaussianBlur.Blur(g, height, width, channels, heightKernel, widthKernel, scratch, bg);
        double left = 0, right = 0;
        for (int i = 0; i < size; i++)
        {
            left += (double)bx[i] * g[i];
            right += (double)x[i] * bg[i];
        }

        Assert.True(Math.Abs(left - right) <= 1e-5 * (1 + Math.Abs(left)), $"<Kx, g> = {left} but <x, Kg> = {right}");
    }

    // random_gaussian_blur_test.py test_random_erasing_basic: ones (1, 2, 2, 3), blur_factor [0.3732, 0.8654], kernel 3 -> 0.7273.
    [Fact]
    public void Blur_KerasPublishedValue()
    {
        float[] image = [.. Enumerable.Repeat(1f, 12)];
        var blurred = new float[12];
        GaussianBlur.Blur(image, 2, 2, 3, Kernel(3, 0.8654f), Kernel(3, 0.3732f), new float[12], blurred);
        Assert.All(blurred, v => Assert.Equal(0.7273, v, 4));
    }

    [Theory]
    [InlineData(3, 0.2, 0.9, 0.0, 1.0)]
    [InlineData(5, 0.5, 0.5, 0.1, 0.7)]
    [InlineData(1, 0.0, 1.0, 0.0, 1.0)]
    [InlineData(7, 0.9, 1.0, 0.3, 0.6)]
    public void RandomGaussianBlur_FollowsKerasDrawsAndFormula(int kernelSize, double sigmaLow, double sigmaHigh, double low, double high)
    {
        const int batch = 12, height = 6, width = 5, channels = 2;
        var layer = new RandomGaussianBlur(1.0, kernelSize, (sigmaLow, sigmaHigh), (low, high), seed: 3);
        Tensor x = Tensor.RandomUniform(new TensorShape(batch, height, width, channels), 5, -0.2f, 1.2f);
        float[] y = layer.Forward(x, training: true).ToArray();

        // Keras' order: the probabilities, the thresholds, then one (width, height) pair of sigmas for the batch.
        var random = new SeededRandom(3);
        double[] p = [.. Enumerable.Range(0, batch).Select(_ => (double)(float)random.NextDouble())];
        bool[] blurred = [.. p.Select(v => (float)random.NextDouble() < v)];
        float sigmaWidth = (float)(sigmaLow + ((sigmaHigh - sigmaLow) * random.NextDouble())) + 1e-6f;
        float sigmaHeight = (float)(sigmaLow + ((sigmaHigh - sigmaLow) * random.NextDouble())) + 1e-6f;
        Assert.Equal((sigmaWidth, sigmaHeight), layer.LastSigmas);
        Assert.Equal(blurred.Select(b => b ? 1.0 : 0.0), layer.LastApplied.ToArray());
        Assert.Contains(true, blurred);
        Assert.Contains(false, blurred);

        int size = height * width * channels;
        double[] heightKernel = GaussianBlur.KernelReference(kernelSize, sigmaHeight), widthKernel = GaussianBlur.KernelReference(kernelSize, sigmaWidth);
        var expected = new double[y.Length];
        float[] input = x.ToArray();
        for (int n = 0; n < batch; n++)
        {
            double[] image = Array.ConvertAll(input[(n * size)..((n + 1) * size)], v => (double)v);
            double[] result = blurred[n] ? GaussianBlur.BlurReference(image, height, width, channels, heightKernel, widthKernel) : image;
            for (int i = 0; i < size; i++)
            {
                expected[(n * size) + i] = Math.Clamp(result[i], low, high);
            }
        }

        AugmentationTestKit.AssertClose(expected, y, 2e-6, $"kernel {kernelSize}");
    }

    // Keras' test_random_erasing_no_op (factor 0) and test_layer's sigma 0 (σ = 1e-6: the kernel is the identity).
    [Fact]
    public void RandomGaussianBlur_KerasNoOpCases_AndBatchWideSigma()
    {
        Tensor x = Tensor.RandomUniform(new TensorShape(3, 22, 22, 3), 4, 0f, 255f);
        Assert.Equal(x.ToArray(), new RandomGaussianBlur(0).Forward(x, training: true).ToArray());
        Assert.Equal(x.ToArray(), new RandomGaussianBlur((1, 1), 3, (0, 0), seed: 1).Forward(x, training: true).ToArray());
        Assert.Same(x, new RandomGaussianBlur().Forward(x, training: false));

        var layer = new RandomGaussianBlur(seed: 9);
        layer.Forward(new Tensor(2000, 3, 3, 1), training: true);
        Assert.InRange(layer.LastApplied.ToArray().Average(), 0.46, 0.54);
        Assert.InRange(layer.LastSigmas.Width, 1e-6f, 1f + 1e-6f);
        Assert.NotEqual(layer.LastSigmas.Width, layer.LastSigmas.Height);
    }

    [Fact]
    public void Impulse_IsKerasKernel_SigmaZeroAlongTheWidth_SigmaOneAlongTheHeight()
    {
        // Keras' _create_gaussian_kernel: tensordot(k(size, sigma[1]), k(size, sigma[0])), rows by the first, so an impulse
        // spreads as k_h[row] * k_w[column] with sigma[0] along the width. With two clearly different sigmas, a swap shows.
        var layer = new RandomGaussianBlur((1, 1), 5, (0.2, 1), (0, 1), seed: 4);
        var image = new Tensor(new TensorShape(1, 7, 7, 1));
        image.AsSpan()[(3 * 7) + 3] = 1f;
        float[] y = layer.Forward(image, training: true).ToArray();
        (float width, float height) = layer.LastSigmas;
        Assert.True(Math.Abs(width - height) > 0.2, $"the seed drew sigmas {width} and {height}, too close to tell the axes apart");

        static double[] Kernel(double sigma)
        {
            double[] k = [.. Enumerable.Range(0, 5).Select(i => Math.Exp(-0.5 * Math.Pow((i - 2) / sigma, 2)))];
            double sum = k.Sum();
            return [.. k.Select(v => v / sum)];
        }

        double[] kw = Kernel(width), kh = Kernel(height);
        for (int row = 0; row < 7; row++)
        {
            for (int column = 0; column < 7; column++)
            {
                int dr = row - 3, dc = column - 3;
                double expected = Math.Abs(dr) <= 2 && Math.Abs(dc) <= 2 ? kh[dr + 2] * kw[dc + 2] : 0;
                Assert.True(Math.Abs(expected - y[(row * 7) + column]) <= 1e-6, $"({row}, {column}): {y[(row * 7) + column]} instead of {expected}");
            }
        }
    }

    // A layer called twice in a model runs one instance per call: the second call's kernels must not reach the first's backward.
    [Fact]
    public void SharedLayer_EachCallKeepsItsOwnKernels()
    {
        Tensor x = Tensor.RandomUniform(new TensorShape(4, 6, 5, 2), 1, 0f, 1f), g = Tensor.RandomUniform(new TensorShape(4, 6, 5, 2), 2, -1f, 1f);
        var layer = new RandomGaussianBlur((1, 1), 5, (0.1, 1), (0, 1), seed: 6);
        layer.Build(new TensorShape(6, 5, 2));
        Layer second = layer.CopyForCall(1);
        layer.Forward(x, training: true);
        second.Forward(Tensor.RandomUniform(new TensorShape(4, 6, 5, 2), 3, 0f, 1f), training: true);
        var alone = new RandomGaussianBlur((1, 1), 5, (0.1, 1), (0, 1), seed: 6);
        alone.Forward(x, training: true);
        Assert.Equal(alone.Backward(g).ToArray(), layer.Backward(g).ToArray());
        Assert.NotEqual(alone.LastSigmas, ((RandomGaussianBlur)second).LastSigmas);
    }

    [Fact]
    public void Config_RoundTrips_AndReadsKeras()
    {
        Assert.Equal(
            """{"name":"b","trainable":true,"dtype":"float32","factor":[0,1],"kernel_size":[3,3],"sigma":[0,1],"value_range":[0,255],"seed":null}""",
            new RandomGaussianBlur(name: "b").GetConfig().ToJson());
        string json = new RandomGaussianBlur((0.2, 0.7), 5, (0.4, 0.1), (1, -1), seed: 9, name: "b").GetConfig().ToJson();
        Assert.Equal(json, RandomGaussianBlur.FromConfig(Parse(json)).GetConfig().ToJson());

        // random_gaussian_blur_test.py test_layer's arguments.
        RandomGaussianBlur keras = RandomGaussianBlur.FromConfig(Parse("""{"name": "b", "factor": 1.0, "kernel_size": 3, "sigma": 0, "value_range": [0, 255], "seed": 1, "data_format": "channels_last"}"""));
        Assert.Equal(((0.0, 1.0), 3, (0.0, 0.0), (0.0, 255.0), (long?)1), (keras.Factor, keras.KernelSize, keras.Sigma, keras.ValueRange, keras.AugmentationSeed));
        Assert.Equal((0.0, 0.5), RandomGaussianBlur.FromConfig(Parse("""{"name": "b", "sigma": 0.5}""")).Sigma);
        Assert.Contains("two equal numbers", Assert.Throws<InvalidDataException>(() => RandomGaussianBlur.FromConfig(Parse("""{"name": "b", "kernel_size": [3, 5]}"""))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BadArguments_AreRefusedByName()
    {
        static string Message(Action action) => Assert.ThrowsAny<ArgumentException>(action).Message;
        Assert.Contains("RandomGaussianBlur expects factor to be a number in [0, 1] or a pair", Message(() => new RandomGaussianBlur(1.2)), StringComparison.Ordinal);
        Assert.Contains("RandomGaussianBlur expects kernelSize to be a positive odd number. Received: kernelSize=4.", Message(() => new RandomGaussianBlur(kernelSize: 4)), StringComparison.Ordinal);
        Assert.Contains("kernelSize=-1", Message(() => new RandomGaussianBlur(kernelSize: -1)), StringComparison.Ordinal);
        Assert.Contains("RandomGaussianBlur expects sigma to be a number in [0, 1] or a pair", Message(() => new RandomGaussianBlur(sigma: (1.5, 2))), StringComparison.Ordinal);
        Assert.Contains("valueRange=(NaN, 1)", Message(() => new RandomGaussianBlur(valueRange: (double.NaN, 1))), StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => GaussianBlur.Blur(new float[4], 2, 2, 1, new float[2], new float[3], new float[4], new float[4]));
    }
}
