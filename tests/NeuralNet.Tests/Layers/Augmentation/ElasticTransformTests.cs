using System.Text.Json;
using FsCheck.Xunit;
using NeuralNet.Kernels;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Serialization;
using NeuralNet.Tests.GradientChecking;
using NeuralNet.Tests.Layers.Attention;
using NeuralNet.Tests.Models;
using Xunit;

namespace NeuralNet.Tests.Layers.Augmentation;

/// <summary>
/// RandomElasticTransform and its kernel against float64 transcriptions of Keras' <c>elastic_transform</c> (NumPy
/// backend) on the drawn noise, Keras' published tests, its argument rules and configs.
/// </summary>
public class ElasticTransformTests
{
    private const string Seed = "(20261205,29)";

    private static Config Parse(string json) => Config.FromJson(JsonDocument.Parse(json).RootElement, "test", "config");

    private static string Message(Action action) => Assert.ThrowsAny<ArgumentException>(action).Message;

    private static double[] ToDouble(ReadOnlySpan<float> values) => Array.ConvertAll(values.ToArray(), v => (double)v);

    [Fact]
    public void Parameters_FollowKerasGetElasticTransformParams()
    {
        // 224x224, f = 1: alpha = 224 · 0.1 = 22.4, σ = 224 · 0.05 = 11.2, K = int(67.2) | 1 = 67.
        (float alpha, float sigma, long size) = ElasticDeformation.Parameters(224, 224, 1f);
        Assert.Equal(22.4, alpha, 5);
        Assert.Equal(11.2, sigma, 5);
        Assert.Equal(67, size);

        // 8x6, f = 0.9109325 (Keras' test_random_elastic_transform_basic distortion): alpha = 8 · 0.09109325 = 0.728746,
        // σ = 6 · 0.045546625 = 0.27327975, K = int(1.64) | 1 = 1. Even truncations get the | 1: int(6 · 0.7) = 4 -> 5 taps.
        (alpha, sigma, size) = ElasticDeformation.Parameters(8, 6, 0.9109325f);
        Assert.Equal(0.728746, alpha, 1e-6);
        Assert.Equal(0.27327975, sigma, 1e-6);
        Assert.Equal(1, size);
        Assert.Equal(5, ElasticDeformation.Parameters(20, 14, 1f).KernelSize);
        Assert.Equal(1, ElasticDeformation.Parameters(20, 14, 0f).KernelSize);
    }

    [Property(Replay = Seed, MaxTest = 40)]
    public void Kernel_EqualsKerasKernel_AndKeepsTheCentralTapsOfALongOne(long seed)
    {
        var random = new SeededRandom(seed);
        float sigma = 0.05f + (random.NextSingle() * 8f);
        long size = ((long)(6f * sigma)) | 1;
        var full = new float[size];
        ElasticDeformation.Kernel(sigma, size, full);
        var blur = new float[size];
        GaussianBlur.Kernel(sigma, blur);
        Assert.Equal(blur, full);
        AugmentationTestKit.AssertClose(GaussianBlur.KernelReference((int)size, sigma), full, 1e-5, $"σ {sigma}");

        int kept = (2 * random.NextInt((int)(size / 2) + 1)) + 1;
        var central = new float[kept];
        ElasticDeformation.Kernel(sigma, size, central);
        Assert.Equal(full[(int)((size - kept) / 2)..(int)((size + kept) / 2)], central);
        Assert.Throws<ArgumentException>(() => ElasticDeformation.Kernel(sigma, size, new float[size + 2]));
    }

    // The displacement of a fixed noise field against the float64 transcription of Keras' NumPy backend: σ · noise,
    // the full 2-D kernel applied directly with zero padding, times alpha. Distortions up to 12 (a scale pair reaches
    // above 1) make kernels longer than the image, which the kernel keeps only the reachable taps of.
    [Property(Replay = Seed, MaxTest = 40)]
    public void Displacement_EqualsFloat64TranscriptionOfKeras(long seed)
    {
        var random = new SeededRandom(seed);
        int height = random.NextInt(9) + 2, width = random.NextInt(9) + 2, plane = height * width;
        float distortion = 0.05f + (random.NextSingle() * 12f);
        float[] noise = [.. Enumerable.Range(0, plane).Select(_ => random.NextNormal())];
        (float alpha, float sigma, long size) = ElasticDeformation.Parameters(height, width, distortion);
        var kernel = new float[Math.Min(size, (2 * Math.Max(height, width)) - 1)];
        ElasticDeformation.Kernel(sigma, size, kernel);
        var displacement = new float[plane];
        ElasticDeformation.Displacement(noise, height, width, alpha, sigma, kernel, new float[plane], new float[plane], displacement);
        double[] expected = ElasticDeformation.DisplacementReference(noise, height, width, distortion);
        AugmentationTestKit.AssertClose(expected, displacement, 2e-5, $"{height}x{width}, distortion {distortion}, kernel {size}");
    }

