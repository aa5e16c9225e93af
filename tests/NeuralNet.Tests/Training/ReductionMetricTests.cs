using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Serialization;
using NeuralNet.Training;
using Xunit;

namespace NeuralNet.Tests.Training;

// Keras' keras.metrics.Mean and Sum; expected values from keras/src/metrics/reduction_metrics_test.py.
public class ReductionMetricTests
{
    private static Tensor Matrix() => Tensor.FromArray([1f, 3f, 5f, 7f], 2, 2);

    [Fact]
    public void Sum_Unweighted_Keras16()
    {
        var sum = new Sum();
        sum.Update([1f, 3f, 5f, 7f]);
        Assert.Equal(16.0, sum.Result(), 3);
    }

    [Fact]
    public void Sum_Weighted_Keras4()
    {
        var sum = new Sum();
        sum.Update([1f, 3f, 5f, 7f], [1f, 1f, 0f, 0f]);
        Assert.Equal(4.0, sum.Result(), 3);
    }

    [Fact]
    public void Sum_WeightedNd_Keras9()
    {
        var sum = new Sum();
        sum.Update(Matrix(), [1f, 1f, 1f, 0f]);
        Assert.Equal(9.0, sum.Result(), 3);
    }

    [Fact]
    public void Sum_WeightedNdBroadcast_Keras6()
    {
        // Keras' sample_weight=[[1, 0]], broadcast over the rows, given here one per value.
        var sum = new Sum();
        sum.Update(Matrix(), [1f, 0f, 1f, 0f]);
        Assert.Equal(6.0, sum.Result(), 3);
    }

    [Fact]
    public void Mean_Unweighted_Keras4()
    {
        var mean = new Mean();
        mean.Update([1f, 3f, 5f, 7f]);
        Assert.Equal(4.0, mean.Result(), 3);
    }

    [Fact]
    public void Mean_Weighted_Keras2()
    {
        var mean = new Mean();
        mean.Update([1f, 3f, 5f, 7f], [1f, 1f, 0f, 0f]);
        Assert.Equal(2.0, mean.Result(), 3);
    }

    [Fact]
    public void Mean_NegativeWeights_Keras2()
    {
        var mean = new Mean();
        mean.Update([1f, 3f, 5f, 7f], [-1f, -1f, 0f, 0f]);
        Assert.Equal(2.0, mean.Result(), 3);
    }

    [Fact]
    public void Mean_WeightedNd_Keras3()
    {
        var mean = new Mean();
        mean.Update(Matrix(), [1f, 1f, 1f, 0f]);
        Assert.Equal(3.0, mean.Result(), 3);
    }

    [Fact]
    public void Mean_WeightedNdBroadcast_Keras3()
    {
        var mean = new Mean();
        mean.Update(Matrix(), [1f, 0f, 1f, 0f]);
        Assert.Equal(3.0, mean.Result(), 3);
    }

    [Fact]
    public void Mean_TensorPerSampleWeights_EachSampleAveragedThenWeighted()
    {
        // Rows average to 2 and 6; weights 3 and 1: (3·2 + 1·6) / 4 = 3.
        var mean = new Mean();
        mean.Update(Matrix(), [3f, 1f]);
        Assert.Equal(3.0, mean.Result(), 6);
        Assert.Equal(4.0, mean.Count, 6);
    }

    [Fact]
    public void Mean_TensorUnweighted_CountsSamples()
    {
        var mean = new Mean();
        mean.Update(Matrix());
        Assert.Equal(4.0, mean.Result(), 6);
        Assert.Equal(2.0, mean.Count, 6);
    }

    [Fact]
    public void Mean_ScalarUpdates_LossTrackerOfTheGuide()
    {
        var lossTracker = new Mean { Name = "loss" };
        lossTracker.Update(0.5f);
        lossTracker.Update(0.25f);
        lossTracker.Update(1f, sampleWeight: 2);

        Assert.Equal("loss", lossTracker.Name);
        Assert.Equal((0.5 + 0.25 + 2) / 4, lossTracker.Result(), 6);
        lossTracker.Reset();
        Assert.Equal(0.0, lossTracker.Result());
    }

    [Fact]
    public void Sum_ResetAndDefaultName()
    {
        var sum = new Sum();
        sum.Update(3f, 2f);
        Assert.Equal(6.0, sum.Result(), 6);
        sum.Reset();
        Assert.Equal(0.0, sum.Result());
        Assert.Equal("sum", sum.Name);
        Assert.Equal("mean", new Mean().Name);
    }

