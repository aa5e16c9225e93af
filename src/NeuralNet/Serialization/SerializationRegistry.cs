using System.Text.Json;
using System.Text.Json.Nodes;
using NeuralNet.Activations;
using NeuralNet.Constraints;
using NeuralNet.Initializers;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Optimizers;
using NeuralNet.Preprocessing;
using NeuralNet.Regularizers;
using NeuralNet.Training;

namespace NeuralNet.Serialization;

/// <summary>
/// The names under which layers, activations, initializers, regularizers, optimizers, losses, metrics and preprocessors are saved,
/// and the factories that create them again from their <see cref="Config"/> (Keras' <c>register_keras_serializable</c>).
/// Every built-in type is registered under its Keras class name (<c>Dense</c>, <c>GlorotUniform</c>, <c>Adam</c>);
/// register your own types to save and load models that use them.
/// </summary>
/// <remarks>
/// <para>Registration is process-wide, as in Keras, and thread-safe. Registering the same type under the same name
/// again replaces its factory; a name or a type can belong to only one registration. Names of your own types are
/// conventionally <c>"Package&gt;ClassName"</c> (Keras' <c>registered_name</c>); files record them under
/// <c>registered_name</c> beside the CLR type's name in <c>class_name</c>.</para>
/// <para>A component's settings are written by its <c>GetConfig</c> (<see cref="Layer.GetConfig"/> and its
/// counterparts on the other base types) and read by the factory registered here.</para>
/// </remarks>
/// <example>
/// <code>
/// SerializationRegistry.Register("MyApp>Scale", config => new Scale(config.GetSingle("factor"), config.GetString("name")));
/// model.Save("model.safetensors");              // the Scale layer is written as {"class_name": "Scale", "registered_name": "MyApp>Scale", ...}
/// Model loaded = Model.Load("model.safetensors");
/// </code>
/// </example>
public static partial class SerializationRegistry
{
    private static readonly object s_lock = new();
    private static readonly Dictionary<(ComponentKind Kind, string Name), Entry> s_byName = [];
    private static readonly Dictionary<Type, Entry> s_byType = [];
    private static readonly Dictionary<(ComponentKind Kind, string Alias), string> s_aliases = [];

