using NeuralNet.Initializers;
using NeuralNet.Kernels;
using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Regularizers;
using NeuralNet.Serialization;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Layers.Normalization;

public class GroupNormalizationTests
{
    [Fact]
    public void Keras_correctness_1d_values()
    {
        // keras/src/layers/normalization/group_normalization_test.py, test_correctness_1d.
        Tensor x = Tensor.FromArray([-1f, -1f, 1f, 1f, 2f, 2f, 0f, -2f], 1, 8);
        float[] oneGroup = new GroupNormalization(groups: 1, center: false, scale: false).Forward(x, training: false).ToArray();
        Assert.Equal([-0.898f, -0.898f, 0.539f, 0.539f, 1.257f, 1.257f, -0.180f, -1.616f], oneGroup, new Tolerance(1e-3f));
        float[] twoGroups = new GroupNormalization(groups: 2, axis: 1, center: false, scale: false).Forward(x, training: false).ToArray();
        Assert.Equal([-1f, -1f, 1f, 1f, 0.904f, 0.904f, -0.301f, -1.507f], twoGroups, new Tolerance(1e-3f));
    }

    [Fact]
    public void Keras_correctness_2d_and_instance_norm_values()
    {
        // test_correctness_2d, test_correctness_instance_norm and test_groups_instance_norm.
        Tensor x = Tensor.FromArray([-1f, -1f, 2f, 2f, 1f, 1f, 0f, -2f], 1, 2, 4);
        Assert.Equal([-0.898f, -0.898f, 1.257f, 1.257f, 0.539f, 0.539f, -0.180f, -1.616f],
            new GroupNormalization(groups: 1, center: false, scale: false).Forward(x, training: false).ToArray(), new Tolerance(1e-3f));
        Assert.Equal([-1f, -1f, 0.904f, 0.904f, 1f, 1f, -0.301f, -1.507f],
            new GroupNormalization(groups: 2, axis: 2, center: false, scale: false).Forward(x, training: false).ToArray(), new Tolerance(1e-3f));

        Tensor instance = Tensor.FromArray([-1f, 1f, 0f, 2f, 1f, 3f, -4f, -2f], 1, 2, 4);
        float[] four = new GroupNormalization(groups: 4, center: false, scale: false).Forward(instance, training: false).ToArray();
        Assert.Equal([-1f, -1f, 1f, 1f, 1f, 1f, -1f, -1f], four, new Tolerance(1e-3f));
        Assert.Equal(four, new GroupNormalization(groups: -1, center: false, scale: false).Forward(instance, training: false).ToArray());
    }

    [Fact]
    public void Keras_channels_first_broadcasting_values()
    {
        // test_broadcasting_2d_channels_first: arange(16) as (1, 4, 2, 2), groups=2 on axis 1, default gamma and beta.
        Tensor x = Tensor.FromArray([.. Enumerable.Range(0, 16).Select(i => (float)i)], 1, 4, 2, 2);
        float[] y = new GroupNormalization(groups: 2, axis: 1).Forward(x, training: false).ToArray();
        float[] half = [-1.5274f, -1.0910f, -0.6546f, -0.2182f, 0.2182f, 0.6546f, 1.0910f, 1.5274f];
        Assert.Equal([.. half, .. half], y, new Tolerance(1e-3f));
    }

