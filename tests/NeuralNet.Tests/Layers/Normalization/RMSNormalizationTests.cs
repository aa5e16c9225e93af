using System.Text.Json.Nodes;
using FsCheck.Xunit;
using NeuralNet.Kernels;
using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Serialization;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Layers.Normalization;

public class RMSNormalizationTests
{
    [Fact]
    public void Keras_formula_on_a_hand_computed_row()
    {
        // x = (3, 4): mean(x²) = 12.5, rsqrt(12.5 + 1e-6) = 0.28284270; with scale (1, 2): y = (0.8485281, 2.2627417).
        var layer = new RMSNormalization();
        layer.Build(new TensorShape(2));
        Tensor.FromArray([1f, 2f], 2).AsReadOnlySpan().CopyTo(layer.Scale.Value.AsSpan());

        float[] y = layer.Forward(Tensor.FromArray([3f, 4f], 1, 2), training: false).ToArray();

        Assert.Equal(0.8485281f, y[0], 1e-6f);
        Assert.Equal(2.2627417f, y[1], 1e-6f);
        Assert.Equal([2], layer.Scale.Shape.Dimensions.ToArray());
        Assert.Equal(1e-6f, layer.Epsilon);
    }

    [Fact]
    public void Epsilon_counts_where_the_mean_square_is_small()
    {
        // x = (1e-3, 0), epsilon 1e-6: mean(x²) = 5e-7, so y0 = 1e-3 / sqrt(1.5e-6) = 0.81650 (1.41421 without epsilon).
        var layer = new RMSNormalization();
        layer.Build(new TensorShape(2));
        Assert.Equal(0.8164966f, layer.Forward(Tensor.FromArray([1e-3f, 0f], 1, 2), false).ToArray()[0], 1e-5f);

        // A zero row gives zeros and a finite gradient (invRms = 1 / sqrt(epsilon) = 1000).
        Tensor zeros = layer.Forward(new Tensor(new TensorShape(1, 2)), true);
        Assert.Equal([0f, 0f], zeros.ToArray());
        Assert.Equal([1000f, 2000f], layer.Backward(Tensor.FromArray([1f, 2f], 1, 2)).ToArray().Select(v => MathF.Round(v, 2)).ToArray());

        // The epsilon a config holds is the one used.
        var read = (RMSNormalization)SerializationRegistry.Deserialize<Layer>(
            JsonNode.Parse("""{"class_name": "RMSNormalization", "config": {"name": "n", "axis": [-1], "epsilon": 1e-5}}""")!, new Config(), "layer");
        read.Build(new TensorShape(2));
        Assert.Equal((float)(1e-3 / Math.Sqrt(5e-7 + 1e-5)), read.Forward(Tensor.FromArray([1e-3f, 0f], 1, 2), false).ToArray()[0], 1e-5f);
    }