    // The Keras layers with a kernel_constraint, read here (before the table below, whose initializer reads it).
    private static readonly string[] s_kernelConstrainedLayers = ["Dense", "EinsumDense", "Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose", "SimpleRNN", "LSTM", "GRU", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D", "MultiHeadAttention", "GroupedQueryAttention"];

    // Keras settings that change what a layer computes and that a built-in layer does not implement: a file may hold them
    // only as null, except for the built-in layers listed with the key, which read it themselves. Checked here, for every
    // built-in layer, rather than in each factory; a user's factory reads its own keys. Each constraint key lists the
    // Keras layers that take it: every one of them reads it, so a non-null constraint is refused only on a layer Keras
    // gives no such argument.
    private static readonly (string Key, string Reason, string[] ReadBy)[] s_unsupportedLayerKeys =
    [
        ("kernel_constraint", Constraints, s_kernelConstrainedLayers),
        ("bias_constraint", Constraints, [.. s_kernelConstrainedLayers, "DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D", "SeparableConv2D"]),
        ("recurrent_constraint", Constraints, ["SimpleRNN", "LSTM", "GRU", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"]),
        ("depthwise_constraint", Constraints, ["DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D", "SeparableConv2D"]),
        ("pointwise_constraint", Constraints, ["SeparableConv1D", "SeparableConv2D"]),
        ("gamma_constraint", Constraints, ["BatchNormalization", "LayerNormalization", "GroupNormalization"]),
        ("beta_constraint", Constraints, ["BatchNormalization", "LayerNormalization", "GroupNormalization"]),
        ("embeddings_constraint", Constraints, ["Embedding"]),
        ("alpha_constraint", Constraints, ["PReLU"]),
        ("noise_shape", "only Dropout takes a noise shape here", ["Dropout"]),
    ];

    // Keras switches, written by Keras' get_config, whose true value only the built-in layers listed with the key
    // implement: any other built-in layer's file may hold them only as false.
    private static readonly (string Key, string Reason, string[] ReadBy)[] s_unsupportedLayerSwitches =
    [
        ("stateful", "only the recurrent layers SimpleRNN, LSTM, GRU and RNN carry their states from one batch to the next", ["SimpleRNN", "LSTM", "GRU", "RNN"]),
        ("renorm", "batch renormalization is not implemented", []),
    ];

    private const string Constraints = "the layer has no weight that takes this constraint: Keras gives it no such argument";

#pragma warning disable CA1810 // The built-ins must be in place before any lookup; a static constructor says so directly.
    static SerializationRegistry()
    {
        BuiltInSerializables.RegisterAll();
    }
#pragma warning restore CA1810

    /// <summary>The kinds of component the registry knows, each with its own names.</summary>
    internal enum ComponentKind
    {
        Layer,
        Activation,
        Initializer,
        Regularizer,
        Constraint,
        Optimizer,
        Loss,
        Metric,
        Preprocessor,
        RnnCell,
    }

    /// <summary>Registers <typeparamref name="T"/> under <paramref name="name"/> with the factory that creates it from its configuration.</summary>
    /// <typeparam name="T">A concrete layer, recurrent cell (<see cref="RnnCell"/>), activation, initializer, regularizer, constraint, optimizer, loss, metric or preprocessor type.</typeparam>
    /// <param name="name">The name written in files, such as <c>"MyApp&gt;Scale"</c>.</param>
    /// <param name="fromConfig">Creates an instance from what its <c>GetConfig</c> wrote; it may throw <see cref="ArgumentException"/>
    /// (from constructors) or <see cref="InvalidDataException"/> (from <see cref="Config"/>) for bad values.</param>
    /// <exception cref="ArgumentException"><typeparamref name="T"/> is abstract or not one of those kinds, <paramref name="name"/> is empty,
    /// or the name or the type is already registered with something else.</exception>
    public static void Register<T>(string name, Func<Config, T> fromConfig)
        where T : class
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(fromConfig);
        Type type = typeof(T);
        if (type.IsAbstract)
        {
            throw new ArgumentException($"Cannot register the abstract type {type.FullName}; register the concrete type that models use.", nameof(fromConfig));
        }

        ComponentKind kind = KindOf(type) ?? throw new ArgumentException(
            $"Cannot register {type.FullName}: only layers, recurrent cells, activations, initializers, regularizers, constraints, optimizers, losses, metrics and preprocessors are saved in model files.", nameof(fromConfig));
        Add(new Entry(kind, name, type, config => fromConfig(config), BuiltIn: false));
    }

    /// <summary>The name <paramref name="type"/> is registered under, or null when it is not registered.</summary>
    public static string? GetRegisteredName(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        lock (s_lock)
        {
            return s_byType.TryGetValue(type, out Entry? entry) ? entry.Name : null;
        }
    }

    /// <summary>Registers a built-in type under its Keras name, with optional short Keras aliases (<c>"relu"</c>, <c>"glorot_uniform"</c>).</summary>
    internal static void AddBuiltIn<T>(string name, Func<Config, T> fromConfig, params string[] aliases)
        where T : class
    {
        ComponentKind kind = KindOf(typeof(T))!.Value;
        Add(new Entry(kind, name, typeof(T), config => fromConfig(config), BuiltIn: true));
        foreach (string alias in aliases)
        {
            s_aliases[(kind, alias)] = name;
        }
    }

    /// <summary><c>{"class_name": ..., "config": {...}}</c> (plus <c>"registered_name"</c> for a user's type) for a component.</summary>
    /// <exception cref="NotSupportedException">The component's type is not registered.</exception>
    internal static JsonObject Serialize(object component)
    {
        if (CloneReferences.CanShare(component) && !IsRegistered(component))
        {
            return CloneReferences.Add(component);
        }

        Entry entry = EntryOf(component);
        Config config = ConfigOf(component);

        var result = new JsonObject { ["class_name"] = entry.BuiltIn ? entry.Name : component.GetType().Name, ["config"] = config.Json.DeepClone() };
        if (!entry.BuiltIn)
        {
            result["registered_name"] = entry.Name;
        }

        return result;
    }

    /// <summary>
    /// An activation as Keras writes it: its name (<c>"relu"</c>) when it is a built-in with its default settings,
    /// otherwise as an object (<c>{"class_name": "LeakyReLU", "config": {"negative_slope": 0.1}}</c>).
    /// </summary>
    internal static JsonNode SerializeActivation(ActivationFunction activation) =>
        SerializeByAlias(activation, ComponentKind.Activation, activation.Name, activation.GetConfig());

    // The alias when it names the component's built-in type and the component has that type's default configuration.
    private static JsonNode SerializeByAlias(object component, ComponentKind kind, string alias, Config config)
    {
        if (CloneReferences.CanShare(component) && !IsRegistered(component))
        {
            return CloneReferences.Add(component);
        }

        Entry entry = EntryOf(component);

        // An alias or the class name itself (Compile("adam", "mse", "MeanAbsoluteError") logs and saves that string).
        bool aliasNamesType = Find(kind, alias) is Entry named && named.Name == entry.Name;

        if (entry.BuiltIn && aliasNamesType && config.ToJson() == SettingsOf(entry.Factory(new Config())).ToJson())
        {
            return JsonValue.Create(alias);
        }

        return Serialize(component);
    }

    // A component's settings, without the name a metric's configuration carries: what tells a default component apart.
    private static Config SettingsOf(object component) => component is Metric metric ? metric.GetConfig() : ConfigOf(component);

    private static Config ConfigOf(object component) => component switch
    {
        Layer layer => layer.GetConfig(),
        ActivationFunction activation => activation.GetConfig(),
        Initializer initializer => initializer.GetConfig(),
        Regularizer regularizer => regularizer.GetConfig(),
        Constraint constraint => constraint.GetConfig(),
        Optimizer optimizer => optimizer.GetConfig(),
        Loss loss => loss.GetConfig(),
        Metric metric => NamedConfig(metric),
        Preprocessor preprocessor => preprocessor.GetConfig(),
        RnnCell cell => cell.GetConfig(),
        _ => throw new NotSupportedException($"{component.GetType().FullName} is not a serializable component."),
    };

    /// <summary>
    /// A metric as Keras writes it: its name when that is an identifier of the metric's built-in type and the metric has
    /// its default settings (<c>"mae"</c>, <c>"accuracy"</c>); otherwise as an object whose configuration carries the name
    /// (<c>{"class_name": "Precision", "config": {"name": "p30", "thresholds": 0.3, ...}}</c>).
    /// </summary>
    internal static JsonNode SerializeMetric(Metric metric) => SerializeByAlias(metric, ComponentKind.Metric, metric.LogName, metric.GetConfig());

    // Keras' Metric.get_config: {"name": ..., then the metric's settings}; the name is written here so that no metric
    // (nor a metric of your own) has to, and replaces any "name" a GetConfig wrote.
    private static Config NamedConfig(Metric metric)
    {
        Config settings = metric.GetConfig();
        Config named = new Config().Set("name", metric.LogName);
        foreach (string key in settings.Keys.Where(k => k != "name").ToList())
        {
            named.Set(key, settings.GetNode(key));
        }

        return named;
    }

    // Keras' Metric.from_config passes "name" to the constructor; here it is read once for every metric. A file written
    // before metrics were named has no "name" (and Keras writes null for none): the metric keeps its default name then.
    private static void ApplyMetricName(Metric metric, Config config)
    {
        if (config.Contains("name"))
        {
            string name = config.GetString("name");
            if (string.IsNullOrWhiteSpace(name))
            {
                throw config.Error($"the metric's \"name\" must be a non-empty string but is \"{FormatError.Shorten(name)}\".");
            }

            metric.Rename(name, "name");
        }
    }

    /// <summary>
    /// The built-in or registered component of kind <typeparamref name="T"/> that a Keras identifier names (<c>"adam"</c>,
    /// <c>"mse"</c>, <c>"auc"</c>, or a class name), with its default settings.
    /// </summary>
    /// <exception cref="ArgumentException">No component has that name; the message lists the known identifiers.</exception>
    internal static T FromIdentifier<T>(string name, string parameterName)
        where T : class
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name, parameterName);
        ComponentKind kind = KindOf(typeof(T))!.Value;
        Entry entry = Find(kind, name) ?? throw new ArgumentException(
            $"\"{name}\" is not a known {Describe(kind)}; known identifiers: {KnownIdentifiers(kind)}.", parameterName);
        return (T)Create(entry, new Config().At(name), new Config().At(name));
    }