    [Fact]
    public void Update_WeightsOfWrongLength_NamesCountsAndAddsNothing()
    {
        var mean = new Mean { Name = "loss" };
        var e = Assert.Throws<ArgumentException>(() => mean.Update(Matrix(), [1f, 1f, 1f]));
        Assert.Contains("Mean 'loss'", e.Message, StringComparison.Ordinal);
        Assert.Contains("3 sample weights", e.Message, StringComparison.Ordinal);
        Assert.Contains("one per sample (2) or one per value (4)", e.Message, StringComparison.Ordinal);

        Assert.Throws<ArgumentException>(() => new Sum().Update([1f, 2f], [1f]));
        Assert.Equal(0.0, mean.Count);
    }

    [Fact]
    public void Update_PredictionsAndTargets_Refused()
    {
        var e = Assert.Throws<NotSupportedException>(() => new Mean().Update(Matrix(), Matrix()));
        Assert.Contains("cannot be one of Compile's metrics", e.Message, StringComparison.Ordinal);
        Assert.Throws<NotSupportedException>(() => new Sum().Update(Matrix(), Matrix(), [1f, 1f]));
    }

    [Fact]
    public void Compile_MeanOrSum_RefusedWithReason()
    {
        var model = new Sequential([new InputLayer(4), new Dense(1, ActivationFunction.Sigmoid)], seed: 5);

        var e = Assert.Throws<ArgumentException>(() => model.Compile(new Sgd(0.1f), new BinaryCrossEntropy(), new Mean { Name = "loss_tracker" }));
        Assert.Contains("Mean 'loss_tracker'", e.Message, StringComparison.Ordinal);
        Assert.Contains("Update(value)", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => model.Compile(new Sgd(0.1f), new BinaryCrossEntropy(), new Sum()));
    }

    [Fact]
    public void Serialize_MeanAndSum_KerasClassNamesAndNamesKept()
    {
        string mean = SerializationRegistry.SerializeMetric(new Mean { Name = "loss" }).ToJsonString();
        string sum = SerializationRegistry.SerializeMetric(new Sum { Name = "total" }).ToJsonString();

        Assert.Contains("\"class_name\":\"Mean\"", mean, StringComparison.Ordinal);
        Assert.Contains("\"name\":\"loss\"", mean, StringComparison.Ordinal);
        Assert.Contains("\"class_name\":\"Sum\"", sum, StringComparison.Ordinal);
        Assert.Equal("loss", Assert.IsType<Mean>(MetricRuns.Read(mean)).Name);
        Assert.Equal("total", Assert.IsType<Sum>(MetricRuns.Read(sum)).Name);
        Assert.Equal("total", Assert.IsType<Sum>(MetricRuns.Read("""{"class_name": "Sum", "config": {"name": "total", "dtype": "float32"}}""")).Name);
    }

    [Fact]
    public void Deserialize_SnakeCaseNames_ReadAsKerasMetricsGetReadsThem()
    {
        // keras/src/metrics/__init__.py: ALL_OBJECTS_DICT maps to_snake_case(cls.__name__) to each class, Mean and Sum included.
        var mean = Assert.IsType<Mean>(MetricRuns.Read("\"mean\""));
        var sum = Assert.IsType<Sum>(MetricRuns.Read("\"sum\""));

        Assert.Equal("mean", mean.Name);
        Assert.Equal("sum", sum.Name);
        Assert.IsType<Mean>(MetricRuns.Read("""{"module": "keras.metrics", "class_name": "Mean", "config": {"name": "mean", "dtype": "float32"}, "registered_name": null}"""));

        // A default Mean or Sum is written by that name, and reads back as itself.
        Assert.Equal("\"mean\"", SerializationRegistry.SerializeMetric(new Mean()).ToJsonString());
        Assert.Equal("\"sum\"", SerializationRegistry.SerializeMetric(new Sum()).ToJsonString());
        Assert.IsType<Mean>(SerializationRegistry.FromIdentifier<Metric>("mean", "metrics"));
        Assert.IsType<Sum>(SerializationRegistry.FromIdentifier<Metric>("Sum", "metrics"));
    }

    [Fact]
    public void Compile_ByNameMeanOrSum_FoundAndRefusedWithTheReason()
    {
        var model = new Sequential([new InputLayer(4), new Dense(1, ActivationFunction.Sigmoid)], seed: 5);

        // Known now (no longer "not a known metric"), and refused for what it is, as Compile refuses a Mean object.
        var e = Assert.Throws<ArgumentException>(() => model.Compile("sgd", "binary_crossentropy", "mean"));
        Assert.Contains("Mean 'mean'", e.Message, StringComparison.Ordinal);
        Assert.Contains("Update(value)", e.Message, StringComparison.Ordinal);
        var f = Assert.Throws<ArgumentException>(() => model.Compile("sgd", "binary_crossentropy", "sum"));
        Assert.Contains("Sum 'sum'", f.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("known identifiers", f.Message, StringComparison.Ordinal);
    }
}