    [Property(Replay = "(20261205,11)", MaxTest = 60)]
    public void Forward_matches_the_float64_twin(long seed)
    {
        var random = new SeededRandom(seed);
        int rows = random.NextInt(5) + 1, columns = random.NextInt(40) + 1;
        float[] x = [.. Enumerable.Range(0, rows * columns).Select(_ => random.NextNormal() * 3)];
        float[] scale = [.. Enumerable.Range(0, columns).Select(_ => random.NextNormal())];
        float[] y = new float[x.Length], invRms = new float[rows];
        double[] expected = new double[x.Length];

        RmsNorm.Forward(x, scale, 1e-6f, invRms, y);
        RmsNorm.ForwardReference(x, scale, 1e-6, expected);

        for (int i = 0; i < y.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - y[i]) <= 1e-5 * (1 + Math.Abs(expected[i])), $"element {i}: {y[i]} instead of {expected[i]}");
        }
    }

    [Theory]
    [InlineData(new[] { 5 }, new[] { -1 })]
    [InlineData(new[] { 3, 4 }, new[] { -1 })]
    [InlineData(new[] { 3, 4 }, new[] { 1, 2 })]
    [InlineData(new[] { 2, 3, 4 }, new[] { -2, -1 })]
    public void Backward_matches_numerical_gradients(int[] sample, int[] axes)
    {
        var layer = new RMSNormalization(axes) { Seed = 3 };
        layer.Build(new TensorShape(sample));
        Tensor scale = Tensor.RandomNormal(layer.Scale.Shape, 4);
        scale.AsReadOnlySpan().CopyTo(layer.Scale.Value.AsSpan());
        GradientChecker.CheckLayer(layer, Tensor.RandomNormal(new TensorShape([2, .. sample]), 5), seed: 6).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void Trailing_axes_share_one_scale_of_their_shape()
    {
        var layer = new RMSNormalization([2, 3]);
        layer.Build(new TensorShape(3, 4, 5));
        Assert.Equal([4, 5], layer.Scale.Shape.Dimensions.ToArray());
        Tensor x = Tensor.RandomNormal(new TensorShape(2, 3, 4, 5), 7);
        Tensor.RandomNormal(new TensorShape(4, 5), 8).AsReadOnlySpan().CopyTo(layer.Scale.Value.AsSpan());
        float[] y = layer.Forward(x, false).ToArray();
        for (int row = 0; row < 6; row++)
        {
            double meanSquare = x.AsReadOnlySpan().Slice(row * 20, 20).ToArray().Average(v => (double)v * v);
            for (int c = 0; c < 20; c++)
            {
                double expected = x.AsReadOnlySpan()[(row * 20) + c] / Math.Sqrt(meanSquare + 1e-6) * layer.Scale.Value.AsReadOnlySpan()[c];
                Assert.True(Math.Abs(expected - y[(row * 20) + c]) <= 1e-5 * (1 + Math.Abs(expected)), $"row {row}, column {c}");
            }
        }
    }

    [Fact]
    public void Config_keras_forms_round_trip_and_bad_input()
    {
        Assert.Equal("rms_normalization", new RMSNormalization().DefaultNamePrefix);
        Assert.Contains("\"axis\":[2,3]", new RMSNormalization([2, 3]).GetConfig().ToJson(), StringComparison.Ordinal);
        Assert.Contains("\"axis\":-1", new RMSNormalization().GetConfig().ToJson(), StringComparison.Ordinal);
        var built = new RMSNormalization();
        built.Build(new TensorShape(3, 4));
        Assert.Contains("\"axis\":[-1]", built.GetConfig().ToJson(), StringComparison.Ordinal);
        var unsorted = new RMSNormalization([2, 1]);
        unsorted.Build(new TensorShape(3, 4));
        Assert.Contains("\"axis\":[1,2]", unsorted.GetConfig().ToJson(), StringComparison.Ordinal);
        var read = (RMSNormalization)SerializationRegistry.Deserialize<Layer>(JsonNode.Parse("""
            {"module": "keras.layers", "class_name": "RMSNormalization", "registered_name": null,
             "config": {"name": "norm", "trainable": true, "dtype": "float32", "axis": -1, "epsilon": 1e-05}}
            """)!, new Config(), "layer");
        Assert.Equal([-1], read.Axes.ToArray());
        Assert.Equal(1e-5f, read.Epsilon);

        var model = new Sequential(seed: 2);
        model.Add(new InputLayer(3, 4));
        model.Add(new Dense(4));
        model.Add(new RMSNormalization(epsilon: 1e-5f));
        model.Add(new RMSNormalization([1, 2]));
        model.Compile("adam", "mse");
        Tensor x = Tensor.RandomNormal(new TensorShape(8, 3, 4), 1), y = Tensor.RandomNormal(new TensorShape(8, 3, 4), 2);
        model.Fit(x, y, epochs: 2, batchSize: 4, verbose: 0);
        string path = Path.Combine(Path.GetTempPath(), $"neuralnet-rms-{Guid.NewGuid():N}.safetensors");
        try
        {
            model.Save(path);
            Assert.Equal(model.Predict(x).ToArray(), Model.Load(path).Predict(x).ToArray());
        }
        finally
        {
            File.Delete(path);
        }

        var middle = new Sequential();
        middle.Add(new InputLayer(3, 4));
        var error = Assert.Throws<ArgumentException>(() => middle.Add(new RMSNormalization(axis: 1, name: "rms")));
        Assert.Contains("RMSNormalization 'rms' normalizes over axes [1] of input (None, 3, 4), which are not its trailing axes", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new RMSNormalization(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RMSNormalization(epsilon: 0f));
    }

    [Fact]
    public void Training_allocates_nothing_after_warm_up() =>
        LayerTestKit.AssertTrainingAllocatesNothing([3, 4], new RMSNormalization(), new RMSNormalization([1, 2]));
}