    /// <summary>
    /// Reads an activation: a Keras name, an object written by <see cref="SerializeActivation"/>, or Keras' item of a
    /// function (<c>{"class_name": "function", "config": name, ...}</c>, see <see cref="ActivationFunctionName"/>).
    /// </summary>
    internal static ActivationFunction DeserializeActivation(JsonNode node, Config owner, string key) =>
        node is JsonObject item && Text(item["class_name"]) == "function"
            ? Deserialize<ActivationFunction>(JsonValue.Create(ActivationFunctionName(item, owner, key)), owner, key)
            : Deserialize<ActivationFunction>(node, owner, key);

    /// <summary>Reads a component of kind <typeparamref name="T"/> stored under <paramref name="key"/> of <paramref name="owner"/>: a Keras name or <c>{"class_name", "config"}</c>.</summary>
    internal static T Deserialize<T>(JsonNode node, Config owner, string key)
        where T : class
    {
        if (CloneReferences.Find(node) is T shared)
        {
            return shared;
        }

        ComponentKind kind = KindOf(typeof(T))!.Value;
        if (node.GetValueKind() == JsonValueKind.String)
        {
            string name = node.GetValue<string>();
            Entry entry = Find(kind, name) ?? throw owner.Error($"\"{key}\" names an unknown {Describe(kind)} \"{FormatError.Shorten(name)}\"; known: {KnownNames(kind)}.");
            return (T)Create(entry, new Config().At($"{owner.Path}.{key}"), owner);
        }

        if (node is not JsonObject obj)
        {
            throw owner.Error($"\"{key}\" must be a {Describe(kind)} name or an object with \"class_name\" and \"config\" but is {Config.Describe(node)}.");
        }

        Config item = Config.Wrap(obj, owner.Source, $"{owner.Path}.{key}");
        return (T)CreateFromItem(kind, item, item.Path);
    }