    public static TheoryData<int[], int, int> Cases => new()
    {
        // sample shape, groups, axis
        { [8], 4, -1 },
        { [3, 6], 3, -1 },
        { [3, 6], 1, -1 },
        { [3, 6], -1, -1 },
        { [4, 2, 6], 2, -1 },
        { [4, 6, 3], 3, 2 },
        { [6, 2, 2], 2, 1 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Forward_matches_the_keras_formula_in_float64(int[] sample, int groups, int axis)
    {
        GroupNormalization layer = Built(sample, groups, axis, center: true, scale: true);
        Tensor x = Tensor.RandomNormal(new TensorShape([2, .. sample]), 7, -2f, 3f);
        float[] y = layer.Forward(x, training: false).ToArray();

        // Keras' reshape into (..., groups, channels / groups, ...) and moments over every axis but batch and group.
        int a = (axis < 0 ? axis + sample.Length + 1 : axis) - 1;
        int channels = sample[a], g = groups == -1 ? channels : groups, outer = sample[..a].Aggregate(1, (p, d) => p * d);
        int inner = sample[(a + 1)..].Aggregate(1, (p, d) => p * d);
        float[] gamma = layer.Gamma!.Value.ToArray(), beta = layer.Beta!.Value.ToArray();
        for (int n = 0; n < 2; n++)
        {
            for (int group = 0; group < g; group++)
            {
                var members = new List<(int Index, int Channel)>();
                for (int o = 0; o < outer; o++)
                {
                    for (int c = group * (channels / g); c < (group + 1) * (channels / g); c++)
                    {
                        for (int i = 0; i < inner; i++)
                        {
                            members.Add(((n * outer * channels * inner) + (((o * channels) + c) * inner) + i, c));
                        }
                    }
                }

                double mean = members.Average(m => (double)x.AsReadOnlySpan()[m.Index]);
                double variance = members.Average(m => Math.Pow(x.AsReadOnlySpan()[m.Index] - mean, 2));
                foreach ((int index, int c) in members)
                {
                    double expected = ((x.AsReadOnlySpan()[index] - mean) / Math.Sqrt(variance + 1e-3) * gamma[c]) + beta[c];
                    Assert.True(Math.Abs(expected - y[index]) <= 2e-5 * Math.Max(1, Math.Abs(expected)), $"element {index}: {y[index]} instead of {expected}");
                }
            }
        }
    }

    [Fact]
    public void Kernel_matches_its_reference_twin()
    {
        var geometry = new GroupNorm.Geometry(3, 5, 8, 3, 4);
        Tensor x = Tensor.RandomNormal(new TensorShape(3, 5, 8, 3), 2, 1f, 2f);
        float[] gamma = Tensor.RandomNormal(new TensorShape(8), 3).ToArray(), beta = Tensor.RandomNormal(new TensorShape(8), 4).ToArray();
        float[] y = new float[x.Length], xhat = new float[x.Length], inv = new float[12];
        var reference = new double[x.Length];
        GroupNorm.Forward(x.AsReadOnlySpan(), gamma, beta, geometry, 1e-3f, xhat, inv, y);
        GroupNorm.ForwardReference(x.AsReadOnlySpan(), gamma, beta, geometry, 1e-3, reference);
        for (int i = 0; i < y.Length; i++)
        {
            Assert.True(Math.Abs(reference[i] - y[i]) <= 1e-5 * Math.Max(1, Math.Abs(reference[i])), $"{i}: {y[i]} vs {reference[i]}");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Backward_matches_numerical_gradients(int[] sample, int groups, int axis)
    {
        GroupNormalization layer = Built(sample, groups, axis, center: true, scale: true, penalties: true);
        GradientChecker.CheckLayer(layer, Tensor.RandomNormal(new TensorShape([2, .. sample]), 9, 0.5f, 1.5f), seed: 3).AssertPassed(maxKinkFraction: 0);
    }

    [Theory]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(false, false)]
    public void Backward_without_gamma_or_beta_matches_numerical_gradients(bool center, bool scale)
    {
        GroupNormalization layer = Built([4, 6], 3, -1, center, scale);
        Assert.Equal((center ? 1 : 0) + (scale ? 1 : 0), layer.Parameters.Count);
        GradientChecker.CheckLayer(layer, Tensor.RandomNormal(new TensorShape(2, 4, 6), 10), seed: 4).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void Groups_that_do_not_divide_the_channels_are_refused_naming_the_layer_groups_and_channels()
    {
        var model = new Sequential();
        model.Add(new InputLayer(2, 2, 4));
        var error = Assert.Throws<ArgumentException>(() => model.Add(new GroupNormalization(groups: 3, name: "gn")));
        Assert.Contains("GroupNormalization 'gn'", error.Message, StringComparison.Ordinal);
        Assert.Contains("groups=3", error.Message, StringComparison.Ordinal);
        Assert.Contains("has 4 channels", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => model.Add(new GroupNormalization(groups: 5)));

        // Keras' default of 32 groups needs at least 32 channels.
        var small = new Sequential();
        small.Add(new InputLayer(16));
        Assert.Contains("groups=32", Assert.Throws<ArgumentException>(() => small.Add(new GroupNormalization())).Message, StringComparison.Ordinal);

        Assert.Throws<ArgumentOutOfRangeException>(() => new GroupNormalization(groups: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GroupNormalization(groups: -2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GroupNormalization(axis: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GroupNormalization(epsilon: -1f));
        var axis = Assert.Throws<ArgumentException>(() => small.Add(new GroupNormalization(groups: 2, axis: 3, name: "gn3")));
        Assert.Contains("GroupNormalization 'gn3' normalizes over axis 3", axis.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Keras_defaults_names_and_config()
    {
        var layer = new GroupNormalization();
        Assert.Equal(32, layer.Groups);
        Assert.Equal(-1, layer.Axis);
        Assert.Equal(1e-3f, layer.Epsilon);
        Assert.Equal("group_normalization", layer.DefaultNamePrefix);
        layer.Build(new TensorShape(4, 64));
        Assert.Equal(["gamma", "beta"], layer.Parameters.Select(p => p.Name));
        Assert.Equal([64], layer.Gamma!.Shape.Dimensions.ToArray());

        var custom = new GroupNormalization(groups: 4, axis: 1, epsilon: 1e-5f, scale: false, betaRegularizer: new L1(0.1), name: "gn");
        string json = custom.GetConfig().ToJson();
        Assert.Contains("\"groups\":4", json, StringComparison.Ordinal);
        Assert.Contains("\"gamma_constraint\":null", json, StringComparison.Ordinal);
        Assert.Equal(json, SerializationRegistry.Recreate(custom).GetConfig().ToJson());
    }

    [Fact]
    public void A_model_saves_and_loads_bit_for_bit()
    {
        Sequential model = LayerTestKit.TrainedModel([3, 2, 8], 5,
            new GroupNormalization(groups: 4),
            new GroupNormalization(groups: -1, axis: 2, gammaInitializer: new RandomNormal(1.0, 0.1)),
            new GroupNormalization(groups: 1, center: false));
        LayerTestKit.AssertRoundTrip(model, LayerTestKit.Data([3, 2, 8], 5).X);
    }

    [Fact]
    public void Training_allocates_nothing_after_warm_up() =>
        LayerTestKit.AssertTrainingAllocatesNothing([3, 8], new GroupNormalization(groups: 4), new GroupNormalization(groups: 3, axis: 1));

    private static GroupNormalization Built(int[] sample, int groups, int axis, bool center, bool scale, bool penalties = false)
    {
        var layer = new GroupNormalization(groups, axis, 1e-3f, center, scale, new RandomNormal(0.0, 0.5, 6), new RandomNormal(1.0, 0.5, 5),
            penalties ? new L1(0.01) : null, penalties ? new L2(0.05) : null);
        layer.Build(new TensorShape(sample));
        return layer;
    }
}