    [Fact]
    public void Displacement_OfAZeroDistortion_IsZero()
    {
        float[] noise = [1f, -2f, 3f, 0.5f], destination = [9f, 9f, 9f, 9f];
        (float alpha, float sigma, _) = ElasticDeformation.Parameters(2, 2, 0f);
        ElasticDeformation.Displacement(noise, 2, 2, alpha, sigma, [1f], new float[4], new float[4], destination);
        Assert.Equal(new float[4], destination);
    }

    public static TheoryData<FillMode, Interpolation> Modes()
    {
        var data = new TheoryData<FillMode, Interpolation>();
        foreach (FillMode mode in Enum.GetValues<FillMode>())
        {
            data.Add(mode, Interpolation.Bilinear);
            data.Add(mode, Interpolation.Nearest);
        }

        return data;
    }

    // Keras' map_coordinates on displaced points against the float64 twin: displacements up to ±2.5 image sizes reach
    // every fill mode's periodic images.
    [Property(Replay = Seed, MaxTest = 60)]
    public void Forward_RandomDisplacements_EqualsFloat64Reference(long seed)
    {
        var random = new SeededRandom(seed);
        int height = random.NextInt(7) + 1, width = random.NextInt(7) + 1, channels = random.NextInt(3) + 1, plane = height * width;
        FillMode mode = (FillMode)random.NextInt(4);
        Interpolation interpolation = random.NextInt(2) == 0 ? Interpolation.Bilinear : Interpolation.Nearest;
        double reach = 2.5 * Math.Max(height, width);
        float[] dx = [.. Enumerable.Range(0, plane).Select(_ => (float)(reach * ((2 * random.NextDouble()) - 1)))];
        float[] dy = [.. Enumerable.Range(0, plane).Select(_ => (float)(reach * ((2 * random.NextDouble()) - 1)))];
        float[] x = Tensor.RandomUniform(new TensorShape(plane * channels), seed, -2f, 2f).ToArray();
        var y = new float[plane * channels];
        ElasticDeformation.Forward(x, height, width, channels, dx, dy, interpolation, mode, -0.75f, y);
        var expected = new double[y.Length];
        ElasticDeformation.ForwardReference(x, height, width, channels, ToDouble(dx), ToDouble(dy), interpolation, mode, -0.75, expected);
        AugmentationTestKit.AssertClose(expected, y, 1e-5, $"{height}x{width}x{channels} {mode} {interpolation}");
    }

    // <Forward(x), g> = <x, Backward(g)>: the backward pass is the exact adjoint of the sampling for fixed displacements.
    [Property(Replay = Seed, MaxTest = 40)]
    public void Backward_IsTheAdjointOfForward(long seed)
    {
        var random = new SeededRandom(seed);
        int height = random.NextInt(7) + 1, width = random.NextInt(7) + 1, channels = random.NextInt(3) + 1, plane = height * width, size = plane * channels;
        FillMode mode = (FillMode)random.NextInt(4);
        Interpolation interpolation = random.NextInt(2) == 0 ? Interpolation.Bilinear : Interpolation.Nearest;
        float[] dx = [.. Enumerable.Range(0, plane).Select(_ => 3f * random.NextNormal())];
        float[] dy = [.. Enumerable.Range(0, plane).Select(_ => 3f * random.NextNormal())];
        float[] x = Tensor.RandomUniform(new TensorShape(size), seed, -1f, 1f).ToArray(), g = Tensor.RandomUniform(new TensorShape(size), seed + 1, -1f, 1f).ToArray();
        float[] fx = new float[size], bg = new float[size];
        ElasticDeformation.Forward(x, height, width, channels, dx, dy, interpolation, mode, 0f, fx);
        ElasticDeformation.Backward(g, height, width, channels, dx, dy, interpolation, mode, bg);
        double left = 0, right = 0;
        for (int i = 0; i < size; i++)
        {
            left += (double)fx[i] * g[i];
            right += (double)x[i] * bg[i];
        }

        Assert.True(Math.Abs(left - right) <= 1e-5 * (1 + Math.Abs(left)), $"<Fx, g> = {left} but <x, Bg> = {right} ({mode} {interpolation})");
    }