    /// <summary>
    /// Creates the component an item <c>{"class_name", "config", "registered_name"?}</c> describes; the configuration's
    /// messages name <paramref name="where"/>.
    /// </summary>
    internal static object CreateFromItem(ComponentKind kind, Config item, string where)
    {
        string className = item.GetString("class_name");
        string name = item.Contains("registered_name") ? item.GetString("registered_name") : className;
        if (kind == ComponentKind.Metric && name == "Accuracy")
        {
            // NeuralNet writes its Accuracy as the string "accuracy" (Keras' adaptive accuracy); the object form comes
            // from Keras' keras.metrics.Accuracy, a different metric.
            throw item.Error("the metric class \"Accuracy\" (Keras' keras.metrics.Accuracy, the fraction of predictions exactly equal to their targets) is not implemented; NeuralNet's Accuracy is Keras' \"accuracy\" string (categorical, sparse or binary accuracy chosen from the shapes).");
        }

        Entry entry = Find(kind, name) ?? throw item.Error(
            $"unknown {Describe(kind)} class \"{FormatError.Shorten(name)}\"; known: {KnownNames(kind)}. A type of your own must be registered with SerializationRegistry.Register before loading.");
        Config config = item.Contains("config") ? item.GetConfig("config").At(where) : new Config().At(where);
        return Create(entry, config, item);
    }

