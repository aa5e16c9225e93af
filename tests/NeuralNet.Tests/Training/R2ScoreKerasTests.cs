using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Serialization;
using NeuralNet.Training;
using Xunit;
using static NeuralNet.Tests.Training.MetricRuns;

namespace NeuralNet.Tests.Training;

/// <summary>
/// <see cref="R2Score"/>'s class aggregations and adjusted score against Keras'
/// keras/src/metrics/regression_metrics_test.py (R2ScoreTest: its scikit-learn and TensorFlow Addons comparisons).
/// </summary>
public class R2ScoreKerasTests
{
    private static readonly float[] Targets = [0, 0, 1, 0, 1, 0, 1, 0, 0];
    private static readonly float[] SklearnPredictions = [0.4f, 0.5f, 0.6f, 0.1f, 0.2f, 0.3f, 0.5f, 0.8f, 0.2f];
    private static readonly float[] TfaPredictions = [0.4f, 0.9f, 1.6f, 0.1f, 1.2f, 0.6f, 1.5f, 0.8f, 0.6f];
    private static readonly float[] TfaWeights = [0.8f, 0.1f, 0.4f];

    [Fact]
    public void SklearnComparison_MatchesKeras()
    {
        // test_r2_sklearn_comparison: per column [0.37, -1.295, 0.565]; both averages -0.12 (every column varies alike).
        // Checked to Keras' 1e-6: the predictions are float32 values, not the decimals.
        AssertClose([0.37, -1.295, 0.565], Scores(new R2Score(R2ClassAggregation.None), SklearnPredictions), 1e-6);
        Assert.Equal(-0.12, Score(new R2Score(), SklearnPredictions), 1e-6);
        Assert.Equal(-0.12, Score(new R2Score(R2ClassAggregation.VarianceWeightedAverage), SklearnPredictions), 1e-6);
    }

    // test_r2_tfa_comparison, weighted [0.8, 0.1, 0.4]. Keras checks its float32 results to 1e-6; these are computed in
    // float64, so they are checked to 1e-5 (the largest value, -12.1, has a float32 spacing of 1e-6).
    [Theory]
    [InlineData(R2ClassAggregation.UniformAverage, 0, -3.0615367889404297)]
    [InlineData(R2ClassAggregation.UniformAverage, 1, -3.641756534576416)]
    [InlineData(R2ClassAggregation.UniformAverage, 2, -4.415382385253906)]
    [InlineData(R2ClassAggregation.VarianceWeightedAverage, 0, -1.3710224628448486)]
    [InlineData(R2ClassAggregation.VarianceWeightedAverage, 1, -1.7097399234771729)]
    [InlineData(R2ClassAggregation.VarianceWeightedAverage, 2, -2.161363363265991)]
    public void TfaComparison_MatchesKeras(R2ClassAggregation aggregation, int numRegressors, double expected) =>
        Assert.Equal(expected, Score(new R2Score(aggregation, numRegressors), TfaPredictions, TfaWeights), 1e-5);

    [Theory]
    [InlineData(0, 0.17305559, -8.836666, -0.521)]
    [InlineData(1, 0.054920673, -10.241904, -0.7382858)]
    [InlineData(2, -0.10259259, -12.115555, -1.0280001)]
    public void TfaComparison_PerColumn_MatchesKeras(int numRegressors, double first, double second, double third) =>
        AssertClose([first, second, third], Scores(new R2Score(R2ClassAggregation.None, numRegressors), TfaPredictions, TfaWeights), 1e-5);