    // A zero displacement reads every pixel where it is; a displacement of exactly one pixel to the right reads the
    // neighbour (the last column reflects onto itself).
    [Fact]
    public void Forward_WholePixelDisplacements_MoveThePixels()
    {
        float[] x = [0, 1, 2, 3, 4, 5];
        var y = new float[6];
        ElasticDeformation.Forward(x, 2, 3, 1, new float[6], new float[6], Interpolation.Bilinear, FillMode.Reflect, 0f, y);
        Assert.Equal(x, y);
        ElasticDeformation.Forward(x, 2, 3, 1, [1, 1, 1, 1, 1, 1], new float[6], Interpolation.Nearest, FillMode.Reflect, 0f, y);
        Assert.Equal([1f, 2f, 2f, 4f, 5f, 5f], y);
        ElasticDeformation.Forward(x, 2, 3, 1, new float[6], [0.5f, 0.5f, 0.5f, -1, -1, -1], Interpolation.Bilinear, FillMode.Constant, -3f, y);
        Assert.Equal([1.5f, 2.5f, 3.5f, 0f, 1f, 2f], y);
    }

    // The layer end to end: Keras' draws reproduced from the same seed (the probabilities, the thresholds, the batch's
    // distortion, then the horizontal noise of every image and the vertical noise), then the float64 transcription of
    // Keras' elastic_transform, np.where on the applied images and the clip of the whole batch.
    [Theory]
    [MemberData(nameof(Modes))]
    public void Training_MatchesFloat64TranscriptionOfKerasOnTheDrawnNoise(FillMode mode, Interpolation interpolation)
    {
        const int batch = 10, height = 9, width = 11, channels = 2, plane = height * width, size = plane * channels;
        (double, double) scale = (0.9, 3.0), range = (-1.2, 1.5);
        var layer = new RandomElasticTransform((0.5, 0.5), scale, interpolation, mode, fillValue: 0.25, valueRange: range, seed: 6);
        Tensor x = TestData.Normal(7, 1f, batch, height, width, channels);
        float[] y = layer.Forward(x, training: true).ToArray();

        var random = new SeededRandom(6);
        // factor (0.5, 0.5): each probability draw gives 0.5 whatever it is.
        for (int n = 0; n < batch; n++)
        {
            random.NextDouble();
        }

        bool[] applied = [.. Enumerable.Range(0, batch).Select(_ => (float)random.NextDouble() < 0.5f)];
        float distortion = (float)(0.9 + ((3.0 - 0.9) * random.NextDouble()));
        float[] noise = [.. Enumerable.Range(0, 2 * batch * plane).Select(_ => random.NextNormal())];
        Assert.Equal(distortion, layer.LastDistortion);
        Assert.Equal(noise, layer.LastNoise.ToArray());
        Assert.Equal(applied.Select(a => a ? 1.0 : 0.0), layer.LastApplied.ToArray());
        Assert.Contains(true, applied);
        Assert.Contains(false, applied);
        Assert.True(ElasticDeformation.Parameters(height, width, distortion).KernelSize >= 3, "the blur should have more than one tap");

        var expected = new double[batch * size];
        var image = new double[size];
        float[] input = x.ToArray();
        for (int n = 0; n < batch; n++)
        {
            ReadOnlySpan<float> source = input.AsSpan(n * size, size);
            if (applied[n])
            {
                double[] dx = ElasticDeformation.DisplacementReference(noise.AsSpan(n * plane, plane), height, width, distortion);
                double[] dy = ElasticDeformation.DisplacementReference(noise.AsSpan((batch + n) * plane, plane), height, width, distortion);
                ElasticDeformation.ForwardReference(source, height, width, channels, dx, dy, interpolation, mode, 0.25, image);
            }
            else
            {
                image = ToDouble(source);
            }

            for (int i = 0; i < size; i++)
            {
                expected[(n * size) + i] = Math.Clamp(image[i], range.Item1, range.Item2);
            }
        }

        // Nearest sampling rounds float32 coordinates: a float64 coordinate within 1e-5 of a half could round the other
        // way, which these draws avoid (checked: the assertion would name the element).
        AugmentationTestKit.AssertClose(expected, y, 1e-4, $"{mode} {interpolation}");
    }