    /// <summary>The class name shown for a component: its registered name, or its CLR type name when unregistered.</summary>
    internal static string ClassNameOf(object component)
    {
        lock (s_lock)
        {
            return s_byType.TryGetValue(component.GetType(), out Entry? entry) && entry.BuiltIn ? entry.Name : component.GetType().Name;
        }
    }

    /// <summary>A new, unbuilt instance of a registered layer's type made from its configuration: what loading does, in one step (the tests' round trip).</summary>
    internal static Layer Recreate(Layer layer) => Recreate(layer, layer.GetConfig());

    /// <summary>A new, unbuilt instance of <paramref name="layer"/>'s registered type made from <paramref name="config"/> (a changed copy of its configuration).</summary>
    internal static Layer Recreate(Layer layer, Config config)
    {
        var created = (Layer)EntryOf(layer).Factory(config);
        ApplyLayerSettings(created, config);
        return created;
    }

    // Refuses a built-in layer's configuration that holds a setting the library would otherwise drop silently.
    private static void CheckLayerConfig(Entry entry, Config config)
    {
        foreach ((string key, string reason, string[] readBy) in s_unsupportedLayerKeys)
        {
            if (config.Contains(key) && Array.IndexOf(readBy, entry.Name) < 0)
            {
                throw config.Error($"{entry.Name}{LayerName(config)}: \"{key}\" is not supported ({reason}); it must be null or absent.");
            }
        }

        foreach ((string key, string reason, string[] readBy) in s_unsupportedLayerSwitches)
        {
            if (config.Contains(key) && Array.IndexOf(readBy, entry.Name) < 0 && config.GetBoolean(key))
            {
                throw config.Error($"{entry.Name}{LayerName(config)}: \"{key}\": true is not supported ({reason}); it must be false or absent.");
            }
        }
    }

    private static string LayerName(Config config) =>
        config.Json["name"] is JsonValue value && value.TryGetValue(out string? text) ? $" '{FormatError.Shorten(text)}'" : string.Empty;

    // The settings every layer's configuration carries, read here so that no factory needs to: "trainable" (Keras' base
    // Layer argument; absent means true), "activity_regularizer" (also a base Layer argument in Keras) and NeuralNet's
    // "drops_masks".
    private static void ApplyLayerSettings(Layer layer, Config config)
    {
        if (config.Contains("trainable") && !config.GetBoolean("trainable"))
        {
            layer.Trainable = false;
        }

        // A layer read from a Keras operation, which passes no masks (Layer.DropsMasks).
        if (config.Contains("drops_masks") && config.GetBoolean("drops_masks"))
        {
            layer.DropsMasks = true;
        }

        // Keras' base Layer takes activity_regularizer, whatever the layer.
        if (config.GetRegularizer("activity_regularizer") is Regularizers.Regularizer activity)
        {
            layer.SetActivityRegularizer(activity);
        }
    }

    private static object Create(Entry entry, Config config, Config owner)
    {
        object? created;
        try
        {
            if (entry.Kind == ComponentKind.Layer && entry.BuiltIn)
            {
                CheckLayerConfig(entry, config);
            }

            created = entry.Factory(config);
            if (created is Layer layer)
            {
                ApplyLayerSettings(layer, config);
            }
            else if (created is Metric metric)
            {
                ApplyMetricName(metric, config);
            }
        }
        catch (InvalidDataException)
        {
            throw;
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or FormatException or InvalidCastException
            or KeyNotFoundException or NotSupportedException or OverflowException or IndexOutOfRangeException)
        {
            throw config.Error(ex.Message, ex);
        }

        return created is not null && entry.Type.IsInstanceOfType(created)
            ? created
            : throw owner.Error($"the factory registered for \"{entry.Name}\" returned {(created is null ? "null" : created.GetType().FullName)} instead of a {entry.Type.Name}.");
    }

