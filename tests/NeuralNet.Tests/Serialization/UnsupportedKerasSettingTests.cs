using System.Text.Json.Nodes;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Optimizers;
using NeuralNet.Serialization;
using NeuralNet.Training;
using Xunit;

namespace NeuralNet.Tests.Serialization;

/// <summary>
/// Keras settings that change what a loss, metric or optimizer does, which NeuralNet does not implement: a file with a
/// non-default value (for a loss's reduction, one Keras does not know) is refused with an
/// <see cref="InvalidDataException"/> naming the class and the key, never loaded
/// silently as the default; the defaults (as Keras writes them) still load.
/// </summary>
public class UnsupportedKerasSettingTests
{
    [Theory]
    [InlineData("MeanSquaredError", "\"reduction\": \"auto\"", "\"reduction\" is \"auto\"")]
    [InlineData("CategoricalCrossentropy", "\"reduction\": \"SUM\"", "\"reduction\" is \"SUM\"")]
    [InlineData("Huber", "\"reduction\": 1", "\"reduction\" is 1")]
    public void Loss_NonDefault_IsRefused(string className, string setting, string expected)
    {
        var ex = Assert.Throws<InvalidDataException>(() => Read<Loss>(className, setting));
        Assert.Contains($"{className} {expected}", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void KerasDefaults_StillLoad()
    {
        Assert.IsType<Adam>(Read<Optimizer>("Adam", "\"amsgrad\": false"));
        Assert.IsType<AdamW>(Read<Optimizer>("AdamW", "\"amsgrad\": false"));
        Assert.IsType<MeanSquaredError>(Read<Loss>("MeanSquaredError", "\"reduction\": \"sum_over_batch_size\", \"name\": \"mse\""));
        Assert.IsType<SparseCategoricalCrossEntropy>(Read<Loss>("SparseCategoricalCrossentropy", "\"reduction\": \"sum_over_batch_size\", \"ignore_class\": null, \"from_logits\": true"));
        Assert.Equal(LossReduction.Sum, Read<Loss>("MeanSquaredError", "\"reduction\": \"sum\"").Reduction);
        Assert.Equal(LossReduction.None, Read<Loss>("Huber", "\"reduction\": null").Reduction);
        Assert.Equal(0, Assert.IsType<SparseCategoricalCrossEntropy>(Read<Loss>("SparseCategoricalCrossentropy", "\"ignore_class\": 0")).IgnoreClass);
        Assert.IsType<Auc>(Read<Metric>("AUC", "\"num_thresholds\": 200, \"curve\": \"ROC\", \"summation_method\": \"interpolation\", \"multi_label\": false, \"num_labels\": null, \"label_weights\": null, \"from_logits\": false"));
        Assert.IsType<R2Score>(Read<Metric>("R2Score", "\"class_aggregation\": \"uniform_average\", \"num_regressors\": 0"));

        // AUC's and R2Score's other settings are implemented (session 32): read, not refused.
        Assert.True(Assert.IsType<Auc>(Read<Metric>("AUC", "\"from_logits\": true, \"summation_method\": \"minoring\", \"multi_label\": true, \"label_weights\": [1, 2], \"thresholds\": [0.3, 0.6]")).MultiLabel);
        Assert.Equal(2, Assert.IsType<R2Score>(Read<Metric>("R2Score", "\"class_aggregation\": null, \"num_regressors\": 2")).NumRegressors);
        Assert.IsType<Precision>(Read<Metric>("Precision", "\"thresholds\": null, \"top_k\": null, \"class_id\": null"));
        Assert.IsType<Recall>(Read<Metric>("Recall", "\"thresholds\": 0.5, \"top_k\": null, \"class_id\": null"));

        // top_k is implemented (session 29): read, not refused.
        Assert.Equal(3, Assert.IsType<Precision>(Read<Metric>("Precision", "\"thresholds\": null, \"top_k\": 3, \"class_id\": null")).TopK);
    }

    [Fact]
    public void KerasAccuracyClass_IsRefused_TheAccuracyStringLoads()
    {
        // keras.metrics.Accuracy() compares values for equality; only the "accuracy" string is NeuralNet's Accuracy.
        var ex = Assert.Throws<InvalidDataException>(() => Read<Metric>("Accuracy", "\"name\": \"accuracy\", \"dtype\": \"float32\""));
        Assert.Contains("keras.metrics.Accuracy", ex.Message, StringComparison.Ordinal);
        Assert.IsType<Accuracy>(SerializationRegistry.Deserialize<Metric>(JsonValue.Create("accuracy"), new Config(), "metric"));
        Assert.Equal("\"accuracy\"", SerializationRegistry.SerializeMetric(new Accuracy()).ToJsonString());
    }

    public static TheoryData<string, string, string> LayerSettings => new()
    {
        { "Dropout", "stateful", "true" },   // only the recurrent layers read it (StatefulRecurrentTests)
        { "BatchNormalization", "renorm", "true" },
    };

    [Theory]
    [MemberData(nameof(LayerSettings))]
    public void Layer_NonDefault_IsRefusedAndTheDefaultLoads(string className, string key, string value)
    {
        Layer layer = className switch
        {
            "LSTM" => new Lstm(3, name: "rnn"),
            "GRU" => new Gru(3, name: "rnn"),
            "SimpleRNN" => new SimpleRnn(3, name: "rnn"),
            "BatchNormalization" => new BatchNormalization(name: "bn"),
            _ => new Dropout(0.5f, name: "drop"),
        };
        JsonNode written = SerializationRegistry.Serialize(layer);
        Assert.Equal(className, (string)written["class_name"]!);

        JsonNode edited = written.DeepClone();
        edited["config"]![key] = JsonNode.Parse(value);
        var ex = Assert.Throws<InvalidDataException>(() => SerializationRegistry.Deserialize<Layer>(edited, new Config(), "layer"));
        Assert.Contains($"{className} '{layer.Name}': \"{key}\"", ex.Message, StringComparison.Ordinal);
        Assert.Contains("is not supported", ex.Message, StringComparison.Ordinal);

        // Keras' defaults (false, null) load.
        JsonNode asKerasWrites = written.DeepClone();
        asKerasWrites["config"]![key] = value == "true" ? false : null;
        Assert.IsType(layer.GetType(), SerializationRegistry.Deserialize<Layer>(asKerasWrites, new Config(), "layer"));
    }

    private static T Read<T>(string className, string settings)
        where T : class =>
        SerializationRegistry.Deserialize<T>(JsonNode.Parse("{\"class_name\": \"" + className + "\", \"config\": {" + settings + "}}")!, new Config(), "component");
}