    // random_elastic_transform_test.py test_random_elastic_transform_basic: an 8x8 zero image with a 2x2 square of ones,
    // distortion 0.9109325, applied: the output differs from the input and keeps its shape.
    [Fact]
    public void KerasBasicTest_DistortsTheSquare()
    {
        Tensor image = new(1, 8, 8, 1);
        foreach (int r in new[] { 3, 4 })
        {
            image.AsSpan()[(r * 8) + 3] = 1f;
            image.AsSpan()[(r * 8) + 4] = 1f;
        }

        var layer = new RandomElasticTransform((1, 1), (0.9109325, 0.9109325), seed: 42);
        Tensor y = layer.Forward(image, training: true);
        Assert.Equal(0.9109325f, layer.LastDistortion);
        Assert.Equal([1, 8, 8, 1], y.Shape.Dimensions.ToArray());
        double change = image.ToArray().Zip(y.ToArray(), (a, b) => Math.Abs(a - b)).Max();
        Assert.True(change > 1e-3, $"the image changed by at most {change}.");
    }

    // test_random_elastic_transform_inference and _no_op: training=False, factor=0 or scale=0 leave 224x224x3 images
    // (integers in [0, 255)) as they are; the no-op layers draw nothing and do not clip.
    [Fact]
    public void KerasInferenceAndNoOpTests_ReturnTheInput()
    {
        Tensor x = Tensor.RandomUniform(new TensorShape(1, 224, 224, 3), 3481, 0f, 255f);
        foreach ((RandomElasticTransform layer, bool training) in new[] { (new RandomElasticTransform(), false), (new RandomElasticTransform(factor: 0), true), (new RandomElasticTransform(scale: 0), true) })
        {
            Assert.Same(x, layer.Forward(x, training));
            Assert.True(layer.LastApplied.IsEmpty);
        }

        Tensor wide = Tensor.RandomUniform(new TensorShape(2, 5, 6, 1), 1, -500f, 500f);
        Assert.Same(wide, new RandomElasticTransform(0, valueRange: (0, 1)).Forward(wide, training: true));
    }

    // test_layer: factor 1, scale 0.5, bilinear, reflect, value range (0, 255), seed 1 on (8, 3, 4, 3) -> (8, 3, 4, 3).
    [Fact]
    public void KerasLayerTest_KeepsTheShape_AndClipsToTheValueRange()
    {
        var layer = new RandomElasticTransform(1.0, 0.5, Interpolation.Bilinear, FillMode.Reflect, 0, (0, 255), seed: 1);
        layer.Build(new TensorShape(3, 4, 3));
        Assert.Equal(new TensorShape(3, 4, 3), layer.OutputShape);
        Tensor x = Tensor.RandomUniform(new TensorShape(8, 3, 4, 3), 2, -50f, 300f);
        float[] y = layer.Forward(x, training: true).ToArray();
        Assert.All(y, v => Assert.InRange(v, 0f, 255f));
        Assert.Contains(0f, y);
        Assert.Contains(255f, y);
    }

    [Fact]
    public void Draws_FollowTheRanges_AndTheProbability()
    {
        var layer = new RandomElasticTransform((0.2, 0.6), (0.1, 0.4), seed: 5);
        var distortions = new List<float>();
        int deformed = 0;
        for (int call = 0; call < 50; call++)
        {
            layer.Forward(new Tensor(40, 3, 3, 1), training: true);
            distortions.Add(layer.LastDistortion);
            deformed += layer.LastApplied.ToArray().Count(a => a == 1);
        }

        Assert.All(distortions, d => Assert.InRange(d, 0.1f, 0.4f));
        Assert.True(distortions.Min() < 0.15f && distortions.Max() > 0.35f, $"[{distortions.Min()}, {distortions.Max()}]");

        // The mean probability is 0.4: 800 of 2000 images, within five standard deviations (√(2000 · 0.24) ≈ 22).
        Assert.InRange(deformed, 690, 910);
    }

