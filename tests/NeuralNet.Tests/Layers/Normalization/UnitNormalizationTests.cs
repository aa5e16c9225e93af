using NeuralNet.Kernels;
using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Serialization;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Layers.Normalization;

public class UnitNormalizationTests
{
    [Fact]
    public void Keras_correctness_unit_norm_over_the_given_axes()
    {
        // keras/src/layers/normalization/unit_normalization_test.py, test_correctness.
        Tensor x = Tensor.RandomNormal(new TensorShape(2, 3), 1);
        float[] y = new UnitNormalization().Forward(x, training: false).ToArray();
        Assert.Equal(1.0, SquaredNorm(y[..3]), 5);
        Assert.Equal(1.0, SquaredNorm(y[3..]), 5);

        Tensor cube = Tensor.RandomNormal(new TensorShape(2, 3, 3), 2);
        float[] both = new UnitNormalization([1, 2]).Forward(cube, training: false).ToArray();
        Assert.Equal(1.0, SquaredNorm(both[..9]), 5);
        Assert.Equal(1.0, SquaredNorm(both[9..]), 5);

        Tensor columns = Tensor.RandomNormal(new TensorShape(2, 3, 2), 3);
        Tensor first = new UnitNormalization(axis: 1).Forward(columns, training: false);
        for (int n = 0; n < 2; n++)
        {
            for (int c = 0; c < 2; c++)
            {
                Assert.Equal(1.0, SquaredNorm([first[n, 0, c], first[n, 1, c], first[n, 2, c]]), 5);
            }
        }
    }

    [Fact]
    public void Forward_matches_the_keras_formula_with_its_floor()
    {
        // y = x * rsqrt(max(sum(x^2), 1e-12)): a zero row stays zero, a tiny row is scaled by 1e6, not normalized.
        Tensor x = Tensor.FromArray([3f, 4f, 0f, 0f, 1e-8f, 0f], 3, 2);
        float[] y = new UnitNormalization().Forward(x, training: false).ToArray();
        Assert.Equal([0.6f, 0.8f, 0f, 0f, 1e-2f, 0f], y, new Tolerance(1e-7f));

        Tensor random = Tensor.RandomNormal(new TensorShape(5, 17), 4, 0f, 3f);
        var reference = new double[random.Length];
        UnitNorm.ForwardReference(random.AsReadOnlySpan(), 17, reference);
        float[] actual = new UnitNormalization().Forward(random, training: false).ToArray();
        for (int i = 0; i < actual.Length; i++)
        {
            Assert.True(Math.Abs(reference[i] - actual[i]) <= 1e-6, $"{i}: {actual[i]} vs {reference[i]}");
        }
    }

    public static TheoryData<int[], int[]> Cases => new()
    {
        { [7], [-1] },
        { [3, 5], [-1] },
        { [3, 5], [1] },
        { [2, 3, 4], [1, 3] },
        { [2, 3, 4], [2, 3] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Backward_matches_numerical_gradients(int[] sample, int[] axes)
    {
        var layer = axes.Length == 1 ? new UnitNormalization(axes[0]) : new UnitNormalization(axes);
        GradientChecker.CheckLayer(layer, Tensor.RandomNormal(new TensorShape([2, .. sample]), 6, 0.3f, 1f), seed: 2).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void Backward_where_the_floor_is_active_is_the_scaled_gradient()
    {
        var layer = new UnitNormalization();
        layer.Forward(Tensor.FromArray([1e-8f, 0f, 3f, 4f], 2, 2), training: true);
        float[] dx = layer.Backward(Tensor.FromArray([1f, 2f, 1f, 0f], 2, 2)).ToArray();
        Assert.Equal(1e6f, dx[0], 1f);
        Assert.Equal(2e6f, dx[1], 1f);
        // Row (3, 4), y = (0.6, 0.8), g = (1, 0): dx = (g - y (g . y)) / 5 = ((1 - 0.36) / 5, -0.48 / 5).
        Assert.Equal(0.128f, dx[2], 1e-6f);
        Assert.Equal(-0.096f, dx[3], 1e-6f);
    }

    [Fact]
    public void Config_save_load_and_bad_input()
    {
        Assert.Equal("unit_normalization", new UnitNormalization().DefaultNamePrefix);
        Assert.Contains("\"axis\":[1,2]", new UnitNormalization([1, 2]).GetConfig().ToJson(), StringComparison.Ordinal);
        Assert.Equal([-2], Assert.IsType<UnitNormalization>(SerializationRegistry.Recreate(new UnitNormalization(-2))).Axes);

        Sequential model = LayerTestKit.TrainedModel([3, 4], 9, new UnitNormalization(), new UnitNormalization([1, 2]), new UnitNormalization(axis: 1));
        LayerTestKit.AssertRoundTrip(model, LayerTestKit.Data([3, 4], 9).X);

        var flat = new Sequential();
        flat.Add(new InputLayer(4));
        var error = Assert.Throws<ArgumentException>(() => flat.Add(new UnitNormalization(-2, name: "un")));
        Assert.Contains("UnitNormalization 'un' normalizes over axis -2, which input (None, 4) of rank 2 does not have", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new UnitNormalization(0));
    }

    [Fact]
    public void Training_allocates_nothing_after_warm_up() =>
        LayerTestKit.AssertTrainingAllocatesNothing([3, 4], new UnitNormalization(), new UnitNormalization(axis: 1));

    private static double SquaredNorm(float[] values) => values.Sum(v => (double)v * v);
}
