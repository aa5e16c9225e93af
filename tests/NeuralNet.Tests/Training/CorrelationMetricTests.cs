using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Serialization;
using NeuralNet.Training;
using Xunit;
using static NeuralNet.Tests.Training.MetricRuns;

namespace NeuralNet.Tests.Training;

/// <summary>
/// Keras' PearsonCorrelation and ConcordanceCorrelation against keras/src/metrics/correlation_metrics_test.py (its data,
/// ccc_expected and scipy's pearsonr values) and the classes' docstrings (correlation_metrics.py).
/// </summary>
public class CorrelationMetricTests
{
    // correlation_metrics_test.py _get_data: 4 samples of 3.
    private static readonly float[] KerasTrue = [0, 1, 0.5f, 1, 1, 0.2f, 1, 1, 0.1f, 0.1f, 0.7f, 0.0f];
    private static readonly float[] KerasPredicted = [0.1f, 0.9f, 0.5f, 1, 0.9f, 0.2f, 0.2f, 0.8f, 0, 0.3f, 0.3f, 0.9f];
    private static readonly double[] CccExpected = [0.97560976, 0.98765432, 0.46511628, -0.46376812];
    private static readonly double[] PccExpected = [1, 0.99339927, 0.69337525, -0.60999428]; // scipy.stats.pearsonr per row

    private static Tensor Rows(float[] values, int start, int count) => Tensor.FromArray(values[(start * 3)..((start + count) * 3)], count, 3);

    // A plain twin of Keras' formulas for one row, in double.
    private static double PearsonReference(double[] t, double[] p)
    {
        double mt = t.Average(), mp = p.Average();
        double st = Math.Sqrt(t.Average(v => (v - mt) * (v - mt))) + 1e-7, sp = Math.Sqrt(p.Average(v => (v - mp) * (v - mp))) + 1e-7;
        return t.Select((v, i) => (v - mt) / st * ((p[i] - mp) / sp)).Average();
    }

    private static double ConcordanceReference(double[] t, double[] p)
    {
        double mt = t.Average(), mp = p.Average();
        double norm = t.Average(v => (v - mt) * (v - mt)) + p.Average(v => (v - mp) * (v - mp)) + ((mt - mp) * (mt - mp)) + 1e-7;
        return t.Select((v, i) => 2 * (v - mp) * (p[i] - mp) / norm).Average();
    }

    [Fact]
    public void PerSampleValues_MatchKerasTest()
    {
        for (int row = 0; row < 4; row++)
        {
            Assert.Equal(PccExpected[row], Run(new PearsonCorrelation(), KerasPredicted[(row * 3)..((row + 1) * 3)], KerasTrue[(row * 3)..((row + 1) * 3)], 1), 1e-6);
            Assert.Equal(CccExpected[row], Run(new ConcordanceCorrelation(), KerasPredicted[(row * 3)..((row + 1) * 3)], KerasTrue[(row * 3)..((row + 1) * 3)], 1), 1e-6);
        }
    }

    [Fact]
    public void Streaming_MatchesKerasClassTests_AndDocstrings()
    {
        var pearson = new PearsonCorrelation();
        var concordance = new ConcordanceCorrelation();
        pearson.Update(Rows(KerasPredicted, 0, 2), Rows(KerasTrue, 0, 2));
        concordance.Update(Rows(KerasPredicted, 0, 2), Rows(KerasTrue, 0, 2));
        Assert.Equal(0.9966996338993913, pearson.Result(), 1e-6); // the docstrings' examples
        Assert.Equal(0.9816320385426076, concordance.Result(), 1e-6);
        pearson.Update(Rows(KerasPredicted, 2, 2), Rows(KerasTrue, 2, 2));
        concordance.Update(Rows(KerasPredicted, 2, 2), Rows(KerasTrue, 2, 2));
        Assert.Equal(PccExpected.Average(), pearson.Result(), 1e-6);
        Assert.Equal(CccExpected.Average(), concordance.Result(), 1e-6);
        pearson.Reset();
        Assert.Equal(0, pearson.Result());
    }