    [Fact]
    public void BackwardWithAnActiveClip_MatchesNumericalGradients()
    {
        // Inputs in [0.1, 0.9] against a value range (0, 1) whose clip the deformed images cross only where the fill value
        // 1.4 enters; away from the clip the gradient is the adjoint, inside it 0.
        var layer = new RandomElasticTransform((1, 1), (1, 3), fillMode: FillMode.Constant, fillValue: 1.4, valueRange: (0, 1), seed: 9);
        Tensor x = Tensor.RandomUniform(new TensorShape(3, 7, 6, 2), 4, 0.1f, 0.9f);
        layer.Build(new TensorShape(7, 6, 2));
        StochasticGradientCheck.Check(layer, [x], [0], seed: 3, training: true).AssertPassed(maxKinkFraction: 0.02);
        float[] y = layer.Forward(x, training: true).ToArray();
        Assert.Contains(1f, y);
    }

    [Fact]
    public void SameSeed_SameBits_AtOneAndTwoThreads()
    {
        Tensor x = TestData.Normal(1, 1f, 32, 12, 10, 3), y = TestData.Normal(2, 1f, 32, 2);
        IReadOnlyList<Tensor> Train(int threads)
        {
            int previous = Parallelism.MaxDegreeOfParallelism;
            Parallelism.MaxDegreeOfParallelism = threads;
            try
            {
                var model = new Sequential(
                    [new InputLayer(12, 10, 3), new RandomElasticTransform(0.8, 0.7, valueRange: (-3, 3)), new Conv2D(4, 3), new Flatten(), new Dense(2)], seed: 4);
                model.Compile(new Sgd(0.01f), new MeanSquaredError());
                model.Fit(x, y, epochs: 2, batchSize: 8, verbose: 0, seed: 4);
                return model.GetWeights();
            }
            finally
            {
                Parallelism.MaxDegreeOfParallelism = previous;
            }
        }

        IReadOnlyList<Tensor> one = Train(1);
        Assert.True(ModelTestData.BitIdentical(one, Train(2)));
        Assert.True(ModelTestData.BitIdentical(one, Train(1)));
    }

    [Fact]
    public void Config_WritesKerasKeysAndReadsKerasConfigurations()
    {
        var layer = new RandomElasticTransform((0.7, 0.2), (0.1, 1.5), Interpolation.Nearest, FillMode.Wrap, 1.5, (1, -1), 7, "e");
        string json = layer.GetConfig().ToJson();
        Assert.Equal(
            """{"name":"e","trainable":true,"dtype":"float32","factor":[0.2,0.7],"scale":[0.1,1.5],"interpolation":"nearest","fill_mode":"wrap","fill_value":1.5,"value_range":[-1,1],"seed":7}""",
            json);
        Assert.Equal(json, RandomElasticTransform.FromConfig(Parse(json)).GetConfig().ToJson());

        // Keras' get_config of RandomElasticTransform(factor=1.0, scale=0.5, fill_value=0, seed=1), and numbers as a user writes them.
        RandomElasticTransform keras = RandomElasticTransform.FromConfig(Parse(
            """{"name": "k", "trainable": true, "dtype": "float32", "factor": [0, 1.0], "scale": [0, 0.5], "interpolation": "bilinear", "fill_mode": "reflect", "fill_value": 0, "value_range": [0, 255], "seed": 1}"""));
        Assert.Equal(((0.0, 1.0), (0.0, 0.5), Interpolation.Bilinear, FillMode.Reflect, (0.0, 255.0), (long?)1), (keras.Factor, keras.Scale, keras.Interpolation, keras.FillMode, keras.ValueRange, keras.AugmentationSeed));
        RandomElasticTransform numbers = RandomElasticTransform.FromConfig(Parse("""{"name": "n", "factor": 0.4, "scale": 0.3, "fill_mode": "constant", "data_format": "channels_last"}"""));
        Assert.Equal(((0.0, 0.4), (0.0, 0.3), FillMode.Constant), (numbers.Factor, numbers.Scale, numbers.FillMode));
        RandomElasticTransform defaults = RandomElasticTransform.FromConfig(Parse("""{"name": "d"}"""));
        Assert.Equal(((0.0, 1.0), (0.0, 1.0), FillMode.Reflect, Interpolation.Bilinear, (0.0, 255.0)), (defaults.Factor, defaults.Scale, defaults.FillMode, defaults.Interpolation, defaults.ValueRange));

        Assert.Throws<ArgumentOutOfRangeException>(() => RandomElasticTransform.FromConfig(Parse("""{"name": "k", "scale": 1.5}""")));
        Assert.Throws<ArgumentOutOfRangeException>(() => RandomElasticTransform.FromConfig(Parse("""{"name": "k", "factor": [1.2, 2]}""")));
        Assert.Contains("\"fill_mode\" is \"mirror\"", Assert.Throws<InvalidDataException>(() => RandomElasticTransform.FromConfig(Parse("""{"name": "k", "fill_mode": "mirror"}"""))).Message, StringComparison.Ordinal);
        Assert.Contains("bicubic", Assert.Throws<InvalidDataException>(() => RandomElasticTransform.FromConfig(Parse("""{"name": "k", "interpolation": "bicubic"}"""))).Message, StringComparison.Ordinal);
        Assert.Contains("channels_last", Assert.Throws<InvalidDataException>(() => RandomElasticTransform.FromConfig(Parse("""{"name": "k", "data_format": "channels_first"}"""))).Message, StringComparison.Ordinal);
        Assert.Contains("list of two numbers", Assert.Throws<InvalidDataException>(() => RandomElasticTransform.FromConfig(Parse("""{"name": "k", "scale": [0.1, 0.2, 0.3]}"""))).Message, StringComparison.Ordinal);

        // Registered under Keras' class name.
        Assert.Equal("RandomElasticTransform", SerializationRegistry.GetRegisteredName(typeof(RandomElasticTransform)));
    }

