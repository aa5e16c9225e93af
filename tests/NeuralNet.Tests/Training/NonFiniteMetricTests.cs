using NeuralNet.Training;
using Xunit;

namespace NeuralNet.Tests.Training;

/// <summary>
/// Metrics on non-finite predictions as Keras / TensorFlow score them (top-k: TensorFlow's InTopK kernel; R2Score: Keras'
/// result), and ConfusionMatrix refusing sequence outputs.
/// </summary>
public class NonFiniteMetricTests
{
    [Theory]
    [InlineData(float.NaN, false)]
    [InlineData(float.PositiveInfinity, false)]
    [InlineData(float.NegativeInfinity, false)]
    [InlineData(float.NaN, true)]
    [InlineData(float.PositiveInfinity, true)]
    public void TopK_NonFiniteTargetPrediction_IsAMiss(float value, bool sparse)
    {
        // Row 0: the target's prediction is non-finite (all comparisons with NaN are false, so it used to count as a hit).
        // Row 1: finite target, a non-finite prediction elsewhere in the row: TensorFlow's InTopK cannot say, so a miss.
        // Row 2: an ordinary hit.
        var metric = new TopKCategoricalAccuracy(k: 1, sparse);
        float[] predictions = [value, 0.5f, 0.2f, 0.9f, value, 0.1f, 0.1f, 0.8f, 0.1f];
        Tensor targets = sparse ? Tensor.FromArray([0f, 0f, 1f], 3) : Tensor.FromArray([1f, 0, 0, 1, 0, 0, 0, 1, 0], 3, 3);

        metric.Update(Tensor.FromArray(predictions, 3, 3), targets);

        Assert.Equal(1.0 / 3, metric.Result(), 12);
    }

    [Fact]
    public void TopK_DivergedModel_ScoresZero()
    {
        var metric = new TopKCategoricalAccuracy(k: 5, sparse: true);
        metric.Update(Tensor.FromArray(Enumerable.Repeat(float.NaN, 20).ToArray(), 2, 10), Tensor.FromArray([3f, 7f], 2));
        Assert.Equal(0.0, metric.Result());
    }

    [Fact]
    public void R2Score_ConstantTargetsPredictedExactly_IsNaNAsKeras()
    {
        // Keras: raw_scores = 1 - 0/0 = NaN, and only ±inf is mapped to 0 (ops.where(ops.isinf(raw_scores), 0.0, ...)).
        var metric = new R2Score();
        metric.Update(Tensor.FromArray([2f, 2, 2], 3, 1), Tensor.FromArray([2f, 2, 2], 3, 1));
        Assert.True(double.IsNaN(metric.Result()));
    }

    [Fact]
    public void R2Score_ConstantTargetsMissed_IsZeroAsKeras()
    {
        // 1 - residual / 0 = -inf, which Keras maps to 0.
        var metric = new R2Score();
        metric.Update(Tensor.FromArray([1f, 2, 3], 3, 1), Tensor.FromArray([2f, 2, 2], 3, 1));
        Assert.Equal(0.0, metric.Result());
    }

    [Fact]
    public void R2Score_NaNPrediction_PropagatesNaN()
    {
        var metric = new R2Score();
        metric.Update(Tensor.FromArray([1f, float.NaN, 3], 3, 1), Tensor.FromArray([1f, 4, 3], 3, 1));
        Assert.True(double.IsNaN(metric.Result()));
    }

    [Fact]
    public void ConfusionMatrix_FromPredictions_SequenceOutput_ThrowsInsteadOfFlattening()
    {
        // (2 samples, 3 steps, 4 classes) used to become 12 "classes".
        Tensor predictions = Tensor.FromArray(new float[24], 2, 3, 4);
        var ex = Assert.Throws<ArgumentException>(() => ConfusionMatrix.FromPredictions(predictions, Tensor.FromArray(new float[6], 2, 3)));
        Assert.Equal("predictions", ex.ParamName);
        Assert.Contains("(samples * steps, classes)", ex.Message, StringComparison.Ordinal);

        var targets = Assert.Throws<ArgumentException>(() => ConfusionMatrix.FromPredictions(Tensor.FromArray(new float[8], 2, 4), Tensor.FromArray(new float[8], 2, 1, 4)));
        Assert.Equal("targets", targets.ParamName);
    }
}
