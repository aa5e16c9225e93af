using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Serialization;
using NeuralNet.Tests.Layers.Normalization;
using Xunit;

namespace NeuralNet.Tests.Layers.Preprocessing;

// Expectations from Keras 3's discretization_test.py and the layer's docstring.
public class DiscretizationTests
{
    private static readonly float[] s_boundaries = [0f, 0.5f, 1f];

    [Fact]
    public void Forward_KerasCorrectnessCases_MatchKeras()
    {
        Assert.Equal([0f, 1, 1, 2, 3], Run(CategoryOutputMode.Int, Tensor.FromArray([-1f, 0f, 0.1f, 0.8f, 1.2f], 1, 5)).ToArray());
        Assert.Equal([0f, 1, 0, 0, 0, 0, 1, 0], Run(CategoryOutputMode.OneHot, Tensor.FromArray([0.1f, 0.8f], 2)).ToArray());
        Assert.Equal([0f, 1, 1, 0], Run(CategoryOutputMode.MultiHot, Tensor.FromArray([0.1f, 0.8f], 1, 2)).ToArray());
        Tensor oneHot3 = Run(CategoryOutputMode.OneHot, Tensor.FromArray([0.15f, 0.75f, 0.85f, 0.45f], 1, 2, 2));
        Assert.Equal(new TensorShape(1, 2, 2, 4), oneHot3.Shape);
        Assert.Equal([0f, 1, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1, 0, 0], oneHot3.ToArray());
        Tensor multiHot3 = Run(CategoryOutputMode.MultiHot, Tensor.FromArray([0.15f, 0.75f, 0.85f, 0.45f], 1, 2, 2));
        Assert.Equal(new TensorShape(1, 2, 4), multiHot3.Shape);
        Assert.Equal([0f, 1, 1, 0, 0, 1, 1, 0], multiHot3.ToArray());
        Assert.Equal([0f, 1, 2, 0], Run(CategoryOutputMode.Count, Tensor.FromArray([0.1f, 0.8f, 0.9f], 1, 3)).ToArray());

        // test_tf_data_compatibility: a value equal to a boundary goes to the bin above it.
        var layer = new Discretization([0f, 0.35f, 0.5f, 1f]);
        Assert.Equal([0f, 1, 1, 1, 2, 3, 4, 4, 3], layer.Forward(Tensor.FromArray([-1f, 0f, 0.1f, 0.2f, 0.4f, 0.5f, 1f, 1.2f, 0.98f], 1, 9), training: false).ToArray());
    }

    [Fact]
    public void Adapt_KerasDocstringExample_LearnsKerasBoundaries()
    {
        var layer = new Discretization(numBins: 4, epsilon: 0.01);
        Tensor x = Tensor.FromArray(new float[,] { { -1.5f, 1.0f, 3.4f, .5f }, { 0.0f, 3.0f, 1.3f, 0.0f } });
        layer.Adapt(x);
        Assert.Equal([0f, 0.5f, 1.3f], layer.BinBoundaries!);
        Assert.Equal([0f, 2, 3, 2, 1, 3, 3, 1], layer.Forward(x, training: false).ToArray());
    }

    [Fact]
    public void Adapt_FewerValuesThanOneOverEpsilon_GivesInterpolatedQuantiles()
    {
        // Plain reference of Keras' algorithm when every value is kept: the sorted values v at cumulative fractions
        // (i + 1) / n, interpolated linearly at k / numBins for k = 1 .. numBins - 1.
        float[] data = [.. Tensor.RandomNormal(new TensorShape(60), 5).ToArray()];
        var layer = new Discretization(numBins: 7, epsilon: 0.01);
        layer.Adapt(Tensor.FromArray(data, 6, 10));
        double[] sorted = [.. data.Order().Select(v => (double)v)];
        for (int k = 1; k < 7; k++)
        {
            double p = (1.0 / 7) + ((k - 1) * (1.0 / 7));
            double position = (p * sorted.Length) - 1;
            int j = (int)Math.Floor(position);
            double expected = sorted[j] + ((sorted[j + 1] - sorted[j]) * (position - j));
            Assert.Equal(expected, layer.BinBoundaries![k - 1], 1e-5);
        }

        // Bucketing against a linear scan of the boundaries.
        Tensor x = Tensor.RandomNormal(new TensorShape(4, 25), 6, 0f, 2f);
        float[] y = layer.Forward(x, training: false).ToArray(), xs = x.ToArray();
        for (int i = 0; i < y.Length; i++)
        {
            Assert.Equal(layer.BinBoundaries!.Count(b => b <= xs[i]), (int)y[i]);
        }
    }