    [Fact]
    public void AdjustedScore_CountsEveryTargetValue_AndFallsBackToThePlainScoreWhereUndefined()
    {
        // Keras' num_samples is ops.size(y_true): 9 values for 3 samples of 3 columns, whatever the weights. By hand:
        // 1 - (1 - R²)(n - 1) / (n - p - 1) with the plain per-column scores.
        double[] plain = Scores(new R2Score(R2ClassAggregation.None), TfaPredictions, TfaWeights);
        double[] adjusted = Scores(new R2Score(R2ClassAggregation.None, 3), TfaPredictions, TfaWeights);
        AssertClose([.. plain.Select(r => 1 - ((1 - r) * 8 / 5))], adjusted, 1e-12);

        // p = n - 1 (division by zero) and p > n - 1: Keras' result() warns and falls back to the plain score
        // (regression_metrics.py R2Score.result). Keras' docstring: y_true [1, 4, 3], y_pred [2, 4, 4] -> 0.5714 = 4/7.
        var single = new R2Score(numRegressors: 2);
        single.Update(Tensor.FromArray([2f, 4, 4], 3, 1), Tensor.FromArray([1f, 4, 3], 3, 1));
        Assert.Equal(4.0 / 7, single.Result(), 12);

        // The plain tfa comparison values above (Keras' R2ScoreTest), for p = 20 > 8 and, per column, for p = 8 = n - 1.
        Assert.Equal(-3.0615367889404297, Score(new R2Score(numRegressors: 20), TfaPredictions, TfaWeights), 1e-5);
        AssertClose([0.17305559, -8.836666, -0.521], Scores(new R2Score(R2ClassAggregation.None, 8), TfaPredictions, TfaWeights), 1e-5);

        var one = new R2Score(numRegressors: 1);
        one.Update(Tensor.FromArray([2f, 4, 4], 3, 1), Tensor.FromArray([1f, 4, 3], 3, 1));
        Assert.Equal(1 - ((1 - (4.0 / 7)) * 2 / 1), one.Result(), 12); // Keras' docstring R² 0.5714 = 4/7, n = 3, p = 1

        // Nothing accumulated: 0, as every metric before its first update.
        Assert.Equal(0, new R2Score(numRegressors: 2).Result());
        Assert.Empty(new R2Score(R2ClassAggregation.None).Results());
    }

