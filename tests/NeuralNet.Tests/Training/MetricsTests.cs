using NeuralNet.Training;
using Xunit;

namespace NeuralNet.Tests.Training;

public class MetricsTests
{
    [Fact]
    public void Accuracy_OneHotTargets_ComparesArgMaxes()
    {
        var accuracy = new Accuracy();
        var predictions = Tensor.FromArray([0.1f, 0.7f, 0.2f, 0.8f, 0.1f, 0.1f, 0.3f, 0.3f, 0.4f, 0.2f, 0.5f, 0.3f], 4, 3);
        var targets = Tensor.FromArray([0, 1, 0, 1, 0, 0, 1, 0, 0, 0, 0, 1], 4, 3);
        accuracy.Update(predictions, targets);
        Assert.Equal(0.5, accuracy.Result());
        accuracy.Update(predictions.Slice(0, 2), targets.Slice(0, 2));
        Assert.Equal(4.0 / 6.0, accuracy.Result(), 1e-12);
        accuracy.Reset();
        Assert.Equal(0.0, accuracy.Result());
    }

    [Fact]
    public void Accuracy_SparseLabels_ComparesArgMaxWithLabel()
    {
        var accuracy = new Accuracy();
        var predictions = Tensor.FromArray([0.1f, 0.7f, 0.2f, 0.8f, 0.1f, 0.1f, 0.3f, 0.3f, 0.4f], 3, 3);
        accuracy.Update(predictions, Tensor.FromArray([1, 0, 0], 3));
        Assert.Equal(2.0 / 3.0, accuracy.Result(), 1e-12);
    }

    [Fact]
    public void Accuracy_SingleUnit_ThresholdsAtOneHalf()
    {
        var accuracy = new Accuracy();
        accuracy.Update(Tensor.FromArray([0.9f, 0.2f, 0.6f, 0.4f], 4, 1), Tensor.FromArray([1, 0, 0, 0], 4, 1));
        Assert.Equal(0.75, accuracy.Result());
    }

    [Fact]
    public void Accuracy_ValidateShapes_MismatchThrows()
    {
        var ex = Assert.Throws<ArgumentException>(() => new Accuracy().ValidateShapes(new TensorShape(5), new TensorShape(10)));
        Assert.Contains("output (None, 5) does not match targets (None, 10)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ConfusionMatrix_FromLabels_CountsAndScores()
    {
        ConfusionMatrix m = ConfusionMatrix.FromLabels([0, 1, 2, 2, 2], [0, 0, 2, 2, 1], 3);
        Assert.Equal(1, m[0, 0]);
        Assert.Equal(1, m[1, 0]);
        Assert.Equal(1, m[2, 1]);
        Assert.Equal(2, m[2, 2]);
        Assert.Equal(5, m.Total);
        Assert.Equal(0.6, m.Accuracy, 1e-12);
        Assert.Equal(0.5, m.Precision(0), 1e-12);
        Assert.Equal(2.0 / 3.0, m.Recall(2), 1e-12);
        Assert.Equal(0.8, m.F1Score(2), 1e-12);
        Assert.Equal(0.0, m.Precision(1));
        Assert.Equal(" 1 0 0\n 1 0 0\n 0 1 2\n", m.ToString());
    }

    [Fact]
    public void ConfusionMatrix_FromPredictions_OneHotAndLabelsAgree()
    {
        var predictions = Tensor.FromArray([0.9f, 0.1f, 0.2f, 0.8f, 0.6f, 0.4f], 3, 2);
        ConfusionMatrix oneHot = ConfusionMatrix.FromPredictions(predictions, Tensor.FromArray([1, 0, 0, 1, 0, 1], 3, 2));
        ConfusionMatrix labels = ConfusionMatrix.FromPredictions(predictions, Tensor.FromArray([0, 1, 1], 3));
        Assert.Equal(oneHot.ToString(), labels.ToString());
        Assert.Equal(1, oneHot[1, 0]);
    }

    [Fact]
    public void ConfusionMatrix_LabelOutOfRange_ThrowsNamingTheSample()
    {
        var ex = Assert.Throws<ArgumentException>(() => ConfusionMatrix.FromLabels([0, 3], [0, 0], 3));
        Assert.Contains("Sample 1", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ClassificationReport_ScikitLearnDocExample_MatchesExactly()
    {
        // sklearn.metrics.classification_report([0, 1, 2, 2, 2], [0, 0, 2, 2, 1], target_names=["class 0", "class 1", "class 2"])
        ConfusionMatrix m = ConfusionMatrix.FromLabels([0, 1, 2, 2, 2], [0, 0, 2, 2, 1], 3);
        const string expected =
            "              precision    recall  f1-score   support\n" +
            "\n" +
            "     class 0       0.50      1.00      0.67         1\n" +
            "     class 1       0.00      0.00      0.00         1\n" +
            "     class 2       1.00      0.67      0.80         3\n" +
            "\n" +
            "    accuracy                           0.60         5\n" +
            "   macro avg       0.50      0.56      0.49         5\n" +
            "weighted avg       0.70      0.60      0.61         5\n";
        Assert.Equal(expected, m.ClassificationReport(["class 0", "class 1", "class 2"]));
    }

    [Fact]
    public void ClassificationReport_DefaultNamesAndDigits_UsesIndices()
    {
        ConfusionMatrix m = ConfusionMatrix.FromLabels([0, 1], [0, 1], 2);
        string report = ClassificationReport.Format(m, digits: 4);
        Assert.Contains("           0     1.0000    1.0000    1.0000         1\n", report, StringComparison.Ordinal);
    }
}
