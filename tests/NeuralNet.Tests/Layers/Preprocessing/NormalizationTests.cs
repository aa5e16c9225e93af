using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Serialization;
using NeuralNet.Tests.GradientChecking;
using NeuralNet.Tests.Layers.Normalization;
using Xunit;

namespace NeuralNet.Tests.Layers.Preprocessing;

// Expectations from Keras 3's normalization.py docstring and normalization_test.py unless a comment says otherwise.
public class NormalizationTests
{
    [Fact]
    public void Forward_KerasDocstringPerFeature_IsMinusOne()
    {
        var layer = new NeuralNet.Layers.Normalization(axis: -1);
        layer.Adapt(Tensor.FromArray(new float[,] { { 0, 7, 4 }, { 2, 9, 6 }, { 0, 7, 4 }, { 2, 9, 6 } }));
        Assert.Equal([1f, 8f, 5f], layer.Mean!.Value.ToArray());
        Assert.Equal([1f, 1f, 1f], layer.Variance!.Value.ToArray());
        Assert.Equal([-1f, -1f, -1f], layer.Forward(Tensor.FromArray([0f, 7f, 4f], 1, 3), training: false).ToArray());

        var inverse = new NeuralNet.Layers.Normalization(axis: -1, invert: true);
        inverse.Adapt(Tensor.FromArray(new float[,] { { 0, 7, 4 }, { 2, 9, 6 }, { 0, 7, 4 }, { 2, 9, 6 } }));
        Assert.Equal([2f, 10f, 8f], inverse.Forward(Tensor.FromArray([1f, 2f, 3f], 1, 3), training: false).ToArray());
    }

    [Fact]
    public void Forward_KerasDocstringGlobalAndGivenStatistics_MatchKeras()
    {
        var global = new NeuralNet.Layers.Normalization(axis: null);
        global.Adapt(Tensor.FromArray([1f, 2f, 3f, 4f, 5f], 5));
        Assert.Equal([-1.4142135f, -0.70710677f, 0f], global.Forward(Tensor.FromArray([1f, 2f, 3f], 3), training: false).ToArray());

        var given = new NeuralNet.Layers.Normalization(mean: [3f], variance: [2f]);
        Assert.Equal([-1.4142135f, -0.70710677f, 0f], given.Forward(Tensor.FromArray([1f, 2f, 3f], 3, 1), training: false).ToArray());
        Assert.Empty(given.Parameters);
    }

    [Fact]
    public void Forward_ZeroOrTinyVariance_FloorsTheStandardDeviationAtEpsilon()
    {
        // Keras: max(sqrt(variance), 1e-7), not sqrt(variance + epsilon): a constant feature is divided by 1e-7.
        var layer = new NeuralNet.Layers.Normalization(mean: [1f, 0f], variance: [0f, 1e-16f]);
        float[] y = layer.Forward(Tensor.FromArray([1f, 0f, 1.5f, 2e-7f], 2, 2), training: false).ToArray();
        Assert.Equal([0f, 0f, 0.5f / 1e-7f, 2e-7f / 1e-7f], y);
    }

    [Theory]
    [InlineData(new[] { -1 }, new[] { 4 })]
    [InlineData(new[] { 1, 2 }, new[] { 4, 3, 5 })]
    [InlineData(new[] { 1, 3 }, new[] { 4, 3, 5 })]
    [InlineData(new int[0], new[] { 3, 2 })]
    public void Adapt_RandomData_MatchesFloat64ReferenceAndKerasFormula(int[] axes, int[] sample)
    {
        Tensor data = Tensor.RandomUniform(new TensorShape([32, .. sample]), 3, -2f, 5f);
        var layer = new NeuralNet.Layers.Normalization(axes);
        layer.Adapt(data);

        (double[] mean, double[] variance, int[] stat) = Reference(data, sample, axes);
        float[] learnedMean = layer.Mean!.Value.ToArray(), learnedVariance = layer.Variance!.Value.ToArray();
        for (int k = 0; k < mean.Length; k++)
        {
            Assert.Equal(mean[k], learnedMean[k], 1e-6);
            Assert.Equal(variance[k], learnedVariance[k], 1e-6);
        }

        // Keras' call in float32: (x - mean) / max(sqrt(variance), epsilon), bit for bit.
        Tensor x = Tensor.RandomNormal(new TensorShape([5, .. sample]), 4, 1f, 3f);
        float[] y = layer.Forward(x, training: false).ToArray(), xs = x.ToArray();
        for (int i = 0; i < y.Length; i++)
        {
            int k = stat[i % stat.Length];
            Assert.Equal((xs[i] - learnedMean[k]) / MathF.Max(MathF.Sqrt(learnedVariance[k]), 1e-7f), y[i]);
        }
    }