    [Fact]
    public void Adapt_KerasQuirks_FewPointsAndBatches()
    {
        // test_serialization: 3 values for 5 bins; the boundaries are the values but the last.
        var few = new Discretization(numBins: 5);
        few.Adapt(Tensor.FromArray([0f, 1f, 5f], 3));
        Assert.Equal([0f, 1f], few.BinBoundaries!);

        // 1000 values, epsilon 0.1: Keras' summarize keeps every 100th value from the 100th (100, 200, ..., 900, each
        // weighing 100); their cumulative fractions are 1/9 .. 9/9, and the median interpolates 400 (4/9) and 500 (5/9) at 1/2.
        var large = new Discretization(numBins: 2, epsilon: 0.1);
        large.Adapt(Tensor.FromArray([.. Enumerable.Range(0, 1000).Select(i => (float)i)], 1000));
        Assert.Equal([450f], large.BinBoundaries!);

        var batches = new Discretization(numBins: 4, epsilon: 0.25);
        batches.Adapt([Tensor.FromArray([1f, 2f, 3f, 4f], 4), Tensor.FromArray([5f, 6f, 7f, 8f], 4)]);
        Assert.Equal(3, batches.BinBoundaries!.Count);
    }

    [Fact]
    public void CallBeforeAdapt_AndBadArguments_Throw()
    {
        var layer = new Discretization(numBins: 3, name: "d");
        var error = Assert.Throws<InvalidOperationException>(() => layer.Forward(Tensor.FromArray([0.1f, 0.8f, 0.9f], 1, 3), training: false));
        Assert.Contains("Discretization 'd' has no bin boundaries: you need to either pass the `bin_boundaries` argument at construction time or call `Adapt`", error.Message, StringComparison.Ordinal);
        Assert.Contains("Both `num_bins` and `bin_boundaries`", Assert.Throws<ArgumentException>(() => new Discretization([0f, 1f], 3)).Message, StringComparison.Ordinal);
        Assert.Contains("either `num_bins` or `bin_boundaries`", Assert.Throws<ArgumentException>(() => new Discretization()).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new Discretization([1f, 0f]));
        Assert.Throws<InvalidOperationException>(() => new Discretization(s_boundaries).Adapt(Tensor.Ones(2, 2)));
        var nan = Assert.Throws<ArgumentException>(() => layer.Adapt(Tensor.FromArray([0f, float.NaN], 1, 2)));
        Assert.Contains("NaN, found in batch 0 in sample 0 at position 1", nan.Message, StringComparison.Ordinal);
        Assert.Null(layer.BinBoundaries);
    }

    [Fact]
    public void SaveLoad_AdaptedLayerInAModel_RoundTripsItsBoundaries()
    {
        var adapted = new Discretization(numBins: 4, outputMode: CategoryOutputMode.OneHot);
        adapted.Adapt(Tensor.RandomUniform(new TensorShape(32, 3), 7));
        var input = new Input(2);
        var model = new Functional(input, new Dense(2).Call(new Flatten().Call(adapted.Call(input))), seed: 1);
        Tensor x = Tensor.RandomUniform(new TensorShape(5, 2), 8);
        Model loaded = LayerTestKit.AssertRoundTrip(model, x);
        Assert.Equal(adapted.BinBoundaries!, Assert.IsType<Discretization>(loaded.Layers[1]).BinBoundaries!);

        string json = new Discretization(s_boundaries).GetConfig().ToJson();
        Assert.Contains("\"bin_boundaries\":[0,0.5,1],\"num_bins\":null,\"epsilon\":0.01,\"output_mode\":\"int\"", json, StringComparison.Ordinal);
        Assert.Equal(json, SerializationRegistry.Recreate(new Discretization(s_boundaries)) is Discretization d ? d.GetConfig().ToJson() : null);
    }

    private static Tensor Run(CategoryOutputMode mode, Tensor x) => new Discretization(s_boundaries, outputMode: mode).Forward(x, training: false);
}
