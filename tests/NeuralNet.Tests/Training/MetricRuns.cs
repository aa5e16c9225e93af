using System.Text.Json.Nodes;
using NeuralNet.Serialization;
using NeuralNet.Training;
using Xunit;

namespace NeuralNet.Tests.Training;

/// <summary>What the metric tests share: one batch through a metric, a metric read from Keras JSON, and the streaming check.</summary>
internal static class MetricRuns
{
    /// <summary>The metric read from a Keras identifier (<c>"\"mape\""</c>) or <c>{"class_name", "config"}</c> object.</summary>
    public static Metric Read(string json) => SerializationRegistry.Deserialize<Metric>(JsonNode.Parse(json)!, new Config(), "metric");

    /// <summary>The result after one batch of <paramref name="rows"/> samples (predictions and targets split evenly), optionally weighted.</summary>
    public static double Run(Metric metric, float[] predictions, float[] targets, int rows, float[]? weights = null)
    {
        metric.Update(Tensor.FromArray(predictions, rows, predictions.Length / rows), Tensor.FromArray(targets, rows, targets.Length / rows), weights ?? []);
        return metric.Result();
    }

    /// <summary>
    /// Updates <paramref name="whole"/> with every row and <paramref name="streamed"/> with the first
    /// <paramref name="split"/> rows then the rest (after one warm-up update and a reset), asserting that the streamed
    /// reset, updates and result allocate nothing and that both results agree to 12 digits.
    /// </summary>
    public static void AssertStreamsAsWhole(Metric whole, Metric streamed, Tensor predictions, Tensor targets, float[] weights, int split)
    {
        int rest = predictions.Shape[0] - split;
        whole.Update(predictions, targets, weights);
        streamed.Update(predictions.FirstRows(split), targets.FirstRows(split), weights.AsSpan(0, split));
        (Tensor p1, Tensor t1, Tensor p2, Tensor t2) = (predictions.FirstRows(split), targets.FirstRows(split), predictions.Slice(split, rest), targets.Slice(split, rest));
        AllocationCheck.AssertNone(() =>
        {
            streamed.Reset();
            streamed.Update(p1, t1, weights.AsSpan(0, split));
            streamed.Update(p2, t2, weights.AsSpan(split, rest));
            streamed.Result();
        });
        Assert.Equal(whole.Result(), streamed.Result(), 12);
    }
}
