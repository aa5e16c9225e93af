using NeuralNet.Initializers;
using NeuralNet.Kernels;
using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Regularizers;
using NeuralNet.Serialization;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Layers.Normalization;

public class LayerNormalizationTests
{
    [Fact]
    public void Keras_test_output_values()
    {
        // keras/src/layers/normalization/layer_normalization_test.py, test_output: arange(5), gamma = beta = ones.
        var layer = new LayerNormalization(betaInitializer: new Ones(), gammaInitializer: new Ones());
        Tensor y = layer.Forward(Tensor.FromArray([0f, 1f, 2f, 3f, 4f], 1, 5), training: false);
        float[] expected = [-0.41386f, 0.29307f, 1.0f, 1.70693f, 2.41386f];
        Assert.Equal(expected, y.ToArray(), new Tolerance(1e-5f));
    }

    public static TheoryData<int[], int[]?, int> ReferenceCases => new()
    {
        // sample shape, axes (null: the int constructor with the axis after it)
        { [6], null, -1 },
        { [3, 6], null, -1 },
        { [3, 6], null, 1 },
        { [4, 3, 5], [2, 3], 0 },
        { [4, 3, 5], [1, 3], 0 },
        { [4, 3, 5], [-3, -2, -1], 0 },
    };

    [Theory]
    [MemberData(nameof(ReferenceCases))]
    public void Forward_matches_the_keras_formula_in_float64(int[] sample, int[]? axes, int axis)
    {
        LayerNormalization layer = Built(sample, axes, axis, center: true, scale: true);
        Tensor x = Tensor.RandomNormal(new TensorShape([3, .. sample]), 4, 3f, 5f);
        float[] y = layer.Forward(x, training: true).ToArray();

        // The Keras formula with explicit index arithmetic: statistics over the normalized axes of each sample.
        int[] sampleAxes = [.. (axes ?? [axis]).Select(a => (a < 0 ? a + sample.Length + 1 : a) - 1).Distinct().Order()];
        double[] expected = Reference(x, sample, sampleAxes, layer.Gamma!.Value.ToArray(), layer.Beta!.Value.ToArray(), layer.Epsilon);
        for (int i = 0; i < y.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - y[i]) <= 2e-5 * Math.Max(1, Math.Abs(expected[i])), $"element {i}: {y[i]} instead of {expected[i]}");
        }

        Assert.Equal(sampleAxes.Select(a => sample[a]).ToArray(), layer.Gamma!.Shape.Dimensions.ToArray());
    }

    [Fact]
    public void Kernel_matches_its_reference_twin()
    {
        Tensor x = Tensor.RandomNormal(new TensorShape(7, 37), 3, 1f, 4f);
        float[] gamma = Tensor.RandomNormal(new TensorShape(37), 4).ToArray(), beta = Tensor.RandomNormal(new TensorShape(37), 5).ToArray();
        float[] y = new float[x.Length], xhat = new float[x.Length], inv = new float[7];
        var reference = new double[x.Length];
        LayerNorm.Forward(x.AsReadOnlySpan(), gamma, beta, 37, 1e-3f, xhat, inv, y);
        LayerNorm.ForwardReference(x.AsReadOnlySpan(), gamma, beta, 37, 1e-3, reference);
        for (int i = 0; i < y.Length; i++)
        {
            Assert.True(Math.Abs(reference[i] - y[i]) <= 1e-5 * Math.Max(1, Math.Abs(reference[i])), $"{i}: {y[i]} vs {reference[i]}");
        }
    }

    public static TheoryData<int[], int[]?, int, bool, bool, bool> GradientCases => new()
    {
        { [6], null, -1, true, true, false },
        { [3, 6], null, -1, true, true, true },
        { [3, 6], null, -1, false, true, false },
        { [3, 6], null, -1, true, false, false },
        { [3, 6], null, -1, false, false, false },
        { [3, 6], null, 1, true, true, false },
        { [2, 3, 4], [1, 3], 0, true, true, true },
        { [2, 3, 4], [2, 3], 0, true, true, false },
    };

    [Theory]
    [MemberData(nameof(GradientCases))]
    public void Backward_matches_numerical_gradients(int[] sample, int[]? axes, int axis, bool center, bool scale, bool penalties)
    {
        LayerNormalization layer = Built(sample, axes, axis, center, scale, penalties);
        Tensor x = Tensor.RandomNormal(new TensorShape([3, .. sample]), 8, 0.5f, 1.5f);
        GradientChecker.CheckLayer(layer, x, seed: 2, training: true).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void Keras_shapes_names_and_defaults()
    {
        var layer = new LayerNormalization([1, 2, 3]);
        layer.Build(new TensorShape(20, 30, 40));
        Assert.Equal([20, 30, 40], layer.Beta!.Shape.Dimensions.ToArray());
        Assert.Equal([20, 30, 40], layer.Gamma!.Shape.Dimensions.ToArray());
        Assert.Equal(["gamma", "beta"], layer.Parameters.Select(p => p.Name));

        var defaults = new LayerNormalization();
        Assert.Equal(1e-3f, defaults.Epsilon);
        Assert.Equal([-1], defaults.Axes);
        Assert.True(defaults.Center && defaults.Scale);
        Assert.Equal("layer_normalization", defaults.DefaultNamePrefix);
        Assert.IsType<Ones>(defaults.GammaInitializer);
        Assert.IsType<Zeros>(defaults.BetaInitializer);

        var none = new LayerNormalization(center: false, scale: false);
        none.Build(new TensorShape(3));
        Assert.Equal(0, none.ParameterCount);
    }

    [Fact]
    public void Axes_out_of_order_shape_gamma_and_beta_as_given_and_compute_as_sorted()
    {
        // Keras: shape = tuple(input_shape[dim] for dim in self.axis), then ops.reshape onto the input's axes.
        var given = new LayerNormalization([2, 1]);
        var sorted = new LayerNormalization([1, 2]);
        given.Build(new TensorShape(3, 4, 5));
        sorted.Build(new TensorShape(3, 4, 5));
        Assert.Equal([4, 3], given.Gamma!.Shape.Dimensions.ToArray());
        Assert.Equal([4, 3], given.Beta!.Shape.Dimensions.ToArray());
        Assert.Equal([3, 4], sorted.Gamma!.Shape.Dimensions.ToArray());

        float[] gamma = [.. Enumerable.Range(0, 12).Select(i => 0.5f + (0.1f * i))];
        gamma.CopyTo(given.Gamma.Value.AsSpan());
        gamma.CopyTo(sorted.Gamma!.Value.AsSpan());
        Tensor x = Tensor.RandomNormal(new TensorShape(2, 3, 4, 5), 4);
        Assert.Equal(sorted.Forward(x, training: false).ToArray(), given.Forward(x, training: false).ToArray());

        var twice = new LayerNormalization([1, -3], name: "twice");
        var error = Assert.Throws<ArgumentException>(() => twice.Build(new TensorShape(3, 4, 5)));
        Assert.Contains("LayerNormalization 'twice' names an axis twice in [1, -3]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Config_is_keras_and_recreates_the_layer()
    {
        var layer = new LayerNormalization(axis: -2, epsilon: 1e-5f, center: false, gammaRegularizer: new L2(0.01), name: "ln");
        string json = layer.GetConfig().ToJson();
        Assert.Contains("\"axis\":-2", json, StringComparison.Ordinal);
        Assert.Contains("\"rms_scaling\":false", json, StringComparison.Ordinal);
        Assert.Contains("\"gamma_initializer\":{\"class_name\":\"Ones\"", json, StringComparison.Ordinal);
        Assert.Equal(json, SerializationRegistry.Recreate(layer).GetConfig().ToJson());

        var listed = new LayerNormalization([-3, -2, -1]);
        Assert.Contains("\"axis\":[-3,-2,-1]", listed.GetConfig().ToJson(), StringComparison.Ordinal);
        Assert.Equal([-3, -2, -1], Assert.IsType<LayerNormalization>(SerializationRegistry.Recreate(listed)).Axes);
    }

    [Fact]
    public void A_model_saves_and_loads_bit_for_bit()
    {
        Sequential model = LayerTestKit.TrainedModel([4, 6], 3,
            new LayerNormalization(name: "ln_last"),
            new LayerNormalization(axis: 1, center: false, name: "ln_time"),
            new LayerNormalization([1, 2], gammaRegularizer: new L2(0.01), name: "ln_all"));
        Assert.NotEqual(1f, ((LayerNormalization)model.Layers[1]).Gamma!.Value[0]);
        LayerTestKit.AssertRoundTrip(model, LayerTestKit.Data([4, 6], 3).X);
    }

    [Fact]
    public void Bad_input_is_refused_with_the_layer_and_the_shapes()
    {
        var model = new Sequential();
        model.Add(new InputLayer(5));
        var error = Assert.Throws<ArgumentException>(() => model.Add(new LayerNormalization(axis: 2, name: "ln")));
        Assert.Contains("LayerNormalization 'ln' normalizes over axis 2, which input (None, 5) of rank 2 does not have", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new LayerNormalization(axis: 0));
        Assert.Throws<ArgumentException>(() => new LayerNormalization(Array.Empty<int>()));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LayerNormalization(epsilon: 0f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LayerNormalization(epsilon: float.NaN));

        var built = new LayerNormalization(name: "ln2");
        built.Build(new TensorShape(4));
        var shape = Assert.Throws<ArgumentException>(() => built.Forward(new Tensor(2, 5), training: false));
        Assert.Contains("LayerNormalization 'ln2' expects input (None, 4) but got (2, 5)", shape.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Training_allocates_nothing_after_warm_up() =>
        LayerTestKit.AssertTrainingAllocatesNothing([4, 6], new LayerNormalization(), new LayerNormalization(axis: 1));

    [Fact]
    public void Training_gives_the_same_bits_with_one_and_two_threads() =>
        LayerTestKit.AssertSameBitsWithOneAndTwoThreads([4, 6], () => [new LayerNormalization(), new GroupNormalization(groups: 2), new UnitNormalization()]);

    private static LayerNormalization Built(int[] sample, int[]? axes, int axis, bool center, bool scale, bool penalties = false)
    {
        Initializer gamma = new RandomNormal(1.0, 0.5, 5), beta = new RandomNormal(0.0, 0.5, 6);
        Regularizer? penalty = penalties ? new L2(0.05) : null;
        LayerNormalization layer = axes is null
            ? new LayerNormalization(axis, 1e-3f, center, scale, beta, gamma, penalty, penalty)
            : new LayerNormalization(axes, 1e-3f, center, scale, beta, gamma, penalty, penalty);
        layer.Build(new TensorShape(sample));
        return layer;
    }

    // y = (x - mean) / sqrt(var + eps) * gamma + beta, statistics over the sample axes `axes` (0-based within a sample).
    private static double[] Reference(Tensor x, int[] sample, int[] axes, float[] gamma, float[] beta, float epsilon)
    {
        int sampleLength = sample.Aggregate(1, (a, b) => a * b);
        var y = new double[x.Length];
        float[] values = x.ToArray();
        for (int n = 0; n < x.Length / sampleLength; n++)
        {
            // Group the sample's offsets by their indices on the kept axes.
            var groups = new Dictionary<string, List<(int Offset, int Column)>>();
            for (int offset = 0; offset < sampleLength; offset++)
            {
                int[] index = Unravel(offset, sample);
                string key = string.Join(",", Enumerable.Range(0, sample.Length).Where(d => !axes.Contains(d)).Select(d => index[d]));
                int column = axes.Aggregate(0, (c, d) => (c * sample[d]) + index[d]);
                (groups.TryGetValue(key, out var list) ? list : groups[key] = []).Add((offset, column));
            }

            foreach (var group in groups.Values)
            {
                double mean = group.Average(e => (double)values[(n * sampleLength) + e.Offset]);
                double variance = group.Average(e => Math.Pow(values[(n * sampleLength) + e.Offset] - mean, 2));
                foreach ((int offset, int column) in group)
                {
                    double h = (values[(n * sampleLength) + offset] - mean) / Math.Sqrt(variance + epsilon);
                    y[(n * sampleLength) + offset] = (h * gamma[column]) + beta[column];
                }
            }
        }

        return y;
    }

    private static int[] Unravel(int offset, int[] shape)
    {
        var index = new int[shape.Length];
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            index[d] = offset % shape[d];
            offset /= shape[d];
        }

        return index;
    }
}