    [Fact]
    public void ZeroVarianceRows_ScoreZero_AndDoNotPoisonTheMean()
    {
        // test_pearson_function_zero_variance and test_pearson_class_degenerate_batch.
        float[] degenerateTrue = [0.1f, 0.5f, 0.9f, 2, 2, 2], degeneratePredicted = [0.2f, 0.4f, 0.6f, 0.1f, 0.5f, 0.9f];
        Assert.Equal(0, Run(new PearsonCorrelation(), degeneratePredicted[3..], degenerateTrue[3..], 1), 1e-12);
        Assert.Equal(1, Run(new PearsonCorrelation(), degeneratePredicted[..3], degenerateTrue[..3], 1), 1e-6);

        var m = new PearsonCorrelation();
        m.Update(Rows(KerasPredicted, 0, 4), Rows(KerasTrue, 0, 4));
        m.Update(Tensor.FromArray(degeneratePredicted, 2, 3), Tensor.FromArray(degenerateTrue, 2, 3));
        m.Update(Rows(KerasPredicted, 0, 4), Rows(KerasTrue, 0, 4));
        Assert.Equal(PccExpected.Concat(PccExpected).Concat([1.0, 0.0]).Average(), m.Result(), 1e-6);

        // Concordance of two equal constants: 0 / epsilon.
        Assert.Equal(0, Run(new ConcordanceCorrelation(), [3, 3, 3], [3, 3, 3], 1), 1e-12);
        // Two different constants: 2·(t − mean p)(p − mean p) is 0 everywhere, over (0 + 0 + (3 − 1)² + 1e-7): exactly 0.
        Assert.Equal(0, Run(new ConcordanceCorrelation(), [3, 3, 3], [1, 1, 1], 1), 1e-12);
    }

    [Fact]
    public void SampleWeights_GiveKerasWeightedMean()
    {
        float[] weights = [1, 0.5f, 2, 0];
        double Weighted(double[] values) => values.Select((v, i) => v * weights[i]).Sum() / weights.Sum();
        Assert.Equal(Weighted(PccExpected), Run(new PearsonCorrelation(), KerasPredicted, KerasTrue, 4, weights), 1e-6);
        Assert.Equal(Weighted(CccExpected), Run(new ConcordanceCorrelation(), KerasPredicted, KerasTrue, 4, weights), 1e-6);
        Assert.Throws<ArgumentException>(() => new PearsonCorrelation().Update(Rows(KerasPredicted, 0, 4), Rows(KerasTrue, 0, 4), [1f, 2f]));
    }

    [Fact]
    public void RandomRows_MatchThePlainFormulas()
    {
        var random = new Random(4);
        for (int trial = 0; trial < 20; trial++)
        {
            int length = random.Next(2, 30);
            double[] t = [.. Enumerable.Range(0, length).Select(_ => (double)(float)((random.NextDouble() * 4) - 2))];
            double[] p = [.. t.Select(v => (double)(float)((v * ((random.NextDouble() * 2) - 1)) + random.NextDouble()))];
            float[] tf = [.. t.Select(v => (float)v)], pf = [.. p.Select(v => (float)v)];
            Assert.Equal(PearsonReference(t, p), Run(new PearsonCorrelation(), pf, tf, 1), 1e-12);
            Assert.Equal(ConcordanceReference(t, p), Run(new ConcordanceCorrelation(), pf, tf, 1), 1e-12);
        }
    }

    [Fact]
    public void Axis_OtherThanTheLast_CorrelatesAlongIt_AndASamplesRowsAreAveraged()
    {
        // x (2, 4, 3): axis 1 correlates the 4 steps of each of the 3 features; axis -1 the 3 features of each of the 4 steps.
        float[] t = [.. Enumerable.Range(0, 24).Select(i => (float)Math.Sin(i * 1.3))];
        float[] p = [.. Enumerable.Range(0, 24).Select(i => (float)Math.Cos(i * 0.7))];
        foreach ((int axis, bool steps) in new[] { (1, true), (-2, true), (2, false), (-1, false) })
        {
            double[] expected = new double[2];
            for (int s = 0; s < 2; s++)
            {
                for (int r = 0; r < (steps ? 3 : 4); r++)
                {
                    int[] index = [.. Enumerable.Range(0, steps ? 4 : 3).Select(i => (s * 12) + (steps ? (i * 3) + r : (r * 3) + i))];
                    expected[s] += PearsonReference([.. index.Select(i => (double)t[i])], [.. index.Select(i => (double)p[i])]) / (steps ? 3 : 4);
                }
            }

            var metric = new PearsonCorrelation(axis);
            metric.Update(Tensor.FromArray(p, 2, 4, 3), Tensor.FromArray(t, 2, 4, 3));
            Assert.Equal(expected.Average(), metric.Result(), 1e-12);
        }
    }

