using System.Text.Json;
using System.Text.Json.Nodes;

namespace NeuralNet.Serialization;

/// <content>Functions saved by name, such as <see cref="Preprocessing.TextVectorization"/>'s custom standardize and split functions.</content>
public static partial class SerializationRegistry
{
    private static readonly Dictionary<string, Delegate> s_functionsByName = new(StringComparer.Ordinal);
    private static readonly Dictionary<Delegate, string> s_functionsByDelegate = [];

    /// <summary>
    /// Registers a function under <paramref name="name"/> so that a component holding it can be saved and loaded (Keras'
    /// <c>register_keras_serializable</c> on a function): files record the name, and loading looks it up here, so the
    /// function must be registered again, under the same name, before loading. A delegate is found by
    /// <see cref="Delegate.Equals(object)"/>: the same method (and target), however many delegates are made of it.
    /// </summary>
    /// <remarks>
    /// The registry is process-wide (Keras' global custom objects): a registration holds for every model loaded
    /// afterwards, on any thread, and cannot be undone, so the registry keeps the delegate (and the object a lambda
    /// captures) referenced for the life of the process. Registering the same delegate again under its name does
    /// nothing; a capturing lambda makes a new delegate each time the code creating it runs (another closure object),
    /// so running <c>RegisterFunction("MyApp&gt;f", s =&gt; s + suffix)</c> twice throws: register a static method, or
    /// keep the first delegate.
    /// </remarks>
    /// <param name="name">The name written in files, conventionally <c>"Package&gt;function_name"</c>.</param>
    /// <param name="function">The function, of the delegate type its user takes (<see cref="Func{T, TResult}"/> of string to string for a standardize function).</param>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty, or the name or the function is already registered with another.</exception>
    /// <example><c>SerializationRegistry.RegisterFunction("MyApp>strip_html", (Func&lt;string, string&gt;)StripHtml);</c></example>
    public static void RegisterFunction(string name, Delegate function)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(function);
        lock (s_lock)
        {
            if (s_functionsByName.TryGetValue(name, out Delegate? existing) && !existing.Equals(function))
            {
                throw new ArgumentException($"The function name \"{name}\" is already registered for {Describe(existing)}; choose another name for {Describe(function)}.", nameof(name));
            }

            if (s_functionsByDelegate.TryGetValue(function, out string? registered) && registered != name)
            {
                throw new ArgumentException($"{Describe(function)} is already registered as \"{registered}\"; a function has one name.", nameof(function));
            }

            s_functionsByName[name] = function;
            s_functionsByDelegate[function] = name;
        }
    }

    /// <summary>The name <paramref name="function"/> is registered under, or null when it is not registered.</summary>
    /// <param name="function">The function.</param>
    /// <returns>The registered name, or null.</returns>
    public static string? GetRegisteredFunctionName(Delegate function)
    {
        ArgumentNullException.ThrowIfNull(function);
        lock (s_lock)
        {
            return s_functionsByDelegate.TryGetValue(function, out string? name) ? name : null;
        }
    }

    /// <summary>
    /// A registered function as Keras writes one: <c>{"module": "builtins", "class_name": "function", "config": name,
    /// "registered_name": "function"}</c> (Keras' <c>serialize_keras_object</c>; Keras finds it again among its custom
    /// objects by a key ending with the name).
    /// </summary>
    /// <exception cref="NotSupportedException">The function is not registered; the message names <paramref name="owner"/> and <paramref name="key"/>.</exception>
    internal static JsonObject SerializeFunction(Delegate function, string owner, string key)
    {
        string? registered = GetRegisteredFunctionName(function);
        if (registered is null && CloneReferences.CanShare(function))
        {
            return CloneReferences.Add(function);
        }

        string name = registered ?? throw new NotSupportedException(
            $"Cannot save {owner}: its {(key == "function" ? key : key + " function")} ({Describe(function)}) is not registered, so a file could not name it. Register it before saving (and before loading) with SerializationRegistry.RegisterFunction(\"MyApp>{SuggestedName(function.Method.Name)}\", function), Keras' register_keras_serializable.");
        return new JsonObject { ["module"] = "builtins", ["class_name"] = "function", ["config"] = name, ["registered_name"] = "function" };
    }

    /// <summary>
    /// The registered function a config item names: Keras' <c>{"class_name": "function", "config": name, ...}</c>, looked
    /// up by the name. As Keras 3.7+ (<c>_retrieve_class_or_fn</c>, keras-team/keras PR #20406), only a bare name
    /// (without "&gt;") of an item whose <c>module</c> is <c>"builtins"</c> falls back to a registered name ending with it,
    /// which reads the files Keras 3.6 and earlier wrote with the function's bare name; unlike Keras, which takes the
    /// first such name, the end must follow a "&gt;" and must be unique.
    /// </summary>
    /// <exception cref="InvalidDataException">The item is not a function reference (a Python lambda among them), the function is not registered, or it is registered with another delegate type.</exception>
    internal static T DeserializeFunction<T>(JsonNode node, Config owner, string key)
        where T : Delegate
    {
        if (CloneReferences.Find(node) is Delegate shared)
        {
            return shared as T ?? throw owner.Error($"\"{key}\" is {Describe(shared)}, but it must be a {Describe(typeof(T))}.");
        }

        if (node is not JsonObject item || Text(item["class_name"]) is not string className)
        {
            throw owner.Error($"\"{key}\" is {Config.Describe(node)}; expected a name or a registered function {{\"class_name\": \"function\", \"config\": name}}.");
        }

        if (className == "__lambda__")
        {
            throw owner.Error($"\"{key}\" is a Python lambda, which only Python can load (and Keras only with safe_mode=False); use a named function, registered with SerializationRegistry.RegisterFunction.");
        }

        if (className != "function" || Text(item["config"]) is not string name)
        {
            throw owner.Error($"\"{key}\" has class_name \"{FormatError.Shorten(className)}\"; expected a registered function {{\"class_name\": \"function\", \"config\": name}}.");
        }

        bool bareBuiltin = Text(item["module"]) == "builtins" && !name.Contains('>', StringComparison.Ordinal);
        Delegate function;
        lock (s_lock)
        {
            string[] suffixed = bareBuiltin
                ? [.. s_functionsByName.Keys.Where(k => k.EndsWith(">" + name, StringComparison.Ordinal)).Order(StringComparer.Ordinal)]
                : [];
            function = s_functionsByName.TryGetValue(name, out Delegate? exact) ? exact
                : suffixed.Length == 1 ? s_functionsByName[suffixed[0]]
                : throw owner.Error(suffixed.Length > 1
                    ? $"\"{key}\" names the function \"{FormatError.Shorten(name)}\", which several registered names end with: {string.Join(", ", suffixed)}; register it under \"{FormatError.Shorten(name)}\" itself."
                    : $"\"{key}\" names the function \"{FormatError.Shorten(name)}\", which is not registered; register it with SerializationRegistry.RegisterFunction before loading.");
        }

        return function as T ?? throw owner.Error(
            $"\"{key}\" names the function \"{FormatError.Shorten(name)}\", registered as {Describe(function)}, but it must be a {Describe(typeof(T))}.");
    }

    /// <summary>
    /// The activation a Keras function item names. Keras 3's <c>activations.serialize</c> writes a function registered with
    /// <c>register_keras_serializable</c> as <c>{"module": "builtins", "class_name": "function", "config":
    /// "package&gt;name", "registered_name": "function"}</c> (a built-in one as its bare name), and its
    /// <c>deserialize_keras_object</c> takes <c>config</c> when it is a registered name or <c>module</c> is
    /// <c>"builtins"</c>, else <c>registered_name</c> (what <c>serialize_with_public_fn</c> writes for a function of a
    /// Keras module). Other keys (<c>shared_object_id</c>, written when layers share the function) are not read.
    /// </summary>
    /// <exception cref="InvalidDataException">The item's <c>config</c> is not a string, or names no built-in or registered activation.</exception>
    private static string ActivationFunctionName(JsonObject item, Config owner, string key)
    {
        string name = Text(item["config"]) ?? throw owner.Error(
            $"\"{key}\" is Keras' item of a function, whose \"config\" must be the function's name but is {Config.Describe(item["config"])}.");
        if (Find(ComponentKind.Activation, name) is not null)
        {
            return name;
        }

        if (Text(item["module"]) is string module && module != "builtins" && Text(item["registered_name"]) is string registered
            && Find(ComponentKind.Activation, registered) is not null)
        {
            return registered;
        }

        throw owner.Error(
            $"\"{key}\" is the function \"{FormatError.Shorten(name)}\", which is not a known activation; known: {KnownNames(ComponentKind.Activation)}. "
            + "Keras writes a function registered with register_keras_serializable under its registered name (\"package>name\"): register an ActivationFunction of your own under that name with SerializationRegistry.Register before loading.");
    }

    private static string? Text(JsonNode? node) => node is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;

    // The name to suggest for a function: a local function's own name ("<<Main>$>g__Embed|0_1" is Embed), a lambda's
    // placeholder (its compiler name is no name to register under), else the method's name.
    private static string SuggestedName(string methodName)
    {
        int local = methodName.IndexOf("g__", StringComparison.Ordinal);
        if (local >= 0)
        {
            int end = methodName.IndexOf('|', local);
            return end > local + 3 ? methodName[(local + 3)..end] : "myFunction";
        }

        return methodName.Contains('<', StringComparison.Ordinal) ? "myFunction" : methodName;
    }

    private static string Describe(Delegate function) => $"{function.Method.DeclaringType?.Name}.{function.Method.Name} ({Describe(function.GetType())})";

    private static string Describe(Type delegateType) => delegateType.IsGenericType
        ? $"{delegateType.Name[..delegateType.Name.IndexOf('`', StringComparison.Ordinal)]}<{string.Join(", ", delegateType.GetGenericArguments().Select(Describe))}>"
        : delegateType.Name;
}
