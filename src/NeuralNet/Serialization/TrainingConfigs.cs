using System.Text.Json;
using NeuralNet.Losses;
using NeuralNet.Optimizers;
using NeuralNet.Training;

namespace NeuralNet.Serialization;

/// <summary>Keras-style configurations of optimizers, losses and metrics (the <c>compile_config</c> of a model file).</summary>
internal static class TrainingConfigs
{
    /// <summary>Writes <c>"optimizer": {...}, "loss": {...}, "metrics": [...]</c> into the current object.</summary>
    public static void WriteCompileConfig(Utf8JsonWriter json, Optimizer optimizer, Loss loss, IReadOnlyList<Metric> metrics)
    {
        void Clip()
        {
            WriteNullable(json, "clipnorm", optimizer.ClipNorm);
            WriteNullable(json, "clipvalue", optimizer.ClipValue);
        }

        switch (optimizer)
        {
            case Sgd sgd:
                ComponentConfigs.WriteClass(json, "optimizer", "SGD", () =>
                {
                    json.WriteNumber("learning_rate", sgd.LearningRate);
                    json.WriteNumber("momentum", sgd.Momentum);
                    json.WriteBoolean("nesterov", sgd.Nesterov);
                    Clip();
                });
                break;
            case Adam adam:
                ComponentConfigs.WriteClass(json, "optimizer", "Adam", () =>
                {
                    json.WriteNumber("learning_rate", adam.LearningRate);
                    json.WriteNumber("beta_1", adam.Beta1);
                    json.WriteNumber("beta_2", adam.Beta2);
                    json.WriteNumber("epsilon", adam.Epsilon);
                    Clip();
                });
                break;
            case RmsProp rms:
                ComponentConfigs.WriteClass(json, "optimizer", "RMSprop", () =>
                {
                    json.WriteNumber("learning_rate", rms.LearningRate);
                    json.WriteNumber("rho", rms.Rho);
                    json.WriteNumber("momentum", rms.Momentum);
                    json.WriteNumber("epsilon", rms.Epsilon);
                    json.WriteBoolean("centered", rms.Centered);
                    Clip();
                });
                break;
            default:
                throw ComponentConfigs.Unsupported("optimizer", optimizer.GetType());
        }

        (string className, bool fromLogits) = loss switch
        {
            CategoricalCrossEntropy c => ("CategoricalCrossentropy", c.FromLogits),
            SparseCategoricalCrossEntropy s => ("SparseCategoricalCrossentropy", s.FromLogits),
            BinaryCrossEntropy b => ("BinaryCrossentropy", b.FromLogits),
            MeanSquaredError => ("MeanSquaredError", false),
            _ => throw ComponentConfigs.Unsupported("loss", loss.GetType()),
        };
        ComponentConfigs.WriteClass(json, "loss", className, loss is MeanSquaredError ? null : () => json.WriteBoolean("from_logits", fromLogits));

        json.WriteStartArray("metrics");
        foreach (Metric metric in metrics)
        {
            json.WriteStringValue(metric switch
            {
                Accuracy => "accuracy",
                _ => throw ComponentConfigs.Unsupported("metric", metric.GetType()),
            });
        }

        json.WriteEndArray();
    }

    /// <summary>Reads the optimizer of a compile configuration.</summary>
    public static Optimizer ReadOptimizer(ConfigObject compile)
    {
        var (className, c) = ComponentConfigs.ReadClass(compile, "optimizer");
        float? clipNorm = c.NullableSingle("clipnorm");
        float? clipValue = c.NullableSingle("clipvalue");
        return className switch
        {
            "SGD" => ComponentConfigs.Construct(c, () => new Sgd(c.Single("learning_rate", 0.01f), c.Single("momentum", 0f), c.Bool("nesterov", false)) { ClipNorm = clipNorm, ClipValue = clipValue }),
            "Adam" => ComponentConfigs.Construct(c, () => new Adam(c.Single("learning_rate", 0.001f), c.Single("beta_1", 0.9f), c.Single("beta_2", 0.999f), c.Single("epsilon", 1e-7f)) { ClipNorm = clipNorm, ClipValue = clipValue }),
            "RMSprop" => ComponentConfigs.Construct(c, () => new RmsProp(c.Single("learning_rate", 0.001f), c.Single("rho", 0.9f), c.Single("momentum", 0f), c.Single("epsilon", 1e-7f), c.Bool("centered", false)) { ClipNorm = clipNorm, ClipValue = clipValue }),
            _ => throw compile.Error($"unknown optimizer \"{FormatError.Shorten(className)}\"; NeuralNet reads SGD, Adam and RMSprop."),
        };
    }

    /// <summary>Reads the loss of a compile configuration (an object or a Keras name).</summary>
    public static Loss ReadLoss(ConfigObject compile)
    {
        var value = compile.Required("loss");
        string className;
        bool fromLogits = false;
        if (value.ValueKind == JsonValueKind.String)
        {
            className = value.GetString()!;
        }
        else
        {
            (className, var c) = ComponentConfigs.ReadClass(compile, "loss");
            fromLogits = c.Bool("from_logits", false);
        }

        return className switch
        {
            "CategoricalCrossentropy" or "categorical_crossentropy" => new CategoricalCrossEntropy(fromLogits),
            "SparseCategoricalCrossentropy" or "sparse_categorical_crossentropy" => new SparseCategoricalCrossEntropy(fromLogits),
            "BinaryCrossentropy" or "binary_crossentropy" => new BinaryCrossEntropy(fromLogits),
            "MeanSquaredError" or "mean_squared_error" or "mse" => new MeanSquaredError(),
            _ => throw compile.Error($"unknown loss \"{FormatError.Shorten(className)}\"."),
        };
    }

    /// <summary>Reads the metrics of a compile configuration.</summary>
    public static Metric[] ReadMetrics(ConfigObject compile)
    {
        var value = compile.Get("metrics");
        if (value is null)
        {
            return [];
        }

        if (value.Value.ValueKind != JsonValueKind.Array || value.Value.GetArrayLength() > 16)
        {
            throw compile.Error("\"metrics\" must be an array of at most 16 metric names.");
        }

        var metrics = new List<Metric>();
        foreach (var item in value.Value.EnumerateArray())
        {
            metrics.Add(item.ValueKind == JsonValueKind.String && item.GetString() is "accuracy" or "acc"
                ? new Accuracy()
                : throw compile.Error($"unknown metric {ConfigObject.Describe(item)}; NeuralNet reads \"accuracy\"."));
        }

        return [.. metrics];
    }

    private static void WriteNullable(Utf8JsonWriter json, string key, float? value)
    {
        if (value is float v)
        {
            json.WriteNumber(key, v);
        }
        else
        {
            json.WriteNull(key);
        }
    }
}
