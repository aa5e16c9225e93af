using System.Text.Json.Nodes;
using NeuralNet.Serialization;
using NeuralNet.Training;

namespace NeuralNet.Tests.Training;

/// <summary>What the metric tests share: one batch through a metric, and a metric read from Keras JSON.</summary>
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
}
