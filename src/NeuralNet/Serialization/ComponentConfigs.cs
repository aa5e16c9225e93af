using System.Text.Json;
using NeuralNet.Activations;
using NeuralNet.Initializers;
using NeuralNet.Regularizers;

namespace NeuralNet.Serialization;

/// <summary>
/// Keras-style configurations of activations, initializers and regularizers: <c>"relu"</c>,
/// <c>{"class_name": "GlorotUniform", "config": {"seed": null}}</c>, <c>{"class_name": "L2", "config": {"l2": 0.01}}</c>.
/// </summary>
internal static class ComponentConfigs
{
    private static readonly JsonElement s_emptyObject = JsonDocument.Parse("{}").RootElement.Clone();

    /// <summary>Writes an activation as its Keras name, or as an object when it has non-default parameters.</summary>
    public static void WriteActivation(Utf8JsonWriter json, string key, ActivationFunction activation)
    {
        switch (activation)
        {
            case LeakyRelu leaky when leaky.NegativeSlope != 0.2f:
                WriteClass(json, key, "LeakyReLU", () => json.WriteNumber("negative_slope", leaky.NegativeSlope));
                break;
            case Elu elu when elu.Alpha != 1f:
                WriteClass(json, key, "ELU", () => json.WriteNumber("alpha", elu.Alpha));
                break;
            case Gelu { Approximate: true }:
                WriteClass(json, key, "GELU", () => json.WriteBoolean("approximate", true));
                break;
            case Linear or Relu or Sigmoid or Tanh or Softmax or LeakyRelu or Elu or Gelu:
                json.WriteString(key, activation.Name);
                break;
            default:
                throw Unsupported("activation", activation.GetType());
        }
    }

    /// <summary>Reads an activation written by <see cref="WriteActivation"/> (or Keras: a name or a class object).</summary>
    public static ActivationFunction ReadActivation(ConfigObject owner, string key)
    {
        var value = owner.Get(key);
        if (value is null)
        {
            return ActivationFunction.Linear;
        }

        if (value.Value.ValueKind == JsonValueKind.String)
        {
            return value.Value.GetString() switch
            {
                "linear" => ActivationFunction.Linear,
                "relu" => ActivationFunction.Relu,
                "sigmoid" => ActivationFunction.Sigmoid,
                "tanh" => ActivationFunction.Tanh,
                "softmax" => ActivationFunction.Softmax,
                "leaky_relu" => ActivationFunction.LeakyRelu,
                "elu" => ActivationFunction.Elu,
                "gelu" => ActivationFunction.Gelu,
                _ => throw owner.Error($"unknown activation {ConfigObject.Describe(value.Value)}; known: linear, relu, sigmoid, tanh, softmax, leaky_relu, elu, gelu."),
            };
        }

        var (className, config) = ReadClass(owner, key);
        return className switch
        {
            "LeakyReLU" => Construct(config, () => new LeakyRelu(config.Single("negative_slope", 0.2f))),
            "ELU" => Construct(config, () => new Elu(config.Single("alpha", 1f))),
            "GELU" => Construct(config, () => new Gelu(config.Bool("approximate", false))),
            _ => throw owner.Error($"unknown activation class \"{FormatError.Shorten(className)}\"."),
        };
    }

    /// <summary>Writes an initializer as <c>{"class_name": ..., "config": {...}}</c>.</summary>
    public static void WriteInitializer(Utf8JsonWriter json, string key, Initializer initializer)
    {
        switch (initializer)
        {
            case Zeros:
                WriteClass(json, key, "Zeros", null);
                break;
            case Ones:
                WriteClass(json, key, "Ones", null);
                break;
            case Constant c:
                WriteClass(json, key, "Constant", () => json.WriteNumber("value", c.Value));
                break;
            case Initializers.RandomNormal n:
                WriteClass(json, key, "RandomNormal", () =>
                {
                    json.WriteNumber("mean", n.Mean);
                    json.WriteNumber("stddev", n.StandardDeviation);
                    WriteSeed(json, n.Seed);
                });
                break;
            case Initializers.RandomUniform u:
                WriteClass(json, key, "RandomUniform", () =>
                {
                    json.WriteNumber("minval", u.Minimum);
                    json.WriteNumber("maxval", u.Maximum);
                    WriteSeed(json, u.Seed);
                });
                break;
            case GlorotUniform g:
                WriteClass(json, key, "GlorotUniform", () => WriteSeed(json, g.Seed));
                break;
            case GlorotNormal g:
                WriteClass(json, key, "GlorotNormal", () => WriteSeed(json, g.Seed));
                break;
            case HeUniform h:
                WriteClass(json, key, "HeUniform", () => WriteSeed(json, h.Seed));
                break;
            case HeNormal h:
                WriteClass(json, key, "HeNormal", () => WriteSeed(json, h.Seed));
                break;
            case LeCunNormal l:
                WriteClass(json, key, "LecunNormal", () => WriteSeed(json, l.Seed));
                break;
            default:
                throw Unsupported("initializer", initializer.GetType());
        }
    }