    [Fact]
    public void Adapt_KerasHighRankTupleAxis_NormalizesEachKeptIndex()
    {
        // normalization_test.py, test_normalization_adapt: axis=(1, 2) on (32, 4, 3, 5).
        Tensor x = Tensor.RandomUniform(new TensorShape(32, 4, 3, 5), 8);
        var layer = new NeuralNet.Layers.Normalization([1, 2]);
        layer.Adapt(x);
        Assert.Equal(new TensorShape(4, 3), layer.Mean!.Shape);
        float[] y = layer.Forward(x, training: false).ToArray();
        for (int k = 0; k < 12; k++)
        {
            var values = Enumerable.Range(0, 32 * 5).Select(j => (double)y[(j / 5 * 60) + (k * 5) + (j % 5)]).ToArray();
            double m = values.Average();
            Assert.Equal(0, m, 1e-5);
            Assert.Equal(1, values.Average(v => (v - m) * (v - m)), 1e-5);
        }
    }

    [Fact]
    public void Adapt_Batches_GiveTheStatisticsOfOneTensor()
    {
        Tensor all = Tensor.RandomNormal(new TensorShape(37, 6), 5, 10f, 4f);
        var whole = new NeuralNet.Layers.Normalization();
        whole.Adapt(all);
        var split = new NeuralNet.Layers.Normalization();
        split.Adapt([all.Slice(0, 5), all.Slice(5, 20), all.Slice(25, 12)]);
        Assert.Equal(whole.Mean!.Value.ToArray(), split.Mean!.Value.ToArray(), new Tolerance(1e-6f));
        Assert.Equal(whole.Variance!.Value.ToArray(), split.Variance!.Value.ToArray(), new Tolerance(1e-5f));
        Assert.Equal(37f, split.Count!.Value.ToArray()[0]);
    }

    [Fact]
    public void Forward_BeforeAdapt_PassesValuesThrough_AsKeras3()
    {
        // Keras 3's build finalizes the initial statistics (mean 0, variance 1): an unadapted layer is the identity.
        var model = new Sequential([new InputLayer(3), new NeuralNet.Layers.Normalization(name: "norm")]);
        float[] x = [2f, -3f, 0.5f, 7f, 1e-3f, -250f];

        Assert.Equal(x, model.Predict(Tensor.FromArray(x, 2, 3)).ToArray());
        Assert.Equal(x, model.Clone().Predict(Tensor.FromArray(x, 2, 3)).ToArray());
        Assert.False(((NeuralNet.Layers.Normalization)model.Layers[^1]).IsAdapted);
    }

