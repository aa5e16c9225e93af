using System.Text.Json;
using NeuralNet.Initializers;
using NeuralNet.Layers;

namespace NeuralNet.Serialization;

/// <summary>
/// Keras-style configurations of NeuralNet's layers, <c>{"class_name": "Dense", "config": {"name": "dense", "units": 128, ...}}</c>,
/// and the shapes of the parameters each layer will create, so loading can check a file's weights before any layer allocates.
/// </summary>
internal static class LayerConfigs
{
    /// <summary>The largest rank of a per-sample shape a file may declare.</summary>
    private const int MaxRank = 8;

    /// <summary>Writes one layer as an element of the <c>layers</c> array.</summary>
    /// <exception cref="NotSupportedException">The layer (or one of its components) is not one NeuralNet can describe.</exception>
    public static void Write(Utf8JsonWriter json, Layer layer)
    {
        json.WriteStartObject();
        json.WriteString("class_name", ClassName(layer));
        json.WriteStartObject("config");
        json.WriteString("name", layer.Name);
        json.WriteBoolean("trainable", true);
        json.WriteString("dtype", "float32");
        switch (layer)
        {
            case InputLayer input:
                json.WriteStartArray("batch_shape");
                json.WriteNullValue();
                foreach (int d in input.Shape.Dimensions)
                {
                    json.WriteNumberValue(d);
                }

                json.WriteEndArray();
                break;
            case Dense dense:
                json.WriteNumber("units", dense.Units);
                ComponentConfigs.WriteActivation(json, "activation", dense.Activation);
                json.WriteBoolean("use_bias", dense.UseBias);
                ComponentConfigs.WriteInitializer(json, "kernel_initializer", dense.KernelInitializer);
                ComponentConfigs.WriteInitializer(json, "bias_initializer", dense.BiasInitializer);
                ComponentConfigs.WriteRegularizer(json, "kernel_regularizer", dense.KernelRegularizer);
                ComponentConfigs.WriteRegularizer(json, "bias_regularizer", dense.BiasRegularizer);
                break;
            case Dropout dropout:
                json.WriteNumber("rate", dropout.Rate);
                if (dropout.MaskSeed is long seed)
                {
                    json.WriteNumber("seed", seed);
                }
                else
                {
                    json.WriteNull("seed");
                }

                break;
            case Flatten:
                json.WriteString("data_format", "channels_last");
                break;
            case Activation activation:
                ComponentConfigs.WriteActivation(json, "activation", activation.Function);
                break;
            default:
                throw ComponentConfigs.Unsupported("layer", layer.GetType());
        }

        json.WriteEndObject();
        json.WriteEndObject();
    }

    /// <summary>Creates a layer (unbuilt) from its configuration.</summary>
    /// <param name="element">One element of the <c>layers</c> array.</param>
    /// <param name="source">The file, for messages.</param>
    /// <param name="index">The layer's position, for messages.</param>
    public static Layer Read(JsonElement element, string source, int index)
    {
        var item = new ConfigObject(element, source, $"layer {index}");
        string className = item.String("class_name");
        var config = item.Object("config");
        string name = config.String("name", string.Empty);
        var where = new ConfigObject(element.GetProperty("config"), source, $"layer {index} ('{FormatError.Shorten(name)}', {FormatError.Shorten(className)})");
        if (name.Length == 0)
        {
            throw where.Error("\"name\" is missing or empty.");
        }

        return className switch
        {
            "InputLayer" => ComponentConfigs.Construct(where, () => new InputLayer(new TensorShape(ReadInputShape(where)), name)),
            "Dense" => ComponentConfigs.Construct(where, () => new Dense(
                where.Int("units", minimum: 1),
                ComponentConfigs.ReadActivation(where, "activation"),
                ComponentConfigs.ReadInitializer(where, "kernel_initializer", new GlorotUniform()),
                ComponentConfigs.ReadInitializer(where, "bias_initializer", Zeros.Instance),
                ComponentConfigs.ReadRegularizer(where, "kernel_regularizer"),
                ComponentConfigs.ReadRegularizer(where, "bias_regularizer"),
                where.Bool("use_bias", true),
                name)),
            "Dropout" => ComponentConfigs.Construct(where, () => new Dropout(where.Double("rate"), where.NullableLong("seed"), name)),
            "Flatten" => ComponentConfigs.Construct(where, () => new Flatten(name)),
            "Activation" => ComponentConfigs.Construct(where, () => new Activation(ComponentConfigs.ReadActivation(where, "activation"), name)),
            _ => throw where.Error($"unknown layer class \"{FormatError.Shorten(className)}\"; NeuralNet reads InputLayer, Dense, Dropout, Flatten, Activation."),
        };
    }

    /// <summary>
    /// The parameters <paramref name="layer"/> will create when built for <paramref name="inputShape"/>, in creation order,
    /// or null when the input shape is one the layer rejects (its Build then throws before allocating).
    /// </summary>
    public static IReadOnlyList<(string Name, int[] Shape)>? ExpectedParameters(Layer layer, TensorShape inputShape) => layer switch
    {
        Dense dense when inputShape.Rank == 1 => dense.UseBias
            ? [("kernel", [inputShape[0], dense.Units]), ("bias", [dense.Units])]
            : [("kernel", [inputShape[0], dense.Units])],
        Dense => null,
        InputLayer or Dropout or Flatten or Activation => [],
        _ => throw ComponentConfigs.Unsupported("layer", layer.GetType()),
    };

    /// <summary>The Keras class name of a layer.</summary>
    public static string ClassName(Layer layer) => layer switch
    {
        InputLayer => "InputLayer",
        Dense => "Dense",
        Dropout => "Dropout",
        Flatten => "Flatten",
        Activation => "Activation",
        _ => throw ComponentConfigs.Unsupported("layer", layer.GetType()),
    };

    private static int[] ReadInputShape(ConfigObject where)
    {
        int[] dims;
        if (where.Has("batch_shape"))
        {
            // Keras: (batch, ...sample); the batch is null or a number and is not part of the sample shape.
            dims = where.PositiveInts("batch_shape", MaxRank, allowLeadingNull: true);
            var first = where.Required("batch_shape").EnumerateArray().FirstOrDefault();
            if (first.ValueKind == JsonValueKind.Number && dims.Length > 0)
            {
                dims = dims[1..];
            }
        }
        else
        {
            dims = where.PositiveInts("shape", MaxRank);
        }

        if (dims.Length == 0)
        {
            throw where.Error("the input shape has no dimensions.");
        }

        return dims;
    }
}