    [Fact]
    public void NoAggregation_HasOneResultPerColumn_AndIsRefusedByCompile()
    {
        var none = new R2Score(R2ClassAggregation.None);
        none.Update(Tensor.FromArray(SklearnPredictions, 3, 3), Tensor.FromArray(Targets, 3, 3));
        Assert.Contains("read Results()", Assert.Throws<InvalidOperationException>(() => none.Result()).Message, StringComparison.Ordinal);

        var model = new Sequential([new InputLayer(4), new Dense(2)], seed: 2);
        var error = Assert.Throws<ArgumentException>(() => model.Compile(new Adam(), new MeanSquaredError(), new R2Score(R2ClassAggregation.None)));
        Assert.Contains("The metric r2_score has classAggregation None", error.Message, StringComparison.Ordinal);
        Assert.Contains("one number per metric", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Configs_AreKeras_AndRoundTrip()
    {
        // test_config: class_aggregation None and num_regressors 2, saved and restored.
        var r2 = new R2Score(R2ClassAggregation.None, 2);
        Assert.Equal("""{"class_aggregation":null,"num_regressors":2}""", r2.GetConfig().ToJson());
        var again = Assert.IsType<R2Score>(Read(SerializationRegistry.SerializeMetric(r2).ToJsonString()));
        Assert.Equal((R2ClassAggregation.None, 2), (again.ClassAggregation, again.NumRegressors));
        Assert.Equal("\"r2_score\"", SerializationRegistry.SerializeMetric(new R2Score()).ToJsonString());

        var weighted = Assert.IsType<R2Score>(Read("""{"class_name": "R2Score", "config": {"name": "r2", "dtype": "float32", "class_aggregation": "variance_weighted_average", "num_regressors": 1}}"""));
        Assert.Equal((R2ClassAggregation.VarianceWeightedAverage, 1, "r2"), (weighted.ClassAggregation, weighted.NumRegressors, weighted.Name));
        Assert.Equal(R2ClassAggregation.UniformAverage, Assert.IsType<R2Score>(Read("""{"class_name": "R2Score", "config": {"name": "r2"}}""")).ClassAggregation);

        // test_errors: a bad class_aggregation or a negative num_regressors, from a file or in code.
        Assert.Contains("\"class_aggregation\" is \"wrong\"", Assert.Throws<InvalidDataException>(() => Read("""{"class_name": "R2Score", "config": {"class_aggregation": "wrong"}}""")).Message, StringComparison.Ordinal);
        Assert.Contains("numRegressors >= 0", Assert.Throws<InvalidDataException>(() => Read("""{"class_name": "R2Score", "config": {"num_regressors": -1}}""")).Message, StringComparison.Ordinal);
        Assert.Equal("numRegressors", Assert.Throws<ArgumentOutOfRangeException>(() => new R2Score(numRegressors: -1)).ParamName);
        Assert.Equal("classAggregation", Assert.Throws<ArgumentOutOfRangeException>(() => new R2Score((R2ClassAggregation)9)).ParamName);
    }

    [Fact]
    public void AnotherNumberOfColumns_IsRefused_UntilReset()
    {
        var r2 = new R2Score();
        r2.Update(Tensor.FromArray(SklearnPredictions, 3, 3), Tensor.FromArray(Targets, 3, 3));
        var error = Assert.Throws<ArgumentException>(() => r2.Update(Tensor.FromArray([1f, 2], 2, 1), Tensor.FromArray([1f, 3], 2, 1)));
        Assert.Contains("have 1 columns, but 3 were accumulated", error.Message, StringComparison.Ordinal);
        Assert.Equal(-0.12, r2.Result(), 1e-6);
        r2.Reset();
        r2.Update(Tensor.FromArray([2f, 4, 4], 3, 1), Tensor.FromArray([1f, 4, 3], 3, 1));
        Assert.Equal(4.0 / 7, r2.Result(), 12);
    }

    [Fact]
    public void StreamsOverBatches_AndAllocatesNothing()
    {
        Tensor p = Tensor.RandomNormal(new TensorShape(60, 3), 21), t = Tensor.RandomNormal(new TensorShape(60, 3), 22);
        float[] weights = [.. Enumerable.Range(0, 60).Select(i => 0.5f + (i % 3))];
        foreach (Func<R2Score> make in new Func<R2Score>[] { () => new R2Score(R2ClassAggregation.VarianceWeightedAverage, 4), () => new R2Score(numRegressors: 2) })
        {
            R2Score whole = make(), streamed = make();
            AssertStreamsAsWhole(whole, streamed, p, t, weights, split: 25);
            AssertClose(whole.Results(), streamed.Results(), 1e-12);
        }
    }

    [Fact]
    public void TrainsSavesAndLoads()
    {
        var model = new Sequential([new InputLayer(4), new Dense(2)], seed: 5);
        model.Compile(new Adam(), new MeanSquaredError(), new R2Score(R2ClassAggregation.VarianceWeightedAverage, 3));
        Tensor x = Tensor.RandomNormal(new TensorShape(32, 4), 6), y = Tensor.RandomNormal(new TensorShape(32, 2), 7);
        History history = model.Fit(x, y, epochs: 1, verbose: 0);
        Assert.True(double.IsFinite(history["r2_score"][0]));

        string path = Path.Combine(Path.GetTempPath(), $"neuralnet-r2-{Environment.ProcessId}.safetensors");
        try
        {
            model.Save(path);
            var loaded = Assert.IsType<R2Score>(Model.Load(path).Metrics[0]);
            Assert.Equal((R2ClassAggregation.VarianceWeightedAverage, 3), (loaded.ClassAggregation, loaded.NumRegressors));
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static void AssertClose(double[] expected, double[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], actual[i], tolerance);
        }
    }

    private static double Score(R2Score metric, float[] predictions, float[]? weights = null) =>
        Run(metric, predictions, Targets, 3, weights);

    private static double[] Scores(R2Score metric, float[] predictions, float[]? weights = null)
    {
        metric.Update(Tensor.FromArray(predictions, 3, 3), Tensor.FromArray(Targets, 3, 3), weights ?? []);
        return metric.Results();
    }
}