    [Fact]
    public void BadAxisAndShapes_AreRefusedNamingThem()
    {
        Assert.Equal("axis", Assert.Throws<ArgumentOutOfRangeException>(() => new PearsonCorrelation(0)).ParamName);
        Assert.Equal("axis", Assert.Throws<ArgumentOutOfRangeException>(() => new ConcordanceCorrelation(0)).ParamName);
        var e = Assert.Throws<ArgumentException>(() => new PearsonCorrelation(2).Update(Rows(KerasPredicted, 0, 4), Rows(KerasTrue, 0, 4)));
        Assert.Contains("axis 2 is not an axis of the samples of predictions (4, 3)", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => new PearsonCorrelation().Update(Tensor.FromArray([1f, 2f, 3f], 3), Tensor.FromArray([1f, 2f, 3f], 3)));
        Assert.Contains("axis -1", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new ConcordanceCorrelation().ValidateShapes(new TensorShape(3), new TensorShape(4)));
        Assert.Throws<ArgumentException>(() => new ConcordanceCorrelation(-3).ValidateShapes(new TensorShape(3), new TensorShape(3)));
        new ConcordanceCorrelation(-2).ValidateShapes(new TensorShape(4, 3), new TensorShape(12));

        var metric = new ConcordanceCorrelation();
        metric.Update(Rows(KerasPredicted, 0, 1), Rows(KerasTrue, 0, 1));
        Assert.Throws<ArgumentException>(() => metric.Update(Rows(KerasPredicted, 0, 2), Rows(KerasTrue, 0, 1)));
        Assert.Equal(CccExpected[0], metric.Result(), 1e-6); // nothing accumulated by the failed update
    }

    [Fact]
    public void Update_AllocatesNothing()
    {
        Tensor p = Tensor.RandomUniform(new TensorShape(60, 5), 5), t = Tensor.RandomUniform(new TensorShape(60, 5), 6);
        float[] weights = [.. Enumerable.Range(0, 60).Select(i => 0.5f + (i % 3))];
        foreach (Metric metric in new Metric[] { new PearsonCorrelation(), new ConcordanceCorrelation() })
        {
            metric.Update(p, t, weights);
            AllocationCheck.AssertNone(() =>
            {
                metric.Update(p, t, weights);
                _ = metric.Result();
            });
        }
    }

    [Fact]
    public void KerasNames_Load_AndConfigsRoundTrip()
    {
        Assert.IsType<PearsonCorrelation>(Read("\"pearson_correlation\""));
        Assert.IsType<ConcordanceCorrelation>(Read("\"concordance_correlation\""));
        Assert.Equal(-1, Assert.IsType<PearsonCorrelation>(Read("""{"module": "keras.metrics", "class_name": "PearsonCorrelation", "config": {"name": "pearson_correlation", "dtype": "float32", "axis": -1}, "registered_name": null}""")).Axis);
        Assert.Equal(1, Assert.IsType<ConcordanceCorrelation>(Read("""{"class_name": "ConcordanceCorrelation", "config": {"name": "concordance_correlation", "dtype": "float32", "axis": 1}}""")).Axis);
        Assert.Contains("axis", Assert.Throws<InvalidDataException>(() => Read("""{"class_name": "PearsonCorrelation", "config": {"axis": 0}}""")).Message, StringComparison.Ordinal);

        Assert.Equal("\"pearson_correlation\"", SerializationRegistry.SerializeMetric(new PearsonCorrelation()).ToJsonString());
        Assert.Equal("{\"class_name\":\"ConcordanceCorrelation\",\"config\":{\"name\":\"concordance_correlation\",\"axis\":1}}", SerializationRegistry.SerializeMetric(new ConcordanceCorrelation(1)).ToJsonString());
        Assert.Equal(MetricDirection.Up, new PearsonCorrelation().Direction);
    }

    [Fact]
    public void Compile_ByKerasName_LogsTheMetric()
    {
        var model = new Sequential([new InputLayer(3), new Dense(4)], seed: 1);
        model.Compile("adam", "mse", "pearson_correlation", "concordance_correlation");
        Tensor x = Tensor.RandomNormal(new TensorShape(20, 3), 2);
        Tensor y = Tensor.RandomNormal(new TensorShape(20, 4), 3);
        History history = model.Fit(x, y, epochs: 1, validationSplit: 0.25, verbose: 0);
        foreach (string key in new[] { "pearson_correlation", "concordance_correlation", "val_pearson_correlation", "val_concordance_correlation" })
        {
            Assert.True(double.IsFinite(history[key][0]), key);
        }
    }
}