    /// <summary>Reads an initializer written by <see cref="WriteInitializer"/>; Keras' snake_case names are accepted too.</summary>
    public static Initializer ReadInitializer(ConfigObject owner, string key, Initializer fallback)
    {
        var value = owner.Get(key);
        if (value is null)
        {
            return fallback;
        }

        string className;
        ConfigObject? config = null;
        if (value.Value.ValueKind == JsonValueKind.String)
        {
            className = value.Value.GetString()!;
        }
        else
        {
            (className, var c) = ReadClass(owner, key);
            config = c;
        }

        var cfg = config ?? default;
        long? Seed() => config is null ? null : cfg.NullableLong("seed");
        return className switch
        {
            "Zeros" or "zeros" => Zeros.Instance,
            "Ones" or "ones" => new Ones(),
            "Constant" or "constant" => Construct(owner, () => new Constant(config is null ? 0f : cfg.Single("value", 0f))),
            "RandomNormal" or "random_normal" => Construct(owner, () => config is null ? new Initializers.RandomNormal() : new Initializers.RandomNormal(cfg.Double("mean", 0.0), cfg.Double("stddev", 0.05), Seed())),
            "RandomUniform" or "random_uniform" => Construct(owner, () => config is null ? new Initializers.RandomUniform() : new Initializers.RandomUniform(cfg.Double("minval", -0.05), cfg.Double("maxval", 0.05), Seed())),
            "GlorotUniform" or "glorot_uniform" => new GlorotUniform(Seed()),
            "GlorotNormal" or "glorot_normal" => new GlorotNormal(Seed()),
            "HeUniform" or "he_uniform" => new HeUniform(Seed()),
            "HeNormal" or "he_normal" => new HeNormal(Seed()),
            "LecunNormal" or "lecun_normal" => new LeCunNormal(Seed()),
            _ => throw owner.Error($"\"{key}\" names an unknown initializer \"{FormatError.Shorten(className)}\"."),
        };
    }

    /// <summary>Writes a regularizer (or null).</summary>
    public static void WriteRegularizer(Utf8JsonWriter json, string key, Regularizer? regularizer)
    {
        switch (regularizer)
        {
            case null:
                json.WriteNull(key);
                break;
            case L1 l1:
                WriteClass(json, key, "L1", () => json.WriteNumber("l1", l1.Factor));
                break;
            case L2 l2:
                WriteClass(json, key, "L2", () => json.WriteNumber("l2", l2.Factor));
                break;
            case L1L2 both:
                WriteClass(json, key, "L1L2", () =>
                {
                    json.WriteNumber("l1", both.L1Factor);
                    json.WriteNumber("l2", both.L2Factor);
                });
                break;
            default:
                throw Unsupported("regularizer", regularizer.GetType());
        }
    }

    /// <summary>Reads a regularizer written by <see cref="WriteRegularizer"/>; null when absent.</summary>
    public static Regularizer? ReadRegularizer(ConfigObject owner, string key)
    {
        if (!owner.Has(key))
        {
            return null;
        }

        var (className, config) = ReadClass(owner, key);
        return className switch
        {
            "L1" => Construct(config, () => new L1(config.Single("l1", 0.01f))),
            "L2" => Construct(config, () => new L2(config.Single("l2", 0.01f))),
            "L1L2" => Construct(config, () => new L1L2(config.Single("l1", 0f), config.Single("l2", 0f))),
            _ => throw owner.Error($"\"{key}\" names an unknown regularizer \"{FormatError.Shorten(className)}\"."),
        };
    }

    /// <summary>Writes <c>"key": {"class_name": className, "config": {...}}</c>.</summary>
    public static void WriteClass(Utf8JsonWriter json, string key, string className, Action? writeConfig)
    {
        json.WriteStartObject(key);
        json.WriteString("class_name", className);
        json.WriteStartObject("config");
        writeConfig?.Invoke();
        json.WriteEndObject();
        json.WriteEndObject();
    }

    /// <summary>Reads <c>{"class_name": ..., "config": {...}}</c> under <paramref name="key"/>.</summary>
    public static (string ClassName, ConfigObject Config) ReadClass(ConfigObject owner, string key)
    {
        var item = owner.Object(key);
        string className = item.String("class_name");
        var config = item.Has("config") ? item.Object("config") : new ConfigObject(s_emptyObject, owner.Source, $"{item.Path}.config");
        return (className, config);
    }

    /// <summary>Runs a constructor, turning the argument checks it makes into format errors naming the place in the file.</summary>
    public static T Construct<T>(ConfigObject where, Func<T> create)
    {
        try
        {
            return create();
        }
        catch (ArgumentException ex)
        {
            throw where.Error(ex.Message, ex);
        }
    }

    /// <summary>The exception for a component NeuralNet cannot describe in a file.</summary>
    public static NotSupportedException Unsupported(string what, Type type)
        => new($"Cannot save the {what} {type.FullName}: only NeuralNet's built-in {what}s can be saved in a model file. Save the weights alone with SaveWeights and rebuild the model in code.");

    private static void WriteSeed(Utf8JsonWriter json, long? seed)
    {
        if (seed is long s)
        {
            json.WriteNumber("seed", s);
        }
        else
        {
            json.WriteNull("seed");
        }
    }
}