    private static bool IsRegistered(object component)
    {
        lock (s_lock)
        {
            return s_byType.ContainsKey(component.GetType());
        }
    }

    private static Entry EntryOf(object component)
    {
        lock (s_lock)
        {
            if (s_byType.TryGetValue(component.GetType(), out Entry? entry))
            {
                return entry;
            }
        }

        string kind = KindOf(component.GetType()) is ComponentKind k ? Describe(k) : "component";
        throw new NotSupportedException(
            $"Cannot save the {kind} {component.GetType().FullName}: it is not registered. Register it with SerializationRegistry.Register<{component.GetType().Name}>(\"MyApp>{component.GetType().Name}\", config => ...) and override GetConfig, or save the weights alone with SaveWeights and rebuild the model in code.");
    }

    private static Entry? Find(ComponentKind kind, string name)
    {
        lock (s_lock)
        {
            if (s_byName.TryGetValue((kind, name), out Entry? entry))
            {
                return entry;
            }

            return s_aliases.TryGetValue((kind, name), out string? className) ? s_byName[(kind, className)] : null;
        }
    }

    private static string KnownNames(ComponentKind kind)
    {
        lock (s_lock)
        {
            var names = s_byName.Values.Where(e => e.Kind == kind && e.BuiltIn).Select(e => e.Name).Order(StringComparer.Ordinal).ToList();
            return names.Count <= 24 ? string.Join(", ", names) : string.Join(", ", names.Take(24)) + ", ...";
        }
    }

    private static string KnownIdentifiers(ComponentKind kind)
    {
        lock (s_lock)
        {
            return string.Join(", ", s_aliases.Where(a => a.Key.Kind == kind).Select(a => $"\"{a.Key.Alias}\"").Order(StringComparer.Ordinal));
        }
    }

    private static void Add(Entry entry)
    {
        lock (s_lock)
        {
            if (s_byName.TryGetValue((entry.Kind, entry.Name), out Entry? existing) && existing.Type != entry.Type)
            {
                throw new ArgumentException($"The {Describe(entry.Kind)} name \"{entry.Name}\" is already registered for {existing.Type.FullName}; choose another name for {entry.Type.FullName}.", nameof(entry));
            }

            if (s_byType.TryGetValue(entry.Type, out Entry? registered) && registered.Name != entry.Name)
            {
                throw new ArgumentException($"{entry.Type.FullName} is already registered as \"{registered.Name}\"; a type has one name.", nameof(entry));
            }

            s_byName[(entry.Kind, entry.Name)] = entry;
            s_byType[entry.Type] = entry;
        }
    }

    private static ComponentKind? KindOf(Type type) =>
        typeof(Layer).IsAssignableFrom(type) ? ComponentKind.Layer
        : typeof(ActivationFunction).IsAssignableFrom(type) ? ComponentKind.Activation
        : typeof(Initializer).IsAssignableFrom(type) ? ComponentKind.Initializer
        : typeof(Regularizer).IsAssignableFrom(type) ? ComponentKind.Regularizer
        : typeof(Constraint).IsAssignableFrom(type) ? ComponentKind.Constraint
        : typeof(Optimizer).IsAssignableFrom(type) ? ComponentKind.Optimizer
        : typeof(Loss).IsAssignableFrom(type) ? ComponentKind.Loss
        : typeof(Metric).IsAssignableFrom(type) ? ComponentKind.Metric
        : typeof(Preprocessor).IsAssignableFrom(type) ? ComponentKind.Preprocessor
        : typeof(RnnCell).IsAssignableFrom(type) ? ComponentKind.RnnCell
        : null;

    private static string Describe(ComponentKind kind) => kind == ComponentKind.RnnCell ? "recurrent cell" : kind.ToString().ToLowerInvariant();

    private sealed record Entry(ComponentKind Kind, string Name, Type Type, Func<Config, object> Factory, bool BuiltIn);
}
