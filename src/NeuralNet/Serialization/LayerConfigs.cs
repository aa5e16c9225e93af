using System.Text.Json;
using NeuralNet.Activations;
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
            case Conv2D conv:
                json.WriteNumber("filters", conv.Filters);
                WritePair(json, "kernel_size", conv.KernelSize);
                WritePair(json, "strides", conv.Strides);
                json.WriteString("padding", PaddingName(conv.Padding));
                json.WriteString("data_format", "channels_last");
                WritePair(json, "dilation_rate", (1, 1));
                json.WriteNumber("groups", 1);
                ComponentConfigs.WriteActivation(json, "activation", conv.Activation ?? ActivationFunction.Linear);
                json.WriteBoolean("use_bias", conv.UseBias);
                ComponentConfigs.WriteInitializer(json, "kernel_initializer", conv.KernelInitializer);
                ComponentConfigs.WriteInitializer(json, "bias_initializer", conv.BiasInitializer);
                ComponentConfigs.WriteRegularizer(json, "kernel_regularizer", conv.KernelRegularizer);
                ComponentConfigs.WriteRegularizer(json, "bias_regularizer", conv.BiasRegularizer);
                break;
            case Pooling2D pooling:
                WritePair(json, "pool_size", pooling.PoolSize);
                WritePair(json, "strides", pooling.Strides);
                json.WriteString("padding", PaddingName(pooling.Padding));
                json.WriteString("data_format", "channels_last");
                break;
            case GlobalAveragePooling2D:
                json.WriteString("data_format", "channels_last");
                json.WriteBoolean("keepdims", false);
                break;
            case BatchNormalization norm:
                json.WriteNumber("axis", -1);
                json.WriteNumber("momentum", norm.Momentum);
                json.WriteNumber("epsilon", norm.Epsilon);
                json.WriteBoolean("center", norm.Center);
                json.WriteBoolean("scale", norm.Scale);
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
            "Conv2D" => ReadConv2D(where, name),
            "MaxPooling2D" => ComponentConfigs.Construct(where, () => new MaxPooling2D(ReadPair(where, "pool_size", (2, 2)), ReadOptionalPair(where, "strides"), ReadPadding(where), name)),
            "AveragePooling2D" => ComponentConfigs.Construct(where, () => new AveragePooling2D(ReadPair(where, "pool_size", (2, 2)), ReadOptionalPair(where, "strides"), ReadPadding(where), name)),
            "GlobalAveragePooling2D" => ReadGlobalAveragePooling2D(where, name),
            "BatchNormalization" => ReadBatchNormalization(where, name),
            _ => throw where.Error($"unknown layer class \"{FormatError.Shorten(className)}\"; NeuralNet reads InputLayer, Dense, Dropout, Flatten, Activation, Conv2D, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D and BatchNormalization."),
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
        Conv2D conv when inputShape.Rank == 3 => conv.UseBias
            ? [("kernel", [conv.KernelSize.Height, conv.KernelSize.Width, inputShape[2], conv.Filters]), ("bias", [conv.Filters])]
            : [("kernel", [conv.KernelSize.Height, conv.KernelSize.Width, inputShape[2], conv.Filters])],
        Conv2D => null,
        BatchNormalization norm when inputShape.Rank >= 1 => BatchNormalizationParameters(norm, inputShape[-1]),
        BatchNormalization => null,
        InputLayer or Dropout or Flatten or Activation or Pooling2D or GlobalAveragePooling2D => [],
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
        Conv2D => "Conv2D",
        MaxPooling2D => "MaxPooling2D",
        AveragePooling2D => "AveragePooling2D",
        GlobalAveragePooling2D => "GlobalAveragePooling2D",
        BatchNormalization => "BatchNormalization",
        _ => throw ComponentConfigs.Unsupported("layer", layer.GetType()),
    };

    private static List<(string Name, int[] Shape)> BatchNormalizationParameters(BatchNormalization norm, int channels)
    {
        var list = new List<(string Name, int[] Shape)>();
        if (norm.Scale)
        {
            list.Add(("gamma", [channels]));
        }

        if (norm.Center)
        {
            list.Add(("beta", [channels]));
        }

        list.Add(("moving_mean", [channels]));
        list.Add(("moving_variance", [channels]));
        return list;
    }

    private static Conv2D ReadConv2D(ConfigObject where, string name)
    {
        if (where.Has("dilation_rate") && ReadPair(where, "dilation_rate", (1, 1)) != (1, 1))
        {
            throw where.Error("\"dilation_rate\" other than 1 is not supported.");
        }

        if (where.Int("groups", 1) != 1)
        {
            throw where.Error("\"groups\" other than 1 is not supported.");
        }

        RequireChannelsLast(where);
        return ComponentConfigs.Construct(where, () => new Conv2D(
            where.Int("filters", minimum: 1),
            ReadPair(where, "kernel_size", null),
            ReadOptionalPair(where, "strides"),
            ReadPadding(where),
            ComponentConfigs.ReadActivation(where, "activation"),
            where.Bool("use_bias", true),
            ComponentConfigs.ReadInitializer(where, "kernel_initializer", new GlorotUniform()),
            ComponentConfigs.ReadInitializer(where, "bias_initializer", Zeros.Instance),
            ComponentConfigs.ReadRegularizer(where, "kernel_regularizer"),
            ComponentConfigs.ReadRegularizer(where, "bias_regularizer"),
            name));
    }

    private static GlobalAveragePooling2D ReadGlobalAveragePooling2D(ConfigObject where, string name)
    {
        RequireChannelsLast(where);
        if (where.Bool("keepdims", false))
        {
            throw where.Error("\"keepdims\": true is not supported.");
        }

        return ComponentConfigs.Construct(where, () => new GlobalAveragePooling2D(name));
    }

    private static BatchNormalization ReadBatchNormalization(ConfigObject where, string name)
    {
        var axis = where.Get("axis");
        if (axis is not null && !(axis.Value.ValueKind == JsonValueKind.Number && axis.Value.TryGetInt32(out int a) && a == -1)
            && !(axis.Value.ValueKind == JsonValueKind.Array && axis.Value.GetArrayLength() == 1 && axis.Value[0].ValueKind == JsonValueKind.Number && axis.Value[0].TryGetInt32(out int b) && b == -1))
        {
            throw where.Error("only \"axis\": -1 (channels last) is supported.");
        }

        return ComponentConfigs.Construct(where, () => new BatchNormalization(where.Single("momentum", 0.99f), where.Single("epsilon", 1e-3f), where.Bool("center", true), where.Bool("scale", true), name));
    }

    private static void RequireChannelsLast(ConfigObject where)
    {
        if (where.String("data_format", "channels_last") != "channels_last")
        {
            throw where.Error("only \"data_format\": \"channels_last\" is supported.");
        }
    }

    private static string PaddingName(Padding padding) => padding == Padding.Same ? "same" : "valid";

    private static Padding ReadPadding(ConfigObject where) => where.String("padding", "valid") switch
    {
        "valid" => Padding.Valid,
        "same" => Padding.Same,
        string other => throw where.Error($"\"padding\" is \"{FormatError.Shorten(other)}\"; expected \"valid\" or \"same\"."),
    };

    private static void WritePair(Utf8JsonWriter json, string key, (int First, int Second) pair)
    {
        json.WriteStartArray(key);
        json.WriteNumberValue(pair.First);
        json.WriteNumberValue(pair.Second);
        json.WriteEndArray();
    }

    /// <summary>A Keras size: an integer n (meaning (n, n)) or a pair [a, b], each positive.</summary>
    private static (int, int) ReadPair(ConfigObject where, string key, (int, int)? fallback)
    {
        var value = where.Get(key);
        if (value is null)
        {
            return fallback ?? throw where.Error($"\"{key}\" is missing.");
        }

        if (value.Value.ValueKind == JsonValueKind.Number)
        {
            int n = where.Int(key, minimum: 1);
            return (n, n);
        }

        int[] pair = where.PositiveInts(key, 2);
        return pair.Length == 2 ? (pair[0], pair[1]) : throw where.Error($"\"{key}\" must be an integer or a pair of integers.");
    }

    private static (int, int)? ReadOptionalPair(ConfigObject where, string key) => where.Has(key) ? ReadPair(where, key, null) : null;

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