    [Fact]
    public void Forward_StatisticsWithCountZero_AsKeras3SavesThem_AreUsed()
    {
        // Keras 3 never sets count: its saved mean and variance arrive with count 0 and must still normalize.
        var model = new Sequential([new InputLayer(3), new NeuralNet.Layers.Normalization(name: "norm")]);
        var norm = (NeuralNet.Layers.Normalization)model.Layers[^1];
        Assert.False(norm.IsAdapted);
        norm.Mean!.Value.AsSpan().Fill(1f);
        norm.Variance!.Value.AsSpan().Fill(4f);

        Assert.True(norm.IsAdapted);
        Assert.Equal(0f, norm.Count!.Value.ToArray()[0]);
        Assert.Equal([0.5f, 0.5f, 0.5f, 1.5f, 1.5f, 1.5f], model.Predict(Tensor.FromArray([2f, 2f, 2f, 4f, 4f, 4f], 2, 3)).ToArray());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Backward_MatchesNumericalGradients(bool invert)
    {
        var layer = new NeuralNet.Layers.Normalization([1, 3], invert: invert);
        layer.Adapt(Tensor.RandomNormal(new TensorShape(20, 3, 2, 4), 6, 1f, 2f));
        GradientChecker.CheckLayer(layer, Tensor.RandomNormal(new TensorShape(2, 3, 2, 4), 7), seed: 3).AssertPassed(maxKinkFraction: 0);

        var global = new NeuralNet.Layers.Normalization(axis: null, mean: [0.5f], variance: [4f], invert: invert);
        GradientChecker.CheckLayer(global, Tensor.RandomNormal(new TensorShape(3, 5), 8), seed: 4).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void SaveLoad_AdaptedAndGivenLayers_RoundTripBitForBit()
    {
        var adapted = new NeuralNet.Layers.Normalization();
        Tensor x = Tensor.RandomNormal(new TensorShape(24, 3, 4), 9, 2f, 3f);
        adapted.Adapt(x);
        var model = new Sequential([new InputLayer(3, 4), adapted, new NeuralNet.Layers.Normalization([1], mean: [1f, 2f, 3f], variance: [1f, 4f, 9f], invert: true), new Flatten(), new Dense(3)], seed: 2);
        model.Compile(new Adam(0.01f), new MeanSquaredError());
        model.Fit(x, Tensor.RandomNormal(new TensorShape(24, 3), 10), epochs: 2, batchSize: 8, verbose: 0);

        Model loaded = LayerTestKit.AssertRoundTrip(model, x);
        var restored = Assert.IsType<NeuralNet.Layers.Normalization>(loaded.Layers[1]);
        Assert.True(restored.IsAdapted);
        Assert.Equal(adapted.Mean!.Value.ToArray(), restored.Mean!.Value.ToArray());
        Assert.Equal(0, model.TrainableParameterCount - (3 * 4 * 3) - 3);
    }

    [Fact]
    public void Config_KerasKeys_RoundTrip()
    {
        string json = new NeuralNet.Layers.Normalization(axis: null, mean: [1f], variance: [2f], invert: true, name: "n").GetConfig().ToJson();
        Assert.Contains("\"axis\":[]", json, StringComparison.Ordinal);
        Assert.Contains("\"mean\":[1]", json, StringComparison.Ordinal);
        var again = Assert.IsType<NeuralNet.Layers.Normalization>(SerializationRegistry.Recreate(new NeuralNet.Layers.Normalization([1, 2], name: "m")));
        Assert.Equal([1, 2], again.Axes);
        Assert.Null(again.GivenMean);
    }

    [Fact]
    public void BadInput_ThrowsBeforeChangingState()
    {
        Assert.Contains("both `mean` and `variance` must be set", Assert.Throws<ArgumentException>(() => new NeuralNet.Layers.Normalization(mean: [0.5f])).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new NeuralNet.Layers.Normalization(mean: [1f], variance: [-1f]));
        Assert.Throws<ArgumentException>(() => new NeuralNet.Layers.Normalization(0));
        Assert.Throws<InvalidOperationException>(() => new NeuralNet.Layers.Normalization(mean: [1f], variance: [1f]).Adapt(Tensor.Ones(2, 1)));

        var layer = new NeuralNet.Layers.Normalization(3, name: "n");
        Assert.Contains("all `axis` values must be in the range", Assert.Throws<ArgumentException>(() => layer.Adapt(Tensor.Ones(4, 2))).Message, StringComparison.Ordinal);
        var built = new NeuralNet.Layers.Normalization(name: "b");
        built.Build(new TensorShape(5));
        Assert.Contains("incompatible shape", Assert.Throws<ArgumentException>(() => built.Adapt(Tensor.Ones(10, 3))).Message, StringComparison.Ordinal);
        Tensor bad = Tensor.Ones(3, 5);
        bad[1, 2] = float.NaN;
        var error = Assert.Throws<ArgumentException>(() => built.Adapt([Tensor.Ones(2, 5), bad]));
        Assert.Contains("batch 1 holds NaN in sample 1 at position 2", error.Message, StringComparison.Ordinal);
        Assert.False(built.IsAdapted);
        var given = new NeuralNet.Layers.Normalization(mean: [1f, 2f], variance: [1f, 1f]);
        Assert.Throws<ArgumentException>(() => given.Build(new TensorShape(3)));
    }

    [Fact]
    public void Training_AllocatesNothingAfterWarmUp()
    {
        var trailing = new NeuralNet.Layers.Normalization();
        trailing.Adapt(Tensor.RandomNormal(new TensorShape(10, 3, 4), 1));
        var leading = new NeuralNet.Layers.Normalization(1, invert: true);
        leading.Adapt(Tensor.RandomNormal(new TensorShape(10, 3, 4), 2));
        LayerTestKit.AssertTrainingAllocatesNothing([3, 4], new Dense(4), trailing, leading);
    }

    // Two-pass float64 mean and biased variance per kept index; stat[i] is the statistic of a sample's i-th value.
    private static (double[] Mean, double[] Variance, int[] Stat) Reference(Tensor data, int[] sample, int[] axes)
    {
        int rank = sample.Length + 1;
        int[] kept = [.. axes.Select(a => (a < 0 ? a + rank : a) - 1).Distinct().Order()];
        int sampleLength = sample.Aggregate(1, (p, d) => p * d);
        var stat = new int[sampleLength];
        for (int offset = 0; offset < sampleLength; offset++)
        {
            var index = new int[sample.Length];
            for (int d = sample.Length - 1, rest = offset; d >= 0; d--)
            {
                index[d] = rest % sample[d];
                rest /= sample[d];
            }

            stat[offset] = kept.Aggregate(0, (s, a) => (s * sample[a]) + index[a]);
        }

        int count = kept.Aggregate(1, (p, a) => p * sample[a]);
        var sum = new double[count];
        var n = new double[count];
        float[] x = data.ToArray();
        for (int i = 0; i < x.Length; i++)
        {
            sum[stat[i % sampleLength]] += x[i];
            n[stat[i % sampleLength]]++;
        }

        double[] mean = [.. sum.Select((s, k) => s / n[k])];
        var squares = new double[count];
        for (int i = 0; i < x.Length; i++)
        {
            double d = x[i] - mean[stat[i % sampleLength]];
            squares[stat[i % sampleLength]] += d * d;
        }

        return (mean, [.. squares.Select((s, k) => s / n[k])], stat);
    }
}