    [Fact]
    public void BadArguments_ThrowNamingTheProblem()
    {
        Assert.Contains("RandomElasticTransform expects factor to be a number in [0, 1] or a pair (a, b) of finite numbers with a <= 1 and b >= 0 (Keras' rule; the pair is then sorted). Received: factor=1.5.",
            Message(() => new RandomElasticTransform(1.5)), StringComparison.Ordinal);
        Assert.Contains("Received: factor=-0.1.", Message(() => new RandomElasticTransform(-0.1)), StringComparison.Ordinal);
        Assert.Contains("Received: scale=1.01.", Message(() => new RandomElasticTransform(scale: 1.01)), StringComparison.Ordinal);
        Assert.Contains("Received: factor=(1.2, 1.5).", Message(() => new RandomElasticTransform((1.2, 1.5), (0, 1))), StringComparison.Ordinal);
        Assert.Contains("Received: scale=(0.5, -0.1).", Message(() => new RandomElasticTransform((0, 1), (0.5, -0.1))), StringComparison.Ordinal);
        Assert.Contains("Received: scale=(NaN, 0.5).", Message(() => new RandomElasticTransform((0, 1), (double.NaN, 0.5))), StringComparison.Ordinal);
        Assert.Contains("RandomElasticTransform expects scale values of at least 0 (a negative distortion gives a negative Gaussian sigma). Received: scale=(-0.5, 0.5).",
            Message(() => new RandomElasticTransform((0, 1), (-0.5, 0.5))), StringComparison.Ordinal);
        Assert.Contains("fillMode=7", Message(() => new RandomElasticTransform(fillMode: (FillMode)7)), StringComparison.Ordinal);
        Assert.Contains("interpolation=9", Message(() => new RandomElasticTransform(interpolation: (Interpolation)9)), StringComparison.Ordinal);
        Assert.Contains("fillValue=NaN", Message(() => new RandomElasticTransform(fillValue: double.NaN)), StringComparison.Ordinal);
        Assert.Contains("valueRange=(0, Infinity)", Message(() => new RandomElasticTransform(valueRange: (0, double.PositiveInfinity))), StringComparison.Ordinal);

        // Keras' pair rule lets a scale reach above 1; one so large that its kernels would not fit is refused at build.
        Assert.Equal((0.5, 3.0), new RandomElasticTransform((0, 1), (0.5, 3)).Scale);
        Assert.Contains("Received: scale=(3, 0.5).", Message(() => new RandomElasticTransform((0, 1), (3, 0.5))), StringComparison.Ordinal);
        Assert.Equal((-0.5, 2.0), new RandomElasticTransform((-0.5, 2), (0, 1)).Factor);
        var huge = new RandomElasticTransform((0, 1), (0, 1e9), name: "huge");
        string message = Message(() => huge.Build(new TensorShape(8, 8, 1)));
        Assert.Contains("'huge' with scale up to 1000000000 on 8x8 images would blur with Gaussian kernels of up to", message, StringComparison.Ordinal);
        Assert.False(huge.IsBuilt);
    }
}
